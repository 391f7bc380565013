/*
 * syscall_entry.S: the SYSCALL entry point (MSR_LSTAR). Switches to the
 * task's kernel stack from the per-CPU area, builds a struct trapframe
 * exactly like a trap would (rip = rcx, rflags = r11, user selectors) and
 * calls syscall_entry_c. Returns with sysretq when syscall_entry_c says
 * the frame is safe for it, otherwise through trap_return (iretq).
 * FMASK has cleared IF, TF, DF and AC on entry.
 */
#include "arch/x86_64/trapframe.h"
#include "arch/x86_64/percpu.h"

    .text
    .globl syscall_entry
syscall_entry:
    swapgs
    mov %rsp, %gs:PERCPU_USER_RSP
    mov %gs:PERCPU_KERNEL_STACK, %rsp
    pushq $SEL_UDATA        /* ss */
    pushq %gs:PERCPU_USER_RSP /* rsp */
    pushq %r11              /* rflags */
    pushq $SEL_UCODE        /* cs */
    pushq %rcx              /* rip */
    pushq $0                /* errcode */
    pushq $TRAP_SYSCALL     /* trapno */
    TRAPFRAME_PUSH_REGS
    mov %rsp, %rdi
    call syscall_entry_c
    test %eax, %eax
    jz trap_return          /* iretq path restores everything */

    /* sysret path: syscall_entry_c checked rcx == rip, r11 == rflags,
     * user selectors and a canonical user rip. */
    TRAPFRAME_POP_REGS
    add $16, %rsp           /* trapno, errcode; now rip, cs, rflags, rsp, ss */
    cli
    swapgs
    mov 24(%rsp), %rsp
    sysretq
