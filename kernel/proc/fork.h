/*
 * fork.h: new processes (fork, vfork, clone without threads).
 */
#ifndef CVMIFY_PROC_FORK_H
#define CVMIFY_PROC_FORK_H

#include "lib/types.h"

struct trapframe;

/* Linux clone flags we accept (others: -ENOSYS or -EINVAL). */
#define CLONE_CSIGNAL 0x000000ffull
#define CLONE_VM 0x00000100ull
#define CLONE_FS 0x00000200ull
#define CLONE_FILES 0x00000400ull
#define CLONE_SIGHAND 0x00000800ull
#define CLONE_VFORK 0x00004000ull
#define CLONE_THREAD 0x00010000ull
#define CLONE_SETTLS 0x00080000ull
#define CLONE_PARENT_SETTID 0x00100000ull
#define CLONE_CHILD_CLEARTID 0x00200000ull
#define CLONE_CHILD_SETTID 0x01000000ull

/* Create a child of the current task that resumes from tf with rax = 0
 * (and rsp = newsp if non-zero). Without CLONE_VM the child gets a copy
 * of the address space; CLONE_VM is accepted only with CLONE_VFORK (no
 * threads yet): the child borrows the parent's memory and the parent
 * sleeps until the child execs or exits. Returns the child's pid or
 * -errno. */
long proc_clone(struct trapframe *tf, u64 flags, u64 newsp, u64 parent_tid, u64 child_tid,
                u64 tls);

#endif
