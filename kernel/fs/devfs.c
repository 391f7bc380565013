/*
 * devfs.c: the /dev tree as a pseudofs table, and the simple devices:
 * null, zero, full, and random/urandom (the kernel CSPRNG, seeded from the CPU,
 * never from the host).
 */
#include "fs/devfs.h"
#include "drivers/random/random.h"
#include "fs/pseudofs.h"
#include "lib/string.h"
#include "mm/page.h"
#include "syscalls/linux_abi/errno.h"

#define DEVFS_DEV 0x5
#define DEVFS_MAGIC 0x01021994 /* Linux's devtmpfs reports the tmpfs magic */
#define MKDEV(major, minor) (((u64)(major) << 8) | (u64)(minor))

static long null_read(struct file *file, void *buf, size_t size, u64 offset)
{
	(void)file;
	(void)buf;
	(void)size;
	(void)offset;
	return 0;
}

static long sink_write(struct file *file, const void *buf, size_t size, u64 offset)
{
	(void)file;
	(void)buf;
	(void)offset;
	return (long)size;
}

static long zero_read(struct file *file, void *buf, size_t size, u64 offset)
{
	(void)file;
	(void)offset;
	memset(buf, 0, size);
	return (long)size;
}

/* The direct forms (read(2)/write(2) on user memory, no bounce buffer):
 * /dev/null takes writes without touching the buffer, as Linux does, and
 * /dev/zero copies out of one zero page. */
static u8 g_zeros[PAGE_SIZE]; /* never written; in .bss, not the image */

static long null_read_direct(struct file *file, struct vfs_copier *c, size_t size, u64 offset)
{
	(void)file;
	(void)c;
	(void)size;
	(void)offset;
	return 0;
}

static long sink_write_direct(struct file *file, struct vfs_copier *c, size_t size, u64 offset)
{
	(void)file;
	(void)c;
	(void)offset;
	return (long)size;
}

static long zero_read_direct(struct file *file, struct vfs_copier *c, size_t size, u64 offset)
{
	(void)file;
	(void)offset;
	size_t done = 0;
	while (done < size) {
		size_t n = MIN(size - done, sizeof g_zeros);
		if (c->copy(c, g_zeros, n) != 0)
			return done > 0 ? (long)done : -EFAULT;
		done += n;
	}
	return (long)done;
}

/* Linux maps /dev/zero as private anonymous memory: a fresh zero page,
 * the mapping's own. */
static int zero_get_page(struct file *file, u64 offset, bool write, void **page)
{
	(void)file;
	(void)offset;
	(void)write;
	*page = page_alloc();
	return *page != NULL ? 0 : -ENOMEM;
}

static long random_read(struct file *file, void *buf, size_t size, u64 offset)
{
	(void)file;
	(void)offset;
	random_bytes(buf, size);
	return (long)size;
}

static const struct file_ops g_null_fops = {
	.read = null_read, .write = sink_write,
	.read_direct = null_read_direct, .write_direct = sink_write_direct,
};
static const struct file_ops g_zero_fops = {
	.read = zero_read, .write = sink_write, .get_page = zero_get_page,
	.read_direct = zero_read_direct, .write_direct = sink_write_direct,
};
/* /dev/full: reads as /dev/zero, every write fails with ENOSPC. */
static long full_write(struct file *file, const void *buf, size_t size, u64 offset)
{
	(void)file;
	(void)buf;
	(void)size;
	(void)offset;
	return -ENOSPC;
}

static const struct file_ops g_full_fops = { .read = zero_read, .write = full_write };
static const struct file_ops g_random_fops = { .read = random_read, .write = sink_write };

static long link_fd0(struct inode *i, char *buf, size_t size)
{
	(void)i;
	return pseudofs_copy_link("/proc/self/fd/0", buf, size);
}

static long link_fd1(struct inode *i, char *buf, size_t size)
{
	(void)i;
	return pseudofs_copy_link("/proc/self/fd/1", buf, size);
}

static long link_fd2(struct inode *i, char *buf, size_t size)
{
	(void)i;
	return pseudofs_copy_link("/proc/self/fd/2", buf, size);
}

static long link_fd(struct inode *i, char *buf, size_t size)
{
	(void)i;
	return pseudofs_copy_link("/proc/self/fd", buf, size);
}

enum {
	DEV_ROOT = 1,
	DEV_ATTEST = 20,
	DEV_MEASUREMENTS = 30,
};

#define CHR_MODE (S_IFCHR | 0666)
#define GEN_MODE (S_IFREG | 0444)

static const struct pseudo_node g_dev_nodes[] = {
	{ .ino = DEV_ROOT, .parent = DEV_ROOT, .name = "", .mode = S_IFDIR | 0755 },
	{ .ino = 2, .parent = DEV_ROOT, .name = "null", .mode = CHR_MODE,
	  .rdev = MKDEV(1, 3), .fops = &g_null_fops },
	{ .ino = 3, .parent = DEV_ROOT, .name = "zero", .mode = CHR_MODE,
	  .rdev = MKDEV(1, 5), .fops = &g_zero_fops },
	{ .ino = 12, .parent = DEV_ROOT, .name = "full", .mode = CHR_MODE,
	  .rdev = MKDEV(1, 7), .fops = &g_full_fops },
	{ .ino = 4, .parent = DEV_ROOT, .name = "random", .mode = CHR_MODE,
	  .rdev = MKDEV(1, 8), .fops = &g_random_fops },
	{ .ino = 5, .parent = DEV_ROOT, .name = "urandom", .mode = CHR_MODE,
	  .rdev = MKDEV(1, 9), .fops = &g_random_fops },
	{ .ino = 6, .parent = DEV_ROOT, .name = "tty", .mode = CHR_MODE,
	  .rdev = MKDEV(5, 0), .fops = &g_devtty_fops },
	/* The app's terminal belongs to the app (like a login tty). */
	{ .ino = 7, .parent = DEV_ROOT, .name = "console", .mode = S_IFCHR | 0600,
	  .caller_owned = true, .rdev = MKDEV(5, 1), .fops = &g_devtty_fops },
	{ .ino = 8, .parent = DEV_ROOT, .name = "stdin", .mode = S_IFLNK | 0777,
	  .readlink = link_fd0 },
	{ .ino = 9, .parent = DEV_ROOT, .name = "stdout", .mode = S_IFLNK | 0777,
	  .readlink = link_fd1 },
	{ .ino = 10, .parent = DEV_ROOT, .name = "stderr", .mode = S_IFLNK | 0777,
	  .readlink = link_fd2 },
	{ .ino = 11, .parent = DEV_ROOT, .name = "fd", .mode = S_IFLNK | 0777,
	  .readlink = link_fd },
	{ .ino = DEV_ATTEST, .parent = DEV_ROOT, .name = "attestation", .mode = S_IFDIR | 0755 },
	{ .ino = 21, .parent = DEV_ATTEST, .name = "attestation_type", .mode = GEN_MODE,
	  .size = 5, .fops = &g_pseudo_generated_fops, .generate = attest_type_generate },
	{ .ino = 22, .parent = DEV_ATTEST, .name = "user_report_data", .mode = S_IFREG | 0666,
	  .size = ATTEST_USER_DATA_SIZE, .fops = &g_attest_report_data_fops },
	{ .ino = 23, .parent = DEV_ATTEST, .name = "report", .mode = GEN_MODE,
	  .size = ATTEST_REPORT_SIZE, .fops = &g_pseudo_generated_fops,
	  .generate = attest_report_generate },
	{ .ino = 24, .parent = DEV_ATTEST, .name = "eventlog", .mode = GEN_MODE,
	  .fops = &g_pseudo_generated_fops, .generate = attest_eventlog_generate },
	{ .ino = DEV_MEASUREMENTS, .parent = DEV_ATTEST, .name = "measurements",
	  .mode = S_IFDIR | 0755 },
	{ .ino = 31, .parent = DEV_MEASUREMENTS, .name = "kernel", .mode = GEN_MODE, .size = 97,
	  .fops = &g_pseudo_generated_fops, .generate = attest_measurement_generate },
	{ .ino = 32, .parent = DEV_MEASUREMENTS, .name = "config", .mode = GEN_MODE, .size = 97,
	  .fops = &g_pseudo_generated_fops, .generate = attest_measurement_generate },
	{ .ino = 33, .parent = DEV_MEASUREMENTS, .name = "disk_root", .mode = GEN_MODE,
	  .size = 97, .fops = &g_pseudo_generated_fops, .generate = attest_measurement_generate },
	{ .ino = 34, .parent = DEV_MEASUREMENTS, .name = "rtmr", .mode = GEN_MODE, .size = 97,
	  .fops = &g_pseudo_generated_fops, .generate = attest_measurement_generate },
};

struct fs_super *devfs_create(void)
{
	struct fs_super *sb = pseudofs_create("devfs", DEVFS_DEV, g_dev_nodes,
	                                      sizeof(g_dev_nodes) / sizeof(g_dev_nodes[0]));
	if (sb != NULL)
		sb->magic = DEVFS_MAGIC;
	return sb;
}
