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

/* What a ring-3 fault comes to when it cannot be retried: the signal
 * Linux sends for it. */
struct user_fault_signal {
	int signo;    /* SIGSEGV or SIGBUS */
	int code;     /* SEGV_MAPERR, SEGV_ACCERR or BUS_ADRERR */
};

/* Resolve a ring-3 fault at addr in the current task: allocate and map
 * the page if a VMA allows the access. Returns true when the access can
 * be retried; false when it is a real fault, with *sig saying what to
 * deliver (signal_deliver_fault): SIGSEGV when no VMA allows the access,
 * SIGBUS/BUS_ADRERR when the mapped file could not be read (EIO: a
 * tampered or failing disk block). Out of memory ends the task with
 * SIGKILL, like Linux's OOM killer. */
bool vm_handle_user_fault(u64 addr, u64 errcode, struct user_fault_signal *sig);

/* The same for an explicit address space (uaccess; exec fills a new one
 * before it becomes current). Returns 0, -EFAULT (no VMA allows it),
 * -EIO (the file behind the page could not be read) or -ENOMEM. */
struct mm;
int vm_fault_in(struct mm *mm, u64 addr, u64 errcode);

/* SEGV_MAPERR when no VMA covers addr, SEGV_ACCERR otherwise. */
int vm_fault_code(u64 addr);

#endif
