/*
 * td_entry.S: the kernel's entry from td.fd's stub (tdboot/reset.S). It
 * is the first byte of the kernel image (kernel.ld puts .text.tdentry
 * first), at TD_KERNEL_ENTRY, in 32-bit protected mode with paging off.
 *
 * In:  EDI = TD_BOOT_TDX or TD_BOOT_VM (how the stub was entered)
 *      ECX = TD HOB address as the host passed it (TDX; 0 in a VM)
 *      ESI = vCPU index (0 for the boot CPU)
 *
 * The boot CPU records the mode and the HOB address (host input: tdvf.c
 * checks it against the measured TD_HOB section), copies the BFV's data
 * area (the measured TDVF descriptor) into .bss for the C code, then
 * joins the common 32-bit path of boot.S with no PVH start info. Other
 * vCPUs of a TD start here too: they wait until the kernel starts them.
 * g_td_boot_mode lives in mode.c. Only .bss is written (TempMem in a TD:
 * accepted, zeroed by the TDX module; zeroed by the stub in a VM).
 */
#include "tdboot/layout.h"

#define KERNEL_VBASE 0xffffffff80000000
#define PHYS(sym) ((sym) - KERNEL_VBASE)

/* struct td_wakeup (tdx.h): field offsets. */
#define WAKE_VCPU 0
#define WAKE_STARTED 4
#define WAKE_CR3 8
#define WAKE_STACK 16
#define WAKE_ENTRY 24
#define WAKE_ARG 32

    .section .bss
    .p2align 3
    .globl g_td_hob_arg, g_td_bfv_data, g_td_wakeup
g_td_hob_arg: .skip 4
    .p2align 3
g_td_wakeup: .skip 40
    .p2align 4
g_td_bfv_data: .skip TD_BFV_DATA_SIZE

    .section .text.tdentry, "ax"
    .code32
    .globl td_start32
td_start32:
    cli
    cld
    test %esi, %esi
    jnz td_ap_wait
    mov %edi, PHYS(g_td_boot_mode)
    mov %ecx, PHYS(g_td_hob_arg)
    mov $(TD_BFV_BASE + TD_BFV_DATA_OFFSET), %esi
    mov $PHYS(g_td_bfv_data), %edi
    mov $(TD_BFV_DATA_SIZE / 4), %ecx
    rep movsl
    xor %ebx, %ebx                  /* no PVH start info */
    jmp boot32_common

/* Application processors of a TD: they wait for the boot CPU to name
 * their vCPU index in the wake-up mailbox (smp_td.c), then enter long
 * mode on the boot page tables (still mapping the image at its physical
 * and virtual addresses), switch to the kernel's page tables and stack
 * from the mailbox, report in and call entry(arg). The mailbox is
 * private memory (.bss); the host cannot write it. */
td_ap_wait:
    pause
    cmp PHYS(g_td_wakeup) + WAKE_VCPU, %esi
    jne td_ap_wait
    mov %cr4, %eax
    or $(1 << 5), %eax              /* PAE */
    mov %eax, %cr4
    mov $PHYS(boot_pml4), %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx           /* EFER.LME: set at TD start; no write */
    rdmsr
    bt $8, %eax
    jc 1f
    or $(1 << 8), %eax
    wrmsr
1:  mov %cr0, %eax
    or $0x80000001, %eax            /* PG | PE */
    mov %eax, %cr0
    lgdt PHYS(td_ap_gdt_ptr)
    ljmp $0x08, $PHYS(td_ap_long)

    .code64
td_ap_long:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    movabs $td_ap_high, %rax        /* the kernel's tables have no identity map */
    jmp *%rax
td_ap_high:
    mov %cr0, %rax                  /* SSE as boot.S sets it for the boot CPU */
    and $~(1 << 2), %rax
    or $((1 << 1) | (1 << 5)), %rax
    mov %rax, %cr0
    mov %cr4, %rax
    or $((1 << 9) | (1 << 10)), %rax
    mov %rax, %cr4
    movabs $g_td_wakeup, %rbx
    mov WAKE_CR3(%rbx), %rax
    mov %rax, %cr3                  /* the kernel's own tables */
    mov WAKE_STACK(%rbx), %rsp
    xor %ebp, %ebp
    mov WAKE_ARG(%rbx), %rdi
    mov WAKE_ENTRY(%rbx), %rax
    movl $1, WAKE_STARTED(%rbx)
    call *%rax
2:  cli
    hlt
    jmp 2b
    .code32

    .section .rodata
    .p2align 3
td_ap_gdt:
    .quad 0
    .quad 0x00af9b000000ffff        /* 0x08: 64-bit code */
    .quad 0x00cf93000000ffff        /* 0x10: data */
td_ap_gdt_end:
td_ap_gdt_ptr:
    .word td_ap_gdt_end - td_ap_gdt - 1
    .quad PHYS(td_ap_gdt)

    .section .note.GNU-stack, "", @progbits
