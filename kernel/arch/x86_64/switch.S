/*
 * switch.S: kernel context switch (arch.h: arch_switch, the first-run
 * trampoline). Only callee-saved registers move; the layout matches
 * struct arch_context.
 */
    .text
/* void arch_switch(struct arch_context **old, struct arch_context *new) */
    .globl arch_switch
arch_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

/* First run of a context from arch_context_init: r12 = entry, r13 = arg. */
    .globl arch_context_trampoline
arch_context_trampoline:
    mov %r13, %rdi
    call *%r12
    ud2
