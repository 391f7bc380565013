/*
 * devtty.c: /dev/console and /dev/tty: the console tty on COM1.
 *
 * Trust: input bytes come from the host; they are data for the app and
 * nothing else. No line discipline: no echo, no line editing (the
 * termios we report says so); CR becomes NL on input (ICRNL) and a
 * leading Ctrl-D reads as end of file. Termios and window-size sets are
 * remembered and reported back but change nothing.
 */
#include "fs/devfs.h"
#include "lib/string.h"
#include "platform/platform.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"
#include "syscalls/linux_abi/termios.h"

/* termios bits (Linux values) */
#define TTY_ICRNL 0000400
#define TTY_B38400 0000017
#define TTY_CS8 0000060
#define TTY_CREAD 0000200
#define TTY_VINTR 0
#define TTY_VQUIT 1
#define TTY_VERASE 2
#define TTY_VKILL 3
#define TTY_VEOF 4
#define TTY_VMIN 6
#define CTRL_D 4

static struct linux_termios g_termios = {
	.c_iflag = TTY_ICRNL,
	.c_oflag = 0,
	.c_cflag = TTY_B38400 | TTY_CS8 | TTY_CREAD,
	.c_lflag = 0,
	.c_cc = { [TTY_VINTR] = 3, [TTY_VQUIT] = 28, [TTY_VERASE] = 127, [TTY_VKILL] = 21,
	          [TTY_VEOF] = CTRL_D, [TTY_VMIN] = 1 },
};
static struct linux_winsize g_winsize = { .ws_row = 24, .ws_col = 80 };

static long tty_read(struct file *file, void *buf, size_t size, u64 offset)
{
	(void)offset;
	if (size == 0)
		return 0;
	char *out = buf;
	size_t n;
	for (;;) {
		n = platform_console_read(out, size);
		if (n > 0)
			break;
		if (file->flags & O_NONBLOCK)
			return -EAGAIN;
		__builtin_ia32_pause();
	}
	if (out[0] == CTRL_D)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (out[i] == '\r')
			out[i] = '\n';
	return (long)n;
}

static long tty_write(struct file *file, const void *buf, size_t size, u64 offset)
{
	(void)file;
	(void)offset;
	platform_console_write(CONSOLE_STDOUT, buf, size);
	return (long)size;
}

static long tty_ioctl(struct file *file, u32 cmd, void *karg, u64 arg)
{
	(void)file;
	(void)arg;
	switch (cmd) {
	case TCGETS:
		memcpy(karg, &g_termios, sizeof(g_termios));
		return 0;
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		memcpy(&g_termios, karg, sizeof(g_termios));
		return 0;
	case TIOCGWINSZ:
		memcpy(karg, &g_winsize, sizeof(g_winsize));
		return 0;
	case TIOCSWINSZ:
		memcpy(&g_winsize, karg, sizeof(g_winsize));
		return 0;
	case TIOCGPGRP: {
		int pgrp = 1;
		memcpy(karg, &pgrp, sizeof(pgrp));
		return 0;
	}
	case TIOCSPGRP:
		return 0;
	case FIONREAD: {
		int ready = platform_console_has_input() ? 1 : 0;
		memcpy(karg, &ready, sizeof(ready));
		return 0;
	}
	default:
		return -ENOTTY;
	}
}

static u32 tty_poll(struct file *file, u32 events)
{
	(void)file;
	u32 ready = VFS_POLLOUT;
	if (platform_console_has_input())
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
