/*
 * stdio.c: fds 0/1/2 of the first task (see stdio.h).
 *
 * Terminal mode: fds 0, 1 and 2 are the console file, as docker -t gives
 * all three the one pty (stderr is mixed into stdout).
 * Stream mode: stdin is read straight from the UART. The host's byte
 * stream has no end of its own, so the launcher sends the total it wrote
 * over the control channel once its stdin ends; a read returns 0 only
 * when that many bytes were read and nothing else is waiting. A hostile
 * host can only lie about its own input.
 */
#include "proc/stdio.h"

#include "config/config.h"
#include "control/control.h"
#include "fs/devfs.h"
#include "fs/vfs.h"
#include "platform/platform.h"
#include "proc/fdtable.h"
#include "proc/sched.h"
#include "proc/signal.h"
#include "proc/task.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

static const struct file_ops g_stdin_stream_ops;
static const struct file_ops g_stdout_stream_ops;
static const struct file_ops g_stderr_stream_ops;

/* The console file opened at boot (borrowed for stdio_is_console). */
static struct file *g_console;

static u64 g_stdin_read;      /* bytes the app has read from the stream */
static u64 g_stdin_end;       /* the total the host announced */
static bool g_stdin_end_known;

bool stdio_is_console(const struct file *file)
{
	return file == g_console;
}

bool stdio_is_stream(const struct file *file)
{
	return file->ops == &g_stdin_stream_ops || file->ops == &g_stdout_stream_ops ||
	       file->ops == &g_stderr_stream_ops;
}

const char *stdio_file_name(const struct file *file)
{
	if (stdio_is_console(file))
		return "/dev/console";
	if (file->ops == &g_stdin_stream_ops)
		return "pipe:[0]";
	if (file->ops == &g_stdout_stream_ops)
		return "pipe:[1]";
	if (file->ops == &g_stderr_stream_ops)
		return "pipe:[2]";
	return NULL;
}

void stdio_input_ends(u64 bytes)
{
	g_stdin_end = bytes;
	g_stdin_end_known = true;
}

/* ---- stream mode ---- */

static bool stdin_ended(void)
{
	return g_stdin_end_known && g_stdin_read >= g_stdin_end;
}

static long stdin_read(struct file *file, void *buf, size_t size, u64 offset)
{
	(void)offset;
	if (size == 0)
		return 0;
	for (;;) {
		size_t got = platform_console_read(buf, size);
		if (got > 0) {
			g_stdin_read += got;
			return (long)got;
		}
		control_poll(true); /* the end of input comes that way */
		if (stdin_ended())
			return 0;
		if (file->flags & O_NONBLOCK)
			return -EAGAIN;
		if (signal_interrupts(current_task()))
			return -EINTR;
		sched_yield();
		__builtin_ia32_pause();
	}
}

static u32 stdin_poll(struct file *file, u32 events)
{
	(void)file;
	control_poll(false);
	if (platform_console_has_input() || stdin_ended())
		return events & VFS_POLLIN;
	return 0;
}

static u32 writable_poll(struct file *file, u32 events)
{
	(void)file;
	return events & VFS_POLLOUT;
}

static long stderr_write(struct file *file, const void *buf, size_t size, u64 offset)
{
	(void)file;
	(void)offset;
	platform_console_write(CONSOLE_STDERR, buf, size);
	return (long)size;
}

static long stdout_write(struct file *file, const void *buf, size_t size, u64 offset)
{
	(void)file;
	(void)offset;
	platform_console_write(CONSOLE_STDOUT, buf, size);
	return (long)size;
}

static const struct file_ops g_stdin_stream_ops = {
	.read = stdin_read,
	.poll = stdin_poll,
	.stream = true,
};

static const struct file_ops g_stdout_stream_ops = {
	.write = stdout_write,
	.poll = writable_poll,
	.stream = true,
};

static const struct file_ops g_stderr_stream_ops = {
	.write = stderr_write,
	.poll = writable_poll,
	.stream = true,
};

/* ---- opening ---- */

static int install_new(struct task *task, const struct file_ops *ops, u32 flags, int fd)
{
	struct file *f = file_alloc(ops, NULL, flags, NULL);
	if (!f)
		return -ENOMEM;
	int got = fd_install(task, f, fd, false);
	file_put(f);
	return got == fd ? 0 : -EBADF;
}

static int open_null(struct task *task, int fd)
{
	struct inode *root = vfs_root();
	struct file *null;
	int err = vfs_open(root, "/dev/null", O_RDWR, 0, &null);
	inode_put(root);
	if (err)
		return err;
	int got = fd_install(task, null, fd, false);
	file_put(null);
	return got == fd ? 0 : -EBADF;
}

static int open_streams(struct task *task, bool stdin_open)
{
	int err = stdin_open ? install_new(task, &g_stdin_stream_ops, O_RDONLY, 0)
	                     : open_null(task, 0);
	if (!err)
		err = install_new(task, &g_stdout_stream_ops, O_WRONLY, 1);
	if (!err)
		err = install_new(task, &g_stderr_stream_ops, O_WRONLY, 2);
	return err;
}

static int open_terminal(struct task *task, u16 rows, u16 cols)
{
	devtty_make_terminal(rows, cols);
	struct inode *root = vfs_root();
	struct file *console;
	int err = vfs_open(root, "/dev/console", O_RDWR, 0, &console);
	inode_put(root);
	if (err)
		return err;
	g_console = console;
	for (int fd = 0; fd < 3 && !err; fd++)
		err = fd_install(task, console, fd, false) == fd ? 0 : -EBADF;
	file_put(console);
	return err;
}

int stdio_open(struct task *task, const struct boot_config *cfg)
{
	if (cfg->tty)
		return open_terminal(task, cfg->tty_rows, cfg->tty_cols);
	return open_streams(task, cfg->stdin_open);
}
