/*
 * file_lock.c: fcntl record and OFD locks (F_GETLK, F_SETLK, F_SETLKW and
 * the F_OFD_ forms) and flock(2). fs/lock.c keeps the locks; this file
 * turns struct flock into an absolute range, checks it, and owns the one
 * blocking wait (until the conflicting lock goes, a signal arrives, or
 * waiting would deadlock).
 *
 * Trust: the fd, command, struct flock and flock operation are raw user
 * input; every field is checked before fs/lock.c sees a range.
 */
#include "fs/lock.h"
#include "mm/uaccess.h"
#include "proc/task.h"
#include "proc/wait.h"
#include "syscalls/common.h"
#include "syscalls/file_lock.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

#define OFFSET_MAX 0x7fffffffffffffffLL

/* struct flock -> [start, end) (Linux's flock_to_posix_lock rules). */
static int range_of(struct file *f, const struct linux_flock *fl, struct lock_range *r)
{
	s64 base;
	switch (fl->l_whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = (s64)f->offset;
		break;
	case SEEK_END:
		base = (s64)f->inode->size;
		break;
	default:
		return -EINVAL;
	}
	if (fl->l_start > 0 && base > OFFSET_MAX - fl->l_start)
		return -EOVERFLOW;
	s64 start = base + fl->l_start;
	if (start < 0)
		return -EINVAL;
	s64 end;
	if (fl->l_len > 0) {
		if (fl->l_len > OFFSET_MAX - start)
			return -EOVERFLOW;
		end = start + fl->l_len;
	} else if (fl->l_len == 0) {
		end = (s64)LOCK_END_MAX;
	} else {
		end = start;
		start += fl->l_len;
		if (start < 0)
			return -EINVAL;
	}
	if (fl->l_type != F_RDLCK && fl->l_type != F_WRLCK && fl->l_type != F_UNLCK)
		return -EINVAL;
	r->type = (u16)fl->l_type;
	r->start = (u64)start;
	r->end = (u64)end;
	r->pid = 0;
	return 0;
}

static bool opened_for(const struct file *f, u16 type)
{
	u32 acc = f->flags & O_ACCMODE;
	if (type == F_RDLCK)
		return acc == O_RDONLY || acc == O_RDWR;
	if (type == F_WRLCK)
		return acc == O_WRONLY || acc == O_RDWR;
	return true;
}

/* Every process waiting for a lock, on any file: unlocks are rare
 * enough that waking them all to re-check is simpler than a queue per
 * inode. */
static struct waitq g_lock_waiters;
static bool g_lock_waiters_ready;

static void wake_lock_waiters(void)
{
	waitq_wake(&g_lock_waiters, 0);
}

void file_lock_init(void)
{
	waitq_init(&g_lock_waiters);
	g_lock_waiters_ready = true;
	lock_set_wake_hook(wake_lock_waiters);
}

/* Take the lock, sleeping while another owner holds a conflicting one
 * (when wait). The only place a lock request sleeps. */
static long acquire(struct file *f, enum lock_kind kind, u64 owner, const struct lock_range *r,
                    bool wait)
{
	int pid = current_task()->pid;
	int err = lock_set(f->inode, kind, owner, pid, r);
	if (err != -EAGAIN || !wait || !g_lock_waiters_ready)
		return err;
	struct wait_entry e;
	wait_entry_init(&e);
	for (;;) {
		wait_prepare(&g_lock_waiters, &e);
		err = lock_set(f->inode, kind, owner, pid, r);
		if (err != -EAGAIN)
			break;
		if (kind == LOCK_POSIX && lock_would_deadlock(f->inode, owner, r)) {
			err = -EDEADLK;
			break;
		}
		err = lock_wait_begin(f->inode, owner, r);
		if (err < 0)
			break;
		err = wait_sleep(WAIT_FOREVER, true); /* 0, or -EINTR for a signal */
		lock_wait_end(owner);
		if (err < 0)
			break;
	}
	wait_finish(&e);
	return err;
}

long fcntl_lock(struct file *f, int cmd, u64 uarg)
{
	if (f->inode == NULL || (f->flags & O_PATH))
		return -EBADF;
	struct linux_flock fl;
	if (copyin(&fl, uarg, sizeof(fl)) != 0)
		return -EFAULT;
	bool ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
	if (ofd && fl.l_pid != 0)
		return -EINVAL;
	struct lock_range r;
	int err = range_of(f, &fl, &r);
	if (err)
		return err;
	enum lock_kind kind = ofd ? LOCK_OFD : LOCK_POSIX;
	u64 owner = ofd ? (u64)(uptr)f : (u64)current_task()->pid;

	if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
		if (r.type == F_UNLCK)
			return -EINVAL;
		lock_test(f->inode, kind, owner, &r);
		fl.l_type = (s16)r.type;
		if (r.type != F_UNLCK) {
			fl.l_whence = SEEK_SET;
			fl.l_start = (s64)r.start;
			fl.l_len = r.end == LOCK_END_MAX ? 0 : (s64)(r.end - r.start);
			fl.l_pid = r.pid;
		}
		return copyout(uarg, &fl, sizeof(fl)) != 0 ? -EFAULT : 0;
	}
	if (!opened_for(f, r.type))
		return -EBADF;
	return acquire(f, kind, owner, &r, cmd == F_SETLKW || cmd == F_OFD_SETLKW);
}

long sys_flock(const struct syscall_args *args)
{
	struct file *f;
	int err = file_of(arg_int(args->a[0]), &f);
	if (err)
		return err;
	if (f->inode == NULL || (f->flags & O_PATH))
		return -EBADF;
	u32 op = (u32)args->a[1];
	struct lock_range r = { .start = 0, .end = LOCK_END_MAX };
	switch (op & ~(u32)LOCK_NB) {
	case LOCK_SH:
		r.type = F_RDLCK;
		break;
	case LOCK_EX:
		r.type = F_WRLCK;
		break;
	case LOCK_UN:
		r.type = F_UNLCK;
		break;
	default:
		return -EINVAL;
	}
	long ret = acquire(f, LOCK_FLOCK, (u64)(uptr)f, &r, !(op & LOCK_NB));
	return ret; /* -EAGAIN is EWOULDBLOCK */
}
