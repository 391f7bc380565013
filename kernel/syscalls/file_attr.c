/*
 * file_attr.c: file attributes: utimensat, futimesat, utimes, utime,
 * chown, fchown, lchown, fchownat, fchmodat2 (statfs is in file_stat.c,
 * the other chmods in file_path.c).
 *
 * Trust: paths, fds, flags and the time structs are raw user values;
 * every timespec is checked here before the VFS sees it. The VFS
 * (fs/namei.c) checks ownership and read-only filesystems.
 */
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/uaccess.h"
#include "platform/platform.h"
#include "proc/task.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"
#include "syscalls/linux_abi/statfs.h"
#include "syscalls/linux_abi/time.h"

#define NS_PER_SEC 1000000000ull

/* ---- times ---- */

/* What one of utimensat's two timespecs asks for. */
enum time_want { TIME_SET, TIME_NOW, TIME_OMIT };

static int parse_time(const struct linux_timespec *ts, struct ktimespec *out,
                      enum time_want *want)
{
	if (ts->tv_nsec == UTIME_OMIT) {
		*want = TIME_OMIT;
		return 0;
	}
	if (ts->tv_nsec == UTIME_NOW) {
		*want = TIME_NOW;
		return 0;
	}
	if (ts->tv_nsec < 0 || (u64)ts->tv_nsec >= NS_PER_SEC)
		return -EINVAL;
	out->sec = ts->tv_sec;
	out->nsec = ts->tv_nsec;
	*want = TIME_SET;
	return 0;
}

static struct ktimespec now(void)
{
	u64 ns = platform_wallclock_ns();
	struct ktimespec t = {(s64)(ns / NS_PER_SEC), (s64)(ns % NS_PER_SEC)};
	return t;
}

/* Linux's rules: setting explicit times needs ownership (or root);
 * "now" for both also allows anyone who may write the file (else EACCES). */
static int set_times(struct inode *inode, const struct linux_timespec *ts /* [2] or NULL */)
{
	struct ktimespec t[2];
	enum time_want want[2] = {TIME_NOW, TIME_NOW};
	for (int i = 0; ts != NULL && i < 2; i++) {
		int err = parse_time(&ts[i], &t[i], &want[i]);
		if (err)
			return err;
	}
	if (want[0] == TIME_OMIT && want[1] == TIME_OMIT)
		return 0;
	struct vfs_cred cred;
	vfs_current_cred(&cred);
	bool owner = vfs_is_owner(inode, &cred);
	bool explicit_time = want[0] == TIME_SET || want[1] == TIME_SET;
	if (!owner && explicit_time)
		return inode->sb->read_only ? -EROFS : -EPERM;
	if (!owner && vfs_access(inode, W_OK, &cred) < 0)
		return inode->sb->read_only ? -EROFS : -EACCES;
	struct ktimespec current = now();
	for (int i = 0; i < 2; i++) {
		if (want[i] == TIME_NOW)
			t[i] = current;
	}
	return vfs_set_times(inode, want[0] == TIME_OMIT ? NULL : &t[0],
	                     want[1] == TIME_OMIT ? NULL : &t[1]);
}

/* The inode utimensat names: dirfd alone (path NULL, or "" with
 * AT_EMPTY_PATH), else the path relative to dirfd. */
static int times_target(int dirfd, u64 upath, u32 flags, struct inode **out)
{
	if (flags & ~(u32)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	bool empty = false;
	if (upath != 0 && (flags & AT_EMPTY_PATH)) {
		char c;
		if (copyin(&c, upath, 1) != 0)
			return -EFAULT;
		empty = c == '\0';
	}
	if (upath == 0 && (dirfd == AT_FDCWD || (flags & AT_SYMLINK_NOFOLLOW)))
		return dirfd == AT_FDCWD ? -EFAULT : -EINVAL;
	if (upath == 0 || empty) {
		if (dirfd == AT_FDCWD) {
			*out = inode_get(current_task()->cwd);
			return 0;
		}
		struct file *f;
		int err = file_of(dirfd, &f);
		if (err)
			return err;
		if (f->inode == NULL)
			return -EBADF;
		*out = inode_get(f->inode);
		return 0;
	}
	return lookup_at(dirfd, upath, false, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, out);
}

static long utimens_common(int dirfd, u64 upath, const struct linux_timespec *ts, u32 flags)
{
	struct inode *inode;
	int err = times_target(dirfd, upath, flags, &inode);
	if (err)
		return err;
	err = set_times(inode, ts);
	inode_put(inode);
	return err;
}

long sys_utimensat(const struct syscall_args *args)
{
	struct linux_timespec ts[2];
	if (args->a[2] && copyin(ts, args->a[2], sizeof(ts)) != 0)
		return -EFAULT;
	return utimens_common(arg_int(args->a[0]), args->a[1], args->a[2] ? ts : NULL,
	                      (u32)args->a[3]);
}

/* futimesat and utimes take two timevals (microseconds). */
static long utimes_common(int dirfd, u64 upath, u64 utv)
{
	if (upath == 0)
		return -EFAULT;
	if (!utv)
		return utimens_common(dirfd, upath, NULL, 0);
	struct linux_timeval tv[2];
	if (copyin(tv, utv, sizeof(tv)) != 0)
		return -EFAULT;
	struct linux_timespec ts[2];
	for (int i = 0; i < 2; i++) {
		if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
			return -EINVAL;
		ts[i].tv_sec = tv[i].tv_sec;
		ts[i].tv_nsec = tv[i].tv_usec * 1000;
	}
	return utimens_common(dirfd, upath, ts, 0);
}

long sys_futimesat(const struct syscall_args *args)
{
	return utimes_common(arg_int(args->a[0]), args->a[1], args->a[2]);
}

long sys_utimes(const struct syscall_args *args)
{
	return utimes_common(AT_FDCWD, args->a[0], args->a[1]);
}

/* utime: struct utimbuf { time_t actime, modtime; } in whole seconds. */
long sys_utime(const struct syscall_args *args)
{
	if (!args->a[1])
		return utimens_common(AT_FDCWD, args->a[0], NULL, 0);
	s64 secs[2];
	if (copyin(secs, args->a[1], sizeof(secs)) != 0)
		return -EFAULT;
	struct linux_timespec ts[2] = {{secs[0], 0}, {secs[1], 0}};
	return utimens_common(AT_FDCWD, args->a[0], ts, 0);
}

/* ---- owners ---- */

static long chown_at(int dirfd, u64 upath, u32 uid, u32 gid, u32 flags)
{
	if (flags & ~(u32)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct inode *inode;
	int err = times_target(dirfd, upath, flags, &inode);
	if (err)
		return err;
	err = vfs_chown(inode, uid, gid);
	inode_put(inode);
	return err;
}

long sys_chown(const struct syscall_args *args)
{
	if (args->a[0] == 0)
		return -EFAULT;
	return chown_at(AT_FDCWD, args->a[0], (u32)args->a[1], (u32)args->a[2], 0);
}

long sys_lchown(const struct syscall_args *args)
{
	if (args->a[0] == 0)
		return -EFAULT;
	return chown_at(AT_FDCWD, args->a[0], (u32)args->a[1], (u32)args->a[2],
	                AT_SYMLINK_NOFOLLOW);
}

long sys_fchown(const struct syscall_args *args)
{
	struct file *f;
	int err = file_of(arg_int(args->a[0]), &f);
	if (err)
		return err;
	if (f->inode == NULL || (f->flags & O_PATH))
		return -EBADF;
	return vfs_chown(f->inode, (u32)args->a[1], (u32)args->a[2]);
}

long sys_fchownat(const struct syscall_args *args)
{
	u32 flags = (u32)args->a[4];
	if (args->a[1] == 0)
		return -EFAULT;
	if (!(flags & AT_EMPTY_PATH)) {
		/* An empty path without AT_EMPTY_PATH is ENOENT. */
		char c;
		if (copyin(&c, args->a[1], 1) != 0)
			return -EFAULT;
		if (c == '\0')
			return -ENOENT;
	}
	return chown_at(arg_int(args->a[0]), args->a[1], (u32)args->a[2], (u32)args->a[3], flags);
}

/* ---- fchmodat2 ---- */

/* fchmodat2(dirfd, path, mode, flags): fchmodat with the flags that
 * Linux 6.6 added (glibc's fchmodat uses it for AT_SYMLINK_NOFOLLOW). A
 * symbolic link's own mode cannot be changed: EOPNOTSUPP, as on Linux. */
long sys_fchmodat2(const struct syscall_args *args)
{
	if (args->a[1] == 0)
		return -EFAULT;
	struct inode *inode;
	int err = times_target(arg_int(args->a[0]), args->a[1], (u32)args->a[3], &inode);
	if (err)
		return err;
	err = inode_is_link(inode) ? -EOPNOTSUPP : vfs_chmod(inode, (u32)args->a[2] & 07777);
	inode_put(inode);
	return err;
}
