/*
 * trapframe.h: the saved user (or kernel) register state at a trap,
 * interrupt or syscall. It sits at the top of the current task's kernel
 * stack; trap_entry.S and syscall_entry.S build it, arch_enter_user
 * consumes it.
 *
 * For a syscall (trapno == TRAP_SYSCALL) the entry stores rcx = rip and
 * r11 = rflags like the hardware does, so a syscall clobbers them exactly
 * as on Linux. The field order is fixed by the assembly; change both.
 */
#ifndef CVMIFY_ARCH_TRAPFRAME_H
#define CVMIFY_ARCH_TRAPFRAME_H

#define TRAP_SYSCALL 0x100
#define TRAP_VE 20 /* virtualization exception (TDX) */
#define TRAPFRAME_SIZE (22 * 8)
#define TRAPFRAME_CS (18 * 8) /* offset of cs */

/* Segment selectors (gdt.c). User selectors have RPL 3. */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x1b /* (3 << 3) | 3 */
#define SEL_UCODE 0x23 /* (4 << 3) | 3 */
#define SEL_TSS 0x28

#ifdef __ASSEMBLY__
/*
 * The general registers of a struct trapframe, pushed and popped in its
 * field order (rax first, so r15 lands at the lowest address). Used by
 * trap_entry.S and syscall_entry.S; straight-line instructions only.
 */
.macro TRAPFRAME_PUSH_REGS
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
.endm

.macro TRAPFRAME_POP_REGS
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
.endm
#else
#include "lib/types.h"

struct trapframe {
    u64 r15, r14, r13, r12, r11, r10, r9, r8;
    u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
    u64 trapno;  /* exception vector, or TRAP_SYSCALL */
    u64 errcode; /* hardware error code, or 0 */
    /* what iretq pops */
    u64 rip, cs, rflags, rsp, ss;
};

_Static_assert(sizeof(struct trapframe) == TRAPFRAME_SIZE, "trapframe layout");
_Static_assert(__builtin_offsetof(struct trapframe, cs) == TRAPFRAME_CS, "trapframe cs");

#define RFLAGS_IF (1ULL << 9)
#define RFLAGS_AC (1ULL << 18)
#define RFLAGS_USER_DEFAULT (RFLAGS_IF | 0x2)

static inline bool trapframe_from_user(const struct trapframe *tf)
{
    return (tf->cs & 3) == 3;
}

/* Fill a fresh user frame: rip, rsp, flags, selectors; other registers 0. */
void trapframe_init_user(struct trapframe *tf, u64 rip, u64 rsp);
#endif /* !__ASSEMBLY__ */

#endif
