/*
 * trap_entry.S: the 256 IDT entry stubs, the common path that builds a
 * struct trapframe (trapframe.h) and calls trap_handler, and trap_return,
 * which restores a trapframe and irets (also used by arch_enter_user).
 * swapgs happens only when the trap came from ring 3.
 */
#include "arch/x86_64/trapframe.h"

    .text

    /* One stub per vector; the CPU pushes an error code only for
     * 8, 10-14, 17, 21, 29 and 30, the others push a 0 in its place. */
    .macro VECTOR n
    .p2align 4
vector_\n:
    .if (\n == 8) || (\n == 10) || (\n == 11) || (\n == 12) || (\n == 13) || (\n == 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
    .else
    pushq $0
    .endif
    pushq $\n
    jmp trap_common
    .endm

    .altmacro
    .macro VECTOR_AT n
    VECTOR %n
    .endm

vectors_start:
    .set i, 0
    .rept 256
    VECTOR_AT %i
    .set i, i + 1
    .endr

/* Table of stub addresses for idt.c. */
    .section .rodata
    .p2align 3
    .globl trap_vectors
trap_vectors:
    .macro ADDR_OF n
    .quad vector_\n
    .endm
    .set i, 0
    .rept 256
    ADDR_OF %i
    .set i, i + 1
    .endr

    .text
trap_common:
    /* stack: trapno, errcode, rip, cs, rflags, rsp, ss */
    testb $3, 24(%rsp)
    jz 1f
    swapgs
1:  TRAPFRAME_PUSH_REGS
    cld
    mov %rsp, %rdi
    call trap_handler
    jmp trap_return

/* Restore the trapframe at %rsp and return with iretq. A frame for
 * ring 3 first passes user_return_guard (user_return.c): no rip beyond
 * the user limit ever reaches iretq. The frame is 16-byte aligned. */
    .globl trap_return
trap_return:
    testb $3, TRAPFRAME_CS(%rsp)
    jz 3f
    mov %rsp, %rdi
    call user_return_guard
3:  TRAPFRAME_POP_REGS
    add $16, %rsp           /* trapno, errcode */
    testb $3, 8(%rsp)
    jz 2f
    swapgs
2:  iretq

/* void arch_enter_user(struct trapframe *tf): never returns. */
    .globl arch_enter_user
arch_enter_user:
    cli
    mov %rdi, %rsp
    jmp trap_return
