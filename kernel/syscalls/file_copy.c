/*
 * file_copy.c: copy_file_range, a copy between two regular files inside
 * the kernel (cp, node's fs.copyFile). sendfile is the network part's.
 *
 * Trust: fds, offset pointers and the length are raw user values; the
 * data moves through a kernel buffer, one chunk at a time.
 */
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/uaccess.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/rlimits.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

#define COPY_CHUNK (64 * 1024)
#define COPY_MAX 0x7ffff000ull

/* One side of the copy: the file and where in it. */
struct copy_end {
	struct file *file;
	u64 uoff;        /* user pointer to the offset, 0 = the file offset */
	s64 offset;
};

static int copy_end_of(u64 fd, u64 uoff, bool write, struct copy_end *end)
{
	int err = file_of(arg_int(fd), &end->file);
	if (err)
		return err;
	struct file *f = end->file;
	u32 mode = f->flags & O_ACCMODE;
	if ((f->flags & O_PATH) || (write ? mode == O_RDONLY : mode == O_WRONLY))
		return -EBADF;
	if (write && (f->flags & O_APPEND))
		return -EBADF;
	if (f->inode != NULL && inode_is_dir(f->inode))
		return -EISDIR;
	if (f->inode == NULL || !inode_is_reg(f->inode))
		return -EINVAL;
	end->uoff = uoff;
	end->offset = (s64)f->offset;
	if (uoff && copyin(&end->offset, uoff, sizeof(end->offset)) != 0)
		return -EFAULT;
	return end->offset < 0 ? -EINVAL : 0;
}

/* Copy up to len bytes; returns what moved, or -errno if nothing did. */
static long copy_data(struct copy_end *in, struct copy_end *out, u64 len)
{
	u8 *buf = kmalloc(COPY_CHUNK);
	if (buf == NULL)
		return -ENOMEM;
	u64 done = 0;
	long err = 0;
	while (done < len) {
		size_t want = (size_t)MIN(len - done, (u64)COPY_CHUNK);
		err = rlimit_fsize(out->file, (u64)out->offset, &want);
		if (err)
			break;
		long n = vfs_pread(in->file, buf, want, in->offset);
		if (n <= 0) {
			err = n;
			break;
		}
		long w = vfs_pwrite(out->file, buf, (size_t)n, out->offset);
		if (w <= 0) {
			err = w;
			break;
		}
		in->offset += w;
		out->offset += w;
		done += (u64)w;
		if (w < n)
			break;
	}
	kfree(buf);
	return done > 0 ? (long)done : err;
}

static long put_offset(struct copy_end *end)
{
	if (end->uoff)
		return copyout(end->uoff, &end->offset, sizeof(end->offset)) == 0 ? 0 : -EFAULT;
	end->file->offset = (u64)end->offset;
	return 0;
}

long sys_copy_file_range(const struct syscall_args *args)
{
	if (args->a[5] != 0)
		return -EINVAL;
	struct copy_end in, out;
	int err = copy_end_of(args->a[0], args->a[1], false, &in);
	if (!err)
		err = copy_end_of(args->a[2], args->a[3], true, &out);
	if (err)
		return err;
	u64 len = MIN(args->a[4], COPY_MAX);
	/* Overlapping ranges of one file are refused, as on Linux. */
	u64 a = (u64)in.offset, b = (u64)out.offset; /* both < 2^63: no wrap */
	if (in.file->inode == out.file->inode && a < b + len && b < a + len)
		return -EINVAL;
	if (len == 0)
		return 0;
	long n = copy_data(&in, &out, len);
	if (n > 0 && (put_offset(&in) != 0 || put_offset(&out) != 0))
		return -EFAULT;
	return n;
}
