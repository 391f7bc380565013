/*
 * trap.h: trap dispatch (trap.c), called from trap_entry.S.
 */
#ifndef CVMIFY_ARCH_TRAP_H
#define CVMIFY_ARCH_TRAP_H

#include "arch/x86_64/trapframe.h"

void trap_handler(struct trapframe *tf);
const char *trap_name(u64 vector);

/* An exception in ring 0: panic naming the fault (kernel_fault.c). */
void kernel_fault_panic(const struct trapframe *tf) __attribute__((noreturn));

#endif
