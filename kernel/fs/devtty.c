/*
 * devtty.c: /dev/console and /dev/tty: the console tty on COM1.
 *
 * The line discipline (tty_ldisc.c) does the tty semantics: lines, ^D as
 * end of file, termios. This file only moves bytes between it and the
 * UART, and waits: COM1's receive interrupt (arch/x86_64/irq.h) moves
 * what arrived into the line discipline and wakes readers; a reader
 * sleeps until then, its VTIME deadline or a signal. Without an
 * interrupt line the reader re-checks the UART every POLL_NS.
 *
 * With `cvmify run -t` the console is the app's terminal: the host's
 * terminal is in raw mode, so this tty echoes and turns NL into CR NL
 * itself, like the pty docker allocates. Without -t the app's fds are
 * plain streams (proc/stdio.c) and /dev/tty has no terminal (ENXIO).
 *
 * Trust: input bytes come from the host; they are data for the app and
 * nothing else. The ldisc takes at most as many as it has room for; the
 * rest wait in the UART (QEMU holds them back, nothing is lost).
 */
#include "fs/devfs.h"
#include "fs/tty_ldisc.h"
#include "lib/string.h"
#include "platform/platform.h"
#include "arch/x86_64/irq.h"
#include "proc/poll.h"
#include "proc/signal.h"
#include "proc/task.h"
#include "proc/timer.h"
#include "proc/wait.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"
#include "syscalls/linux_abi/signal.h"
#include "syscalls/linux_abi/termios.h"

#define PUMP_CHUNK 256
#define POLL_NS (10ULL * 1000 * 1000)
#define DEV_TTY_RDEV ((5ULL << 8) | 0) /* /dev/tty, MKDEV(5, 0) */

static struct tty_ldisc g_console_tty;
static bool g_console_ready;
static bool g_have_irq;
static bool g_terminal; /* cvmify run -t */
static u64 g_last_input_ns; /* when the last input byte arrived (VTIME) */
static struct waitq g_input_wait; /* readers and pollers of the console */
static struct ktimer g_poll_timer; /* no interrupt: wakes pollers to look */

static void console_output(const char *buf, size_t size)
{
	platform_console_write(CONSOLE_STDOUT, buf, size);
}

static void input_interrupt(void *arg);
static void keyboard_signal(int signo);
static void poll_timer_fired(struct ktimer *timer);

/* The console tty, set up on first use (devfs has no init hook). */
static struct tty_ldisc *console_tty(void)
{
	if (!g_console_ready) {
		tty_ldisc_init(&g_console_tty, console_output);
		tty_ldisc_set_signal(&g_console_tty, keyboard_signal);
		waitq_init(&g_input_wait);
		timer_init(&g_poll_timer, poll_timer_fired, NULL);
		g_console_ready = true;
		int gsi = platform_console_input_irq();
		g_have_irq = gsi >= 0 && irq_register((u32)gsi, input_interrupt, NULL, false) == 0;
	}
	return &g_console_tty;
}

void devtty_make_terminal(u16 rows, u16 cols)
{
	struct tty_ldisc *ld = console_tty();
	struct linux_termios t = ld->termios;
	t.c_lflag |= TTY_ECHO | TTY_ECHOE | TTY_ECHOK;
	t.c_oflag |= TTY_OPOST | TTY_ONLCR;
	tty_ldisc_set_termios(ld, &t, false);
	ld->winsize.ws_row = rows;
	ld->winsize.ws_col = cols;
	g_terminal = true;
}

bool devtty_is_terminal(void)
{
	return g_terminal;
}

bool devtty_resize(u16 rows, u16 cols)
{
	struct tty_ldisc *ld = console_tty();
	if (ld->winsize.ws_row == rows && ld->winsize.ws_col == cols)
		return false;
	ld->winsize.ws_row = rows;
	ld->winsize.ws_col = cols;
	return true;
}

/* /dev/tty is the controlling terminal: there is none without -t. */
static int tty_open(struct inode *inode, struct file *file)
{
	(void)file;
	if (inode->rdev == DEV_TTY_RDEV && !g_terminal)
		return -ENXIO;
	return 0;
}

/* Move waiting UART bytes into the ldisc, as many as it has room for.
 * True if any arrived. */
static bool pump_input(struct tty_ldisc *ld)
{
	u8 chunk[PUMP_CHUNK];
	bool any = false;
	for (;;) {
		size_t room = MIN(tty_ldisc_room(ld), sizeof(chunk));
		if (room == 0)
			return any;
		size_t got = platform_console_read((char *)chunk, room);
		if (got == 0)
			return any;
		any = true;
		g_last_input_ns = platform_time_ns();
		/* room bytes always fit: each takes at most one slot */
		tty_ldisc_receive(ld, chunk, got);
	}
}

/* ^C, ^\ or ^Z on the console (ISIG): every process is in the one
 * process group, the foreground one, so each of them gets the signal,
 * as Linux's kill_pgrp does for a shell without job control. */
static void keyboard_signal(int signo)
{
	struct ksiginfo info = {.code = SI_KERNEL};
	for (struct task *t = task_first(); t; t = t->next) {
		if (t->tid == t->pid && !t->exited && t->group->live > 0)
			signal_send_process(t, signo, &info);
	}
}

/* COM1 has input (deferred work, big kernel lock held). */
static void input_interrupt(void *arg)
{
	(void)arg;
	if (pump_input(console_tty()))
		waitq_wake(&g_input_wait, VFS_POLLIN);
}

/* When a waiting read must look again without being woken: its VTIME
 * timer, or the next poll of a UART without an interrupt. */
static u64 read_deadline(struct tty_ldisc *ld, u64 start_ns)
{
	u64 deadline = WAIT_FOREVER;
	u64 vtime = tty_ldisc_vtime_ns(ld);
	if (vtime) {
		u64 from = tty_ldisc_vmin_zero(ld) ? start_ns : MAX(start_ns, g_last_input_ns);
		deadline = from + vtime;
	}
	if (!g_have_irq)
		deadline = MIN(deadline, platform_time_ns() + POLL_NS);
	return deadline;
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
	struct wait_entry e;
	wait_entry_init(&e);
	long n;
	for (;;) {
		wait_prepare(&g_input_wait, &e);
		pump_input(ld);
		n = tty_ldisc_read(ld, buf, size, vtime_expired(ld, start_ns));
		if (n != TTY_WOULD_BLOCK)
			break;
		if (file->flags & O_NONBLOCK) {
			n = -EAGAIN;
			break;
		}
		int err = wait_sleep(read_deadline(ld, start_ns), true);
		if (err == -EINTR) {
			n = -ERESTARTSYS;
			break;
		}
	}
	wait_finish(&e);
	return n;
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
/* Without an input interrupt, pollers are woken every POLL_NS to look. */
static void poll_timer_fired(struct ktimer *timer)
{
	(void)timer;
	waitq_wake_locked(&g_input_wait, 0);
}

static u32 tty_poll(struct file *file, u32 events, struct poll_table *pt)
{
	(void)file;
	struct tty_ldisc *ld = console_tty();
	poll_wait(pt, &g_input_wait);
	if (pt && !g_have_irq)
		timer_arm(&g_poll_timer, platform_time_ns() + POLL_NS);
	pump_input(ld);
	u32 ready = VFS_POLLOUT;
	if (tty_ldisc_readable(ld))
		ready |= VFS_POLLIN;
	return events & ready;
}

const struct file_ops g_devtty_fops = {
	.stream = true,
	.open = tty_open,
	.read = tty_read,
	.write = tty_write,
	.ioctl = tty_ioctl,
	.poll = tty_poll,
};
