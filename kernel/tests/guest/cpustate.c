/*
 * cpustate.c: AVX state is usable and kept, as on Linux: XCR0 enables
 * it, our own AVX2 code (checking only CPUID, as many programs do) runs
 * instead of dying of SIGILL, glibc's AVX2 string functions give right
 * answers, YMM registers survive context switches between processes,
 * signal frames carry the XSAVE image with Linux's software-reserved
 * words (and rt_sigreturn loads what the handler changed there), the
 * handler starts with clean registers, and the auxiliary vector has
 * AT_HWCAP2 and AT_MINSIGSTKSZ.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <immintrin.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "check.h"

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif
#define XFEATURE_YMM 4

static int cpu_has_avx2(void)
{
	unsigned a = 0, b = 0, c = 0, d = 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b >> 5) & 1;
}

static uint64_t xcr0(void)
{
	unsigned lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

/* Our own AVX2: sums with 256-bit integer adds. */
__attribute__((target("avx2"), noinline)) static long avx2_sum(const int *v, int n)
{
	__m256i acc = _mm256_setzero_si256();
	int i = 0;
	for (; i + 8 <= n; i += 8)
		acc = _mm256_add_epi32(acc, _mm256_loadu_si256((const __m256i *)(v + i)));
	int lanes[8];
	_mm256_storeu_si256((__m256i *)lanes, acc);
	long sum = 0;
	for (int k = 0; k < 8; k++)
		sum += lanes[k];
	for (; i < n; i++)
		sum += v[i];
	return sum;
}

static void check_avx2_code(void)
{
	check(cpu_has_avx2(), "CPUID has AVX2");
	unsigned a = 0, b = 0, c = 0, d = 0;
	__get_cpuid(1, &a, &b, &c, &d);
	check((c >> 27) & 1, "CPUID has OSXSAVE (the kernel enabled XSAVE)");
	check((xcr0() & 7) == 7, "XCR0 enables x87, SSE and AVX");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int v[1000];
		long want = 0;
		for (int i = 0; i < 1000; i++) {
			v[i] = i * 7 - 300;
			want += v[i];
		}
		_exit(avx2_sum(v, 1000) == want ? 0 : 1);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "our AVX2 code runs and adds correctly (no SIGILL)");
}

/* glibc picks its AVX2 string functions when CPUID and XCR0 allow. */
static void check_glibc_strings(void)
{
	size_t n = 1 << 20;
	char *a = malloc(n + 64), *b = malloc(n + 64);
	memset(a, 'x', n);
	a[n] = 0;
	memcpy(b, a, n + 1);
	check(strlen(a) == n, "strlen over 1 MiB");
	a[n - 3] = 'y';
	check(memchr(a, 'y', n) == a + n - 3, "memchr finds the byte");
	check(memcmp(a, b, n) > 0 && strcmp(a, b) > 0, "memcmp/strcmp see the difference");
	check(strrchr(a, 'y') == a + n - 3 && strchr(a + 5, 'y') == a + n - 3, "strchr/strrchr");
	memset(b, 0, n);
	check(memrchr(a, 'y', n) == a + n - 3, "memrchr");
	free(a);
	free(b);
}

/* ymm7's upper half after a load, a yield and a store back. */
static int ymm_kept_over(uint64_t seed, int rounds)
{
	for (int r = 0; r < rounds; r++) {
		uint64_t in[4] = {seed, seed + r, ~seed, seed ^ (uint64_t)r}, out[4] = {0};
		__asm__ volatile("vmovdqu %1, %%ymm7\n\t"
		                 "mov $24, %%eax\n\t" /* sched_yield */
		                 "syscall\n\t"
		                 "vmovdqu %%ymm7, %0"
		                 : "=m"(out) : "m"(in) : "rax", "rcx", "r11", "xmm7", "memory");
		if (memcmp(in, out, sizeof(in)) != 0)
			return 0;
	}
	return 1;
}

static void check_context_switch(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(ymm_kept_over(0x1111222233334444ull, 200) ? 0 : 1);
	int mine = ymm_kept_over(0x9999aaaabbbbccccull, 200);
	int status = 0;
	waitpid(pid, &status, 0);
	check(mine && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "YMM registers survive switches between two processes");
}

/* ---- signal frames ---- */

struct sw_bytes {
	uint32_t magic1, extended_size;
	uint64_t xfeatures;
	uint32_t xstate_size, padding[7];
};

static volatile int g_sw_ok, g_saw_upper, g_clean_in_handler;
static uint64_t g_upper[2];
static const uint64_t NEW_UPPER[2] = {0x0123456789abcdefull, 0xfedcba9876543210ull};

static void on_usr1(int sig, siginfo_t *info, void *ucv)
{
	(void)sig;
	(void)info;
	uint64_t now[4];
	__asm__ volatile("vmovdqu %%ymm7, %0" : "=m"(now) : : "memory");
	g_clean_in_handler = now[0] == 0 && now[1] == 0 && now[2] == 0 && now[3] == 0;
	ucontext_t *uc = ucv;
	unsigned char *fp = (unsigned char *)uc->uc_mcontext.fpregs;
	struct sw_bytes sw;
	memcpy(&sw, fp + 464, sizeof(sw));
	uint32_t magic2 = 0;
	if (sw.magic1 == FP_XSTATE_MAGIC1 && sw.xstate_size > 576 && sw.xstate_size < 65536)
		memcpy(&magic2, fp + sw.xstate_size, sizeof(magic2));
	g_sw_ok = sw.magic1 == FP_XSTATE_MAGIC1 && sw.extended_size == sw.xstate_size + 4 &&
	          (sw.xfeatures & 7) == 7 && magic2 == FP_XSTATE_MAGIC2 && (uc->uc_flags & 1);
	unsigned a = 0, b = 0, c = 0, d = 0;
	__get_cpuid_count(0xd, 2, &a, &b, &c, &d); /* the AVX component: offset in ebx */
	uint64_t xstate_bv;
	memcpy(&xstate_bv, fp + 512, sizeof(xstate_bv));
	if (g_sw_ok && (xstate_bv & XFEATURE_YMM)) {
		unsigned char *ymm7_hi = fp + b + 7 * 16;
		memcpy(g_upper, ymm7_hi, 16);
		g_saw_upper = 1;
		memcpy(ymm7_hi, NEW_UPPER, 16); /* rt_sigreturn must load this */
	}
}

static void check_signal_frame(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	uint64_t in[4] = {1, 2, 0x5555666677778888ull, 0x99990000aaaabbbbull}, out[4];
	/* kill(getpid(), SIGUSR1) straight from asm, so nothing touches ymm7. */
	pid_t me = getpid();
	__asm__ volatile("vmovdqu %1, %%ymm7\n\t"
	                 "mov $62, %%eax\n\t"
	                 "mov %2, %%edi\n\t"
	                 "mov $10, %%esi\n\t"
	                 "syscall\n\t"
	                 "vmovdqu %%ymm7, %0"
	                 : "=m"(out) : "m"(in), "r"(me) : "rax", "rdi", "rsi", "rcx", "r11", "xmm7", "memory");
	check(g_sw_ok, "frame: sw_reserved magic1, sizes, xfeatures, magic2, UC_FP_XSTATE");
	check(g_clean_in_handler, "the handler starts with clean YMM registers");
	check(g_saw_upper && g_upper[0] == in[2] && g_upper[1] == in[3],
	      "frame: ymm7's upper half as it was at the signal");
	check(out[0] == 1 && out[1] == 2 && out[2] == NEW_UPPER[0] && out[3] == NEW_UPPER[1],
	      "rt_sigreturn loads the AVX state the handler left in the frame");
}

static void check_auxv(void)
{
	unsigned long min = getauxval(AT_MINSIGSTKSZ);
	check(min >= 1024 && min <= 65536, "AT_MINSIGSTKSZ covers a frame with the XSAVE area");
	unsigned a = 0, b = 0, c = 0, d = 0;
	__get_cpuid_count(7, 0, &a, &b, &c, &d);
	int fsgsbase = b & 1;
	check(!fsgsbase || (getauxval(AT_HWCAP2) & 2), "AT_HWCAP2 has FSGSBASE when the CPU does");
}

int main(void)
{
	check_avx2_code();
	check_glibc_strings();
	check_context_switch();
	check_signal_frame();
	check_auxv();
	return check_done("cpustate");
}
