/*
 * procfs.c: a minimal /proc: self/{exe,maps,fd/N}, cpuinfo, meminfo,
 * mounts. Task facts come from the hooks the process layer registered
 * (procfs.h); CPU facts from CPUID (host-controlled values, shown as
 * they are: they decide nothing in the kernel).
 */
#include "fs/procfs.h"
#include "arch/x86_64/arch.h"
#include "fs/mount.h"
#include "fs/pseudofs.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/page.h"
#include "platform/platform.h"
#include "syscalls/linux_abi/errno.h"

#define PROCFS_DEV 0x4
#define PROC_SUPER_MAGIC 0x9fa0
#define FD_INO_BASE 0x10000ULL
#define FD_MAX_NUMBER 0x7fffffff

static const struct procfs_hooks *g_hooks;

void procfs_set_hooks(const struct procfs_hooks *hooks)
{
	g_hooks = hooks;
}

/* ---- /proc/self ---- */

static long self_exe_readlink(struct inode *inode, char *buf, size_t size)
{
	(void)inode;
	if (g_hooks == NULL || g_hooks->exe_path == NULL)
		return -ENOENT;
	return g_hooks->exe_path(buf, size);
}

static long self_maps_generate(struct inode *inode, char *buf, size_t size)
{
	(void)inode;
	if (g_hooks == NULL || g_hooks->maps == NULL)
		return -ENOENT;
	long n = g_hooks->maps(buf, size);
	/* The hook truncates: a full buffer may mean more; ask for a bigger one. */
	if (n >= 0 && (size_t)n >= size)
		return (long)size + 1;
	return n;
}

static long fd_link_readlink(struct inode *inode, char *buf, size_t size)
{
	if (g_hooks == NULL || g_hooks->fd_path == NULL)
		return -ENOENT;
	return g_hooks->fd_path((int)(inode->ino - FD_INO_BASE), buf, size);
}

/* Opening /proc/self/fd/N of a pipe end opens that pipe again (Linux's
 * magic link), not a path. */
static int fd_link_jump(struct inode *inode, struct inode **out)
{
	if (g_hooks == NULL || g_hooks->fd_inode == NULL)
		return 1;
	return g_hooks->fd_inode((int)(inode->ino - FD_INO_BASE), out) == 0 ? 0 : 1;
}

static const struct pseudo_node g_fd_link_node = {
	.ino = 0, .parent = 0, .name = "fd link", .mode = S_IFLNK | 0700, .caller_owned = true,
	.readlink = fd_link_readlink, .jump = fd_link_jump,
};

/* Parse a decimal fd number without sign or leading zeros. */
static int parse_fd(const char *name, size_t len)
{
	if (len == 0 || len > 10 || (len > 1 && name[0] == '0'))
		return -1;
	u64 value = 0;
	for (size_t i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		value = value * 10 + (u64)(name[i] - '0');
	}
	return value > FD_MAX_NUMBER ? -1 : (int)value;
}

static int fd_dir_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	char probe[8];
	int fd = parse_fd(name, len);
	if (fd < 0 || g_hooks == NULL || g_hooks->fd_path == NULL)
		return -ENOENT;
	if (g_hooks->fd_path(fd, probe, sizeof(probe)) == -EBADF)
		return -ENOENT;
	*out = pseudofs_inode(dir->sb, &g_fd_link_node, FD_INO_BASE + (u64)fd);
	return *out ? 0 : -ENOMEM;
}

/* cookie: 0 at the start, else last fd returned + 1. */
static int fd_dir_iterate(struct inode *dir, u64 *cookie, struct vfs_dirent *out)
{
	(void)dir;
	if (g_hooks == NULL || g_hooks->fd_next == NULL)
		return 0;
	int fd = g_hooks->fd_next((int)*cookie - 1);
	if (fd < 0)
		return 0;
	out->ino = FD_INO_BASE + (u64)fd;
	out->type = DT_LNK;
	out->name_len = (u16)snprintf(out->name, sizeof(out->name), "%d", fd);
	*cookie = (u64)fd + 1;
	return 1;
}

/* ---- /proc/cpuinfo ---- */

struct cpu_flag {
	u8 reg;          /* 0: leaf 1 edx, 1: leaf 1 ecx, 2: leaf 7 ebx */
	u8 bit;
	const char *name;
};

static const struct cpu_flag g_cpu_flags[] = {
	{ 0, 0, "fpu" }, { 0, 4, "tsc" }, { 0, 5, "msr" }, { 0, 8, "cx8" },
	{ 0, 15, "cmov" }, { 0, 23, "mmx" }, { 0, 24, "fxsr" }, { 0, 25, "sse" },
	{ 0, 26, "sse2" }, { 1, 0, "pni" }, { 1, 1, "pclmulqdq" }, { 1, 9, "ssse3" },
	{ 1, 13, "cx16" }, { 1, 19, "sse4_1" }, { 1, 20, "sse4_2" }, { 1, 22, "movbe" },
	{ 1, 23, "popcnt" }, { 1, 25, "aes" }, { 1, 30, "rdrand" }, { 2, 3, "bmi1" },
	{ 2, 7, "smep" }, { 2, 8, "bmi2" }, { 2, 18, "rdseed" }, { 2, 19, "adx" },
	{ 2, 20, "smap" }, { 2, 29, "sha_ni" },
};

struct text {
	char *buf;
	size_t size;
	size_t len;      /* may exceed size: the full length wanted */
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = t->len < t->size ? t->size - t->len : 0;
	int n = vsnprintf(room ? t->buf + t->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n;
}

static long cpuinfo_generate(struct inode *inode, char *buf, size_t size)
{
	(void)inode;
	u32 a, b, c, d, regs[3];
	char vendor[13], model[49];
	arch_cpuid(0, 0, &a, &b, &c, &d);
	u32 max_leaf = a;
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &d, 4);
	memcpy(vendor + 8, &c, 4);
	vendor[12] = 0;
	memset(model, 0, sizeof(model));
	arch_cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a >= 0x80000004) {
		for (u32 i = 0; i < 3; i++) {
			arch_cpuid(0x80000002 + i, 0, &a, &b, &c, &d);
			u32 words[4] = { a, b, c, d };
			memcpy(model + 16 * i, words, 16);
		}
	}
	arch_cpuid(1, 0, &a, &b, &c, &d);
	u32 family = (a >> 8) & 0xf, model_id = (a >> 4) & 0xf, stepping = a & 0xf;
	if (family == 0xf)
		family += (a >> 20) & 0xff;
	if (family == 0x6 || family >= 0xf)
		model_id |= ((a >> 16) & 0xf) << 4;
	regs[0] = d;
	regs[1] = c;
	regs[2] = 0;
	if (max_leaf >= 7) {
		arch_cpuid(7, 0, &a, &b, &c, &d);
		regs[2] = b;
	}

	struct text t = { buf, size, 0 };
	u64 mhz = platform_tsc_hz() / 1000000;
	text_add(&t, "processor\t: 0\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n", vendor,
	         family, model_id);
	text_add(&t, "model name\t: %s\nstepping\t: %u\ncpu MHz\t\t: %llu.000\n", model, stepping,
	         (unsigned long long)mhz);
	text_add(&t, "physical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1\nflags\t\t:");
	for (size_t i = 0; i < sizeof(g_cpu_flags) / sizeof(g_cpu_flags[0]); i++) {
		const struct cpu_flag *f = &g_cpu_flags[i];
		if (regs[f->reg] & (1u << f->bit))
			text_add(&t, " %s", f->name);
	}
	text_add(&t, "\n\n");
	return (long)t.len;
}

static long meminfo_generate(struct inode *inode, char *buf, size_t size)
{
	(void)inode;
	struct text t = { buf, size, 0 };
	unsigned long long total_kb = (unsigned long long)page_total_count() * 4;
	unsigned long long free_kb = (unsigned long long)page_free_count() * 4;
	text_add(&t, "MemTotal:       %llu kB\nMemFree:        %llu kB\n", total_kb, free_kb);
	text_add(&t, "MemAvailable:   %llu kB\n", free_kb);
	return (long)t.len;
}

static long mounts_generate(struct inode *inode, char *buf, size_t size)
{
	(void)inode;
	struct text t = { buf, size, 0 };
	char path[256];
	for (size_t i = 0; mount_at(i) != NULL; i++) {
		struct mount *m = mount_at(i);
		long n = vfs_getcwd(m->sb->root, path, sizeof(path));
		if (n < 0)
			continue;
		text_add(&t, "%s %s %s %s 0 0\n", m->sb->type, path, m->sb->type,
		         m->sb->read_only ? "ro" : "rw");
	}
	return (long)t.len;
}

enum {
	PROC_ROOT = 1,
	PROC_SELF = 2,
	PROC_SELF_FD = 5,
};

#define GEN_MODE (S_IFREG | 0444)

static const struct pseudo_node g_proc_nodes[] = {
	{ .ino = PROC_ROOT, .parent = PROC_ROOT, .name = "", .mode = S_IFDIR | 0555 },
	/* /proc/self belongs to the process looking at it, as on Linux. */
	{ .ino = PROC_SELF, .parent = PROC_ROOT, .name = "self", .mode = S_IFDIR | 0555,
	  .caller_owned = true },
	{ .ino = 3, .parent = PROC_SELF, .name = "exe", .mode = S_IFLNK | 0777,
	  .caller_owned = true, .readlink = self_exe_readlink },
	{ .ino = 4, .parent = PROC_SELF, .name = "maps", .mode = GEN_MODE,
	  .caller_owned = true, .fops = &g_pseudo_generated_fops, .generate = self_maps_generate },
	{ .ino = PROC_SELF_FD, .parent = PROC_SELF, .name = "fd", .mode = S_IFDIR | 0500,
	  .caller_owned = true, .lookup = fd_dir_lookup, .iterate = fd_dir_iterate },
	{ .ino = 6, .parent = PROC_SELF, .name = "mounts", .mode = GEN_MODE,
	  .caller_owned = true, .fops = &g_pseudo_generated_fops, .generate = mounts_generate },
	{ .ino = 7, .parent = PROC_ROOT, .name = "cpuinfo", .mode = GEN_MODE,
	  .fops = &g_pseudo_generated_fops, .generate = cpuinfo_generate },
	{ .ino = 8, .parent = PROC_ROOT, .name = "meminfo", .mode = GEN_MODE,
	  .fops = &g_pseudo_generated_fops, .generate = meminfo_generate },
	{ .ino = 9, .parent = PROC_ROOT, .name = "mounts", .mode = GEN_MODE,
	  .fops = &g_pseudo_generated_fops, .generate = mounts_generate },
};

struct fs_super *procfs_create(void)
{
	struct fs_super *sb = pseudofs_create("proc", PROCFS_DEV, g_proc_nodes,
	                                      sizeof(g_proc_nodes) / sizeof(g_proc_nodes[0]));
	if (sb != NULL) {
		sb->read_only = true;
		sb->magic = PROC_SUPER_MAGIC;
	}
	return sb;
}
