/*
 * stdio.c: fds 0/1/2 of the first task (see stdio.h).
 * The stderr file owns one reference on the console file, to which it
 * forwards tty ioctls and poll.
 */
#include "proc/stdio.h"

#include "fs/vfs.h"
#include "platform/platform.h"
#include "proc/fdtable.h"
#include "proc/task.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

static const struct file_ops g_stderr_ops;

/* The console file opened at boot (borrowed for stdio_is_console). */
static struct file *g_console;

bool stdio_is_console(const struct file *file)
{
	return file == g_console || file->ops == &g_stderr_ops;
}

static long stderr_write(struct file *file, const void *buf, size_t size, u64 offset)
{
	(void)file;
	(void)offset;
	platform_console_write(CONSOLE_STDERR, buf, size);
	return (long)size;
}

static long stderr_ioctl(struct file *file, u32 cmd, void *karg, u64 arg)
{
	struct file *console = file->priv;
	return vfs_ioctl(console, cmd, karg, arg);
}

static u32 stderr_poll(struct file *file, u32 events, struct poll_table *pt)
{
	(void)file;
	(void)pt; /* always writable: nothing to wait for */
	return events & VFS_POLLOUT;
}

static void stderr_close(struct file *file)
{
	file_put(file->priv);
}

static const struct file_ops g_stderr_ops = {
	.write = stderr_write,
	.ioctl = stderr_ioctl,
	.poll = stderr_poll,
	.close = stderr_close,
	.stream = true,
};

int stdio_open(struct task *task)
{
	struct inode *root = vfs_root();
	struct file *console;
	int err = vfs_open(root, "/dev/console", O_RDWR, 0, &console);
	inode_put(root);
	if (err)
		return err;
	g_console = console;
	int fd0 = fd_install(task, console, 0, false);
	int fd1 = fd_install(task, console, 1, false);
	struct file *err_file = file_alloc(&g_stderr_ops, NULL, O_WRONLY, file_get(console));
	file_put(console);
	if (!err_file)
		return -ENOMEM;
	int fd2 = fd_install(task, err_file, 2, false);
	file_put(err_file);
	if (fd0 != 0 || fd1 != 1 || fd2 != 2)
		return -EBADF;
	return 0;
}
