/*
 * sendfile.c: sendfile(out_fd, in_fd, offset, count) from a file with
 * offsets (regular files) to any writable file (files and sockets alike;
 * cp and busybox use it between files, servers to sockets). As on Linux,
 * an in_fd without offsets (a tty, a pipe, a socket) is -EINVAL, and
 * callers fall back to read and write. Data moves through one kernel
 * buffer: pread from in_fd, write to out_fd.
 *
 * Trust: fds, the offset pointer and the count are user input; the
 * offset is checked before use and written back only when given.
 */
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/uaccess.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

#define CHUNK (64 * 1024)
#define IO_MAX 0x7ffff000ULL

long sys_sendfile(const struct syscall_args *args)
{
	struct file *out, *in;
	int err = file_of(arg_int(args->a[0]), &out);
	if (!err)
		err = file_of(arg_int(args->a[1]), &in);
	if (err)
		return err;
	if ((in->flags & O_ACCMODE) == O_WRONLY || (out->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (out->flags & O_APPEND)
		return -EINVAL;
	u64 uoff = args->a[2];
	u64 count = MIN(args->a[3], IO_MAX);
	if (in->ops == NULL || in->ops->stream)
		return -EINVAL;
	s64 pos = (s64)in->offset;
	if (uoff != 0) {
		if (copyin(&pos, uoff, sizeof(pos)) != 0)
			return -EFAULT;
		if (pos < 0)
			return -EINVAL;
	}
	u8 *buf = kmalloc(MIN(count, (u64)CHUNK) ? MIN(count, (u64)CHUNK) : 1);
	if (buf == NULL)
		return -ENOMEM;
	u64 done = 0;
	long ret = 0;
	while (done < count) {
		size_t want = (size_t)MIN(count - done, (u64)CHUNK);
		long n = vfs_pread(in, buf, want, pos);
		if (n <= 0) {
			ret = n;
			break;
		}
		long w = vfs_write(out, buf, (size_t)n);
		if (w < 0) {
			ret = w;
			break;
		}
		done += (u64)w;
		pos += w;
		if (w < n || (size_t)n < want)
			break;  /* a short write or the end of the file */
	}
	kfree(buf);
	if (uoff == 0)
		in->offset = (u64)pos;
	if (uoff != 0 && copyout(uoff, &pos, sizeof(pos)) != 0)
		return -EFAULT;
	return done > 0 ? (long)done : ret;
}
