/*
 * fork.h: new processes and threads (fork, vfork, clone, clone3).
 */
#ifndef CVMIFY_PROC_FORK_H
#define CVMIFY_PROC_FORK_H

#include "lib/types.h"

struct trapframe;

/* Linux clone flags. */
#define CLONE_CSIGNAL 0x000000ffull    /* the exit signal for the parent */
#define CLONE_VM 0x00000100ull
#define CLONE_FS 0x00000200ull
#define CLONE_FILES 0x00000400ull
#define CLONE_SIGHAND 0x00000800ull
#define CLONE_PIDFD 0x00001000ull
#define CLONE_PTRACE 0x00002000ull
#define CLONE_VFORK 0x00004000ull
#define CLONE_PARENT 0x00008000ull
#define CLONE_THREAD 0x00010000ull
#define CLONE_NEWNS 0x00020000ull
#define CLONE_SYSVSEM 0x00040000ull
#define CLONE_SETTLS 0x00080000ull
#define CLONE_PARENT_SETTID 0x00100000ull
#define CLONE_CHILD_CLEARTID 0x00200000ull
#define CLONE_DETACHED 0x00400000ull
#define CLONE_UNTRACED 0x00800000ull
#define CLONE_CHILD_SETTID 0x01000000ull
#define CLONE_IO 0x80000000ull

/* What the child shares: a new process shares nothing (CLONE_VM only
 * with CLONE_VFORK: it borrows the memory until execve or exit); a
 * thread shares everything: CLONE_THREAD needs CLONE_VM, CLONE_FS,
 * CLONE_FILES and CLONE_SIGHAND together, which is what glibc, musl,
 * Go and the JVM pass. Other combinations (partly shared processes)
 * are -EINVAL, never a silent half-thread. */
#define CLONE_THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)

/* Create a child of the current task that resumes from tf with rax = 0
 * (and rsp = newsp if non-zero): a thread of the same process with
 * CLONE_THREAD, else a new process. Returns the child's tid or -errno
 * (-EAGAIN out of memory or ids). */
long proc_clone(struct trapframe *tf, u64 flags, u64 newsp, u64 parent_tid, u64 child_tid,
                u64 tls);

#endif
