/* signals.c: handlers, masks, the alternate stack and kill to self. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

static volatile int g_got;
static volatile int g_info_code;
static volatile uintptr_t g_handler_sp;

static void on_usr1(int sig)
{
	g_got = sig;
}

static void on_info(int sig, siginfo_t *info, void *uc)
{
	(void)uc;
	g_got = sig;
	g_info_code = info->si_code;
	volatile int local;
	g_handler_sp = (uintptr_t)&local;
}

static sigjmp_buf g_jump;
static volatile int g_fault_sig;
static volatile int g_fault_code;

static void on_fault(int sig, siginfo_t *info, void *uc)
{
	(void)uc;
	g_fault_sig = sig;
	g_fault_code = info->si_code;
	siglongjmp(g_jump, 1);
}

/* Run fn; return the signal it raised (0 if none). */
static int fault_of(void (*fn)(void))
{
	g_fault_sig = 0;
	if (sigsetjmp(g_jump, 1) == 0)
		fn();
	return g_fault_sig;
}

static volatile int g_zero = 0;
static volatile int g_seven = 7;

static void divide_by_zero(void)
{
	/* Both operands volatile: gcc rewrites 1 / x without a divide. */
	volatile int x = g_seven / g_zero;
	(void)x;
}

static void illegal_instruction(void)
{
	__asm__ volatile("ud2");
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	check(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction SIGUSR1");
	check(raise(SIGUSR1) == 0 && g_got == SIGUSR1, "raise runs the handler");

	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	g_got = 0;
	check(sigprocmask(SIG_BLOCK, &set, &old) == 0, "block SIGUSR1");
	check(kill(getpid(), SIGUSR1) == 0 && g_got == 0, "a blocked signal waits");
	sigset_t pending;
	check(sigpending(&pending) == 0 && sigismember(&pending, SIGUSR1), "sigpending shows it");
	check(sigprocmask(SIG_SETMASK, &old, NULL) == 0 && g_got == SIGUSR1,
	      "unblocking delivers it");

	static char alt[65536];
	stack_t ss = {.ss_sp = alt, .ss_size = sizeof(alt), .ss_flags = 0};
	check(sigaltstack(&ss, NULL) == 0, "sigaltstack");
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_info;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	check(sigaction(SIGUSR2, &sa, NULL) == 0, "sigaction SA_SIGINFO|SA_ONSTACK");
	g_got = 0;
	check(raise(SIGUSR2) == 0 && g_got == SIGUSR2, "SA_SIGINFO handler runs");
	check(g_info_code == SI_TKILL || g_info_code == SI_USER, "si_code from raise");
	check(g_handler_sp >= (uintptr_t)alt && g_handler_sp < (uintptr_t)alt + sizeof(alt),
	      "handler ran on the alternate stack");

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	check(sigaction(SIGFPE, &sa, NULL) == 0 && sigaction(SIGILL, &sa, NULL) == 0,
	      "install SIGFPE and SIGILL handlers");
	check(fault_of(divide_by_zero) == SIGFPE && g_fault_code == FPE_INTDIV,
	      "integer divide by zero: SIGFPE/FPE_INTDIV");
	check(fault_of(illegal_instruction) == SIGILL, "ud2: SIGILL");
	check(fault_of(divide_by_zero) == SIGFPE, "the handler works again after siglongjmp");

	signal(SIGUSR1, SIG_IGN);
	check(raise(SIGUSR1) == 0, "an ignored signal does nothing");

	struct sigaction cur;
	check(sigaction(SIGUSR2, NULL, &cur) == 0 && (cur.sa_flags & SA_ONSTACK),
	      "sigaction reads back the flags");
	errno = 0;
	check(sigaction(SIGKILL, &sa, NULL) == -1 && errno == EINVAL, "SIGKILL cannot be caught");
	return check_done("signals");
}
