/*
 * ap_trampoline.S: where an application processor starts after the
 * STARTUP IPI (platform/vm/smp.c copies these bytes to physical
 * AP_TRAMPOLINE_PA and fills in the data words at the end). It runs in
 * real mode at CS:IP = 0x0800:0000, switches to protected mode, turns on
 * PAE, long mode, NX and paging with the temporary tables smp.c built
 * (the trampoline page identity-mapped, the kernel half shared), and
 * jumps to the kernel's entry(arg) on the given stack. It is data to
 * the kernel (.rodata), code only at its low copy.
 */
#define AP_TRAMPOLINE_PA 0x8000
#define REL(sym) ((sym) - ap_trampoline_start + AP_TRAMPOLINE_PA)

    .section .rodata
    .p2align 4
    .globl ap_trampoline_start
ap_trampoline_start:
    .code16
    cli
    cld
    xor %ax, %ax
    mov %ax, %ds
    lgdtl REL(tramp_gdtr)
    mov %cr0, %eax
    or $1, %eax                     /* PE */
    mov %eax, %cr0
    ljmpl $0x08, $REL(tramp32)

    .code32
tramp32:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %cr4, %eax
    or $(1 << 5), %eax              /* PAE */
    mov %eax, %cr4
    mov REL(ap_trampoline_cr3), %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx           /* EFER: long mode, NX (kernel PTEs use it) */
    rdmsr
    or $((1 << 8) | (1 << 11)), %eax
    wrmsr
    mov %cr0, %eax
    or $0x80010000, %eax            /* PG, WP */
    mov %eax, %cr0
    ljmp $0x18, $REL(tramp64)

    .code64
tramp64:
    mov REL(ap_trampoline_stack), %rsp
    mov REL(ap_trampoline_arg), %rdi
    mov REL(ap_trampoline_started), %rax
    movl $1, (%rax)                 /* a kernel variable: this page is read-only */
    mov REL(ap_trampoline_entry), %rax
    xor %ebp, %ebp
    jmp *%rax

    .p2align 3
tramp_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff        /* 0x08: 32-bit code */
    .quad 0x00cf92000000ffff        /* 0x10: data */
    .quad 0x00af9a000000ffff        /* 0x18: 64-bit code */
tramp_gdtr:
    .word 31
    .long REL(tramp_gdt)
    .p2align 3
    .globl ap_trampoline_cr3, ap_trampoline_stack, ap_trampoline_entry
    .globl ap_trampoline_arg, ap_trampoline_started
ap_trampoline_stack: .quad 0
ap_trampoline_entry: .quad 0
ap_trampoline_arg: .quad 0
ap_trampoline_started: .quad 0      /* address of the kernel's flag */
ap_trampoline_cr3: .long 0
    .globl ap_trampoline_end
ap_trampoline_end:
