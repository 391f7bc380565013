/*
 * stdio.c: fds 0/1/2 of the first task (see stdio.h).
 *
 * Terminal mode: fds 0, 1 and 2 are the console file, as docker -t gives
 * all three the one pty (stderr is mixed into stdout).
 * Stream mode: stdin is read straight from the UART. A reader sleeps
 * until COM1's receive interrupt (or, without one, the next look every
 * POLL_NS), a signal, or the end of input. The host's byte stream has no
 * end of its own, so the launcher sends the total it wrote over the
 * control channel once its stdin ends; a read returns 0 only when that
 * many bytes were read and nothing else is waiting. A hostile host can
 * only lie about its own input.
 */
#include "proc/stdio.h"

#include "arch/x86_64/irq.h"
#include "config/config.h"
#include "fs/devfs.h"
#include "fs/vfs.h"
#include "platform/platform.h"
#include "proc/fdtable.h"
#include "proc/pipe.h"
#include "proc/poll.h"
#include "proc/task.h"
#include "proc/timer.h"
#include "proc/wait.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

#define POLL_NS (10ULL * 1000 * 1000)

static const struct file_ops g_stdin_stream_ops;
static const struct file_ops g_stdout_stream_ops;
static const struct file_ops g_stderr_stream_ops;

/* The console file opened at boot (borrowed for stdio_is_console). */
static struct file *g_console;

static u64 g_stdin_read;      /* bytes the app has read from the stream */
static u64 g_stdin_end;       /* the total the host announced */
static bool g_stdin_end_known;
static struct waitq g_stdin_wait; /* readers and pollers of the stream */
static struct ktimer g_stdin_poll_timer; /* no interrupt: wakes pollers to look */
static bool g_stdin_irq;

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
	/* The streams have pipefs inodes, which name themselves "pipe:[ino]". */
	return stdio_is_console(file) ? "/dev/console" : NULL;
}

void stdio_input_ends(u64 bytes)
{
	g_stdin_end = bytes;
	g_stdin_end_known = true;
	waitq_wake(&g_stdin_wait, VFS_POLLIN);
}

/* ---- stream mode ---- */

static bool stdin_ended(void)
{
	return g_stdin_end_known && g_stdin_read >= g_stdin_end;
}

/* COM1 has input (deferred work): the reader reads it. */
static void stdin_interrupt(void *arg)
{
	(void)arg;
	waitq_wake(&g_stdin_wait, VFS_POLLIN);
}

static void stdin_poll_timer_fired(struct ktimer *timer)
{
	(void)timer;
	waitq_wake_locked(&g_stdin_wait, 0);
}

static long stdin_read(struct file *file, void *buf, size_t size, u64 offset)
{
	(void)offset;
	if (size == 0)
		return 0;
	struct wait_entry e;
	wait_entry_init(&e);
	long n;
	for (;;) {
		wait_prepare(&g_stdin_wait, &e);
		size_t got = platform_console_read(buf, size);
		if (got > 0) {
			g_stdin_read += got;
			n = (long)got;
			break;
		}
		if (stdin_ended()) {
			n = 0;
			break;
		}
		if (file->flags & O_NONBLOCK) {
			n = -EAGAIN;
			break;
		}
		u64 deadline = g_stdin_irq ? WAIT_FOREVER : platform_time_ns() + POLL_NS;
		if (wait_sleep(deadline, true) == -EINTR) {
			n = -EINTR;
			break;
		}
	}
	wait_finish(&e);
	return n;
}

static u32 stdin_poll(struct file *file, u32 events, struct poll_table *pt)
{
	(void)file;
	poll_wait(pt, &g_stdin_wait);
	if (pt && !g_stdin_irq)
		timer_arm(&g_stdin_poll_timer, platform_time_ns() + POLL_NS);
	if (platform_console_has_input() || stdin_ended())
		return events & VFS_POLLIN;
	return 0;
}

static u32 writable_poll(struct file *file, u32 events, struct poll_table *pt)
{
	(void)file;
	(void)pt; /* always writable: nothing to wait for */
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

/* A reopen of a stream (/dev/fd/N, /proc/self/fd/N, /dev/stdout): one
 * more file on the same stream, as Linux reopens the pipe docker gives.
 * A stream moves bytes one way: the other direction finds no operation
 * (EINVAL), where Linux would read or write the pipe. */
static int stream_reopen(struct inode *inode, struct file *file)
{
	file->ops = inode->priv;
	return 0;
}

static const struct file_ops g_stream_inode_ops = {
	.open = stream_reopen,
	.stream = true,
};

/* A stream file behind a pipefs inode of its own (fstat: a FIFO),
 * owned by the app's user and primary group as docker's pipes are. */
static int install_new(struct task *task, const struct file_ops *ops, u32 flags, int fd,
                       const struct boot_config *cfg)
{
	struct inode *inode = pipe_fs_inode(&g_stream_inode_ops, (void *)ops);
	struct file *f = inode ? file_alloc(ops, inode, flags, NULL) : NULL;
	if (!f) {
		if (inode)
			inode_put(inode);
		return -ENOMEM;
	}
	inode->uid = cfg->uid;
	inode->gid = cfg->gid;
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

static int open_streams(struct task *task, const struct boot_config *cfg)
{
	bool stdin_open = cfg->stdin_open;
	if (stdin_open) {
		int gsi = platform_console_input_irq();
		g_stdin_irq = gsi >= 0 && irq_register((u32)gsi, stdin_interrupt, NULL, false) == 0;
	}
	int err = stdin_open ? install_new(task, &g_stdin_stream_ops, O_RDONLY, 0, cfg)
	                     : open_null(task, 0);
	if (!err)
		err = install_new(task, &g_stdout_stream_ops, O_WRONLY, 1, cfg);
	if (!err)
		err = install_new(task, &g_stderr_stream_ops, O_WRONLY, 2, cfg);
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
	/* before any host request can reach stdio_input_ends */
	waitq_init(&g_stdin_wait);
	timer_init(&g_stdin_poll_timer, stdin_poll_timer_fired, NULL);
	if (cfg->tty)
		return open_terminal(task, cfg->tty_rows, cfg->tty_cols);
	return open_streams(task, cfg);
}
