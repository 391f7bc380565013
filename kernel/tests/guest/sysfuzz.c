/*
 * sysfuzz.c: random system calls with hostile arguments, from inside the
 * guest: every syscall number (but those that would end the run or
 * reach outside a container), with arguments drawn from kernel
 * addresses, non-canonical addresses, pointers to the end of a mapping,
 * into read-only text, odd sizes, negative and huge numbers, and real fds;
 * plus rt_sigreturn on frames full of garbage. The calls run in child
 * processes (a batch each) that may die of signals; the kernel must
 * answer every call and never panic or hang.
 *
 *     sysfuzz [seed [calls]]      prints one summary line, exits 0
 *
 * Not a checklist: tests/test_kernel_fuzz.py runs it and checks the
 * summary and that the kernel lived. Deterministic for a seed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCH 200          /* calls per child */
#define CHILD_TIMEOUT_MS 3000
#define MAX_NR 460

static uint64_t g_rng;

static uint64_t rnd(void)
{
	g_rng ^= g_rng << 13;
	g_rng ^= g_rng >> 7;
	g_rng ^= g_rng << 17;
	return g_rng;
}

/* Never called: ends the run, blocks for good, or would reach outside a
 * container if this ran on a plain Linux host as root. */
static int excluded(long nr)
{
	switch (nr) {
	case SYS_exit: case SYS_exit_group: case SYS_execve: case SYS_execveat:
	case SYS_fork: case SYS_vfork: case SYS_clone: case 435 /* clone3 */:
	case SYS_kill: case SYS_tkill: case SYS_tgkill: case SYS_rt_sigqueueinfo:
	case SYS_rt_tgsigqueueinfo: case 424 /* pidfd_send_signal */:
	case SYS_pause: case SYS_rt_sigsuspend: case SYS_rt_sigtimedwait:
	case SYS_reboot: case SYS_kexec_load: case 320 /* kexec_file_load */:
	case SYS_init_module: case SYS_finit_module: case SYS_delete_module:
	case SYS_swapon: case SYS_swapoff: case SYS_mount: case SYS_umount2:
	case SYS_pivot_root: case SYS_chroot: case SYS_settimeofday: case SYS_clock_settime:
	case SYS_adjtimex: case SYS_clock_adjtime: case SYS_sethostname:
	case SYS_setdomainname: case SYS_iopl: case SYS_ioperm: case SYS_acct:
	case SYS_quotactl: case SYS_syslog: case SYS_perf_event_open: case SYS_bpf:
	case SYS_ptrace: case SYS_process_vm_readv: case SYS_process_vm_writev:
	case SYS_unshare: case SYS_setns: case SYS_vhangup: case SYS_fanotify_init:
	case SYS_open_by_handle_at: case 428: case 429: case 430: case 431: case 432:
	case 433: case 442 /* new mount API */: case SYS_sync: case SYS_syncfs:
	case SYS_rt_sigreturn: /* done on purpose, below */
		return 1;
	default:
		return 0;
	}
}

static unsigned char *g_page;   /* a read/write page followed by a hole */
static unsigned char *g_ro;     /* a read-only page */

static uint64_t hostile_value(void)
{
	static const uint64_t fixed[] = {
		0, 1, 2, 3, 0xff, 0x1000, 0x7fffffff, 0x80000000, 0xffffffff,
		0xffffffffffffffffull, 0xfffffffffffff000ull, 0x8000000000000000ull,
		0x00007ffffffff000ull, 0x0000800000000000ull, 0x00007fffffffffffull,
		0xffff800000000000ull, 0xffff888000000000ull, 0xffffffff80000000ull,
		0xffffffff80100000ull, 0xffffc00000000000ull, 0x10000, 0x400000,
	};
	switch (rnd() % 8) {
	case 0: return fixed[rnd() % (sizeof(fixed) / sizeof(fixed[0]))];
	case 1: return (uint64_t)(uintptr_t)g_page + rnd() % 4096;           /* valid */
	case 2: return (uint64_t)(uintptr_t)g_page + 4096 - (rnd() % 16);    /* at the edge */
	case 3: return (uint64_t)(uintptr_t)g_ro + rnd() % 4096;             /* read-only */
	case 4: return rnd() % 16;                                            /* small: fds, flags */
	case 5: return rnd() % 4097;                                          /* sizes */
	case 6: return (uint64_t)(int64_t)-(int64_t)(rnd() % 200);           /* -errno-ish */
	default: return rnd();
	}
}

/* rt_sigreturn with rsp at a frame of garbage (and some plausible
 * fields): the kernel must sanitize whatever it restores. */
static void garbage_sigreturn(void)
{
	uint64_t *frame = (uint64_t *)(g_page + 64);
	for (int i = 0; i < 400 && (unsigned char *)(frame + i) < g_page + 4096; i++)
		frame[i] = hostile_value();
	uint64_t sp = (uint64_t)(uintptr_t)(frame + 1);
	__asm__ volatile("mov %0, %%rsp\n\t"
	                 "mov $15, %%eax\n\t"
	                 "syscall\n\t"
	                 "ud2" : : "r"(sp) : "memory");
}

static void one_batch(uint64_t seed)
{
	g_rng = seed;
	/* Bound what a batch can take: memory and file bytes. */
	struct rlimit as = {256ul << 20, 256ul << 20}, fsize = {1 << 20, 1 << 20};
	setrlimit(RLIMIT_AS, &as);
	setrlimit(RLIMIT_FSIZE, &fsize);
	signal(SIGXFSZ, SIG_IGN);
	/* Reads from stdin must not wait for input that never comes. */
	int null = open("/dev/null", O_RDONLY);
	if (null >= 0) {
		dup2(null, 0);
		close(null);
	}
	for (int i = 0; i < BATCH; i++) {
		if (rnd() % 400 == 0)
			garbage_sigreturn();
		long nr = (long)(rnd() % MAX_NR);
		if (excluded(nr))
			continue;
		uint64_t a[6];
		for (int k = 0; k < 6; k++)
			a[k] = hostile_value();
		syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	_exit(0);
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
	long calls = argc > 2 ? strtol(argv[2], NULL, 0) : 20000;
	if (seed == 0)
		seed = 1;
	g_page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(g_page + 4096, 4096); /* the page after it is a hole */
	g_ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int children = 0, clean = 0, killed = 0, timeouts = 0, by_signal[65] = {0};
	for (long done = 0; done < calls; done += BATCH) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0) {
			printf("sysfuzz: fork failed (errno %d)\n", errno);
			return 1;
		}
		if (pid == 0)
			one_batch(seed * 1000003 + (uint64_t)done);
		children++;
		long start = now_ms();
		int status = 0;
		for (;;) {
			pid_t got = waitpid(pid, &status, WNOHANG);
			if (got == pid)
				break;
			if (now_ms() - start > CHILD_TIMEOUT_MS) {
				kill(pid, SIGKILL); /* a batch that waits for good */
				waitpid(pid, &status, 0);
				timeouts++;
				break;
			}
			struct timespec nap = {0, 2 * 1000 * 1000};
			nanosleep(&nap, NULL);
		}
		if (WIFEXITED(status))
			clean++;
		else if (WIFSIGNALED(status)) {
			killed++;
			by_signal[WTERMSIG(status) & 63]++;
		}
	}
	printf("sysfuzz: seed %llu, %ld calls in %d children: %d exited, %d died of signals "
	       "(SIGSEGV %d, SIGILL %d, SIGBUS %d, SIGKILL %d, other %d), %d timed out\n",
	       (unsigned long long)seed, calls, children, clean, killed, by_signal[SIGSEGV],
	       by_signal[SIGILL], by_signal[SIGBUS], by_signal[SIGKILL],
	       killed - by_signal[SIGSEGV] - by_signal[SIGILL] - by_signal[SIGBUS] -
	           by_signal[SIGKILL],
	       timeouts);
	return 0;
}
