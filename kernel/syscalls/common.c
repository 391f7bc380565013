/*
 * common.c: helpers for the syscall families (see common.h).
 * Trust: user pointers and fds are raw; checked here once for everyone.
 */
#include "syscalls/common.h"

#include "fs/vfs.h"
#include "mm/kmalloc.h"
#include "mm/uaccess.h"
#include "platform/platform.h"
#include "proc/fdtable.h"
#include "proc/signal.h"
#include "proc/task.h"
#include "proc/wait.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"
#include "syscalls/linux_abi/time.h"

#define NS_PER_SEC 1000000000ull

int path_copyin(u64 user_path, bool allow_empty, char **out)
{
	char *buf = kmalloc(VFS_PATH_MAX);
	if (!buf)
		return -ENOMEM;
	long len = copyinstr(buf, user_path, VFS_PATH_MAX);
	if (len < 0) {
		kfree(buf);
		return (int)len;
	}
	if (len == 0 && !allow_empty) {
		kfree(buf);
		return -ENOENT;
	}
	*out = buf;
	return 0;
}

int at_dir(int dirfd, struct inode **out)
{
	struct task *task = current_task();
	if (dirfd == AT_FDCWD) {
		*out = task->cwd;
		return 0;
	}
	struct file *file = fd_get(task, dirfd);
	if (!file)
		return -EBADF;
	if (!file->inode || !inode_is_dir(file->inode))
		return -ENOTDIR;
	*out = file->inode;
	return 0;
}

int lookup_at(int dirfd, u64 user_path, bool allow_empty, u32 lookup_flags,
              struct inode **out)
{
	struct inode *start;
	int err = at_dir(dirfd, &start);
	if (err)
		return err;
	char *path;
	err = path_copyin(user_path, allow_empty, &path);
	if (err)
		return err;
	if (path[0] == '\0')
		*out = inode_get(start);
	else
		err = vfs_lookup(start, path, lookup_flags, out);
	kfree(path);
	return err;
}

int file_of(int fd, struct file **out)
{
	struct file *file = fd_get(current_task(), fd);
	if (!file)
		return -EBADF;
	*out = file;
	return 0;
}

int sigmask_set_temporary(u64 umask, u64 size)
{
	if (!umask)
		return 0;
	if (size != sizeof(u64))
		return -EINVAL;
	u64 mask;
	if (copyin(&mask, umask, sizeof(mask)) != 0)
		return -EFAULT;
	signal_set_temporary_mask(current_task(), mask);
	return 0;
}

void sigmask_end_temporary(long result)
{
	struct task *task = current_task();
	bool interrupted = result == -EINTR || result == -ERESTARTNOHAND;
	if (!interrupted && task->sig.restore_blocked) {
		task->sig.blocked = task->sig.saved_blocked;
		task->sig.restore_blocked = false;
	}
}

int timespec_to_ns(const struct linux_timespec *ts, u64 *ns)
{
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || (u64)ts->tv_nsec >= NS_PER_SEC)
		return -EINVAL;
	*ns = (u64)ts->tv_sec >= WAIT_FOREVER / NS_PER_SEC - 1
	          ? WAIT_FOREVER - 1
	          : (u64)ts->tv_sec * NS_PER_SEC + (u64)ts->tv_nsec;
	return 0;
}

int timespec_copyin_ns(u64 uts, u64 *ns)
{
	if (!uts) {
		*ns = WAIT_FOREVER;
		return 0;
	}
	struct linux_timespec ts;
	if (copyin(&ts, uts, sizeof(ts)) != 0)
		return -EFAULT;
	return timespec_to_ns(&ts, ns);
}

struct linux_timespec ns_to_timespec(u64 ns)
{
	struct linux_timespec ts = {(s64)(ns / NS_PER_SEC), (s64)(ns % NS_PER_SEC)};
	return ts;
}

int itimerspec_copyout(u64 uaddr, u64 interval_ns, u64 value_ns)
{
	struct linux_itimerspec its = {ns_to_timespec(interval_ns), ns_to_timespec(value_ns)};
	return copyout(uaddr, &its, sizeof(its));
}

u64 deadline_after(u64 ns)
{
	if (ns == WAIT_FOREVER)
		return WAIT_FOREVER;
	u64 now = platform_time_ns();
	return ns > WAIT_FOREVER - 1 - now ? WAIT_FOREVER : now + ns;
}
