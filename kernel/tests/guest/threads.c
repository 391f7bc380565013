/* threads.c: a pthread torture test: thousands of create/join, ids and
 * thread-local storage, mutex/condvar/barrier under contention, robust
 * mutex owner death, cancellation, thread-directed signals and
 * per-thread masks, per-thread GS base (WRGSBASE, arch_prctl), raw futex
 * operations (timeouts, bitsets, requeue, wake-op, a shared futex
 * between processes), exit vs exit_group from a non-main thread, the
 * main thread leaving first, and a thread calling execve. Run with
 * "exec-target N" it just exits with N (the execve check's new image). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static long futex(atomic_int *addr, int op, int val, const struct timespec *ts, atomic_int *addr2,
                  int val3)
{
	return syscall(SYS_futex, addr, op, val, ts, addr2, val3);
}

static pid_t gettid_raw(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* ---- create/join, ids, TLS ---- */

static __thread int t_value;

static void *return_arg(void *arg)
{
	t_value = (int)(intptr_t)arg;
	sched_yield();
	return (void *)(intptr_t)(t_value * 2);
}

static void check_create_join(void)
{
	enum { ROUNDS = 250, WIDTH = 8 };
	int ok = 1;
	for (int r = 0; r < ROUNDS; r++) {
		pthread_t t[WIDTH];
		for (int i = 0; i < WIDTH; i++)
			ok &= pthread_create(&t[i], NULL, return_arg, (void *)(intptr_t)(r * WIDTH + i)) == 0;
		for (int i = 0; i < WIDTH; i++) {
			void *ret = NULL;
			ok &= pthread_join(t[i], &ret) == 0 && (intptr_t)ret == (r * WIDTH + i) * 2;
		}
	}
	check(ok, "2000 threads created and joined, each with its own TLS value");
}

static pid_t g_main_pid;
static atomic_int g_tid_seen;

static void *report_ids(void *arg)
{
	(void)arg;
	g_tid_seen = gettid_raw();
	return (void *)(intptr_t)(getpid() == g_main_pid);
}

static void check_ids(void)
{
	g_main_pid = getpid();
	pthread_t t;
	void *same_pid = NULL;
	pthread_create(&t, NULL, report_ids, NULL);
	pthread_join(t, &same_pid);
	check(same_pid == (void *)1, "a thread has its process's pid");
	check(g_tid_seen != gettid_raw() && g_tid_seen > 0, "and its own tid");
	check(gettid_raw() == getpid(), "the main thread's tid is the pid");
}

/* ---- mutex, condvar, barrier ---- */

enum { WORKERS = 6, ITEMS = 3000 };
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_nonempty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t g_nonfull = PTHREAD_COND_INITIALIZER;
static int g_queue[16], g_head, g_count;
static long g_sum;
static long g_counter;
static pthread_barrier_t g_barrier;

static void *producer(void *arg)
{
	int base = (int)(intptr_t)arg;
	for (int i = 1; i <= ITEMS; i++) {
		pthread_mutex_lock(&g_lock);
		while (g_count == 16)
			pthread_cond_wait(&g_nonfull, &g_lock);
		g_queue[(g_head + g_count++) % 16] = base + i;
		pthread_cond_signal(&g_nonempty);
		pthread_mutex_unlock(&g_lock);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	for (int i = 0; i < ITEMS; i++) {
		pthread_mutex_lock(&g_lock);
		while (g_count == 0)
			pthread_cond_wait(&g_nonempty, &g_lock);
		g_sum += g_queue[g_head];
		g_head = (g_head + 1) % 16;
		g_count--;
		pthread_cond_signal(&g_nonfull);
		pthread_mutex_unlock(&g_lock);
	}
	return NULL;
}

static atomic_int g_phase_errors;
static atomic_int g_arrived;

static void *barrier_worker(void *arg)
{
	(void)arg;
	for (int round = 0; round < 200; round++) {
		atomic_fetch_add(&g_arrived, 1);
		pthread_barrier_wait(&g_barrier);
		if (atomic_load(&g_arrived) < (round + 1) * WORKERS)
			atomic_fetch_add(&g_phase_errors, 1);
		pthread_barrier_wait(&g_barrier);
		pthread_mutex_lock(&g_lock);
		g_counter++;
		pthread_mutex_unlock(&g_lock);
	}
	return NULL;
}

static void check_sync(void)
{
	pthread_t p[WORKERS / 2], c[WORKERS / 2];
	for (int i = 0; i < WORKERS / 2; i++) {
		pthread_create(&p[i], NULL, producer, (void *)(intptr_t)(i * ITEMS));
		pthread_create(&c[i], NULL, consumer, NULL);
	}
	for (int i = 0; i < WORKERS / 2; i++) {
		pthread_join(p[i], NULL);
		pthread_join(c[i], NULL);
	}
	long expect = 0;
	for (int i = 0; i < WORKERS / 2; i++)
		expect += (long)ITEMS * i * ITEMS + (long)ITEMS * (ITEMS + 1) / 2;
	check(g_sum == expect, "producers/consumers with a mutex and condvars lose nothing");

	pthread_barrier_init(&g_barrier, NULL, WORKERS);
	pthread_t w[WORKERS];
	for (int i = 0; i < WORKERS; i++)
		pthread_create(&w[i], NULL, barrier_worker, NULL);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(w[i], NULL);
	check(g_phase_errors == 0, "a barrier lets nobody through early (200 rounds)");
	check(g_counter == 200 * WORKERS, "a mutex-protected counter adds up");
	pthread_barrier_destroy(&g_barrier);
}

/* ---- robust mutex, cancellation ---- */

static pthread_mutex_t g_robust;

static void *lock_and_die(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&g_robust);
	return NULL; /* exits holding it */
}

static void check_robust(void)
{
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&g_robust, &a);
	pthread_t t;
	pthread_create(&t, NULL, lock_and_die, NULL);
	pthread_join(t, NULL);
	int r = pthread_mutex_lock(&g_robust);
	check(r == EOWNERDEAD, "a robust mutex whose owner died: EOWNERDEAD");
	check(pthread_mutex_consistent(&g_robust) == 0, "pthread_mutex_consistent");
	check(pthread_mutex_unlock(&g_robust) == 0 && pthread_mutex_lock(&g_robust) == 0,
	      "then usable again");
	pthread_mutex_unlock(&g_robust);
}

static pthread_mutex_t g_cancel_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_never = PTHREAD_COND_INITIALIZER;
static atomic_int g_cleanup_ran;

static void cleanup(void *arg)
{
	(void)arg;
	g_cleanup_ran = 1;
	pthread_mutex_unlock(&g_cancel_lock);
}

static void *wait_forever(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&g_cancel_lock);
	pthread_cleanup_push(cleanup, NULL);
	for (;;)
		pthread_cond_wait(&g_never, &g_cancel_lock);
	pthread_cleanup_pop(1);
	return NULL;
}

static void *sleep_forever(void *arg)
{
	(void)arg;
	for (;;)
		sleep(100);
	return NULL;
}

static void check_cancel(void)
{
	pthread_t t;
	void *ret = NULL;
	pthread_create(&t, NULL, wait_forever, NULL);
	usleep(20000);
	check(pthread_cancel(t) == 0, "pthread_cancel a thread in pthread_cond_wait");
	check(pthread_join(t, &ret) == 0 && ret == PTHREAD_CANCELED && g_cleanup_ran,
	      "it ends as PTHREAD_CANCELED after its cleanup handler");
	pthread_create(&t, NULL, sleep_forever, NULL);
	usleep(20000);
	pthread_cancel(t);
	ret = NULL;
	check(pthread_join(t, &ret) == 0 && ret == PTHREAD_CANCELED, "cancel a thread in sleep()");
}

/* ---- signals to threads, masks ---- */

static atomic_int g_handled_tid;

static void on_usr1(int sig)
{
	(void)sig;
	g_handled_tid = gettid_raw();
}

static atomic_int g_target_tid;
static atomic_int g_stop;

static void *spin_until_stopped(void *arg)
{
	(void)arg;
	g_target_tid = gettid_raw();
	while (!g_stop)
		;
	return NULL;
}

static void *block_usr1_and_wait(void *arg)
{
	(void)arg;
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	int sig = 0;
	sigwait(&s, &sig);
	return (void *)(intptr_t)sig;
}

static void check_thread_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	pthread_t t;
	g_stop = 0;
	pthread_create(&t, NULL, spin_until_stopped, NULL);
	while (!g_target_tid)
		sched_yield();
	pthread_kill(t, SIGUSR1);
	for (int i = 0; i < 200 && !g_handled_tid; i++)
		usleep(1000);
	check(g_handled_tid == g_target_tid, "pthread_kill runs the handler in a busy target thread");
	g_stop = 1;
	pthread_join(t, NULL);

	/* The main thread blocks SIGUSR1 too, so kill() must go to the one
	 * thread that waits for it. */
	sigset_t s, old;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &s, &old);
	pthread_create(&t, NULL, block_usr1_and_wait, NULL);
	usleep(20000);
	kill(getpid(), SIGUSR1);
	void *got = NULL;
	pthread_join(t, &got);
	check(got == (void *)SIGUSR1, "sigwait in a thread takes a process-directed signal");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* ---- per-thread GS base ---- */

static uint64_t rdgsbase(void)
{
	uint64_t v;
	__asm__ volatile("rdgsbase %0" : "=r"(v));
	return v;
}

static void wrgsbase(uint64_t v)
{
	__asm__ volatile("wrgsbase %0" : : "r"(v));
}

static void *gs_keeper(void *arg)
{
	uint64_t mine = (uint64_t)(uintptr_t)arg;
	wrgsbase(mine);
	int ok = 1;
	for (int i = 0; i < 50; i++) {
		usleep(1000); /* switches to and from the other thread */
		ok &= rdgsbase() == mine;
	}
	return (void *)(intptr_t)ok;
}

static void check_gs_base(void)
{
	unsigned a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
	if (!(b & 1)) {
		check(1, "no FSGSBASE: per-thread GS base check skipped");
		return;
	}
	pthread_t t1, t2;
	void *r1 = NULL, *r2 = NULL;
	pthread_create(&t1, NULL, gs_keeper, (void *)0x1111000);
	pthread_create(&t2, NULL, gs_keeper, (void *)0x2222000);
	pthread_join(t1, &r1);
	pthread_join(t2, &r2);
	check(r1 == (void *)1 && r2 == (void *)1, "WRGSBASE values survive switches, per thread");
}

/* ---- raw futexes ---- */

static atomic_int g_word;
static atomic_int g_word2;
static atomic_int g_woken;

static void *futex_waiter(void *arg)
{
	int bitset = (int)(intptr_t)arg;
	if (futex(&g_word, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, bitset) == 0)
		atomic_fetch_add(&g_woken, 1);
	return NULL;
}

/* Waiters blocked on word (whose value is 0): all of them moved to
 * probe and back, which FUTEX_CMP_REQUEUE counts. op is FUTEX_CMP_REQUEUE
 * with or without FUTEX_PRIVATE_FLAG. */
static int count_waiters(atomic_int *word, atomic_int *probe, int op)
{
	int n = (int)futex(word, op, 0, (void *)(intptr_t)INT_MAX, probe, 0);
	futex(probe, op, 0, (void *)(intptr_t)INT_MAX, word, *probe);
	return n;
}

/* Until n threads wait on word (checked, not timed: a loaded host may
 * take long to start them); gives up after ten seconds. */
static void wait_for_waiters_op(atomic_int *word, atomic_int *probe, int op, int n)
{
	for (int i = 0; i < 10000 && count_waiters(word, probe, op) < n; i++)
		usleep(1000);
}

static atomic_int g_probe;

static void wait_for_waiters(atomic_int *word, int n)
{
	wait_for_waiters_op(word, &g_probe, FUTEX_CMP_REQUEUE_PRIVATE, n);
}

static void check_futex(void)
{
	struct timespec ts = {0, 20 * 1000 * 1000};
	errno = 0;
	check(futex(&g_word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0) == -1 && errno == ETIMEDOUT,
	      "FUTEX_WAIT times out");
	errno = 0;
	check(futex(&g_word, FUTEX_WAIT_PRIVATE, 1, &ts, NULL, 0) == -1 && errno == EAGAIN,
	      "FUTEX_WAIT on a changed value: EAGAIN");
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	now.tv_nsec += 20 * 1000 * 1000;
	if (now.tv_nsec >= 1000000000) {
		now.tv_sec++;
		now.tv_nsec -= 1000000000;
	}
	errno = 0;
	check(futex(&g_word, FUTEX_WAIT_BITSET_PRIVATE, 0, &now, NULL, FUTEX_BITSET_MATCH_ANY) == -1 &&
	          errno == ETIMEDOUT,
	      "FUTEX_WAIT_BITSET with an absolute deadline times out");

	pthread_t t[4];
	g_woken = 0;
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, futex_waiter, (void *)(intptr_t)(i < 2 ? 1 : 2));
	wait_for_waiters(&g_word, 4);
	check(futex(&g_word, FUTEX_WAKE_BITSET_PRIVATE, 10, NULL, NULL, 2) == 2,
	      "FUTEX_WAKE_BITSET wakes only the matching bitset");
	check(futex(&g_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == 1, "FUTEX_WAKE 1 wakes one");
	check(futex(&g_word, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0) == 1, "and the last one");
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	check(g_woken == 4, "all four waiters returned 0");

	/* requeue: 3 waiters on g_word; wake 1, move 2 to g_word2. */
	g_woken = 0;
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, futex_waiter, (void *)(intptr_t)FUTEX_BITSET_MATCH_ANY);
	wait_for_waiters(&g_word, 3);
	errno = 0;
	check(futex(&g_word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2, &g_word2, 5) == -1 &&
	          errno == EAGAIN,
	      "FUTEX_CMP_REQUEUE with a wrong value: EAGAIN");
	check(futex(&g_word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2, &g_word2, 0) == 3,
	      "FUTEX_CMP_REQUEUE: 1 woken + 2 moved");
	check(futex(&g_word, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0) == 0, "none left on the first word");
	check(futex(&g_word2, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0) == 2, "two on the second");
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);

	/* wake-op: g_word2 += 1 (old 0), wake on g_word, and on g_word2 if old == 0 */
	g_word2 = 0;
	int op = FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0);
	check(futex(&g_word, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &g_word2, op) == 0 && g_word2 == 1,
	      "FUTEX_WAKE_OP applies its operation");

	/* A shared futex between two processes on MAP_SHARED memory. */
	atomic_int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	*shared = 0;
	pid_t pid = fork();
	if (pid == 0) {
		*shared = 5;
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	if (*shared != 5) {
		check(1, "shared futex across fork skipped: MAP_SHARED anonymous memory is not "
		         "shared with a child here");
		munmap((void *)shared, 4096);
		return;
	}
	*shared = 0;
	pid = fork();
	if (pid == 0) {
		struct timespec limit = {10, 0}; /* never hang the test */
		long r = futex(shared, FUTEX_WAIT, 0, &limit, NULL, 0);
		_exit(r == 0 && *shared == 1 ? 0 : 1);
	}
	wait_for_waiters_op(shared, shared + 1, FUTEX_CMP_REQUEUE, 1);
	*shared = 1;
	long woke = futex(shared, FUTEX_WAKE, 1, NULL, NULL, 0);
	int status = 0;
	waitpid(pid, &status, 0);
	check(woke == 1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "a shared futex wakes a waiter in another process");
	munmap((void *)shared, 4096);
}

/* ---- exit, exit_group, execve ---- */

static void *exit_group_from_thread(void *arg)
{
	(void)arg;
	exit(7); /* exit_group: the whole process, status 7 */
}

static void *exit_last_later(void *arg)
{
	(void)arg;
	usleep(30000);
	syscall(SYS_exit, 9); /* the last thread out: the process's status */
	return NULL;
}

static const char *g_self;

static void *exec_from_thread(void *arg)
{
	(void)arg;
	char *argv[] = {(char *)g_self, "exec-target", "42", NULL};
	execv(g_self, argv);
	_exit(99);
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static int run_in_child(void (*body)(void))
{
	pid_t pid = fork();
	if (pid == 0) {
		body();
		_exit(98);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
}

static void body_exit_group(void)
{
	pthread_t t, s;
	pthread_create(&s, NULL, sleeper, NULL);
	pthread_create(&t, NULL, exit_group_from_thread, NULL);
	for (;;)
		pause();
}

static void body_main_leaves_first(void)
{
	pthread_t t;
	pthread_create(&t, NULL, exit_last_later, NULL);
	pthread_exit(NULL);
}

static void body_exec_from_thread(void)
{
	pthread_t t, s;
	pthread_create(&s, NULL, sleeper, NULL);
	pthread_create(&t, NULL, exec_from_thread, NULL);
	for (;;)
		pause();
}

static void check_exits(void)
{
	check(run_in_child(body_exit_group) == 7, "exit() in a thread ends the whole process (7)");
	check(run_in_child(body_main_leaves_first) == 9,
	      "the main thread leaves first; the last thread's exit status counts (9)");
	check(run_in_child(body_exec_from_thread) == 42,
	      "a thread calls execve: the other threads go, the new program runs (42)");
}

/* ---- an fd closed by one thread while another blocks on it ---- */

static int g_pipe[2];

static void *blocked_reader(void *arg)
{
	char c = 0;
	long r = read(g_pipe[0], &c, 1);
	*(int *)arg = r == 1 && c == 'x' ? 1 : (r == -1 && errno == EBADF ? 2 : 0);
	return NULL;
}

static void check_close_while_blocked(void)
{
	signal(SIGPIPE, SIG_IGN);
	for (int round = 0; round < 20; round++) {
		int result = -1;
		pthread_t t;
		if (pipe(g_pipe) != 0 || pthread_create(&t, NULL, blocked_reader, &result) != 0) {
			check(0, "a pipe and a reader");
			return;
		}
		usleep(round * 2000); /* the reader may or may not be blocked yet */
		close(g_pipe[0]);
		int again[2]; /* new files that may reuse the closed one's memory */
		check(pipe(again) == 0, "a pipe while another thread reads a closed fd");
		/* The reader holds the old read end (the byte goes to it), or
		 * none does (EPIPE), or its fd number now names the new pipe. */
		long w = write(g_pipe[1], "x", 1);
		check(w == 1 || (w == -1 && errno == EPIPE), "write to the pipe whose read fd was closed");
		check(write(again[1], "x", 1) == 1, "write to the new pipe");
		pthread_join(t, NULL);
		/* Linux: a read already blocked keeps the file and gets the
		 * byte; one that starts after the close gets EBADF. */
		check(result == 1 || result == 2, "the reader got the byte or EBADF, nothing else");
		close(again[0]);
		close(again[1]);
		close(g_pipe[1]);
	}
	signal(SIGPIPE, SIG_DFL);
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "exec-target") == 0)
		return atoi(argv[2]);
	g_self = argv[0];
	check_ids();
	check_create_join();
	check_sync();
	check_robust();
	check_cancel();
	check_thread_signals();
	check_gs_base();
	check_futex();
	check_close_while_blocked();
	check_exits();
	return check_done("threads");
}
