/*
 * vdso.c: the virtual dynamic shared object: clock_gettime,
 * gettimeofday, time, clock_getres and getcpu without entering the
 * kernel. Runs in user mode in every process; it reads only the vvar
 * page (vdso_data.h) the kernel maps right below it, and calls the real
 * syscall for anything it does not answer itself (CPU-time clocks, a
 * disabled page, a bad pointer left for the kernel to report).
 *
 * Built as a position-independent shared object (vdso.lds) and embedded
 * in the kernel image (mm/vdso_image.S), so it is measured with it.
 */
#include "vdso/vdso_data.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define NR_gettimeofday 96
#define NR_time 201
#define NR_clock_gettime 228
#define NR_clock_getres 229
#define NR_getcpu 309
#define NS_PER_SEC 1000000000ULL

struct vdso_timespec {
	s64 tv_sec;
	s64 tv_nsec;
};

struct vdso_timeval {
	s64 tv_sec;
	s64 tv_usec;
};

/* Defined by vdso.lds: the page the kernel maps just below the vDSO. */
extern const volatile struct vdso_data vvar_data __attribute__((visibility("hidden")));

static long syscall2(long nr, long a, long b)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return ret;
}

static long syscall3(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(nr), "D"(a), "S"(b), "d"(c)
	                 : "rcx", "r11", "memory");
	return ret;
}

static u64 rdtsc_ordered(void)
{
	u32 lo, hi;
	/* lfence keeps the TSC read from running ahead of earlier loads. */
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((u64)hi << 32) | lo;
}

/* Monotonic and wall nanoseconds from one consistent snapshot; false
 * when the page is disabled. */
static int read_clock(u64 *mono, u64 *wall)
{
	for (;;) {
		u32 seq = vvar_data.seq;
		if (seq & 1) {
			__asm__ volatile("pause");
			continue;
		}
		__asm__ volatile("" : : : "memory");
		if (!vvar_data.enabled)
			return 0;
		u64 ticks = rdtsc_ordered() - vvar_data.tsc_base;
		u64 ns = (u64)(((unsigned __int128)ticks * vvar_data.ns_mult) >> 32);
		u64 wall_base = vvar_data.wall_base_ns;
		__asm__ volatile("" : : : "memory");
		if (vvar_data.seq == seq) {
			*mono = ns;
			*wall = wall_base + ns;
			return 1;
		}
	}
}

static int is_mono(long clock)
{
	return clock == CLOCK_MONOTONIC || clock == CLOCK_MONOTONIC_RAW ||
	       clock == CLOCK_MONOTONIC_COARSE || clock == CLOCK_BOOTTIME;
}

static int is_real(long clock)
{
	return clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE;
}

long __vdso_clock_gettime(long clock, struct vdso_timespec *ts)
{
	u64 mono, wall;
	if ((is_mono(clock) || is_real(clock)) && ts != 0 && read_clock(&mono, &wall)) {
		u64 ns = is_mono(clock) ? mono : wall;
		ts->tv_sec = (s64)(ns / NS_PER_SEC);
		ts->tv_nsec = (s64)(ns % NS_PER_SEC);
		return 0;
	}
	return syscall2(NR_clock_gettime, clock, (long)ts);
}

long __vdso_gettimeofday(struct vdso_timeval *tv, void *tz)
{
	u64 mono, wall;
	if (tz == 0 && read_clock(&mono, &wall)) {
		if (tv != 0) {
			tv->tv_sec = (s64)(wall / NS_PER_SEC);
			tv->tv_usec = (s64)(wall % NS_PER_SEC / 1000);
		}
		return 0;
	}
	return syscall2(NR_gettimeofday, (long)tv, (long)tz);
}

long __vdso_time(long *t)
{
	u64 mono, wall;
	if (!read_clock(&mono, &wall))
		return syscall2(NR_time, (long)t, 0);
	long secs = (long)(wall / NS_PER_SEC);
	if (t != 0)
		*t = secs;
	return secs;
}

long __vdso_clock_getres(long clock, struct vdso_timespec *res)
{
	if ((is_mono(clock) || is_real(clock)) && vvar_data.enabled) {
		if (res != 0) {
			res->tv_sec = 0;
			res->tv_nsec = 1;
		}
		return 0;
	}
	return syscall2(NR_clock_getres, clock, (long)res);
}

long __vdso_getcpu(unsigned *cpu, unsigned *node, void *cache)
{
	if (!vvar_data.enabled)
		return syscall3(NR_getcpu, (long)cpu, (long)node, (long)cache);
	unsigned n = 0;
	if (vvar_data.getcpu_mode == VDSO_GETCPU_RDTSCP) {
		u32 lo, hi, aux;
		__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
		n = aux & 0xfff;
	}
	if (cpu != 0)
		*cpu = n;
	if (node != 0)
		*node = 0;
	return 0;
}

/* The names glibc, musl and Go look up (the LINUX_2.6 version, vdso.lds). */
long clock_gettime(long clock, struct vdso_timespec *ts)
	__attribute__((weak, alias("__vdso_clock_gettime")));
long gettimeofday(struct vdso_timeval *tv, void *tz)
	__attribute__((weak, alias("__vdso_gettimeofday")));
long time(long *t) __attribute__((weak, alias("__vdso_time")));
long clock_getres(long clock, struct vdso_timespec *res)
	__attribute__((weak, alias("__vdso_clock_getres")));
long getcpu(unsigned *cpu, unsigned *node, void *cache)
	__attribute__((weak, alias("__vdso_getcpu")));
