/* Signal numbers, sigaction, siginfo, stack_t, ucontext and the
 * rt_sigframe exactly as Linux x86-64 lays them out for user space. */
#ifndef LINUX_ABI_SIGNAL_H
#define LINUX_ABI_SIGNAL_H

#include "lib/types.h"

#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGSTKFLT 16
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGXCPU 24
#define SIGXFSZ 25
#define SIGVTALRM 26
#define SIGPROF 27
#define SIGWINCH 28
#define SIGIO 29
#define SIGPWR 30
#define SIGSYS 31
#define NSIG 64 /* signals 1..64 */

#define SIG_DFL 0ull
#define SIG_IGN 1ull

#define SA_NOCLDSTOP 0x00000001u
#define SA_NOCLDWAIT 0x00000002u
#define SA_SIGINFO 0x00000004u
#define SA_RESTORER 0x04000000u
#define SA_ONSTACK 0x08000000u
#define SA_RESTART 0x10000000u
#define SA_NODEFER 0x40000000u
#define SA_RESETHAND 0x80000000u

#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

#define SS_ONSTACK 1
#define SS_DISABLE 2
#define MINSIGSTKSZ 2048

/* si_code values */
#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_QUEUE (-1)
#define SI_TIMER (-2)
#define SI_TKILL (-6)
#define CLD_EXITED 1
#define CLD_KILLED 2
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define BUS_ADRERR 2
#define ILL_ILLOPN 2
#define FPE_INTDIV 1
#define TRAP_BRKPT 1

/* The sigaction rt_sigaction reads and writes (not glibc's). */
struct linux_sigaction {
	u64 handler;
	u64 flags;
	u64 restorer;
	u64 mask;
};

struct linux_stack {
	u64 ss_sp;
	s32 ss_flags;
	s32 pad;
	u64 ss_size;
};

struct linux_siginfo {
	s32 si_signo;
	s32 si_errno;
	s32 si_code;
	s32 pad;
	union {
		u64 addr; /* SIGSEGV, SIGBUS, SIGILL, SIGFPE */
		struct {
			s32 pid;
			u32 uid;
		} kill;
		struct {
			s32 pid;
			u32 uid;
			u64 value;    /* sigval */
		} rt;         /* SI_QUEUE */
		struct {
			s32 tid;
			s32 overrun;
			u64 value;    /* sigval */
		} timer;      /* SI_TIMER */
		struct {
			s32 pid;
			u32 uid;
			s32 status;
			s32 pad;
			s64 utime;
			s64 stime;
		} chld;       /* SIGCHLD */
		u8 bytes[112];
	} u;
};
_Static_assert(sizeof(struct linux_siginfo) == 128, "siginfo is 128 bytes");

struct linux_sigcontext {
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp;
	u64 rip;
	u64 eflags;
	u16 cs, gs, fs, ss;
	u64 err;
	u64 trapno;
	u64 oldmask;
	u64 cr2;
	u64 fpstate; /* user pointer to a 512-byte FXSAVE area */
	u64 reserved1[8];
};
_Static_assert(sizeof(struct linux_sigcontext) == 256, "sigcontext is 256 bytes");

struct linux_ucontext {
	u64 uc_flags;
	u64 uc_link;
	struct linux_stack uc_stack;
	struct linux_sigcontext uc_mcontext;
	u64 uc_sigmask;
};
_Static_assert(sizeof(struct linux_ucontext) == 304, "kernel ucontext is 304 bytes");

/* What the kernel pushes on the user stack; the handler's return address
 * (pretcode = sa_restorer) sits at its lowest address. */
struct linux_rt_sigframe {
	u64 pretcode;
	struct linux_ucontext uc;
	struct linux_siginfo info;
};

#define FXSAVE_SIZE 512

#endif
