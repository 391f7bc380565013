/* poll.c: readiness and events: poll, ppoll and select sleeping until a
 * pipe has data or a timeout; epoll level-triggered, edge-triggered and
 * one-shot interests, epoll_pwait's mask, interests dropped on close,
 * nested epoll; eventfd counters and semaphores; timerfd one-shot,
 * periodic and absolute timers, also through epoll. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define MS 1000000ull

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {0, ms * (long)MS};
	nanosleep(&ts, NULL);
}

/* A child that writes one byte into fd after ms milliseconds. */
static pid_t write_later(int fd, int ms)
{
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(ms);
		write(fd, "x", 1);
		_exit(0);
	}
	return pid;
}

static void check_poll_and_select(void)
{
	int p[2];
	check(pipe(p) == 0, "pipe");
	struct pollfd pfd = {p[0], POLLIN, 0};
	uint64_t t0 = now_ns();
	check(poll(&pfd, 1, 50) == 0, "poll times out on an empty pipe");
	check(now_ns() - t0 >= 50 * MS, "... after at least 50 ms");

	pid_t child = write_later(p[1], 50);
	t0 = now_ns();
	check(poll(&pfd, 1, 5000) == 1 && (pfd.revents & POLLIN), "poll sleeps until the pipe has data");
	check(now_ns() - t0 < 4000 * MS, "... and not until its timeout");
	waitpid(child, NULL, 0);
	char c;
	read(p[0], &c, 1);

	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	struct timeval tv = {0, 30000};
	check(select(p[0] + 1, &rd, NULL, NULL, &tv) == 0, "select times out");
	check(tv.tv_sec == 0 && tv.tv_usec == 0, "select reports no time left");
	child = write_later(p[1], 30);
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	check(select(p[0] + 1, &rd, NULL, NULL, NULL) == 1 && FD_ISSET(p[0], &rd),
	      "select sleeps until the pipe has data");
	waitpid(child, NULL, 0);
	read(p[0], &c, 1);

	close(p[1]);
	pfd.revents = 0;
	check(poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP), "poll: POLLHUP once the writer is gone");
	close(p[0]);
	struct pollfd bad = {p[0], POLLIN, 0};
	check(poll(&bad, 1, 0) == 1 && bad.revents == POLLNVAL, "poll: POLLNVAL for a closed fd");
}

static volatile sig_atomic_t g_signals;

static void on_usr1(int sig)
{
	(void)sig;
	g_signals++;
}

static void check_ppoll_mask(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t block, unblocked;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
	raise(SIGUSR1); /* pending, blocked */
	sigemptyset(&unblocked);
	int p[2];
	pipe(p);
	struct pollfd pfd = {p[0], POLLIN, 0};
	struct timespec ts = {5, 0};
	g_signals = 0;
	errno = 0;
	check(ppoll(&pfd, 1, &ts, &unblocked) == -1 && errno == EINTR && g_signals == 1,
	      "ppoll's mask lets a pending signal in: EINTR");
	sigset_t now;
	sigprocmask(SIG_SETMASK, NULL, &now);
	check(sigismember(&now, SIGUSR1), "ppoll restores the mask");
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	close(p[0]);
	close(p[1]);
}

static void check_epoll_modes(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	check(ep >= 0, "epoll_create1");
	int p[2];
	pipe(p);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1234};
	check(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0, "EPOLL_CTL_ADD");
	errno = 0;
	check(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == -1 && errno == EEXIST, "ADD twice: EEXIST");
	struct epoll_event out[4];
	uint64_t t0 = now_ns();
	check(epoll_wait(ep, out, 4, 40) == 0, "epoll_wait times out");
	check(now_ns() - t0 >= 40 * MS, "... after at least 40 ms");

	pid_t child = write_later(p[1], 40);
	check(epoll_wait(ep, out, 4, 5000) == 1 && out[0].data.u64 == 0x1234 &&
	          (out[0].events & EPOLLIN),
	      "epoll_wait sleeps until the pipe has data");
	waitpid(child, NULL, 0);
	check(epoll_wait(ep, out, 4, 0) == 1, "level-triggered: still ready while unread");

	ev.events = EPOLLIN | EPOLLET;
	check(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == 0, "EPOLL_CTL_MOD to edge-triggered");
	check(epoll_wait(ep, out, 4, 0) == 1, "edge-triggered: reported once after MOD");
	check(epoll_wait(ep, out, 4, 0) == 0, "edge-triggered: not again without new data");
	write(p[1], "y", 1);
	check(epoll_wait(ep, out, 4, 0) == 1, "edge-triggered: new data is a new edge");

	ev.events = EPOLLIN | EPOLLONESHOT;
	check(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == 0, "EPOLL_CTL_MOD to one-shot");
	check(epoll_wait(ep, out, 4, 0) == 1, "one-shot: reported");
	write(p[1], "z", 1);
	check(epoll_wait(ep, out, 4, 0) == 0, "one-shot: disabled after it fired");
	check(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == 0 && epoll_wait(ep, out, 4, 0) == 1,
	      "one-shot: MOD re-arms it");

	check(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) == 0, "EPOLL_CTL_DEL");
	errno = 0;
	check(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) == -1 && errno == ENOENT, "DEL twice: ENOENT");

	/* Closing the only fd of a file drops its interest. */
	int q[2];
	pipe(q);
	ev.events = EPOLLIN;
	ev.data.u64 = 7;
	epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &ev);
	write(q[1], "a", 1);
	close(q[0]);
	check(epoll_wait(ep, out, 4, 0) == 0, "a closed file's interest is gone");
	close(q[1]);

	int efd = open("/proc/self/exe", O_RDONLY);
	errno = 0;
	check(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) == -1 && errno == EPERM, "a regular file: EPERM");
	close(efd);

	/* epoll inside epoll, and no loops */
	int outer = epoll_create1(0);
	ev.events = EPOLLIN;
	check(epoll_ctl(outer, EPOLL_CTL_ADD, ep, &ev) == 0, "an epoll fd inside another");
	errno = 0;
	check(epoll_ctl(ep, EPOLL_CTL_ADD, outer, &ev) == -1 && errno == ELOOP, "a loop: ELOOP");
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	check(epoll_wait(outer, out, 4, 1000) == 1, "the inner epoll's readiness reaches the outer");
	close(outer);
	close(ep);
	close(p[0]);
	close(p[1]);
}

static void check_eventfd(void)
{
	int fd = eventfd(3, EFD_NONBLOCK);
	uint64_t v = 0;
	check(fd >= 0, "eventfd");
	check(read(fd, &v, 8) == 8 && v == 3, "read takes the whole count");
	errno = 0;
	check(read(fd, &v, 8) == -1 && errno == EAGAIN, "empty and nonblocking: EAGAIN");
	v = 5;
	check(write(fd, &v, 8) == 8, "write adds");
	errno = 0;
	check(read(fd, &v, 4) == -1 && errno == EINVAL, "a 4-byte read: EINVAL");
	close(fd);

	fd = eventfd(2, EFD_SEMAPHORE);
	check(read(fd, &v, 8) == 8 && v == 1 && read(fd, &v, 8) == 8 && v == 1,
	      "semaphore: each read takes 1");
	pid_t child = fork();
	if (child == 0) {
		sleep_ms(40);
		uint64_t one = 1;
		write(fd, &one, 8);
		_exit(0);
	}
	uint64_t t0 = now_ns();
	check(read(fd, &v, 8) == 8 && v == 1 && now_ns() - t0 >= 30 * MS,
	      "a blocking read sleeps until a write");
	waitpid(child, NULL, 0);
	close(fd);
}

static void check_timerfd(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	check(fd >= 0, "timerfd_create");
	struct itimerspec its = {{0, 0}, {0, 50 * MS}};
	uint64_t t0 = now_ns();
	check(timerfd_settime(fd, 0, &its, NULL) == 0, "timerfd_settime 50 ms");
	struct itimerspec cur;
	check(timerfd_gettime(fd, &cur) == 0 && cur.it_value.tv_nsec > 0, "timerfd_gettime: armed");
	uint64_t n = 0;
	check(read(fd, &n, 8) == 8 && n == 1, "read sleeps until the expiry");
	check(now_ns() - t0 >= 50 * MS, "... which comes no earlier than asked");
	check(timerfd_gettime(fd, &cur) == 0 && cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0,
	      "a one-shot timer is disarmed afterwards");

	its.it_interval.tv_nsec = 20 * MS;
	its.it_value.tv_nsec = 20 * MS;
	timerfd_settime(fd, 0, &its, NULL);
	sleep_ms(110);
	check(read(fd, &n, 8) == 8 && n >= 4, "periodic: every period counts");

	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int rfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	struct itimerspec abs = {{0, 0}, {now.tv_sec, now.tv_nsec}};
	abs.it_value.tv_nsec += 30 * MS;
	if (abs.it_value.tv_nsec >= 1000000000) {
		abs.it_value.tv_sec++;
		abs.it_value.tv_nsec -= 1000000000;
	}
	check(timerfd_settime(rfd, TFD_TIMER_ABSTIME, &abs, NULL) == 0, "realtime TFD_TIMER_ABSTIME");
	errno = 0;
	check(read(rfd, &n, 8) == -1 && errno == EAGAIN, "not yet: EAGAIN");
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42}, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, rfd, &ev);
	check(epoll_wait(ep, &out, 1, 5000) == 1 && out.data.u64 == 42, "epoll wakes on the expiry");
	check(read(rfd, &n, 8) == 8 && n == 1, "one expiry");
	close(ep);
	close(rfd);
	close(fd);
}

int main(void)
{
	check_poll_and_select();
	check_ppoll_mask();
	check_epoll_modes();
	check_eventfd();
	check_timerfd();
	return check_done("poll");
}
