/* vdso.c: the vDSO: it is there (AT_SYSINFO_EHDR, [vdso] in maps),
 * and its clock_gettime, gettimeofday, time, clock_getres and getcpu
 * agree with the real syscalls: never behind a syscall read taken
 * before, never ahead of one taken after. With "loop N" it only calls
 * clock_gettime N times (tests/test_kernel_vdso.py counts the syscalls
 * that reach the kernel). */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static long long ns_of(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static long long sys_clock(clockid_t clock)
{
	struct timespec t;
	syscall(SYS_clock_gettime, clock, &t);
	return ns_of(&t);
}

static long long lib_clock(clockid_t clock)
{
	struct timespec t;
	clock_gettime(clock, &t);
	return ns_of(&t);
}

/* syscall <= vdso <= syscall, many times in a row. */
static int ordered(clockid_t clock)
{
	for (int i = 0; i < 2000; i++) {
		long long before = sys_clock(clock);
		long long mid = lib_clock(clock);
		long long after = sys_clock(clock);
		if (before > mid || mid > after)
			return 0;
	}
	return 1;
}

static int maps_has_vdso(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	if (f == NULL)
		return 0;
	char line[256];
	int found = 0;
	while (fgets(line, sizeof(line), f) != NULL)
		found |= strstr(line, "[vdso]") != NULL;
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "loop") == 0) {
		long n = atol(argv[2]);
		struct timespec t;
		for (long i = 0; i < n; i++)
			clock_gettime(CLOCK_MONOTONIC, &t);
		printf("looped %ld\n", n);
		return 0;
	}
	check(getauxval(AT_SYSINFO_EHDR) != 0, "AT_SYSINFO_EHDR points at the vDSO");
	check(maps_has_vdso(), "/proc/self/maps shows [vdso]");
	check(ordered(CLOCK_MONOTONIC), "CLOCK_MONOTONIC: vDSO and syscall agree in order");
	check(ordered(CLOCK_REALTIME), "CLOCK_REALTIME: vDSO and syscall agree in order");
	check(ordered(CLOCK_BOOTTIME), "CLOCK_BOOTTIME: vDSO and syscall agree in order");

	struct timeval tv;
	long long before = sys_clock(CLOCK_REALTIME) / 1000;
	check(gettimeofday(&tv, NULL) == 0, "gettimeofday");
	long long after = sys_clock(CLOCK_REALTIME) / 1000;
	long long us = (long long)tv.tv_sec * 1000000LL + tv.tv_usec;
	check(before <= us && us <= after, "gettimeofday between two CLOCK_REALTIME syscalls");
	time_t secs = time(NULL);
	check(secs >= before / 1000000 && secs <= after / 1000000 + 1, "time");
	struct timespec res;
	check(clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0 &&
	      res.tv_nsec <= 1000000, "clock_getres");
	check(sched_getcpu() >= 0 && sched_getcpu() < 1024, "getcpu");
	struct timespec cpu;
	check(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0, "CPU-time clocks still answer");
	errno = 0;
	check(clock_gettime(12345, &cpu) == -1 && errno == EINVAL, "an unknown clock: EINVAL");
	return check_done("vdso");
}
