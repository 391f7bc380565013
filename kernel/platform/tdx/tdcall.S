/*
 * tdcall.S: the only asm of the TDX backend. TDCALL is encoded as bytes
 * (66 0f 01 cc) so any assembler takes it. Register conventions: see
 * tdcall.h. Offsets follow struct tdx_regs.
 */
#define REG_RCX 0
#define REG_RDX 8
#define REG_R8 16
#define REG_R9 24
#define REG_R10 32
#define REG_R11 40
#define REG_R12 48
#define REG_R13 56
#define REG_R14 64
#define REG_R15 72

#define TDCALL .byte 0x66, 0x0f, 0x01, 0xcc

    .text

/* u64 tdx_tdcall(u64 leaf %rdi, struct tdx_regs *regs %rsi) */
    .globl tdx_tdcall
    .type tdx_tdcall, @function
tdx_tdcall:
    pushq %rsi
    movq %rdi, %rax
    movq REG_RCX(%rsi), %rcx
    movq REG_RDX(%rsi), %rdx
    movq REG_R8(%rsi), %r8
    movq REG_R9(%rsi), %r9
    movq REG_R10(%rsi), %r10
    movq REG_R11(%rsi), %r11
    TDCALL
    popq %rsi
    movq %rcx, REG_RCX(%rsi)
    movq %rdx, REG_RDX(%rsi)
    movq %r8, REG_R8(%rsi)
    movq %r9, REG_R9(%rsi)
    movq %r10, REG_R10(%rsi)
    movq %r11, REG_R11(%rsi)
    ret
    .size tdx_tdcall, . - tdx_tdcall

/* u64 tdx_vmcall(struct tdx_regs *regs %rdi). R12..R15 are callee-saved
 * in the SysV ABI, so they are saved around the call. */
    .globl tdx_vmcall
    .type tdx_vmcall, @function
tdx_vmcall:
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rdi
    xorl %eax, %eax             /* leaf TDG.VP.VMCALL */
    movq REG_RCX(%rdi), %rcx
    movq REG_R10(%rdi), %r10
    movq REG_R11(%rdi), %r11
    movq REG_R12(%rdi), %r12
    movq REG_R13(%rdi), %r13
    movq REG_R14(%rdi), %r14
    movq REG_R15(%rdi), %r15
    TDCALL
    popq %rdi
    movq %r10, REG_R10(%rdi)
    movq %r11, REG_R11(%rdi)
    movq %r12, REG_R12(%rdi)
    movq %r13, REG_R13(%rdi)
    movq %r14, REG_R14(%rdi)
    movq %r15, REG_R15(%rdi)
    /* Host-written values must not linger in registers the compiler
     * believes are dead: clear the caller-saved ones we loaded. */
    xorl %ecx, %ecx
    xorl %r10d, %r10d
    xorl %r11d, %r11d
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    ret
    .size tdx_vmcall, . - tdx_vmcall

    .section .note.GNU-stack, "", @progbits
