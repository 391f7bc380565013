/*
 * hardening.c: what a hostile program sees when it probes the kernel's
 * edges: signal handlers, restorers and sigreturn targets outside user
 * space end the process with SIGSEGV (never a kernel fault or a hang),
 * the last page below 2^47 cannot be mapped (so no SYSCALL returns to a
 * non-canonical rip), and nothing the kernel copies out carries bytes it
 * did not mean to give (the signal frame's FPU area, PR_GET_NAME).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "check.h"

#define NONCANONICAL 0x0000800000000000ul
#define KERNEL_ADDR 0xffffffff81000000ul
#define LAST_USER_PAGE 0x00007ffffffff000ul /* Linux's TASK_SIZE_MAX */

/* The kernel's struct sigaction for rt_sigaction (not glibc's). */
struct ksigaction {
	uintptr_t handler;
	unsigned long flags;
	uintptr_t restorer;
	unsigned long mask;
};

#define KSA_RESTORER 0x04000000ul

/* Run fn in a child; return its wait status. */
static int status_of_child(void (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		_exit(0);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static void install_siginfo(int sig, void (*fn)(int, siginfo_t *, void *))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO;
	sigaction(sig, &sa, NULL);
}

static int killed_by_sigsegv(int status)
{
	return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}

/* A SIGSEGV handler that ends the child with the si_code it got: Linux
 * reports a return to a bad rip as a general protection fault, SIGSEGV
 * with SI_KERNEL and si_addr 0. */
static void exit_with_code(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)uc;
	_exit(info->si_code == SI_KERNEL && info->si_addr == NULL ? 42 : 43);
}

static void catch_sigsegv(void)
{
	install_siginfo(SIGSEGV, exit_with_code);
}

static int exited_with(int status, int code)
{
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == code;
}

static void raise_with_handler(uintptr_t handler)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = (void (*)(int))handler;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
}

static void noncanonical_handler(void)
{
	raise_with_handler(NONCANONICAL);
}

static void kernel_handler(void)
{
	raise_with_handler(KERNEL_ADDR);
}

static void noncanonical_handler_caught(void)
{
	catch_sigsegv();
	raise_with_handler(NONCANONICAL);
}

static volatile int g_handled;

static void on_usr1(int sig)
{
	g_handled = sig;
}

static void noncanonical_restorer(void)
{
	struct ksigaction ka = {
		.handler = (uintptr_t)on_usr1,
		.flags = KSA_RESTORER,
		.restorer = NONCANONICAL,
	};
	syscall(SYS_rt_sigaction, SIGUSR1, &ka, NULL, 8);
	raise(SIGUSR1);
}

static void to_noncanonical_rip(int sig, siginfo_t *info, void *ucv)
{
	(void)sig;
	(void)info;
	ucontext_t *uc = ucv;
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)NONCANONICAL;
}

static void sigreturn_noncanonical(void)
{
	install_siginfo(SIGUSR1, to_noncanonical_rip);
	raise(SIGUSR1);
}

/* A `syscall` as the last instruction before the last user page: it
 * returns to the first byte of that (unmappable) page and faults there. */
static void syscall_at_the_top(void)
{
	uintptr_t page = LAST_USER_PAGE - 4096;
	unsigned char *p = mmap((void *)page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
	                        MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(3);
	p[4094] = 0x0f; /* syscall */
	p[4095] = 0x05;
	__asm__ volatile("mov $39, %%eax\n\t" /* getpid */
	                 "jmp *%0" ::"r"(page + 4094) : "rax", "rcx", "r11", "memory");
}

static void check_bad_returns(void)
{
	check(killed_by_sigsegv(status_of_child(noncanonical_handler)),
	      "a handler at 2^47: SIGSEGV");
	check(exited_with(status_of_child(noncanonical_handler_caught), 42),
	      "a handler at 2^47: a caught SIGSEGV with SI_KERNEL");
	check(killed_by_sigsegv(status_of_child(kernel_handler)),
	      "a handler at a kernel address: SIGSEGV");
	check(killed_by_sigsegv(status_of_child(noncanonical_restorer)),
	      "a restorer at 2^47: SIGSEGV");
	check(killed_by_sigsegv(status_of_child(sigreturn_noncanonical)),
	      "sigreturn to rip 2^47: SIGSEGV");

	errno = 0;
	void *top = mmap((void *)LAST_USER_PAGE, 4096, PROT_READ | PROT_WRITE,
	                 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(top == MAP_FAILED && errno == ENOMEM, "the page below 2^47 cannot be mapped");
	check(killed_by_sigsegv(status_of_child(syscall_at_the_top)),
	      "syscall at the top of user space: SIGSEGV at the next page");
}

/* ---- the FPU area of a signal frame -------------------------------------- */

#define SW_BYTES_OFFSET 464

struct sw_bytes {
	uint32_t magic1;
	uint32_t extended_size;
	uint64_t xfeatures;
	uint32_t xstate_size;
	uint32_t padding[7];
};

static unsigned char g_sw[48];
static unsigned char g_fx_reserved[48]; /* bytes 416..463 of the FXSAVE image */
static uint32_t g_magic2;
static volatile int g_frame_seen;

static void on_frame(int sig, siginfo_t *info, void *ucv)
{
	(void)sig;
	(void)info;
	ucontext_t *uc = ucv;
	const unsigned char *fp = (const unsigned char *)uc->uc_mcontext.fpregs;
	memcpy(g_sw, fp + SW_BYTES_OFFSET, sizeof(g_sw));
	memcpy(g_fx_reserved, fp + 416, sizeof(g_fx_reserved));
	struct sw_bytes sw;
	memcpy(&sw, g_sw, sizeof(sw));
	if (sw.magic1 == FP_XSTATE_MAGIC1 && sw.xstate_size >= 576 && sw.xstate_size < 65536)
		memcpy(&g_magic2, fp + sw.xstate_size, sizeof(g_magic2));
	g_frame_seen = 1;
}

static int all_zero(const unsigned char *p, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (p[i] != 0)
			return 0;
	}
	return 1;
}

/* Bytes 464..511 are either zero (a plain FXSAVE frame) or exactly the
 * software-reserved words Linux writes for an XSAVE frame. */
static int sw_bytes_clean(void)
{
	struct sw_bytes sw;
	memcpy(&sw, g_sw, sizeof(sw));
	if (sw.magic1 != FP_XSTATE_MAGIC1)
		return all_zero(g_sw, sizeof(g_sw));
	return sw.extended_size == sw.xstate_size + 4 && (sw.xfeatures & 3) == 3 &&
	       all_zero((const unsigned char *)sw.padding, sizeof(sw.padding)) &&
	       g_magic2 == FP_XSTATE_MAGIC2;
}

static void check_fpu_frame(void)
{
	install_siginfo(SIGUSR2, on_frame);
	/* Deep calls first, so the kernel stack below has been used. */
	for (int i = 0; i < 50; i++)
		getppid();
	raise(SIGUSR2);
	check(g_frame_seen, "SIGUSR2 handler ran");
	check(sw_bytes_clean(), "FPU area bytes 464..511: zero or Linux's sw_reserved");
	check(all_zero(g_fx_reserved, sizeof(g_fx_reserved)), "FPU area bytes 416..463 zero");
}

/* ---- prctl names ------------------------------------------------------------- */

static void check_prctl_name(void)
{
	check(prctl(PR_SET_NAME, "ab", 0, 0, 0) == 0, "PR_SET_NAME ab");
	unsigned char name[16];
	memset(name, 0xff, sizeof(name));
	check(prctl(PR_GET_NAME, name, 0, 0, 0) == 0, "PR_GET_NAME");
	check(memcmp(name, "ab", 3) == 0, "PR_GET_NAME gives ab");
	check(all_zero(name + 2, sizeof(name) - 2), "PR_GET_NAME is zero-filled after the NUL");
	check(prctl(PR_SET_NAME, "a-name-longer-than-15", 0, 0, 0) == 0, "PR_SET_NAME long");
	memset(name, 0xff, sizeof(name));
	check(prctl(PR_GET_NAME, name, 0, 0, 0) == 0 &&
	      memcmp(name, "a-name-longer-t", 16) == 0, "a long name is cut to 15 bytes + NUL");
}

int main(void)
{
	check_bad_returns();
	check_fpu_frame();
	check_prctl_name();
	return check_done("hardening");
}
