/*
 * call_on_stack.S: u64 arch_call_on_stack(u64 (*fn)(void *), void *arg,
 * u64 stack_top): run fn(arg) on another stack and return its result.
 * crypto/ uses it to keep BearSSL's frames (expanded keys) off the task
 * stacks, on a private stack it wipes after each call. stack_top must be
 * 16-byte aligned. Also assembled for the host unit tests (same ABI).
 */
    .text
    .globl arch_call_on_stack
    .type arch_call_on_stack, @function
arch_call_on_stack:
    push %rbp
    mov %rsp, %rbp          /* the caller's stack, restored below */
    mov %rdx, %rsp
    mov %rdi, %rax
    mov %rsi, %rdi
    call *%rax
    mov %rbp, %rsp
    pop %rbp
    ret
    .size arch_call_on_stack, . - arch_call_on_stack

    .section .note.GNU-stack, "", @progbits
