/* cputime.c: CPU time is CPU time, not elapsed time. Behaviours are
 * compared, never timed: a sleeping child against a spinning one
 * (wait4's rusage), a spinning thread against a sleeping one (thread,
 * process and pthread_getcpuclockid clocks, RUSAGE_THREAD), the
 * children totals before and after the wait (getrusage, times), the
 * Linux clock-id encoding, ITIMER_VIRTUAL/ITIMER_PROF (quiet while
 * sleeping, firing for a spinner), RLIMIT_CPU (SIGXCPU at the soft
 * limit, SIGKILL at the hard one, nothing for a sleeper), /proc/self/stat,
 * /proc/stat and /proc/uptime. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>

#include "check.h"

#define MS 1000000LL
/* Long enough that a process's own start and end (fork, exit, page
 * faults, the big kernel lock under TCG with two vCPUs: up to about
 * 100 ms there) stay small beside it. */
#define SPIN_MS 1000
#define MUCH_LESS 3 /* "much less CPU time": at most a third */
#define SHORT_MS 300 /* where only "some CPU time" matters */

static int64_t clock_ns(clockid_t clock)
{
	struct timespec ts;
	if (clock_gettime(clock, &ts) != 0)
		return -1;
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t tv_ns(struct timeval tv)
{
	return (int64_t)tv.tv_sec * 1000000000LL + (int64_t)tv.tv_usec * 1000;
}

static int64_t rusage_ns(const struct rusage *ru)
{
	return tv_ns(ru->ru_utime) + tv_ns(ru->ru_stime);
}

/* Busy for ms of wall-clock time (or until *stop). */
static void spin(int ms, atomic_int *stop)
{
	int64_t end = clock_ns(CLOCK_MONOTONIC) + ms * MS;
	volatile uint64_t x = 0;
	while (clock_ns(CLOCK_MONOTONIC) < end && !(stop && *stop))
		for (int i = 0; i < 1000; i++)
			x += (uint64_t)i;
}

static void nap(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * MS};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* A child that sleeps or spins for SPIN_MS; its CPU time as wait4 says. */
static int64_t child_cpu(int busy)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (busy)
			spin(SPIN_MS, NULL);
		else
			nap(SPIN_MS);
		_exit(0);
	}
	int status;
	struct rusage ru;
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid)
		return -1;
	printf("     %s child: user %lld us, system %lld us\n", busy ? "spinning" : "sleeping",
	       (long long)(tv_ns(ru.ru_utime) / 1000), (long long)(tv_ns(ru.ru_stime) / 1000));
	return rusage_ns(&ru);
}

static void check_sleeper_vs_spinner(void)
{
	int64_t sleeper = child_cpu(0), spinner = child_cpu(1);
	check(sleeper >= 0 && spinner > 0, "wait4 reports the children's CPU time");
	check(spinner > MUCH_LESS * sleeper, "a sleeping child used much less CPU than a spinning one");
}

static void check_children_after_wait(void)
{
	struct rusage before, during, after, child;
	struct tms t0, t1;
	getrusage(RUSAGE_CHILDREN, &before);
	times(&t0);
	int fds[2];
	if (pipe(fds) != 0) {
		check(0, "pipe");
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		spin(SHORT_MS, NULL);
		_exit(write(fds[1], "x", 1) == 1 ? 0 : 1);
	}
	char c;
	int got = (int)read(fds[0], &c, 1);
	nap(50); /* the child exits meanwhile; it stays unreaped */
	getrusage(RUSAGE_CHILDREN, &during);
	check(got == 1 && rusage_ns(&during) == rusage_ns(&before),
	      "RUSAGE_CHILDREN does not grow before the wait");
	int status;
	check(wait4(pid, &status, 0, &child) == pid && rusage_ns(&child) > 0, "wait4 reaps the spinner");
	getrusage(RUSAGE_CHILDREN, &after);
	times(&t1);
	int64_t grown = rusage_ns(&after) - rusage_ns(&before);
	check(grown > 0 && llabs(grown - rusage_ns(&child)) <= 4000,
	      "RUSAGE_CHILDREN grows by the reaped child's time after the wait");
	check(t1.tms_cutime + t1.tms_cstime > t0.tms_cutime + t0.tms_cstime,
	      "times(): the children's ticks grow after the wait");
	close(fds[0]);
	close(fds[1]);
}

static atomic_int g_stop;
static int64_t g_spinner_own;

static void *spinner(void *arg)
{
	(void)arg;
	spin(60000, &g_stop);
	g_spinner_own = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	return NULL;
}

static void check_threads(void)
{
	pthread_t th;
	int64_t self0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	int64_t proc0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	if (pthread_create(&th, NULL, spinner, NULL) != 0) {
		check(0, "pthread_create");
		return;
	}
	nap(SPIN_MS);
	clockid_t its_clock, proc_clock;
	check(pthread_getcpuclockid(th, &its_clock) == 0, "pthread_getcpuclockid");
	check(clock_getcpuclockid(getpid(), &proc_clock) == 0, "clock_getcpuclockid(getpid())");
	int64_t its = clock_ns(its_clock);
	int64_t mine = clock_ns(CLOCK_THREAD_CPUTIME_ID) - self0;
	int64_t proc = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - proc0;
	int64_t proc_by_id = clock_ns(proc_clock) - proc0;
	struct rusage thread_ru, self_ru;
	getrusage(RUSAGE_THREAD, &thread_ru);
	getrusage(RUSAGE_SELF, &self_ru);
	struct timespec res;
	check(clock_getres(its_clock, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0,
	      "clock_getres on a live thread's clock");
	g_stop = 1;
	pthread_join(th, NULL);
	printf("     spinner %lld us, sleeper %lld us, process %lld us\n", (long long)(its / 1000),
	       (long long)(mine / 1000), (long long)(proc / 1000));
	check(its > 0 && its > MUCH_LESS * mine, "the spinning thread's clock runs, the sleeping one's hardly");
	check(proc + MS >= its + mine, "the process clock has both threads' time");
	check(proc_by_id >= proc, "clock_getcpuclockid's clock is the process clock");
	check(rusage_ns(&self_ru) > MUCH_LESS * rusage_ns(&thread_ru),
	      "RUSAGE_THREAD is the caller's, RUSAGE_SELF the process's");
	check(g_spinner_own >= its, "the spinner's own thread clock went on");
	errno = 0;
	check(clock_gettime((clockid_t)((~0u << 3) | 3), &res) == -1 && errno == EINVAL,
	      "clock id with CPUCLOCK_MAX: EINVAL");
}

static struct timespec ns_timespec(int64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL)};
	return ts;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* clock_nanosleep on CPU-time clocks (raw syscalls where glibc would
 * answer for the kernel): the caller's own thread clock is EINVAL; a
 * process clock sleeps until the other thread's spinning moved it, and
 * a signal interrupts it with the CPU time still to go. */
static void check_cpu_sleep(void)
{
	struct timespec req = ns_timespec(SHORT_MS * MS);
	clockid_t mine = 0, proc = 0;
	pthread_getcpuclockid(pthread_self(), &mine);
	errno = 0;
	check(syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL) == -1 &&
	      errno == EOPNOTSUPP, "clock_nanosleep(CLOCK_THREAD_CPUTIME_ID): EOPNOTSUPP (glibc: EINVAL)");
	check(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL) == EINVAL,
	      "glibc's clock_nanosleep(CLOCK_THREAD_CPUTIME_ID): EINVAL");
	errno = 0;
	check(syscall(SYS_clock_nanosleep, mine, 0, &req, NULL) == -1 && errno == EINVAL,
	      "clock_nanosleep on the caller's pthread_getcpuclockid clock: EINVAL");

	pthread_t th;
	g_stop = 0;
	if (pthread_create(&th, NULL, spinner, NULL) != 0) {
		check(0, "pthread_create");
		return;
	}
	int64_t before = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	int r = clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &req, NULL);
	int64_t after = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	check(r == 0 && after - before >= SHORT_MS * MS,
	      "clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID): back once the spinner used the time");
	check(clock_getcpuclockid(0, &proc) == 0, "clock_getcpuclockid(0)");
	int64_t target = clock_ns(proc) + SHORT_MS * MS;
	struct timespec abs = ns_timespec(target);
	r = clock_nanosleep(proc, TIMER_ABSTIME, &abs, NULL);
	check(r == 0 && clock_ns(proc) >= target, "TIMER_ABSTIME on clock_getcpuclockid's clock");
	struct timespec past = {0, 1};
	check(clock_nanosleep(proc, TIMER_ABSTIME, &past, NULL) == 0, "an absolute CPU time already passed");
	g_stop = 1;
	pthread_join(th, NULL);

	/* Alone, the process's clock stands still while it sleeps on it. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 0}, {0, 100000}};
	setitimer(ITIMER_REAL, &it, NULL);
	struct timespec long_req = {100, 0}, rem = {0, 0};
	r = clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &long_req, &rem);
	check(r == EINTR && rem.tv_sec >= 90 && rem.tv_sec <= 100,
	      "a signal interrupts a process-clock sleep: EINTR and the CPU time left");
	signal(SIGALRM, SIG_DFL);
}

static volatile sig_atomic_t g_vt, g_prof;

static void on_vt(int sig)
{
	(void)sig;
	g_vt++;
}

static void on_prof(int sig)
{
	(void)sig;
	g_prof++;
}

/* Spin until *count moves (a bound so that a lost timer fails). */
static int spin_until(volatile sig_atomic_t *count, int bound_ms)
{
	int64_t end = clock_ns(CLOCK_MONOTONIC) + bound_ms * MS;
	volatile uint64_t x = 0;
	while (*count == 0 && clock_ns(CLOCK_MONOTONIC) < end)
		for (int i = 0; i < 1000; i++)
			x += (uint64_t)i;
	return *count;
}

static void check_itimers(void)
{
	signal(SIGVTALRM, on_vt);
	signal(SIGPROF, on_prof);
	struct itimerval it = {{0, 0}, {0, 100000}}, cur;
	check(setitimer(ITIMER_VIRTUAL, &it, NULL) == 0, "setitimer ITIMER_VIRTUAL 100 ms");
	check(getitimer(ITIMER_VIRTUAL, &cur) == 0 && cur.it_value.tv_sec == 0 &&
	      cur.it_value.tv_usec > 0, "getitimer ITIMER_VIRTUAL"); /* Linux rounds up to its tick */
	check(setitimer(ITIMER_PROF, &it, NULL) == 0, "setitimer ITIMER_PROF 100 ms");
	nap(SHORT_MS);
	check(g_vt == 0 && g_prof == 0, "sleeping never fires ITIMER_VIRTUAL or ITIMER_PROF");
	check(getitimer(ITIMER_VIRTUAL, &cur) == 0 && cur.it_value.tv_usec > 0,
	      "ITIMER_VIRTUAL is still armed after the sleep");
	check(spin_until(&g_vt, 20000) == 1, "ITIMER_VIRTUAL fires for a spinner (SIGVTALRM)");
	check(spin_until(&g_prof, 20000) == 1, "ITIMER_PROF fires for a spinner (SIGPROF)");
	check(getitimer(ITIMER_VIRTUAL, &cur) == 0 && cur.it_value.tv_sec == 0 &&
	      cur.it_value.tv_usec == 0, "a one-shot ITIMER_VIRTUAL is disarmed after firing");
	/* Periodic: keeps firing while busy. */
	struct itimerval every = {{0, 20000}, {0, 20000}}, off = {{0, 0}, {0, 0}};
	g_vt = 0;
	setitimer(ITIMER_VIRTUAL, &every, NULL);
	int64_t end = clock_ns(CLOCK_MONOTONIC) + 20000 * MS;
	while (g_vt < 3 && clock_ns(CLOCK_MONOTONIC) < end)
		spin_until(&g_vt, 1);
	setitimer(ITIMER_VIRTUAL, &off, &cur);
	check(g_vt >= 3 && cur.it_interval.tv_usec == 20000, "a periodic ITIMER_VIRTUAL fires again");
	signal(SIGVTALRM, SIG_DFL);
	signal(SIGPROF, SIG_DFL);
}

static int g_xcpu_fd;

static void on_xcpu(int sig)
{
	(void)sig;
	if (write(g_xcpu_fd, "x", 1) != 1)
		_exit(98);
}

/* A child with RLIMIT_CPU soft/hard seconds that spins (or sleeps) for
 * up to bound_ms; its wait status, and the SIGXCPUs it got in *xcpu. */
static int limited_child(rlim_t soft, rlim_t hard, int busy, int bound_ms, int *xcpu)
{
	int fds[2];
	if (pipe(fds) != 0)
		return -1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		g_xcpu_fd = fds[1];
		signal(SIGXCPU, on_xcpu);
		struct rlimit rl = {soft, hard};
		if (setrlimit(RLIMIT_CPU, &rl) != 0)
			_exit(97);
		if (busy)
			spin(bound_ms, NULL);
		else
			nap(bound_ms);
		_exit(0);
	}
	close(fds[1]);
	int status = -1;
	waitpid(pid, &status, 0);
	char buf[64];
	ssize_t n;
	*xcpu = 0;
	while ((n = read(fds[0], buf, sizeof(buf))) > 0)
		*xcpu += (int)n;
	close(fds[0]);
	return status;
}

static void check_rlimit_cpu(void)
{
	int xcpu;
	int status = limited_child(1, 2, 1, 60000, &xcpu);
	check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "RLIMIT_CPU: a spinner is killed (SIGKILL) at the hard limit");
	check(xcpu >= 1, "RLIMIT_CPU: SIGXCPU at the soft limit first");
	status = limited_child(1, 1, 0, 1500, &xcpu);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0 && xcpu == 0,
	      "RLIMIT_CPU: a sleeper outlives its CPU limit in wall time");
}

/* utime and stime (fields 14, 15) of /proc/self/stat, in ticks. */
static int stat_ticks(long long *utime, long long *stime)
{
	char buf[1024];
	const char *p = stat_after_comm("/proc/self/stat", buf, sizeof(buf));
	if (!p)
		return -1;
	/* after ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
	return sscanf(p, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld", utime, stime) == 2
	           ? 0
	           : -1;
}

static void check_procfs(void)
{
	spin(SHORT_MS, NULL);
	long long utime = -1, stime = -1;
	struct tms t;
	times(&t);
	check(stat_ticks(&utime, &stime) == 0 && utime > 0, "/proc/self/stat: utime after spinning");
	check(llabs(utime - (long long)t.tms_utime) <= 2, "/proc/self/stat's utime matches times()");
	FILE *f = fopen("/proc/stat", "r");
	unsigned long long user = 0, nice = 0, sys = 0, idle = 0;
	int fields = f ? fscanf(f, "cpu %llu %llu %llu %llu", &user, &nice, &sys, &idle) : 0;
	if (f)
		fclose(f);
	check(fields == 4 && user > 0, "/proc/stat: the cpu line counts user time");
	f = fopen("/proc/uptime", "r");
	double up = 0, idle_s = 0;
	fields = f ? fscanf(f, "%lf %lf", &up, &idle_s) : 0;
	if (f)
		fclose(f);
	check(fields == 2 && idle_s > 0, "/proc/uptime: the idle time is counted");
}

int main(void)
{
	check_sleeper_vs_spinner();
	check_children_after_wait();
	check_threads();
	check_cpu_sleep();
	check_itimers();
	check_rlimit_cpu();
	check_procfs();
	return check_done("cputime");
}
