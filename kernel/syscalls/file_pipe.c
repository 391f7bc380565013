/*
 * file_pipe.c: pipe and pipe2 (the pipe itself is proc/pipe.c).
 */
#include "fs/vfs.h"
#include "mm/uaccess.h"
#include "proc/fdtable.h"
#include "proc/pipe.h"
#include "proc/task.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

static long do_pipe2(u64 ufds, u32 flags)
{
	struct task *task = current_task();
	if (flags & ~(u32)(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return -EINVAL;
	struct file *r, *w;
	int err = pipe_create(flags, &r, &w);
	if (err)
		return err;
	bool cloexec = flags & O_CLOEXEC;
	s32 fds[2] = {fd_install(task, r, 0, cloexec), -1};
	if (fds[0] >= 0)
		fds[1] = fd_install(task, w, 0, cloexec);
	file_put(r);
	file_put(w);
	if (fds[1] < 0) {
		err = fds[0] < 0 ? fds[0] : fds[1];
		if (fds[0] >= 0)
			fd_close(task, fds[0]);
		return err;
	}
	if (copyout(ufds, fds, sizeof(fds)) != 0) {
		fd_close(task, fds[0]);
		fd_close(task, fds[1]);
		return -EFAULT;
	}
	return 0;
}

long sys_pipe(const struct syscall_args *args)
{
	return do_pipe2(args->a[0], 0);
}

long sys_pipe2(const struct syscall_args *args)
{
	return do_pipe2(args->a[0], (u32)args->a[1]);
}
