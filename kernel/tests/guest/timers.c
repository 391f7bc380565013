/* timers.c: signal timers and ways to wait for signals: alarm and pause,
 * setitimer (periodic, getitimer), POSIX timers (SIGEV_SIGNAL with its
 * sigval, SIGEV_THREAD_ID to one thread, SIGEV_NONE, overruns), signalfd
 * (read, poll and epoll), rt_sigtimedwait (a timeout, a signal), and
 * what a signal does to a blocked read: restarted with SA_RESTART,
 * EINTR without. */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define MS 1000000L

static volatile sig_atomic_t g_alarms;
static atomic_int g_handler_tid;
static volatile int g_last_value;

static void on_alarm(int sig)
{
	(void)sig;
	g_alarms++;
}

static void on_timer(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)uc;
	g_handler_tid = (int)syscall(SYS_gettid);
	g_last_value = info->si_value.sival_int;
}

static void install(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigaction(sig, &sa, NULL);
}

static void check_alarm(void)
{
	install(SIGALRM, on_alarm, 0);
	g_alarms = 0;
	check(alarm(5) == 0, "alarm: no previous alarm");
	unsigned left = alarm(1);
	check(left >= 4 && left <= 5, "alarm returns what was left of the previous one");
	errno = 0;
	int r = pause();
	check(r == -1 && errno == EINTR && g_alarms == 1, "pause ends when SIGALRM is handled");
	check(alarm(0) == 0, "alarm(0): none pending");
}

static void check_setitimer(void)
{
	g_alarms = 0;
	struct itimerval it = {{0, 20000}, {0, 20000}}, cur;
	check(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer 20 ms periodic");
	check(getitimer(ITIMER_REAL, &cur) == 0 && cur.it_interval.tv_usec == 20000,
	      "getitimer reports the interval");
	while (g_alarms < 3)
		pause();
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	int now = g_alarms;
	struct timespec ts = {0, 60 * MS};
	nanosleep(&ts, NULL);
	check(g_alarms == now, "a disarmed itimer stays quiet");
}

static atomic_int g_worker_tid;
static atomic_int g_worker_stop;

static void *worker(void *arg)
{
	(void)arg;
	g_worker_tid = (int)syscall(SYS_gettid);
	while (!g_worker_stop)
		usleep(1000);
	return NULL;
}

static void check_posix_timers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_timer;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);

	struct sigevent ev;
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGUSR1;
	ev.sigev_value.sival_int = 4242;
	timer_t t;
	check(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0, "timer_create SIGEV_SIGNAL");
	struct itimerspec its = {{0, 0}, {0, 20 * MS}};
	g_last_value = 0;
	check(timer_settime(t, 0, &its, NULL) == 0, "timer_settime 20 ms");
	while (g_last_value == 0)
		pause();
	check(g_last_value == 4242, "the handler gets the timer's sigval");

	/* Overruns: block the signal, let it expire several times. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	struct itimerspec fast = {{0, 10 * MS}, {0, 10 * MS}};
	timer_settime(t, 0, &fast, NULL);
	struct timespec ts = {0, 120 * MS};
	nanosleep(&ts, NULL);
	siginfo_t info;
	struct timespec zero = {0, 0};
	int sig = sigtimedwait(&block, &info, &zero);
	check(sig == SIGUSR1 && info.si_code == SI_TIMER && info.si_overrun >= 3,
	      "a blocked periodic timer counts overruns");
	timer_delete(t);
	sigprocmask(SIG_SETMASK, &old, NULL);

	pthread_t w;
	g_worker_stop = 0;
	pthread_create(&w, NULL, worker, NULL);
	while (!g_worker_tid)
		usleep(1000);
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = SIGUSR1;
	ev._sigev_un._tid = g_worker_tid;
	ev.sigev_value.sival_int = 7;
	check(timer_create(CLOCK_REALTIME, &ev, &t) == 0, "timer_create SIGEV_THREAD_ID");
	g_handler_tid = 0;
	struct itimerspec once = {{0, 0}, {0, 10 * MS}};
	timer_settime(t, 0, &once, NULL);
	for (int i = 0; i < 500 && !g_handler_tid; i++)
		usleep(1000);
	check(g_handler_tid == g_worker_tid, "SIGEV_THREAD_ID signals exactly that thread");
	timer_delete(t);
	g_worker_stop = 1;
	pthread_join(w, NULL);

	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_NONE;
	check(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0, "timer_create SIGEV_NONE");
	struct itimerspec longer = {{0, 0}, {5, 0}}, cur;
	timer_settime(t, 0, &longer, NULL);
	check(timer_gettime(t, &cur) == 0 && cur.it_value.tv_sec >= 4, "timer_gettime counts down");
	check(timer_delete(t) == 0, "timer_delete");
	errno = 0;
	check(timer_delete(t) == -1 && errno == EINVAL, "a deleted timer: EINVAL");
}

static void check_signalfd(void)
{
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, &old);
	int fd = signalfd(-1, &set, SFD_NONBLOCK);
	check(fd >= 0, "signalfd");
	struct signalfd_siginfo si;
	errno = 0;
	check(read(fd, &si, sizeof(si)) == -1 && errno == EAGAIN, "nothing pending: EAGAIN");
	struct pollfd p = {fd, POLLIN, 0};
	check(poll(&p, 1, 0) == 0, "poll: not readable");
	pid_t me = getpid();
	pid_t child = fork();
	if (child == 0) {
		usleep(30000);
		kill(me, SIGUSR2);
		_exit(0);
	}
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 9}, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	check(epoll_wait(ep, &out, 1, 5000) == 1 && out.data.u32 == 9, "epoll wakes on a signal");
	check(read(fd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGUSR2 &&
	          si.ssi_pid == (uint32_t)child,
	      "read gives the signal and its sender");
	waitpid(child, NULL, 0);
	close(ep);
	close(fd);

	struct timespec short_wait = {0, 30 * MS};
	siginfo_t info;
	errno = 0;
	check(sigtimedwait(&set, &info, &short_wait) == -1 && errno == EAGAIN,
	      "sigtimedwait times out: EAGAIN");
	raise(SIGUSR2);
	check(sigtimedwait(&set, &info, &short_wait) == SIGUSR2 && info.si_signo == SIGUSR2,
	      "sigtimedwait takes a pending signal");
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static volatile sig_atomic_t g_usr1;

static void on_usr1(int sig)
{
	(void)sig;
	g_usr1++;
}

/* A child signals us after a while, then writes to the pipe. */
static pid_t signal_then_write(int fd)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		usleep(30000);
		kill(parent, SIGUSR1);
		usleep(30000);
		write(fd, "z", 1);
		_exit(0);
	}
	return pid;
}

static void check_restart(void)
{
	int p[2];
	pipe(p);
	char c = 0;
	install(SIGUSR1, on_usr1, SA_RESTART);
	g_usr1 = 0;
	pid_t child = signal_then_write(p[1]);
	check(read(p[0], &c, 1) == 1 && c == 'z' && g_usr1 == 1,
	      "SA_RESTART: the read goes on after the handler");
	waitpid(child, NULL, 0);

	install(SIGUSR1, on_usr1, 0);
	g_usr1 = 0;
	child = signal_then_write(p[1]);
	errno = 0;
	check(read(p[0], &c, 1) == -1 && errno == EINTR && g_usr1 == 1,
	      "without SA_RESTART: EINTR");
	waitpid(child, NULL, 0);
	check(read(p[0], &c, 1) == 1, "the byte is still there afterwards");
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	check_alarm();
	check_setitimer();
	check_posix_timers();
	check_signalfd();
	check_restart();
	return check_done("timers");
}
