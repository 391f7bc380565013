/*
 * fifo.c: named FIFOs (fifo(7)): mkfifo/mknod on /tmp and on the root,
 * stat and getdents types, the open rules (blocking until a partner,
 * O_NONBLOCK, ENXIO, O_RDWR), data between two processes, EOF, EPIPE and
 * SIGPIPE, poll, a signal during a blocked open (EINTR, SA_RESTART),
 * the buffer going with the last close, unlink while open.
 * Runs as root (the image has no USER).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "check.h"

#define FIFO "/tmp/fifo-test"
#define ROOT_FIFO "/fifo-test-root"
#define BIG (200 * 1024)   /* more than one 64 KiB pipe buffer */

static volatile sig_atomic_t g_signals;

static void on_signal(int sig)
{
	(void)sig;
	g_signals++;
}

static void check_make(void)
{
	unlink(FIFO);
	struct stat st;
	check(mkfifo(FIFO, 0640) == 0 && stat(FIFO, &st) == 0 && S_ISFIFO(st.st_mode) &&
	      st.st_size == 0 && (st.st_mode & 0777) == 0640,
	      "mkfifo on /tmp: stat says S_IFIFO, size 0, mode 0640");
	check(lstat(FIFO, &st) == 0 && S_ISFIFO(st.st_mode), "lstat: S_IFIFO");
	errno = 0;
	check(mkfifo(FIFO, 0600) == -1 && errno == EEXIST, "mkfifo on an existing name: EEXIST");
	unlink(ROOT_FIFO);
	check(mknod(ROOT_FIFO, S_IFIFO | 0600, 0) == 0 && stat(ROOT_FIFO, &st) == 0 &&
	      S_ISFIFO(st.st_mode), "mknod S_IFIFO on the writable root");
	check(unlink(ROOT_FIFO) == 0, "unlink the root FIFO");
	check(mknodat(AT_FDCWD, "/tmp/fifo-at", S_IFIFO | 0600, 0) == 0 &&
	      stat("/tmp/fifo-at", &st) == 0 && S_ISFIFO(st.st_mode), "mknodat S_IFIFO");
	unlink("/tmp/fifo-at");

	DIR *d = opendir("/tmp");
	int type = -1;
	for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
		if (strcmp(e->d_name, "fifo-test") == 0)
			type = e->d_type;
	if (d != NULL)
		closedir(d);
	check(type == DT_FIFO, "getdents: DT_FIFO");
}

static void check_nonblocking_opens(void)
{
	errno = 0;
	check(open(FIFO, O_WRONLY | O_NONBLOCK) == -1 && errno == ENXIO,
	      "O_WRONLY|O_NONBLOCK without a reader: ENXIO");
	int r = open(FIFO, O_RDONLY | O_NONBLOCK);
	check(r >= 0, "O_RDONLY|O_NONBLOCK without a writer: opens at once");
	char buf[16];
	check(read(r, buf, sizeof(buf)) == 0, "read without a writer ever: 0 (end of file)");
	struct pollfd p = { .fd = r, .events = POLLIN };
	check(poll(&p, 1, 0) == 0, "poll: no POLLHUP before a writer has opened");
	int w = open(FIFO, O_WRONLY | O_NONBLOCK);
	check(w >= 0, "O_WRONLY|O_NONBLOCK with a reader: opens");
	check(write(w, "abc", 3) == 3, "write through the FIFO");
	errno = 0;
	check(read(r, buf, sizeof(buf)) == 3 && memcmp(buf, "abc", 3) == 0,
	      "the other open reads it (one buffer per FIFO)");
	errno = 0;
	check(read(r, buf, sizeof(buf)) == -1 && errno == EAGAIN, "empty with a writer: EAGAIN");
	errno = 0;
	check(lseek(w, 0, SEEK_SET) == -1 && errno == ESPIPE, "lseek: ESPIPE");
	check(fcntl(w, F_GETPIPE_SZ) == 65536, "F_GETPIPE_SZ: 64 KiB");
	check(write(w, "x", 1) == 1 && close(w) == 0, "the writer writes and closes");
	check(read(r, buf, sizeof(buf)) == 1 && read(r, buf, sizeof(buf)) == 0,
	      "the rest, then end of file once no writer is left");
	p.revents = 0;
	check(poll(&p, 1, 0) == 1 && (p.revents & POLLHUP), "poll: POLLHUP after the writer left");
	close(r);
}

static void check_rdwr_and_lifetime(void)
{
	int fd = open(FIFO, O_RDWR);
	char buf[16];
	check(fd >= 0 && write(fd, "stale", 5) == 5 && read(fd, buf, sizeof(buf)) == 5,
	      "O_RDWR never waits and reads its own bytes");
	check(write(fd, "stale", 5) == 5 && close(fd) == 0, "bytes left when the last open closes");
	fd = open(FIFO, O_RDWR | O_NONBLOCK);
	errno = 0;
	check(fd >= 0 && read(fd, buf, sizeof(buf)) == -1 && errno == EAGAIN,
	      "a new open finds the FIFO empty (the data went with the last close)");
	close(fd);

	int r = open(FIFO, O_RDONLY | O_NONBLOCK);
	int w = open(FIFO, O_WRONLY);
	check(r >= 0 && w >= 0 && unlink(FIFO) == 0, "unlink while open");
	struct stat st;
	check(fstat(w, &st) == 0 && S_ISFIFO(st.st_mode) && stat(FIFO, &st) == -1,
	      "fstat still says S_IFIFO, the name is gone");
	check(write(w, "kept", 4) == 4 && read(r, buf, sizeof(buf)) == 4 &&
	      memcmp(buf, "kept", 4) == 0, "the unlinked FIFO still carries data");
	close(w);
	close(r);
	mkfifo(FIFO, 0600);
}

static void check_epipe(void)
{
	int r = open(FIFO, O_RDONLY | O_NONBLOCK);
	int w = open(FIFO, O_WRONLY | O_NONBLOCK);
	close(r);
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGPIPE, &sa, NULL);
	g_signals = 0;
	errno = 0;
	check(w >= 0 && write(w, "x", 1) == -1 && errno == EPIPE && g_signals == 1,
	      "write without a reader: EPIPE and SIGPIPE");
	struct pollfd p = { .fd = w, .events = POLLOUT };
	check(poll(&p, 1, 0) == 1 && (p.revents & POLLERR), "poll: POLLERR without a reader");
	close(w);
	signal(SIGPIPE, SIG_DFL);
}

/* The child writes BIG bytes after its blocking open; the parent's
 * blocking open waits for it. */
static void check_between_processes(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int w = open(FIFO, O_WRONLY);
		char *buf = malloc(BIG);
		for (int i = 0; i < BIG; i++)
			buf[i] = (char)(i % 251);
		_exit(w >= 0 && write(w, buf, BIG) == BIG ? 0 : 1);
	}
	int r = open(FIFO, O_RDONLY);
	check(r >= 0, "blocking O_RDONLY open returns once a writer opens");
	static char got[BIG];
	long total = 0, n;
	while ((n = read(r, got + total, BIG - total)) > 0)
		total += n;
	int same = total == BIG;
	for (long i = 0; same && i < BIG; i++)
		same = got[i] == (char)(i % 251);
	check(same && n == 0, "200 KiB from another process, then end of file");
	close(r);
	int status = 0;
	check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the writer process (blocking O_WRONLY open) succeeded");

	/* The other way round: the writer's open waits for the reader. */
	pid = fork();
	if (pid == 0) {
		usleep(100 * 1000);
		int rr = open(FIFO, O_RDONLY);
		char c = 0;
		_exit(rr >= 0 && read(rr, &c, 1) == 1 && c == 'w' ? 0 : 1);
	}
	int w = open(FIFO, O_WRONLY);
	check(w >= 0 && write(w, "w", 1) == 1, "blocking O_WRONLY open returns once a reader opens");
	close(w);
	check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the reader process got the byte");
}

/* A child signals us while we wait in open(O_RDONLY); with opens_writer
 * it then opens the FIFO for writing. */
static pid_t signal_during_open(int opens_writer)
{
	pid_t parent = getpid();
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(300 * 1000);
		kill(parent, SIGUSR1);
		if (opens_writer) {
			usleep(300 * 1000);
			int w = open(FIFO, O_WRONLY);
			_exit(w >= 0 && write(w, "r", 1) == 1 ? 0 : 1);
		}
		_exit(0);
	}
	return pid;
}

static void check_signals_in_open(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGUSR1, &sa, NULL);
	g_signals = 0;
	pid_t pid = signal_during_open(0);
	errno = 0;
	int fd = open(FIFO, O_RDONLY);
	check(fd == -1 && errno == EINTR && g_signals == 1,
	      "a signal ends a blocked open: EINTR (no SA_RESTART)");
	waitpid(pid, NULL, 0);
	errno = 0;
	check(open(FIFO, O_WRONLY | O_NONBLOCK) == -1 && errno == ENXIO,
	      "the interrupted opener no longer counts as a reader");

	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	g_signals = 0;
	pid = signal_during_open(1);
	fd = open(FIFO, O_RDONLY);
	char c = 0;
	check(fd >= 0 && g_signals == 1 && read(fd, &c, 1) == 1 && c == 'r',
	      "with SA_RESTART the open restarts and meets the writer");
	close(fd);
	int status = 0;
	check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the late writer succeeded");
	signal(SIGUSR1, SIG_DFL);
}

static void check_proc_fd(void)
{
	int fd = open(FIFO, O_RDWR);
	char path[64], link[128];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	long n = readlink(path, link, sizeof(link) - 1);
	if (n >= 0)
		link[n] = 0;
	check(n > 0 && strcmp(link, FIFO) == 0, "/proc/self/fd/N names the FIFO");
	close(fd);
}

int main(void)
{
	umask(022);
	check_make();
	check_nonblocking_opens();
	check_rdwr_and_lifetime();
	check_epipe();
	check_between_processes();
	check_signals_in_open();
	check_proc_fd();
	unlink(FIFO);
	return check_done("fifo");
}
