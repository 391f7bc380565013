/*
 * Issue 12's CPU state: a program that trusts CPUID's AVX2 bit (and not
 * OSXSAVE/XCR0, as many hand-written vector paths do) must be able to
 * run AVX2 code, and the kernel must keep the upper halves of the YMM
 * registers across a signal handler and across task switches.
 *
 * The output is the same whether or not the CPU has AVX2 (without it the
 * checks are skipped and the results computed in C), so that it compares
 * with docker on any host; the guest under TCG always has AVX2 in CPUID.
 * Registers are set and read inside one asm block around a raw syscall,
 * because any libc call may use the vector registers itself.
 */
#include <cpuid.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int cpu_avx2(void)
{
	unsigned a, b, c, d;
	if (__get_cpuid_max(0, 0) < 7)
		return 0;
	__cpuid_count(7, 0, a, b, c, d);
	return (b >> 5) & 1;
}

static void add8(const int *x, const int *y, int *out, int avx2)
{
	if (!avx2) {
		for (int i = 0; i < 8; i++)
			out[i] = x[i] + y[i];
		return;
	}
	__asm__ volatile("vmovdqu (%0), %%ymm0\n\t"
			 "vmovdqu (%1), %%ymm1\n\t"
			 "vpaddd %%ymm1, %%ymm0, %%ymm0\n\t"
			 "vmovdqu %%ymm0, (%2)\n\t"
			 "vzeroupper"
			 : : "r"(x), "r"(y), "r"(out) : "xmm0", "xmm1", "memory");
}

static const int junk[8] = {-1, -1, -1, -1, -1, -1, -1, -1};

static void clobber_ymm2(int sig)
{
	(void)sig;
	__asm__ volatile("vmovdqu (%0), %%ymm2\n\tvmovdqu (%0), %%ymm3"
			 : : "r"(junk) : "xmm2", "xmm3");
}

/* ymm2 = in; one raw syscall (nr, a1, a2); out = ymm2. */
static long ymm2_across_syscall(const int *in, int *out, long nr, long a1, long a2)
{
	long ret;
	__asm__ volatile("vmovdqu (%[in]), %%ymm2\n\t"
			 "syscall\n\t"
			 "vmovdqu %%ymm2, (%[out])\n\t"
			 "vzeroupper"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), [in] "r"(in), [out] "r"(out)
			 : "rcx", "r11", "xmm2", "memory");
	return ret;
}

static int signal_keeps_ymm(int avx2)
{
	if (!avx2)
		return 1;
	const int pattern[8] = {1, 2, 3, 4, 0x55aa, 0x66bb, 0x77cc, 0x7fffffff};
	int got[8];
	signal(SIGUSR1, clobber_ymm2);
	ymm2_across_syscall(pattern, got, SYS_kill, getpid(), SIGUSR1);
	signal(SIGUSR1, SIG_DFL);
	return memcmp(pattern, got, sizeof(got)) == 0;
}

/* Parent and child each keep their own ymm2 across many yields. */
static int switches_keep_ymm(int avx2)
{
	if (!avx2)
		return 1;
	pid_t child = fork();
	if (child < 0)
		return 0;
	int mine[8];
	for (int i = 0; i < 8; i++)
		mine[i] = (child == 0 ? 0x1000 : 0x2000) + i * 0x01010101;
	int bad = 0;
	for (int round = 0; round < 300; round++) {
		int got[8];
		ymm2_across_syscall(mine, got, SYS_sched_yield, 0, 0);
		if (memcmp(mine, got, sizeof(got)) != 0)
			bad++;
	}
	if (child == 0)
		_exit(bad != 0);
	int status = 0;
	waitpid(child, &status, 0);
	return bad == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(void)
{
	int avx2 = cpu_avx2();
	const int x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	const int y[8] = {10, 20, 30, 40, 50, 60, 70, 80};
	int sum[8];
	add8(x, y, sum, avx2);
	printf("vpaddd:");
	for (int i = 0; i < 8; i++)
		printf(" %d", sum[i]);
	printf("\n");
	fflush(stdout);
	printf("signal handler keeps ymm: %s\n", signal_keeps_ymm(avx2) ? "yes" : "no");
	fflush(stdout);
	printf("task switches keep ymm: %s\n", switches_keep_ymm(avx2) ? "yes" : "no");
	return 0;
}
