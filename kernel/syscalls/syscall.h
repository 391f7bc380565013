/*
 * syscall.h: the system-call dispatcher and the handler signature.
 *
 * The syscall entry (arch/x86_64) saves every user register in a struct
 * trapframe and calls syscall_dispatch(tf). The dispatcher reads the
 * number from rax and arguments from rdi, rsi, rdx, r10, r8, r9, calls the
 * handler, stores the result in tf->rax, delivers pending signals (which
 * may rewrite tf), and returns tf->rax. The entry must restore ALL user
 * registers from *tf when it returns to ring 3 (rt_sigreturn and signal
 * delivery change rip, rsp, rflags and every GPR), and must not trust
 * tf->rip for sysret without the canonical check.
 */
#ifndef CVMIFY_SYSCALLS_SYSCALL_H
#define CVMIFY_SYSCALLS_SYSCALL_H

#include "lib/types.h"

struct trapframe;

/* Every handler has this shape; unused arguments are ignored. Handlers
 * that need the frame (rt_sigreturn, execve) use tf. */
struct syscall_args {
	u64 a[6];
	struct trapframe *tf;
};

typedef long (*syscall_fn)(const struct syscall_args *args);

long syscall_dispatch(struct trapframe *tf);

/* One past the highest x86-64 syscall number known by name (mseal). */
#define SYSCALL_NAMES_COUNT 463

/* Linux's name for a syscall number (names.c); NULL if it has none. */
const char *syscall_linux_name(u64 nr);

/* Turn the --trace summary on (fw_cfg opt/cvmify/trace = "1"). */
void syscall_set_trace(bool on);

/* Print "cvmify: syscall <nr> <name> <count> [missing]" lines for every
 * syscall used (fw_cfg opt/cvmify/trace). */
void syscall_print_trace(void);

#endif
