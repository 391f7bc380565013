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

    .section .bss
    .p2align 3
    .globl g_td_hob_arg, g_td_bfv_data
g_td_hob_arg: .skip 4
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

/* Application processors of a TD: not started yet (docs/tdx.md). They
 * spin without touching memory; HLT would exit to the host. */
td_ap_wait:
    pause
    jmp td_ap_wait

    .section .note.GNU-stack, "", @progbits
