/*
 * tty_ldisc.h: a minimal line discipline (the part of a tty between the
 * wire and read()/write()), with the termios state of one tty.
 *
 * It knows nothing of UARTs, tasks or time, so it builds on the host for
 * unit tests: the device (devtty.c) feeds it the bytes that arrived, asks
 * it whether a read can return, and says whether a VTIME timer ran out.
 *
 * Canonical mode (ICANON, the default): input is kept in lines; a read
 * returns at most one line. VEOF (^D) ends the line without being
 * delivered; at the start of a line it makes read return 0 (end of file).
 * VERASE and VKILL edit the unfinished line. A line longer than the
 * buffer is handed out in pieces rather than dropped.
 * Non-canonical mode: bytes as they come, with VMIN/VTIME.
 * Input: ICRNL, INLCR, IGNCR, ISTRIP. Output: OPOST with ONLCR, OCRNL.
 * ECHO, ECHONL, ECHOE, ECHOK, ECHOCTL are honoured when set.
 * Keyboard signals (ISIG, on by default as on Linux): VINTR (^C), VQUIT
 * (^\) and VSUSP (^Z) are not stored; the line discipline flushes the
 * input (unless NOFLSH) and asks the device to send SIGINT, SIGQUIT or
 * SIGTSTP to the foreground process group (tty_signal_fn).
 *
 * Defaults are Linux's, except that ECHO (and ECHOCTL, ECHOKE), ONLCR,
 * IEXTEN and IXON are off: the host terminal (if any) already echoes and
 * turns NL into CR NL, and output piped into a file must stay
 * byte-exact. VLNEXT/VWERASE and flow control are not implemented, so
 * the termios never claims them.
 *
 * Trust: every byte fed in is host data; it only ever lands in buf[].
 * Termios values set by the app are used as given (they are the app's own
 * choice); none of them is an index or a length.
 */
#ifndef CVMIFY_FS_TTY_LDISC_H
#define CVMIFY_FS_TTY_LDISC_H

#include "lib/types.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/termios.h"

/* Input buffer, bytes: the longest canonical line is this long. */
#define TTY_BUF_SIZE 4096

/* c_iflag */
#define TTY_ISTRIP 0000040
#define TTY_INLCR 0000100
#define TTY_IGNCR 0000200
#define TTY_ICRNL 0000400
/* c_oflag */
#define TTY_OPOST 0000001
#define TTY_ONLCR 0000004
#define TTY_OCRNL 0000010
/* c_cflag */
#define TTY_B38400 0000017
#define TTY_CS8 0000060
#define TTY_CREAD 0000200
/* c_lflag */
#define TTY_ISIG 0000001
#define TTY_ICANON 0000002
#define TTY_ECHO 0000010
#define TTY_ECHOE 0000020
#define TTY_ECHOK 0000040
#define TTY_ECHONL 0000100
#define TTY_NOFLSH 0000200
#define TTY_ECHOCTL 0001000
/* c_cc indices */
#define TTY_VINTR 0
#define TTY_VQUIT 1
#define TTY_VERASE 2
#define TTY_VKILL 3
#define TTY_VEOF 4
#define TTY_VTIME 5
#define TTY_VMIN 6
#define TTY_VSUSP 10
#define TTY_VEOL 11
/* A c_cc entry with this value matches nothing (Linux _POSIX_VDISABLE). */
#define TTY_DISABLED 0

/* read() answer when it has to wait for more input. */
#define TTY_WOULD_BLOCK (-(long)EAGAIN)

/* What a buffered slot is, besides its byte. */
enum tty_mark {
	TTY_MARK_NONE = 0,     /* ordinary byte */
	TTY_MARK_LINE_END = 1, /* delivered, and ends a line (NL, VEOL, a split) */
	TTY_MARK_EOF = 2,      /* VEOF: ends a line, never delivered */
};

/* Where the tty's output (writes and echo) goes. */
typedef void (*tty_output_fn)(const char *buf, size_t size);
/* A keyboard signal (SIGINT, SIGQUIT, SIGTSTP) for the foreground
 * process group. */
typedef void (*tty_signal_fn)(int signo);

struct tty_ldisc {
	struct linux_termios termios;
	struct linux_winsize winsize;
	tty_output_fn output;
	tty_signal_fn signal;  /* NULL: keyboard signals go nowhere */
	/* The input ring: count slots from head. In canonical mode the first
	 * committed slots are finished lines (readable); the rest is the line
	 * being typed. In non-canonical mode committed == count. */
	u32 head;
	u32 count;
	u32 committed;
	u8 byte[TTY_BUF_SIZE];
	u8 mark[TTY_BUF_SIZE]; /* enum tty_mark */
};

/* Default termios and window size, empty buffer. output must not be NULL. */
void tty_ldisc_init(struct tty_ldisc *ld, tty_output_fn output);

/* Where keyboard signals go (devtty.c: the foreground processes). */
void tty_ldisc_set_signal(struct tty_ldisc *ld, tty_signal_fn signal);

/* Free slots: how many input bytes receive() is sure to take now. */
size_t tty_ldisc_room(const struct tty_ldisc *ld);

/* Take bytes that arrived from the host. Returns how many were taken
 * (fewer than size only when the buffer is full). */
size_t tty_ldisc_receive(struct tty_ldisc *ld, const u8 *in, size_t size);

/* Copy out what a read() may return now: a byte count, 0 for end of file
 * (or VMIN = 0 with nothing there), or TTY_WOULD_BLOCK. timed_out: the
 * caller's VTIME timer ran out (see tty_ldisc_vtime_ns). */
long tty_ldisc_read(struct tty_ldisc *ld, u8 *buf, size_t size, bool timed_out);

/* poll's POLLIN: canonical, a line (or end of file) is there; otherwise
 * VMIN bytes, or with VTIME set one byte (the read then returns within
 * VTIME). With VMIN = VTIME = 0 a read returns 0 even when this is false,
 * as on Linux. */
bool tty_ldisc_readable(const struct tty_ldisc *ld);

/* Bytes a read could deliver now (FIONREAD). */
u32 tty_ldisc_pending(const struct tty_ldisc *ld);

/* VTIME in nanoseconds (0: no timer); only meaningful without ICANON.
 * With VMIN = 0 it counts from the start of the read, otherwise from the
 * last byte received. */
u64 tty_ldisc_vtime_ns(const struct tty_ldisc *ld);
bool tty_ldisc_vmin_zero(const struct tty_ldisc *ld);

/* Write app output through output processing. */
void tty_ldisc_write(struct tty_ldisc *ld, const u8 *buf, size_t size);

/* TCSETS and friends. flush_input: TCSETSF discards unread input. */
void tty_ldisc_set_termios(struct tty_ldisc *ld, const struct linux_termios *t,
                           bool flush_input);

#endif
