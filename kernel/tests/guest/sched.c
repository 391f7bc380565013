/* sched.c: preemption and real sleeps: a busy child must not starve its
 * parent, sleeps last at least as long as asked (relative and
 * TIMER_ABSTIME, monotonic and realtime), a signal ends nanosleep and
 * pause with EINTR (and reports the time left), rt_sigsuspend swaps the
 * mask for the wait only, and wait4 sleeps until a child exits. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static volatile sig_atomic_t g_got_usr1;

static void on_usr1(int sig)
{
	(void)sig;
	g_got_usr1++;
}

/* A child that spins in user mode forever, never entering the kernel. */
static pid_t spawn_spinner(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		for (volatile unsigned long i = 0;; i++)
			;
	}
	return pid;
}

static void check_spinner_does_not_starve(void)
{
	pid_t spinners[2] = {spawn_spinner(), spawn_spinner()};
	check(spinners[0] > 0 && spinners[1] > 0, "fork two busy children");
	/* The parent sleeps in steps: each needs the CPU back from the
	 * spinners (one vCPU or several, they outnumber us). */
	int steps = 0;
	uint64_t start = now_ns(CLOCK_MONOTONIC);
	for (int i = 0; i < 10; i++) {
		struct timespec ts = {0, 20 * 1000 * 1000};
		if (nanosleep(&ts, NULL) == 0)
			steps++;
	}
	uint64_t took = now_ns(CLOCK_MONOTONIC) - start;
	check(steps == 10, "a sleeper keeps running next to busy loops");
	check(took >= 200ull * 1000 * 1000, "ten 20 ms sleeps take at least 200 ms");
	for (int i = 0; i < 2; i++) {
		kill(spinners[i], SIGKILL);
		int status = 0;
		check(waitpid(spinners[i], &status, 0) == spinners[i] && WIFSIGNALED(status) &&
		          WTERMSIG(status) == SIGKILL,
		      "a busy child dies of SIGKILL");
	}
}

static void check_sleep_lengths(void)
{
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	struct timespec ts = {0, 50 * 1000 * 1000};
	check(nanosleep(&ts, NULL) == 0, "nanosleep 50 ms");
	check(now_ns(CLOCK_MONOTONIC) - t0 >= 50ull * 1000 * 1000, "nanosleep lasted >= 50 ms");

	uint64_t target = now_ns(CLOCK_MONOTONIC) + 30ull * 1000 * 1000;
	struct timespec abs = {(time_t)(target / 1000000000ull), (long)(target % 1000000000ull)};
	check(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL) == 0,
	      "clock_nanosleep TIMER_ABSTIME monotonic");
	check(now_ns(CLOCK_MONOTONIC) >= target, "woke no earlier than the absolute deadline");

	uint64_t wall = now_ns(CLOCK_REALTIME) + 30ull * 1000 * 1000;
	struct timespec wabs = {(time_t)(wall / 1000000000ull), (long)(wall % 1000000000ull)};
	check(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &wabs, NULL) == 0,
	      "clock_nanosleep TIMER_ABSTIME realtime");
	check(now_ns(CLOCK_REALTIME) >= wall, "woke no earlier than the realtime deadline");

	struct timespec past = {0, 0};
	check(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL) == 0,
	      "an absolute deadline in the past returns at once");
	struct timespec bad = {0, 1000000000};
	check(clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL) == EINVAL, "tv_nsec 1e9: EINVAL");
}

/* A child sends SIGUSR1 to the parent after a short delay. */
static pid_t signal_me_later(int ms)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec ts = {0, ms * 1000 * 1000};
		nanosleep(&ts, NULL);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	return pid;
}

static void check_signals_end_sleeps(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	check(sigaction(SIGUSR1, &sa, NULL) == 0, "SIGUSR1 handler");

	pid_t child = signal_me_later(50);
	struct timespec ts = {5, 0}, rem = {0, 0};
	g_got_usr1 = 0;
	errno = 0;
	int r = nanosleep(&ts, &rem);
	check(r == -1 && errno == EINTR && g_got_usr1 == 1, "a signal ends nanosleep with EINTR");
	check(rem.tv_sec >= 3 && rem.tv_sec <= 5, "nanosleep reports the time left");
	waitpid(child, NULL, 0);

	child = signal_me_later(30);
	g_got_usr1 = 0;
	errno = 0;
	r = pause();
	check(r == -1 && errno == EINTR && g_got_usr1 == 1, "pause returns EINTR after the handler");
	waitpid(child, NULL, 0);

	/* rt_sigsuspend: blocked before, delivered only during the wait. */
	sigset_t block, old, wait_mask;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	child = signal_me_later(30);
	waitpid(child, NULL, 0); /* the signal is pending, blocked */
	g_got_usr1 = 0;
	sigemptyset(&wait_mask);
	errno = 0;
	r = sigsuspend(&wait_mask);
	check(r == -1 && errno == EINTR && g_got_usr1 == 1, "sigsuspend delivers a pending signal");
	sigset_t after;
	sigprocmask(SIG_SETMASK, NULL, &after);
	check(sigismember(&after, SIGUSR1), "sigsuspend restores the mask afterwards");
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void check_wait_sleeps(void)
{
	uint64_t t0 = now_ns(CLOCK_MONOTONIC); /* before the child can start */
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
		_exit(5);
	}
	int status = 0;
	check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 5,
	      "waitpid waits for a sleeping child");
	check(now_ns(CLOCK_MONOTONIC) - t0 >= 100ull * 1000 * 1000, "... for as long as it sleeps");
	check(sched_yield() == 0, "sched_yield");
}

int main(void)
{
	check_sleep_lengths();
	check_spinner_does_not_starve();
	check_signals_end_sleeps();
	check_wait_sleeps();
	return check_done("sched");
}
