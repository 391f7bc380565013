/*
 * tty_ldisc.c: the line discipline of one tty (see tty_ldisc.h).
 *
 * Input lives in a ring of TTY_BUF_SIZE slots, each a byte plus a mark.
 * Indices into the ring are always taken modulo its size in slot(), and
 * count never exceeds TTY_BUF_SIZE: the host decides what the bytes are,
 * never where they go.
 */
#include "fs/tty_ldisc.h"

#include "lib/string.h"
#include "syscalls/linux_abi/signal.h"

#define NS_PER_DECISECOND 100000000ull

/* Linux's initial control characters (INIT_C_CC): ^C ^\ DEL ^U ^D, TIME 0,
 * MIN 1, then the inert ones (start/stop, suspend, reprint, ...). */
static const u8 g_default_cc[19] = {
	3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0,
};

void tty_ldisc_init(struct tty_ldisc *ld, tty_output_fn output)
{
	memset(ld, 0, sizeof(*ld));
	ld->output = output;
	ld->termios.c_iflag = TTY_ICRNL;
	ld->termios.c_oflag = TTY_OPOST;
	ld->termios.c_cflag = TTY_B38400 | TTY_CS8 | TTY_CREAD;
	ld->termios.c_lflag = TTY_ISIG | TTY_ICANON | TTY_ECHOE | TTY_ECHOK;
	memcpy(ld->termios.c_cc, g_default_cc, sizeof(g_default_cc));
	ld->winsize.ws_row = 24;
	ld->winsize.ws_col = 80;
}

/* ---- the ring ---- */

static u32 slot(const struct tty_ldisc *ld, u32 i)
{
	return (ld->head + i) % TTY_BUF_SIZE;
}

static bool canonical(const struct tty_ldisc *ld)
{
	return (ld->termios.c_lflag & TTY_ICANON) != 0;
}

size_t tty_ldisc_room(const struct tty_ldisc *ld)
{
	return TTY_BUF_SIZE - ld->count;
}

/* Append one slot; the caller checked there is room. */
static void store(struct tty_ldisc *ld, u8 byte, enum tty_mark mark)
{
	u32 s = slot(ld, ld->count);
	ld->byte[s] = byte;
	ld->mark[s] = (u8)mark;
	ld->count++;
	if (mark != TTY_MARK_NONE || !canonical(ld))
		ld->committed = ld->count;
}

static void drop_front(struct tty_ldisc *ld)
{
	ld->head = slot(ld, 1);
	ld->count--;
	ld->committed--;
}

/* A canonical line that fills the whole buffer is handed out as it is:
 * waiting for its newline could never end, and dropping input loses data. */
static void split_if_full(struct tty_ldisc *ld)
{
	if (!canonical(ld) || ld->count < TTY_BUF_SIZE || ld->committed > 0)
		return;
	ld->mark[slot(ld, ld->count - 1)] = TTY_MARK_LINE_END;
	ld->committed = ld->count;
}

/* ---- input ---- */

static bool is_char(const struct tty_ldisc *ld, u8 c, int index)
{
	u8 special = ld->termios.c_cc[index];
	return special != TTY_DISABLED && c == special;
}

static void echo(struct tty_ldisc *ld, const char *text, size_t size)
{
	tty_ldisc_write(ld, (const u8 *)text, size);
}

static void echo_input(struct tty_ldisc *ld, u8 c)
{
	u32 lflag = ld->termios.c_lflag;
	bool echo_nl = c == '\n' && (lflag & TTY_ECHONL) && canonical(ld);
	if ((lflag & TTY_ECHO) || echo_nl)
		echo(ld, (const char *)&c, 1);
}

/* VERASE: drop the last byte of the unfinished line. */
static void erase_one(struct tty_ldisc *ld, u8 c)
{
	if (ld->count == ld->committed)
		return;
	ld->count--;
	if (!(ld->termios.c_lflag & TTY_ECHO))
		return;
	if (ld->termios.c_lflag & TTY_ECHOE)
		echo(ld, "\b \b", 3);
	else
		echo(ld, (const char *)&c, 1);
}

/* VKILL: drop the whole unfinished line. */
static void kill_line(struct tty_ldisc *ld, u8 c)
{
	ld->count = ld->committed;
	if (!(ld->termios.c_lflag & TTY_ECHO))
		return;
	echo(ld, (const char *)&c, 1);
	if (ld->termios.c_lflag & TTY_ECHOK)
		echo(ld, "\n", 1);
}

/* The c_iflag translations; returns false if the byte is to be ignored. */
static bool translate_input(const struct tty_ldisc *ld, u8 *c)
{
	u32 iflag = ld->termios.c_iflag;
	if (iflag & TTY_ISTRIP)
		*c &= 0x7f;
	if (*c == '\r') {
		if (iflag & TTY_IGNCR)
			return false;
		if (iflag & TTY_ICRNL)
			*c = '\n';
	} else if (*c == '\n' && (iflag & TTY_INLCR)) {
		*c = '\r';
	}
	return true;
}

void tty_ldisc_set_signal(struct tty_ldisc *ld, tty_signal_fn signal)
{
	ld->signal = signal;
}

/* The signal a keyboard character stands for under ISIG, or 0. */
static int keyboard_signal(const struct tty_ldisc *ld, u8 c)
{
	if (!(ld->termios.c_lflag & TTY_ISIG))
		return 0;
	if (is_char(ld, c, TTY_VINTR))
		return SIGINT;
	if (is_char(ld, c, TTY_VQUIT))
		return SIGQUIT;
	if (is_char(ld, c, TTY_VSUSP))
		return SIGTSTP;
	return 0;
}

/* ^C and friends: Linux's isig(): flush what was typed, echo, signal. */
static void keyboard_interrupt(struct tty_ldisc *ld, u8 c, int signo)
{
	u32 lflag = ld->termios.c_lflag;
	if (!(lflag & TTY_NOFLSH)) {
		ld->head = 0;
		ld->count = 0;
		ld->committed = 0;
	}
	if (lflag & TTY_ECHO) {
		char caret[2] = {'^', (char)(c ^ 0x40)};
		if (lflag & TTY_ECHOCTL)
			echo(ld, caret, 2);
		else
			echo(ld, (const char *)&c, 1);
	}
	if (ld->signal)
		ld->signal(signo);
}

/* One input byte; false if there was no room for it (nothing changed). */
static bool receive_one(struct tty_ldisc *ld, u8 c)
{
	if (!translate_input(ld, &c))
		return true;
	int signo = keyboard_signal(ld, c);
	if (signo) {
		keyboard_interrupt(ld, c, signo);
		return true;
	}
	if (canonical(ld) && is_char(ld, c, TTY_VERASE)) {
		erase_one(ld, c);
		return true;
	}
	if (canonical(ld) && is_char(ld, c, TTY_VKILL)) {
		kill_line(ld, c);
		return true;
	}
	if (tty_ldisc_room(ld) == 0)
		return false;
	if (!canonical(ld)) {
		store(ld, c, TTY_MARK_NONE);
	} else if (is_char(ld, c, TTY_VEOF)) {
		store(ld, c, TTY_MARK_EOF);
		return true; /* end of file is not echoed */
	} else if (c == '\n' || is_char(ld, c, TTY_VEOL)) {
		store(ld, c, TTY_MARK_LINE_END);
	} else {
		store(ld, c, TTY_MARK_NONE);
		split_if_full(ld);
	}
	echo_input(ld, c);
	return true;
}

size_t tty_ldisc_receive(struct tty_ldisc *ld, const u8 *in, size_t size)
{
	size_t taken = 0;
	while (taken < size && receive_one(ld, in[taken]))
		taken++;
	return taken;
}

/* ---- reading ---- */

/* At most one line; a VEOF mark ends it and is consumed, not copied (also
 * right after a read that exactly filled buf, as on Linux). */
static long read_canonical(struct tty_ldisc *ld, u8 *buf, size_t size)
{
	if (ld->committed == 0)
		return TTY_WOULD_BLOCK;
	size_t n = 0;
	while (ld->committed > 0) {
		u32 s = ld->head;
		u8 mark = ld->mark[s];
		if (mark == TTY_MARK_EOF) {
			drop_front(ld);
			break;
		}
		if (n == size)
			break;
		buf[n++] = ld->byte[s];
		drop_front(ld);
		if (mark == TTY_MARK_LINE_END)
			break;
	}
	return (long)n;
}

/* VMIN/VTIME as termios(3) describes them; no VEOF marks exist here. */
static long read_raw(struct tty_ldisc *ld, u8 *buf, size_t size, bool timed_out)
{
	size_t vmin = ld->termios.c_cc[TTY_VMIN];
	size_t want = vmin == 0 ? 1 : MIN(vmin, size);
	if (ld->count >= want || (timed_out && ld->count > 0)) {
		size_t n = MIN(size, (size_t)ld->count);
		for (size_t i = 0; i < n; i++) {
			buf[i] = ld->byte[ld->head];
			drop_front(ld);
		}
		return (long)n;
	}
	if (vmin == 0 && (ld->termios.c_cc[TTY_VTIME] == 0 || timed_out))
		return 0;
	return TTY_WOULD_BLOCK;
}

long tty_ldisc_read(struct tty_ldisc *ld, u8 *buf, size_t size, bool timed_out)
{
	if (size == 0)
		return 0;
	if (canonical(ld))
		return read_canonical(ld, buf, size);
	return read_raw(ld, buf, size, timed_out);
}

bool tty_ldisc_readable(const struct tty_ldisc *ld)
{
	if (canonical(ld))
		return ld->committed > 0;
	u32 vmin = ld->termios.c_cc[TTY_VMIN];
	u32 want = (vmin > 0 && ld->termios.c_cc[TTY_VTIME] == 0) ? vmin : 1;
	return ld->count >= want;
}

u32 tty_ldisc_pending(const struct tty_ldisc *ld)
{
	u32 n = 0;
	for (u32 i = 0; i < ld->committed; i++)
		if (ld->mark[slot(ld, i)] != TTY_MARK_EOF)
			n++;
	return n;
}

u64 tty_ldisc_vtime_ns(const struct tty_ldisc *ld)
{
	if (canonical(ld))
		return 0;
	return (u64)ld->termios.c_cc[TTY_VTIME] * NS_PER_DECISECOND;
}

bool tty_ldisc_vmin_zero(const struct tty_ldisc *ld)
{
	return ld->termios.c_cc[TTY_VMIN] == 0;
}

/* ---- output ---- */

void tty_ldisc_write(struct tty_ldisc *ld, const u8 *buf, size_t size)
{
	u32 oflag = ld->termios.c_oflag;
	if (!(oflag & TTY_OPOST) || !(oflag & (TTY_ONLCR | TTY_OCRNL))) {
		ld->output((const char *)buf, size);
		return;
	}
	char out[128];
	size_t n = 0;
	for (size_t i = 0; i < size; i++) {
		u8 c = buf[i];
		if (c == '\n' && (oflag & TTY_ONLCR)) {
			out[n++] = '\r';
			out[n++] = '\n';
		} else if (c == '\r' && (oflag & TTY_OCRNL)) {
			out[n++] = '\n';
		} else {
			out[n++] = (char)c;
		}
		if (n > sizeof(out) - 2) {
			ld->output(out, n);
			n = 0;
		}
	}
	if (n > 0)
		ld->output(out, n);
}

/* ---- mode changes ---- */

/* Leaving canonical mode: everything buffered becomes readable, and VEOF
 * marks (which have no meaning there) go away. */
static void enter_raw(struct tty_ldisc *ld)
{
	u32 kept = 0;
	for (u32 i = 0; i < ld->count; i++) {
		u32 from = slot(ld, i);
		if (ld->mark[from] == TTY_MARK_EOF)
			continue;
		u32 to = slot(ld, kept++);
		ld->byte[to] = ld->byte[from];
		ld->mark[to] = TTY_MARK_NONE;
	}
	ld->count = kept;
	ld->committed = kept;
}

/* Entering canonical mode: what is buffered is split into lines again;
 * bytes after the last newline are the line being typed. */
static void enter_canonical(struct tty_ldisc *ld)
{
	ld->committed = 0;
	for (u32 i = 0; i < ld->count; i++) {
		u32 s = slot(ld, i);
		u8 c = ld->byte[s];
		bool ends = c == '\n' || is_char(ld, c, TTY_VEOL);
		ld->mark[s] = ends ? TTY_MARK_LINE_END : TTY_MARK_NONE;
		if (ends)
			ld->committed = i + 1;
	}
	split_if_full(ld);
}

void tty_ldisc_set_termios(struct tty_ldisc *ld, const struct linux_termios *t,
                           bool flush_input)
{
	bool was_canonical = canonical(ld);
	ld->termios = *t;
	if (flush_input) {
		ld->head = 0;
		ld->count = 0;
		ld->committed = 0;
	} else if (was_canonical && !canonical(ld)) {
		enter_raw(ld);
	} else if (!was_canonical && canonical(ld)) {
		enter_canonical(ld);
	}
}
