/*
 * Thread benchmark run inside a guest by benchmarks/threads.py (cvmify
 * and a Linux guest run this same static binary). Timed in the guest
 * with CLOCK_MONOTONIC; one line per workload:
 *
 *   threads: spin-2 SECONDS          two threads, each a fixed CPU-bound loop
 *   threads: create-join SECONDS N   N pthread_create + pthread_join in turn
 *   threads: ping-pong SECONDS N     N futex round trips between two threads
 *   threads: done
 *
 * The loop counts are fixed (not scaled to the machine), so one guest's
 * seconds compare directly with another's.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum {
	SPIN_THREADS = 2,
	SPIN_ROUNDS = 400 * 1000 * 1000, /* per thread */
	CREATE_JOINS = 2000,
	PING_PONGS = 20000,
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(const char *what)
{
	printf("threads: FAIL %s\n", what);
	fflush(stdout);
	exit(1);
}

/* -- spin: CPU-bound work that never touches shared memory ----------- */

static void *spin(void *arg)
{
	uint64_t x = (uintptr_t)arg | 1;
	for (long i = 0; i < SPIN_ROUNDS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	return (void *)(uintptr_t)x;
}

static void bench_spin(void)
{
	pthread_t t[SPIN_THREADS];
	uint64_t sum = 0;
	double start = now();
	for (int i = 0; i < SPIN_THREADS; i++)
		if (pthread_create(&t[i], NULL, spin, (void *)(uintptr_t)(i + 1)) != 0)
			fail("pthread_create (spin)");
	for (int i = 0; i < SPIN_THREADS; i++) {
		void *r;
		pthread_join(t[i], &r);
		sum += (uintptr_t)r;
	}
	/* The sum keeps the loops from being optimised away. */
	printf("threads: spin-2 %.6f %llu\n", now() - start, (unsigned long long)(sum & 0xffff));
}

/* -- create + join ----------------------------------------------------- */

static void *nothing(void *arg)
{
	return arg;
}

static void bench_create_join(void)
{
	double start = now();
	for (int i = 0; i < CREATE_JOINS; i++) {
		pthread_t t;
		void *r;
		if (pthread_create(&t, NULL, nothing, (void *)(uintptr_t)i) != 0)
			fail("pthread_create");
		if (pthread_join(t, &r) != 0 || r != (void *)(uintptr_t)i)
			fail("pthread_join");
	}
	printf("threads: create-join %.6f %d\n", now() - start, CREATE_JOINS);
}

/* -- futex ping-pong: each side waits until the word holds its number -- */

static atomic_int g_turn;

static void futex_wait(atomic_int *word, int val)
{
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(atomic_int *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Waits for `mine`, then hands the turn to `other`, `rounds` times. */
static void play(int mine, int other, int rounds)
{
	for (int i = 0; i < rounds; i++) {
		int seen;
		while ((seen = atomic_load(&g_turn)) != mine)
			futex_wait(&g_turn, seen);
		atomic_store(&g_turn, other);
		futex_wake(&g_turn);
	}
}

static void *pong(void *arg)
{
	(void)arg;
	play(2, 1, PING_PONGS);
	return NULL;
}

static void bench_ping_pong(void)
{
	pthread_t t;
	atomic_store(&g_turn, 1);
	double start = now();
	if (pthread_create(&t, NULL, pong, NULL) != 0)
		fail("pthread_create (pong)");
	play(1, 2, PING_PONGS);
	pthread_join(t, NULL);
	printf("threads: ping-pong %.6f %d\n", now() - start, PING_PONGS);
}

/* With no arguments every workload; else the ones named (by hand). */
static bool wanted(int argc, char **argv, const char *name)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("threads: cpus %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
	if (wanted(argc, argv, "spin-2"))
		bench_spin();
	if (wanted(argc, argv, "create-join"))
		bench_create_join();
	if (wanted(argc, argv, "ping-pong"))
		bench_ping_pong();
	printf("threads: done\n");
	return 0;
}
