/*
 * fault.h: user page faults (called by the #PF trap handler for faults
 * raised in ring 3, and by uaccess for kernel copies).
 */
#ifndef CVMIFY_MM_FAULT_H
#define CVMIFY_MM_FAULT_H

#include "lib/types.h"

/* x86 #PF error-code bits */
#define PF_PRESENT 0x1
#define PF_WRITE 0x2
#define PF_USER 0x4
#define PF_RSVD 0x8
#define PF_INSTR 0x10

/* Resolve a ring-3 fault at addr in the current task: allocate and map
 * the page if a VMA allows the access. Returns true when the access can
 * be retried, false when it is a real fault (the trap handler then calls
 * signal_deliver_fault with SIGSEGV and code vm_fault_code(addr)). Out of
 * memory ends the task with SIGKILL, like Linux's OOM killer. */
bool vm_handle_user_fault(u64 addr, u64 errcode);

/* The same for an explicit address space (uaccess; exec fills a new one
 * before it becomes current). Returns 0, -EFAULT (no VMA allows it, or
 * the file read failed) or -ENOMEM. */
struct mm;
int vm_fault_in(struct mm *mm, u64 addr, u64 errcode);

/* SEGV_MAPERR when no VMA covers addr, SEGV_ACCERR otherwise. */
int vm_fault_code(u64 addr);

#endif
