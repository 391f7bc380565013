/*
 * file_ioctl.c: the ioctls every open file answers the same way,
 * whatever it is (Linux's do_vfs_ioctl): FIOCLEX, FIONCLEX, FIONBIO,
 * FIOASYNC, and FIONREAD for regular files, plus the job-control ones
 * that belong to sessions (session.c). Everything else goes to the
 * file's own ioctl (sys_ioctl in file_io.c); a file without one answers
 * ENOTTY.
 *
 * Trust: cmd and arg are raw user values; int arguments come in through
 * copyin.
 */
#include "syscalls/file_ioctl.h"

#include "fs/vfs.h"
#include "mm/uaccess.h"
#include "proc/fdtable.h"
#include "proc/task.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"
#include "syscalls/linux_abi/termios.h"
#include "syscalls/session.h"

static int get_int(u64 arg, int *out)
{
	return copyin(out, arg, sizeof(*out)) == 0 ? 0 : -EFAULT;
}

/* FIOASYNC: only files that can signal readiness take O_ASYNC on, as on
 * Linux; turning it off, or leaving it as it is, always succeeds. */
static long set_async(struct file *f, bool on)
{
	bool was = f->flags & O_ASYNC;
	if (on == was)
		return 0;
	if (on && (f->ops == NULL || !f->ops->fasync))
		return -ENOTTY;
	f->flags = on ? (f->flags | O_ASYNC) : (f->flags & ~(u32)O_ASYNC);
	return 0;
}

/* FIONREAD of a regular file: the bytes between the offset and the end
 * (Linux returns i_size - f_pos as an int). */
static long regular_fionread(struct file *f, u64 arg)
{
	int ready = (int)((s64)f->inode->size - (s64)f->offset);
	return copyout(arg, &ready, sizeof(ready)) == 0 ? 0 : -EFAULT;
}

long ioctl_generic(int fd, struct file *f, u32 cmd, u64 arg)
{
	struct task *task = current_task();
	int value = 0;
	long err;
	switch (cmd) {
	case FIOCLEX:
	case FIONCLEX:
		fd_set_cloexec(task, fd, cmd == FIOCLEX);
		return 0;
	case FIONBIO:
		if ((err = get_int(arg, &value)) != 0)
			return err;
		f->flags = value ? (f->flags | O_NONBLOCK) : (f->flags & ~(u32)O_NONBLOCK);
		return 0;
	case FIOASYNC:
		if ((err = get_int(arg, &value)) != 0)
			return err;
		return set_async(f, value != 0);
	case FIONREAD:
		if (f->inode != NULL && inode_is_reg(f->inode))
			return regular_fionread(f, arg);
		return IOCTL_NOT_GENERIC;
	case TIOCGPGRP:
	case TIOCSPGRP:
	case TIOCGSID:
	case TIOCSCTTY:
	case TIOCNOTTY:
		return tty_session_ioctl(f, cmd, arg); /* job control: session.c */
	default:
		return IOCTL_NOT_GENERIC;
	}
}
