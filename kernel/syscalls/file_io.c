/*
 * file_io.c: I/O on open file descriptors: read/write and their vector
 * and positional forms, lseek, close, dup*, fcntl, ioctl, fsync,
 * ftruncate, fallocate, getdents64.
 *
 * Trust: fds, sizes and user buffers are raw user input. Data moves
 * between user memory and a file's pages directly when the file offers
 * that (tmpfs, the overlay, the root disk: copyout/copyin per page
 * piece), else through a kernel bounce buffer, one chunk at a time.
 */
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/uaccess.h"
#include "proc/fdtable.h"
#include "proc/pipe.h"
#include "proc/task.h"
#include "syscalls/common.h"
#include "syscalls/file_ioctl.h"
#include "syscalls/file_lock.h"
#include "syscalls/handlers.h"
#include "syscalls/memfd.h"
#include "syscalls/rlimits.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"
#include "syscalls/linux_abi/misc.h"
#include "syscalls/linux_abi/termios.h"

#define IO_CHUNK (64 * 1024)
/* Linux caps one read/write at 0x7ffff000 bytes. */
#define IO_MAX 0x7ffff000ull

/* How a transfer reaches the file: at file->offset or at an explicit one. */
struct io_pos {
	bool explicit_offset;
	s64 offset;
};

/* Which way a transfer moves data, seen from the file. */
enum io_dir { IO_READ, IO_WRITE };

/* One VFS call on a kernel buffer; an explicit offset advances by what
 * moved, file->offset is the VFS's to advance. */
static long do_chunk(struct file *f, void *kbuf, size_t size, enum io_dir dir,
                     struct io_pos *pos)
{
	long n;
	if (!pos->explicit_offset)
		return dir == IO_WRITE ? vfs_write(f, kbuf, size) : vfs_read(f, kbuf, size);
	if (dir == IO_WRITE)
		n = vfs_pwrite(f, kbuf, size, pos->offset);
	else
		n = vfs_pread(f, kbuf, size, pos->offset);
	if (n > 0)
		pos->offset += n;
	return n;
}

/* The direct path's copier: user memory at uaddr, advancing. */
struct user_copier {
	struct vfs_copier c;
	u64 uaddr;
};

static int copy_to_user_buf(struct vfs_copier *c, void *kaddr, size_t n)
{
	struct user_copier *u = (struct user_copier *)c;
	if (copyout(u->uaddr, kaddr, n) != 0)
		return -EFAULT;
	u->uaddr += n;
	return 0;
}

static int copy_from_user_buf(struct vfs_copier *c, void *kaddr, size_t n)
{
	struct user_copier *u = (struct user_copier *)c;
	if (copyin(kaddr, u->uaddr, n) != 0)
		return -EFAULT;
	u->uaddr += n;
	return 0;
}

/* Files whose bytes live in pages (tmpfs, the overlay, the root disk's
 * page cache) move them straight to or from user memory: one copy, no
 * bounce buffer. -EOPNOTSUPP when the file has no such path. */
static long transfer_direct(struct file *f, u64 ubuf, u64 size, enum io_dir dir,
                            struct io_pos *pos)
{
	struct user_copier u = {
		.c.copy = dir == IO_WRITE ? copy_from_user_buf : copy_to_user_buf,
		.uaddr = ubuf,
	};
	s64 *at = pos->explicit_offset ? &pos->offset : NULL;
	if (dir == IO_WRITE)
		return vfs_write_direct(f, &u.c, (size_t)size, at);
	return vfs_read_direct(f, &u.c, (size_t)size, at);
}

/* Move up to size bytes between user memory at ubuf and the file:
 * directly when the file can, else one bounce-buffer chunk at a time;
 * stops at a short transfer. Returns the bytes moved, or -errno when
 * nothing moved. */
static long transfer_user(struct file *f, u64 ubuf, u64 size, enum io_dir dir,
                          struct io_pos *pos)
{
	if (size > IO_MAX)
		size = IO_MAX;
	if (!user_range_ok(ubuf, size))
		return -EFAULT;
	if (dir == IO_WRITE) {
		/* RLIMIT_FSIZE, once per call as on Linux: cut short, or EFBIG. */
		size_t room = (size_t)size;
		long err = rlimit_fsize(f, rlimit_write_pos(f, pos->explicit_offset, pos->offset),
		                        &room);
		if (err)
			return err;
		size = room;
	}
	long direct = transfer_direct(f, ubuf, size, dir, pos);
	if (direct != -EOPNOTSUPP)
		return direct;
	size_t chunk_max = MIN(size, (u64)IO_CHUNK);
	void *kbuf = kmalloc(chunk_max ? chunk_max : 1);
	if (!kbuf)
		return -ENOMEM;
	u64 done = 0;
	long err = 0;
	do {
		size_t want = MIN(size - done, (u64)chunk_max);
		if (dir == IO_WRITE && copyin(kbuf, ubuf + done, want) != 0) {
			err = -EFAULT;
			break;
		}
		long n = do_chunk(f, kbuf, want, dir, pos);
		if (n < 0) {
			err = n;
			break;
		}
		if (dir == IO_READ && n > 0 && copyout(ubuf + done, kbuf, (size_t)n) != 0) {
			err = -EFAULT;
			break;
		}
		done += (u64)n;
		if ((size_t)n < want)
			break;
	} while (done < size);
	kfree(kbuf);
	return done > 0 ? (long)done : err;
}

static bool can_read(const struct file *f)
{
	return (f->flags & O_ACCMODE) != O_WRONLY && !(f->flags & O_PATH);
}

static bool can_write(const struct file *f)
{
	return (f->flags & O_ACCMODE) != O_RDONLY && !(f->flags & O_PATH);
}

static bool can_transfer(const struct file *f, enum io_dir dir)
{
	return dir == IO_WRITE ? can_write(f) : can_read(f);
}

/* Where a call transfers: at file->offset, or (positional calls) at the
 * offset in a[3], which must not be negative. */
static int io_pos_of(const struct syscall_args *args, bool positional, struct io_pos *pos)
{
	pos->explicit_offset = positional;
	pos->offset = positional ? (s64)args->a[3] : 0;
	return pos->offset < 0 ? -EINVAL : 0;
}

/* read/write/pread64/pwrite64: (fd, buf, count[, offset]). */
static long fd_io(const struct syscall_args *args, enum io_dir dir, bool positional)
{
	struct file *f;
	int err = file_of(arg_int(args->a[0]), &f);
	if (err)
		return err;
	if (positional && vfs_is_stream(f))
		return -ESPIPE; /* before the mode: pread(1) on a write-only pipe */
	if (!can_transfer(f, dir))
		return -EBADF;
	struct io_pos pos;
	err = io_pos_of(args, positional, &pos);
	if (err)
		return err;
	return transfer_user(f, args->a[1], args->a[2], dir, &pos);
}

long sys_read(const struct syscall_args *args)
{
	return fd_io(args, IO_READ, false);
}

long sys_write(const struct syscall_args *args)
{
	return fd_io(args, IO_WRITE, false);
}

long sys_pread64(const struct syscall_args *args)
{
	return fd_io(args, IO_READ, true);
}

long sys_pwrite64(const struct syscall_args *args)
{
	return fd_io(args, IO_WRITE, true);
}

/* readv/writev family: the iovec array is copied in whole first. */
static long vector_io(int fd, u64 uiov, u64 count, enum io_dir dir, struct io_pos *pos)
{
	struct file *f;
	int err = file_of(fd, &f);
	if (err)
		return err;
	if (!can_transfer(f, dir))
		return -EBADF;
	if (count > UIO_MAXIOV)
		return -EINVAL;
	if (count == 0)
		return 0;
	struct linux_iovec *iov = kmalloc(count * sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	long total = 0;
	if (copyin(iov, uiov, count * sizeof(*iov)) != 0) {
		total = -EFAULT;
		goto out;
	}
	u64 sum = 0;
	for (u64 i = 0; i < count; i++) {
		if (iov[i].iov_len > IO_MAX || sum + iov[i].iov_len > IO_MAX) {
			total = -EINVAL;
			goto out;
		}
		sum += iov[i].iov_len;
	}
	for (u64 i = 0; i < count; i++) {
		if (iov[i].iov_len == 0)
			continue;
		long n = transfer_user(f, iov[i].iov_base, iov[i].iov_len, dir, pos);
		if (n < 0) {
			if (total == 0)
				total = n;
			break;
		}
		total += n;
		if ((u64)n < iov[i].iov_len)
			break;
	}
out:
	kfree(iov);
	return total;
}

/* readv/writev/preadv/pwritev: (fd, iov, iovcnt[, offset]); here the
 * offset is checked before the fd is looked up. */
static long fd_vector_io(const struct syscall_args *args, enum io_dir dir, bool positional)
{
	struct io_pos pos;
	int err = io_pos_of(args, positional, &pos);
	if (err)
		return err;
	return vector_io(arg_int(args->a[0]), args->a[1], args->a[2], dir, &pos);
}

long sys_readv(const struct syscall_args *args)
{
	return fd_vector_io(args, IO_READ, false);
}

long sys_writev(const struct syscall_args *args)
{
	return fd_vector_io(args, IO_WRITE, false);
}

long sys_preadv(const struct syscall_args *args)
{
	return fd_vector_io(args, IO_READ, true);
}

long sys_pwritev(const struct syscall_args *args)
{
	return fd_vector_io(args, IO_WRITE, true);
}

/* preadv2/pwritev2: (fd, iov, iovcnt, pos_l, pos_h, flags); on x86-64
 * the offset is pos_l, and -1 means "at the file offset". Of the RWF_*
 * flags only those with nothing to do here are taken (HIPRI, DSYNC,
 * SYNC: nothing is ever written back); NOWAIT and APPEND, and unknown
 * ones, are EOPNOTSUPP as for a file that does not support them. */
#define RWF_HIPRI 0x1
#define RWF_DSYNC 0x2
#define RWF_SYNC 0x4

static long fd_vector_io2(const struct syscall_args *args, enum io_dir dir)
{
	if (args->a[5] & ~(u64)(RWF_HIPRI | RWF_DSYNC | RWF_SYNC))
		return -EOPNOTSUPP;
	struct io_pos pos = {.explicit_offset = (s64)args->a[3] != -1, .offset = (s64)args->a[3]};
	if (pos.explicit_offset && pos.offset < 0)
		return -EINVAL;
	return vector_io(arg_int(args->a[0]), args->a[1], args->a[2], dir, &pos);
}

long sys_preadv2(const struct syscall_args *args)
{
	return fd_vector_io2(args, IO_READ);
}

long sys_pwritev2(const struct syscall_args *args)
{
	return fd_vector_io2(args, IO_WRITE);
}

long sys_lseek(const struct syscall_args *args)
{
	struct file *f;
	int err = file_of(arg_int(args->a[0]), &f);
	if (err)
		return err;
	int whence = arg_int(args->a[2]);
	if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END)
		return -EINVAL;
	return vfs_lseek(f, (s64)args->a[1], whence);
}

long sys_close(const struct syscall_args *args)
{
	return fd_close(current_task(), arg_int(args->a[0]));
}

/* close_range(first, last, flags): CLOSE_RANGE_CLOEXEC marks instead of
 * closing; CLOSE_RANGE_UNSHARE means nothing without shared fd tables. */
#define CLOSE_RANGE_UNSHARE (1u << 1)
#define CLOSE_RANGE_CLOEXEC (1u << 2)

long sys_close_range(const struct syscall_args *args)
{
	struct task *task = current_task();
	u32 first = (u32)args->a[0];
	u32 last = (u32)args->a[1];
	u32 flags = (u32)args->a[2];
	if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
		return -EINVAL;
	if (first > last)
		return -EINVAL;
	for (int fd = fd_next(task, (int)MIN(first, (u32)TASK_FD_MAX) - 1);
	     fd >= 0 && (u32)fd <= last; fd = fd_next(task, fd)) {
		if (flags & CLOSE_RANGE_CLOEXEC)
			fd_set_cloexec(task, fd, true);
		else
			fd_close(task, fd);
	}
	return 0;
}

long sys_dup(const struct syscall_args *args)
{
	struct file *f;
	int err = file_of(arg_int(args->a[0]), &f);
	if (err)
		return err;
	return fd_install(current_task(), f, 0, false);
}

static long dup_to(int oldfd, int newfd, u32 flags, bool is_dup2)
{
	struct file *f;
	int err = file_of(oldfd, &f);
	if (err)
		return err;
	if (flags & ~(u32)O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return is_dup2 ? newfd : -EINVAL;
	return fd_install_at(current_task(), f, newfd, flags & O_CLOEXEC);
}

long sys_dup2(const struct syscall_args *args)
{
	return dup_to(arg_int(args->a[0]), arg_int(args->a[1]), 0, true);
}

long sys_dup3(const struct syscall_args *args)
{
	return dup_to(arg_int(args->a[0]), arg_int(args->a[1]), (u32)args->a[2], false);
}

/* Status flags F_SETFL may change (Linux: O_APPEND, O_NONBLOCK, O_ASYNC,
 * O_DIRECT, O_NOATIME). O_ASYNC is kept for every file, as on Linux;
 * sockets deliver its SIGIO (net/socket.c), other files do not yet. */
#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME)

long sys_fcntl(const struct syscall_args *args)
{
	struct task *task = current_task();
	int fd = arg_int(args->a[0]);
	int cmd = arg_int(args->a[1]);
	u64 arg = args->a[2];
	struct file *f;
	int err = file_of(fd, &f);
	if (err)
		return err;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if (arg_int(arg) < 0 || arg_int(arg) >= fd_limit(task))
			return -EINVAL;
		return fd_install(task, f, arg_int(arg), cmd == F_DUPFD_CLOEXEC);
	case F_GETFD:
		return fd_get_cloexec(task, fd) ? FD_CLOEXEC : 0;
	case F_SETFD:
		fd_set_cloexec(task, fd, arg & FD_CLOEXEC);
		return 0;
	case F_GETFL:
		return (long)(f->flags & ~(u32)O_CLOEXEC);
	case F_SETFL:
		f->flags = (f->flags & ~(u32)SETFL_MASK) | ((u32)arg & SETFL_MASK);
		return 0;
	case F_SETPIPE_SZ:
	case F_GETPIPE_SZ:
		return pipe_fcntl_size(f, cmd == F_SETPIPE_SZ, arg);
	case F_SETOWN:
		f->owner = arg_int(arg);
		return 0;
	case F_GETOWN:
		return f->owner;
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		return fcntl_lock(f, cmd, arg);
	case F_ADD_SEALS:
	case F_GET_SEALS:
		return fcntl_seals(f, cmd, arg);
	default:
		return -EINVAL;
	}
}

long sys_ioctl(const struct syscall_args *args)
{
	int fd = arg_int(args->a[0]);
	u32 cmd = (u32)args->a[1];
	u64 arg = args->a[2];
	struct file *f;
	int err = file_of(fd, &f);
	if (err)
		return err;
	if (f->flags & O_PATH)
		return -EBADF;
	long generic = ioctl_generic(fd, f, cmd, arg);
	if (generic != IOCTL_NOT_GENERIC)
		return generic;
	struct vfs_ioctl_layout layout;
	err = vfs_ioctl_layout(cmd, &layout);
	if (err)
		return err;
	if (layout.size > 4096)
		return -EINVAL;
	void *karg = NULL;
	if (layout.size > 0) {
		karg = kzalloc(layout.size);
		if (!karg)
			return -ENOMEM;
		if (layout.copy_in && copyin(karg, arg, layout.size) != 0) {
			kfree(karg);
			return -EFAULT;
		}
	}
	long ret = vfs_ioctl(f, cmd, karg, arg);
	if (ret >= 0 && karg && layout.copy_out && copyout(arg, karg, layout.size) != 0)
		ret = -EFAULT;
	if (karg)
		kfree(karg);
	return ret;
}

long sys_fsync(const struct syscall_args *args)
{
	/* Only volumes write back (fs/sync.c); tmpfs and the root succeed. */
	struct file *f;
	int err = file_of(arg_int(args->a[0]), &f);
	return err < 0 ? err : vfs_fsync(f);
}

long sys_fdatasync(const struct syscall_args *args)
{
	return sys_fsync(args);
}

long sys_ftruncate(const struct syscall_args *args)
{
	struct file *f;
	int err = file_of(arg_int(args->a[0]), &f);
	if (err)
		return err;
	if ((s64)args->a[1] < 0)
		return -EINVAL;
	if (!can_write(f))
		return -EINVAL; /* Linux: EINVAL when not open for writing */
	if (f->inode != NULL && (err = (int)rlimit_truncate(f->inode, args->a[1])) != 0)
		return err;
	return vfs_ftruncate(f, args->a[1]);
}

long sys_fallocate(const struct syscall_args *args)
{
	struct file *f;
	int err = file_of(arg_int(args->a[0]), &f);
	if (err)
		return err;
	if (f->inode == NULL)
		return -ESPIPE; /* pipes */
	u32 mode = (u32)args->a[1];
	s64 offset = (s64)args->a[2], len = (s64)args->a[3];
	/* Growing the file past RLIMIT_FSIZE: EFBIG and SIGXFSZ, as Linux's
	 * inode_newsize_ok (FALLOC_FL_KEEP_SIZE, 1, does not grow it). */
	if (!(mode & 1) && offset >= 0 && len > 0 && offset <= (s64)0x7fffffffffffffff - len) {
		long over = rlimit_truncate(f->inode, (u64)(offset + len));
		if (over)
			return over;
	}
	return vfs_fallocate(f, mode, offset, len);
}

/* Fill a kernel buffer with getdents64 records for the fd; the caller
 * copies out *n bytes and kfree()s *kbuf. */
static long dents_of(int fd, u64 ubuf, u64 count, void **kbuf)
{
	struct file *f;
	int err = file_of(fd, &f);
	if (err)
		return err;
	u64 size = MIN(count, (u64)IO_CHUNK);
	if (!user_range_ok(ubuf, size))
		return -EFAULT;
	*kbuf = kmalloc(size ? size : 1);
	if (!*kbuf)
		return -ENOMEM;
	long n = vfs_getdents64(f, *kbuf, size);
	if (n < 0) {
		kfree(*kbuf);
		*kbuf = NULL;
	}
	return n;
}

static long put_dents(u64 ubuf, void *kbuf, long n)
{
	if (n > 0 && copyout(ubuf, kbuf, (size_t)n) != 0)
		n = -EFAULT;
	kfree(kbuf);
	return n;
}

long sys_getdents64(const struct syscall_args *args)
{
	void *kbuf = NULL;
	long n = dents_of(arg_int(args->a[0]), args->a[1], args->a[2], &kbuf);
	return n < 0 ? n : put_dents(args->a[1], kbuf, n);
}

/* The old getdents: struct linux_dirent { u64 d_ino; s64 d_off; u16
 * d_reclen; char d_name[]; ... d_type in the last byte }. Each record
 * has exactly the size of its dirent64 form (both are 20 + name bytes,
 * rounded up to 8), so the records are rewritten in place. */
static void dirent64_to_old(u8 *buf, long n)
{
	for (long at = 0; at < n;) {
		u8 *rec = buf + at;
		u16 reclen;
		memcpy(&reclen, rec + 16, 2);
		u8 type = rec[18];
		size_t name_len = strnlen((const char *)rec + 19, reclen - 19u);
		memmove(rec + 18, rec + 19, name_len);
		memset(rec + 18 + name_len, 0, reclen - 18u - name_len);
		rec[reclen - 1] = type;
		at += reclen;
	}
}

long sys_getdents(const struct syscall_args *args)
{
	void *kbuf = NULL;
	long n = dents_of(arg_int(args->a[0]), args->a[1], args->a[2], &kbuf);
	if (n < 0)
		return n;
	dirent64_to_old(kbuf, n);
	return put_dents(args->a[1], kbuf, n);
}
