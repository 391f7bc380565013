/*
 * test_tty_ldisc.c: the console line discipline on its own: canonical
 * lines, ^D at the start and in the middle of a line, CR to NL, erase and
 * kill, the split of an over-long line, non-canonical VMIN/VTIME, mode
 * switches, output processing and echo, and poll agreeing with read.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "fs/tty_ldisc.h"
#include "syscalls/linux_abi/signal.h"

static struct tty_ldisc g_ld;
static char g_out[8192]; /* what the tty wrote (output and echo) */
static size_t g_out_len;

static void capture_output(const char *buf, size_t size)
{
	if (size > sizeof(g_out) - g_out_len)
		size = sizeof(g_out) - g_out_len;
	memcpy(g_out + g_out_len, buf, size);
	g_out_len += size;
}

static void fresh(void)
{
	tty_ldisc_init(&g_ld, capture_output);
	g_out_len = 0;
}

static size_t feed(const char *text)
{
	return tty_ldisc_receive(&g_ld, (const u8 *)text, strlen(text));
}

/* One read into a NUL-terminated string; returns what read returned. */
static long read_str(char *buf, size_t size)
{
	long n = tty_ldisc_read(&g_ld, (u8 *)buf, size - 1, false);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

static void set_lflag(u32 lflag)
{
	struct linux_termios t = g_ld.termios;
	t.c_lflag = lflag;
	tty_ldisc_set_termios(&g_ld, &t, false);
}

static void set_raw(u8 vmin, u8 vtime)
{
	struct linux_termios t = g_ld.termios;
	t.c_lflag &= ~(u32)TTY_ICANON;
	t.c_cc[TTY_VMIN] = vmin;
	t.c_cc[TTY_VTIME] = vtime;
	tty_ldisc_set_termios(&g_ld, &t, false);
}

static int g_signals[8];
static int g_signal_count;

static void capture_signal(int signo)
{
	if (g_signal_count < 8)
		g_signals[g_signal_count] = signo;
	g_signal_count++;
}

static void test_defaults(void)
{
	fresh();
	CHECK(g_ld.termios.c_lflag & TTY_ICANON);
	CHECK(g_ld.termios.c_lflag & TTY_ISIG);
	CHECK(!(g_ld.termios.c_lflag & TTY_ECHO));
	CHECK(g_ld.termios.c_iflag & TTY_ICRNL);
	CHECK_EQ(g_ld.termios.c_cc[TTY_VEOF], 4);
	CHECK_EQ(g_ld.termios.c_cc[TTY_VMIN], 1);
	CHECK_EQ(g_ld.winsize.ws_col, 80);
	char buf[16];
	CHECK_EQ(read_str(buf, sizeof(buf)), TTY_WOULD_BLOCK);
	CHECK(!tty_ldisc_readable(&g_ld));
}

static void test_canonical_reads_return_one_line(void)
{
	fresh();
	char buf[64];
	CHECK_EQ(feed("abc"), 3);
	CHECK(!tty_ldisc_readable(&g_ld)); /* no line yet */
	CHECK_EQ(read_str(buf, sizeof(buf)), TTY_WOULD_BLOCK);
	CHECK_EQ(feed("\nsecond\nthi"), 11);
	CHECK(tty_ldisc_readable(&g_ld));
	CHECK_EQ(tty_ldisc_pending(&g_ld), 11);
	CHECK_EQ(read_str(buf, sizeof(buf)), 4);
	CHECK(strcmp(buf, "abc\n") == 0);
	/* a short buffer takes the line in pieces */
	CHECK_EQ(read_str(buf, 4), 3);
	CHECK(strcmp(buf, "sec") == 0);
	CHECK_EQ(read_str(buf, sizeof(buf)), 4);
	CHECK(strcmp(buf, "ond\n") == 0);
	CHECK(!tty_ldisc_readable(&g_ld));
	CHECK_EQ(read_str(buf, sizeof(buf)), TTY_WOULD_BLOCK);
	CHECK_EQ(g_out_len, 0); /* ECHO is off */
}

static void test_eof_at_line_start(void)
{
	fresh();
	char buf[64];
	feed("\x04");
	CHECK(tty_ldisc_readable(&g_ld));
	CHECK_EQ(tty_ldisc_pending(&g_ld), 0);
	CHECK_EQ(read_str(buf, sizeof(buf)), 0);
	/* the end of file was consumed: the next read waits again */
	CHECK_EQ(read_str(buf, sizeof(buf)), TTY_WOULD_BLOCK);
	feed("line\n\x04");
	CHECK_EQ(read_str(buf, sizeof(buf)), 5);
	CHECK(strcmp(buf, "line\n") == 0);
	CHECK_EQ(read_str(buf, sizeof(buf)), 0);
	/* a read of size 0 consumes nothing */
	feed("\x04");
	CHECK_EQ(tty_ldisc_read(&g_ld, (u8 *)buf, 0, false), 0);
	CHECK(tty_ldisc_readable(&g_ld));
}

static void test_eof_mid_line(void)
{
	fresh();
	char buf[64];
	feed("partial\x04");
	CHECK(tty_ldisc_readable(&g_ld));
	CHECK_EQ(read_str(buf, sizeof(buf)), 7); /* ^D itself not delivered */
	CHECK(strcmp(buf, "partial") == 0);
	CHECK_EQ(read_str(buf, sizeof(buf)), TTY_WOULD_BLOCK);
	/* a second ^D, now at the start of a line, is end of file */
	feed("\x04");
	CHECK_EQ(read_str(buf, sizeof(buf)), 0);
	/* a read that exactly fills its buffer also consumes the ^D */
	feed("xyz\x04");
	CHECK_EQ(read_str(buf, 4), 3);
	CHECK_EQ(read_str(buf, sizeof(buf)), TTY_WOULD_BLOCK);
}

static void test_cr_becomes_nl(void)
{
	fresh();
	char buf[64];
	feed("one\rtwo\r\n");
	CHECK_EQ(read_str(buf, sizeof(buf)), 4);
	CHECK(strcmp(buf, "one\n") == 0);
	CHECK_EQ(read_str(buf, sizeof(buf)), 4);
	CHECK(strcmp(buf, "two\n") == 0);
	CHECK_EQ(read_str(buf, sizeof(buf)), 1);
	CHECK(strcmp(buf, "\n") == 0);
	/* without ICRNL a CR is an ordinary byte; with IGNCR it is dropped */
	struct linux_termios t = g_ld.termios;
	t.c_iflag = 0;
	tty_ldisc_set_termios(&g_ld, &t, false);
	feed("a\rb\n");
	CHECK_EQ(read_str(buf, sizeof(buf)), 4);
	CHECK(strcmp(buf, "a\rb\n") == 0);
	t.c_iflag = TTY_IGNCR | TTY_ICRNL;
	tty_ldisc_set_termios(&g_ld, &t, false);
	feed("c\rd\n");
	CHECK_EQ(read_str(buf, sizeof(buf)), 3);
	CHECK(strcmp(buf, "cd\n") == 0);
}

static void test_erase_and_kill(void)
{
	fresh();
	char buf[64];
	feed("abx\x7f" "c\n");
	CHECK_EQ(read_str(buf, sizeof(buf)), 4);
	CHECK(strcmp(buf, "abc\n") == 0);
	feed("junk\x15ok\n");
	CHECK_EQ(read_str(buf, sizeof(buf)), 3);
	CHECK(strcmp(buf, "ok\n") == 0);
	/* erase never reaches into a finished line */
	feed("done\n\x7f\x7f");
	CHECK_EQ(read_str(buf, sizeof(buf)), 5);
	CHECK(strcmp(buf, "done\n") == 0);
}

static void test_long_line_is_split_not_dropped(void)
{
	fresh();
	static char big[TTY_BUF_SIZE + 100];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK_EQ(feed(big), TTY_BUF_SIZE); /* the rest waits: buffer full */
	CHECK_EQ(tty_ldisc_room(&g_ld), 0);
	CHECK(tty_ldisc_readable(&g_ld));
	static u8 out[TTY_BUF_SIZE + 100];
	CHECK_EQ(tty_ldisc_read(&g_ld, out, sizeof(out), false), TTY_BUF_SIZE);
	CHECK_EQ(tty_ldisc_room(&g_ld), TTY_BUF_SIZE);
	CHECK_EQ(feed(big + TTY_BUF_SIZE), 99);
	CHECK(!tty_ldisc_readable(&g_ld));
	feed("\n");
	CHECK_EQ(tty_ldisc_read(&g_ld, out, sizeof(out), false), 100);
	CHECK_EQ(out[99], '\n');
}

static void test_ring_wraps(void)
{
	fresh();
	char line[1000], buf[1100];
	for (int round = 0; round < 20; round++) {
		memset(line, 'a' + round, sizeof(line) - 2);
		line[sizeof(line) - 2] = '\n';
		line[sizeof(line) - 1] = 0;
		CHECK_EQ(feed(line), sizeof(line) - 1);
		CHECK_EQ(read_str(buf, sizeof(buf)), sizeof(line) - 1);
		CHECK(strcmp(buf, line) == 0);
	}
}

static void test_noncanonical_vmin_vtime(void)
{
	fresh();
	char buf[64];
	set_raw(1, 0);
	feed("ab");
	CHECK(tty_ldisc_readable(&g_ld)); /* no newline needed */
	CHECK_EQ(read_str(buf, sizeof(buf)), 2);
	CHECK(strcmp(buf, "ab") == 0);
	CHECK_EQ(read_str(buf, sizeof(buf)), TTY_WOULD_BLOCK);
	/* ^D and newline are plain bytes here */
	feed("\x04\n");
	CHECK_EQ(read_str(buf, sizeof(buf)), 2);
	CHECK(strcmp(buf, "\x04\n") == 0);

	set_raw(3, 0); /* wait for three bytes */
	feed("xy");
	CHECK(!tty_ldisc_readable(&g_ld));
	CHECK_EQ(read_str(buf, sizeof(buf)), TTY_WOULD_BLOCK);
	CHECK_EQ(read_str(buf, 2), 1); /* ...or as many as asked for */
	feed("z1");
	CHECK(tty_ldisc_readable(&g_ld));
	CHECK_EQ(read_str(buf, sizeof(buf)), 3);
	CHECK(strcmp(buf, "yz1") == 0);

	set_raw(0, 0); /* pure polling */
	CHECK_EQ(read_str(buf, sizeof(buf)), 0);
	feed("q");
	CHECK_EQ(read_str(buf, sizeof(buf)), 1);

	set_raw(0, 5); /* wait up to 0.5 s for anything */
	CHECK_EQ(tty_ldisc_vtime_ns(&g_ld), 500000000ull);
	CHECK_EQ(read_str(buf, sizeof(buf)), TTY_WOULD_BLOCK);
	CHECK_EQ(tty_ldisc_read(&g_ld, (u8 *)buf, 8, true), 0);

	set_raw(4, 2); /* inter-byte timer: some bytes, then the timer */
	CHECK_EQ(tty_ldisc_read(&g_ld, (u8 *)buf, 8, true), TTY_WOULD_BLOCK);
	feed("kl");
	CHECK_EQ(read_str(buf, sizeof(buf)), TTY_WOULD_BLOCK);
	CHECK(tty_ldisc_readable(&g_ld)); /* poll: VTIME set, one byte is enough */
	CHECK_EQ(tty_ldisc_read(&g_ld, (u8 *)buf, 8, true), 2);
}

static void test_mode_switches_keep_input(void)
{
	fresh();
	char buf[64];
	feed("one\ntw");
	set_raw(1, 0);
	CHECK_EQ(tty_ldisc_pending(&g_ld), 6);
	CHECK_EQ(read_str(buf, sizeof(buf)), 6);
	CHECK(strcmp(buf, "one\ntw") == 0);
	/* a ^D mark from canonical mode is dropped when leaving it */
	set_lflag(TTY_ICANON);
	feed("\x04" "ab");
	set_raw(1, 0);
	CHECK_EQ(read_str(buf, sizeof(buf)), 2);
	CHECK(strcmp(buf, "ab") == 0);
	/* back to canonical: bytes after the last newline are the open line */
	feed("l1\nl2");
	set_lflag(TTY_ICANON);
	CHECK_EQ(read_str(buf, sizeof(buf)), 3);
	CHECK(strcmp(buf, "l1\n") == 0);
	CHECK_EQ(read_str(buf, sizeof(buf)), TTY_WOULD_BLOCK);
	feed("\n");
	CHECK_EQ(read_str(buf, sizeof(buf)), 3);
	CHECK(strcmp(buf, "l2\n") == 0);
	/* TCSETSF throws unread input away */
	feed("stale\n");
	struct linux_termios t = g_ld.termios;
	tty_ldisc_set_termios(&g_ld, &t, true);
	CHECK(!tty_ldisc_readable(&g_ld));
}

static void test_output_processing(void)
{
	fresh();
	tty_ldisc_write(&g_ld, (const u8 *)"a\nb\r", 4);
	CHECK_EQ(g_out_len, 4); /* ONLCR off by default: bytes as written */
	CHECK(memcmp(g_out, "a\nb\r", 4) == 0);
	struct linux_termios t = g_ld.termios;
	t.c_oflag = TTY_OPOST | TTY_ONLCR | TTY_OCRNL;
	tty_ldisc_set_termios(&g_ld, &t, false);
	g_out_len = 0;
	tty_ldisc_write(&g_ld, (const u8 *)"a\nb\r", 4);
	CHECK_EQ(g_out_len, 5);
	CHECK(memcmp(g_out, "a\r\nb\n", 5) == 0);
	/* without OPOST nothing is changed */
	t.c_oflag = TTY_ONLCR;
	tty_ldisc_set_termios(&g_ld, &t, false);
	g_out_len = 0;
	tty_ldisc_write(&g_ld, (const u8 *)"\n", 1);
	CHECK_EQ(g_out_len, 1);
	/* many newlines: the internal chunks never overflow */
	t.c_oflag = TTY_OPOST | TTY_ONLCR;
	tty_ldisc_set_termios(&g_ld, &t, false);
	g_out_len = 0;
	static u8 nl[1000];
	memset(nl, '\n', sizeof(nl));
	tty_ldisc_write(&g_ld, nl, sizeof(nl));
	CHECK_EQ(g_out_len, 2000);
}

static void test_echo_when_set(void)
{
	fresh();
	set_lflag(TTY_ICANON | TTY_ECHO | TTY_ECHOE);
	feed("hi\x7fo\n\x04");
	CHECK_EQ(g_out_len, 7);
	CHECK(memcmp(g_out, "hi\b \bo\n", 7) == 0); /* ^D is not echoed */
	fresh();
	set_lflag(TTY_ICANON | TTY_ECHONL);
	feed("quiet\n");
	CHECK_EQ(g_out_len, 1);
	CHECK(g_out[0] == '\n');
}

/* poll's answer equals "a read would not wait", checked on a copy. */
static void check_poll_agrees(void)
{
	static struct tty_ldisc copy;
	static u8 buf[TTY_BUF_SIZE];
	copy = g_ld;
	bool returns = tty_ldisc_read(&copy, buf, sizeof(buf), false) != TTY_WOULD_BLOCK;
	CHECK_EQ(tty_ldisc_readable(&g_ld), returns);
}

static void test_poll_agrees_with_read(void)
{
	static const char *const steps[] = { "", "ab", "c\r", "\x04", "de\x04", "x\x7f",
	                                     "\x15", "\n", "fg" };
	static const u8 vmins[] = { 1, 2, 5 };
	fresh();
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
		feed(steps[i]);
		check_poll_agrees();
	}
	for (size_t m = 0; m < ARRAY_SIZE(vmins); m++) {
		fresh();
		set_raw(vmins[m], 0);
		for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
			feed(steps[i]);
			check_poll_agrees();
		}
	}
}

/* ISIG: ^C, ^\ and ^Z become signals, flush the input, are never read;
 * off, they are plain bytes; NOFLSH keeps the input; ECHOCTL echoes ^C. */
static void test_keyboard_signals(void)
{
	fresh();
	tty_ldisc_set_signal(&g_ld, capture_signal);
	g_signal_count = 0;
	char buf[64];
	CHECK_EQ(feed("half a line\x03"), 12);
	CHECK_EQ(g_signal_count, 1);
	CHECK_EQ(g_signals[0], SIGINT);
	CHECK_EQ(feed("next\n"), 5);
	CHECK_EQ(read_str(buf, sizeof(buf)), 5);
	CHECK(strcmp(buf, "next\n") == 0); /* the half line was flushed */
	CHECK_EQ(feed("\x1c\x1a"), 2);
	CHECK_EQ(g_signal_count, 3);
	CHECK_EQ(g_signals[1], SIGQUIT);
	CHECK_EQ(g_signals[2], SIGTSTP);
	CHECK(!tty_ldisc_readable(&g_ld));

	struct linux_termios t = g_ld.termios;
	t.c_lflag |= TTY_NOFLSH | TTY_ECHO | TTY_ECHOCTL;
	tty_ldisc_set_termios(&g_ld, &t, false);
	g_out_len = 0;
	CHECK_EQ(feed("kept\x03\n"), 6);
	CHECK_EQ(g_signal_count, 4);
	CHECK_EQ(read_str(buf, sizeof(buf)), 5);
	CHECK(strcmp(buf, "kept\n") == 0);
	CHECK(g_out_len == 7 && memcmp(g_out, "kept^C\n", 7) == 0);

	t.c_lflag &= ~(u32)(TTY_ISIG | TTY_ECHO);
	tty_ldisc_set_termios(&g_ld, &t, false);
	CHECK_EQ(feed("\x03\n"), 2);
	CHECK_EQ(g_signal_count, 4); /* no ISIG: a plain byte */
	CHECK_EQ(read_str(buf, sizeof(buf)), 2);
	CHECK_EQ(buf[0], 3);
}

static const struct host_test g_tests[] = {
	{ "keyboard_signals", test_keyboard_signals },
	{ "defaults", test_defaults },
	{ "canonical_reads_return_one_line", test_canonical_reads_return_one_line },
	{ "eof_at_line_start", test_eof_at_line_start },
	{ "eof_mid_line", test_eof_mid_line },
	{ "cr_becomes_nl", test_cr_becomes_nl },
	{ "erase_and_kill", test_erase_and_kill },
	{ "long_line_is_split_not_dropped", test_long_line_is_split_not_dropped },
	{ "ring_wraps", test_ring_wraps },
	{ "noncanonical_vmin_vtime", test_noncanonical_vmin_vtime },
	{ "mode_switches_keep_input", test_mode_switches_keep_input },
	{ "output_processing", test_output_processing },
	{ "echo_when_set", test_echo_when_set },
	{ "poll_agrees_with_read", test_poll_agrees_with_read },
};

int main(int argc, char **argv)
{
	/* argv[1] is the golden directory the harness passes to every test */
	return run_tests(g_tests, (int)(sizeof(g_tests) / sizeof(g_tests[0])), argc - 1,
	                 argv + 1);
}
