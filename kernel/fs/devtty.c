/*
 * devtty.c: /dev/console and /dev/tty: the console tty on COM1.
 *
 * The line discipline (tty_ldisc.c) does the tty semantics: lines, ^D as
 * end of file, termios. This file only moves bytes between it and the
 * UART, and waits: there are no interrupts, so a read that must wait
 * polls the UART and lets the other tasks run in between.
 *
 * Trust: input bytes come from the host; they are data for the app and
 * nothing else. The ldisc takes at most as many as it has room for; the
 * rest wait in the UART (QEMU holds them back, nothing is lost).
 */
#include "fs/devfs.h"
#include "fs/tty_ldisc.h"
#include "lib/string.h"
#include "platform/platform.h"
#include "proc/sched.h"
#include "proc/signal.h"
#include "proc/task.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"
#include "syscalls/linux_abi/termios.h"

#define PUMP_CHUNK 256

static struct tty_ldisc g_console_tty;
static bool g_console_ready;
static u64 g_last_input_ns; /* when the last input byte arrived (VTIME) */

static void console_output(const char *buf, size_t size)
{
	platform_console_write(CONSOLE_STDOUT, buf, size);
}

/* The console tty, set up on first use (devfs has no init hook). */
static struct tty_ldisc *console_tty(void)
{
	if (!g_console_ready) {
		tty_ldisc_init(&g_console_tty, console_output);
		g_console_ready = true;
	}
	return &g_console_tty;
}

/* Move waiting UART bytes into the ldisc, as many as it has room for. */
static void pump_input(struct tty_ldisc *ld)
{
	u8 chunk[PUMP_CHUNK];
	for (;;) {
		size_t room = MIN(tty_ldisc_room(ld), sizeof(chunk));
		if (room == 0)
			return;
		size_t got = platform_console_read((char *)chunk, room);
		if (got == 0)
			return;
		g_last_input_ns = platform_time_ns();
		/* room bytes always fit: each takes at most one slot */
		tty_ldisc_receive(ld, chunk, got);
	}
}

/* Has the VTIME timer of a read that started at start_ns run out? */
static bool vtime_expired(struct tty_ldisc *ld, u64 start_ns)
{
	u64 vtime = tty_ldisc_vtime_ns(ld);
	if (vtime == 0)
		return false;
	u64 from = tty_ldisc_vmin_zero(ld) ? start_ns : MAX(start_ns, g_last_input_ns);
	return platform_time_ns() - from >= vtime;
}

static long tty_read(struct file *file, void *buf, size_t size, u64 offset)
{
	(void)offset;
	struct tty_ldisc *ld = console_tty();
	u64 start_ns = platform_time_ns();
	for (;;) {
		pump_input(ld);
		long n = tty_ldisc_read(ld, buf, size, vtime_expired(ld, start_ns));
		if (n != TTY_WOULD_BLOCK)
			return n;
		if (file->flags & O_NONBLOCK)
			return -EAGAIN;
		if (signal_interrupts(current_task()))
			return -EINTR;
		sched_yield();
		__builtin_ia32_pause();
	}
}

static long tty_write(struct file *file, const void *buf, size_t size, u64 offset)
{
	(void)file;
	(void)offset;
	tty_ldisc_write(console_tty(), buf, size);
	return (long)size;
}

static long tty_ioctl(struct file *file, u32 cmd, void *karg, u64 arg)
{
	(void)file;
	(void)arg;
	struct tty_ldisc *ld = console_tty();
	switch (cmd) {
	case TCGETS:
		memcpy(karg, &ld->termios, sizeof(ld->termios));
		return 0;
	case TCSETS:
	case TCSETSW: /* output is synchronous: nothing to drain */
	case TCSETSF: {
		struct linux_termios t;
		memcpy(&t, karg, sizeof(t));
		tty_ldisc_set_termios(ld, &t, cmd == TCSETSF);
		return 0;
	}
	case TIOCGWINSZ:
		memcpy(karg, &ld->winsize, sizeof(ld->winsize));
		return 0;
	case TIOCSWINSZ:
		memcpy(&ld->winsize, karg, sizeof(ld->winsize));
		return 0;
	case FIONREAD: {
		pump_input(ld);
		int ready = (int)tty_ldisc_pending(ld);
		memcpy(karg, &ready, sizeof(ready));
		return 0;
	}
	default:
		return -ENOTTY;
	}
}

/* Readable exactly when a read would return without waiting for a timer. */
static u32 tty_poll(struct file *file, u32 events)
{
	(void)file;
	struct tty_ldisc *ld = console_tty();
	pump_input(ld);
	u32 ready = VFS_POLLOUT;
	if (tty_ldisc_readable(ld))
		ready |= VFS_POLLIN;
	return events & ready;
}

const struct file_ops g_devtty_fops = {
	.stream = true,
	.read = tty_read,
	.write = tty_write,
	.ioctl = tty_ioctl,
	.poll = tty_poll,
};
