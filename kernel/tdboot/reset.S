/*
 * reset.S: td.fd's boot firmware volume (BFV): the reset vector and the
 * smallest stub that hands over to the kernel. Layout: tdboot/layout.h;
 * the whole image: docs/tdx.md. Assembled at offset 0 and placed by the
 * builder at TD_BFV_BASE (4 GiB - 4 KiB), so every absolute address
 * below is written as offset + TD_BFV_BASE (32-bit code) or offset +
 * 0xf000 (16-bit code, CS base 0xffff0000).
 *
 * Two ways in, one artifact:
 *  - a TD: the TDX module starts every vCPU at 0xfffffff0 in 32-bit
 *    protected mode, paging off, flat segments, ECX = R8 = TD HOB, ESI =
 *    vCPU index, EBX[6:0] = GPA width. The sections are already in private
 *    memory and measured (MRTD), so the stub only jumps to the kernel.
 *  - a plain VM (QEMU -M q35 -bios td.fd): the CPU starts there in 16-bit
 *    real mode and nothing has been copied: the whole image is ROM at
 *    4 GiB - size. The stub enables A20, enters 32-bit protected mode,
 *    copies the kernel and the config from the flash to their RAM
 *    addresses, zeroes TempMem and the HOB page, then jumps.
 *
 * Trust: in a TD nothing here reads host input; the descriptor it walks
 * in a VM is part of the measured BFV, and a plain VM trusts its host.
 * The kernel's TD entry (platform/tdx/td_entry.S) gets EDI = TD_BOOT_TDX
 * or TD_BOOT_VM, ECX = TD HOB (TDX) or 0, ESI = vCPU index.
 */
#include "tdboot/layout.h"

#define CODE32_SEL 0x08
#define DATA32_SEL 0x10
#define REAL_CS_BASE 0xffff0000
#define REAL_OFFSET(sym) ((sym) + TD_BFV_BASE - REAL_CS_BASE)
#define FLAT(sym) ((sym) + TD_BFV_BASE)
#define FAST_A20_PORT 0x92
#define DEBUG_EXIT_PORT 0xf4

/* Section entry fields (layout.h). */
#define S_DATA_OFFSET 0
#define S_RAW_SIZE 4
#define S_ADDRESS 8
#define S_ADDRESS_HI 12
#define S_MEM_SIZE 16
#define S_MEM_SIZE_HI 20
#define S_TYPE 24

    .text
    .code32
bfv_start:

/* ---- a TD: straight to the kernel, registers untouched but EDI ---- */
tdx_entry32:
    mov $TD_BOOT_TDX, %edi
    mov $TD_KERNEL_ENTRY, %eax
    jmp *%eax

/* ---- a plain VM, now in 32-bit protected mode ---- */
vm_entry32:
    mov $DATA32_SEL, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    mov %eax, %fs
    mov %eax, %gs

    mov $(TD_BFV_BASE + TD_DESCRIPTOR_OFFSET), %ebx
    cmpl $TDVF_SIGNATURE, (%ebx)
    jne stub_fail
    mov 12(%ebx), %ebp              /* section count */
    test %ebp, %ebp
    jz stub_fail
    cmp $TDVF_MAX_SECTIONS, %ebp
    ja stub_fail
    add $TDVF_HEADER_SIZE, %ebx
    /* Section 0 is this BFV: it tells where the image starts in flash. */
    cmpl $TD_BFV_BASE, S_ADDRESS(%ebx)
    jne stub_fail
    mov $TD_BFV_BASE, %edx
    sub S_DATA_OFFSET(%ebx), %edx   /* edx = flash address of image byte 0 */

next_section:
    cmpl $0, S_ADDRESS_HI(%ebx)
    jne stub_fail
    cmpl $0, S_MEM_SIZE_HI(%ebx)
    jne stub_fail
    mov S_ADDRESS(%ebx), %edi
    cmp $TD_BFV_BASE, %edi
    je section_done                 /* the BFV itself stays in flash */
    mov S_MEM_SIZE(%ebx), %ecx
    cmpl $TDVF_TYPE_CFV, S_TYPE(%ebx)
    ja zero_fill                    /* TD_HOB, TempMem: zeroed memory */
    /* BFV/CFV: copy the data, then zero the tail. No stack: there is
     * no RAM stack yet (ESP points into the ROM). */
    mov S_RAW_SIZE(%ebx), %ecx
    cmp S_MEM_SIZE(%ebx), %ecx
    ja stub_fail
    mov S_DATA_OFFSET(%ebx), %esi
    add %edx, %esi
    cld
    rep movsb
    mov S_MEM_SIZE(%ebx), %ecx
    sub S_RAW_SIZE(%ebx), %ecx
zero_fill:
    xor %eax, %eax
    cld
    rep stosb
section_done:
    add $TDVF_SECTION_SIZE, %ebx
    dec %ebp
    jnz next_section

    mov $TD_BOOT_VM, %edi
    xor %ecx, %ecx
    xor %esi, %esi
    xor %ebx, %ebx
    mov $TD_KERNEL_ENTRY, %eax
    jmp *%eax

/* A malformed image in a plain VM: power off like a kernel panic. */
stub_fail:
    mov $DEBUG_EXIT_PORT, %dx
    mov $TD_STUB_PANIC, %eax
    outl %eax, %dx
1:  hlt
    jmp 1b

/* ---- a plain VM at reset: 16-bit real mode, CS base 0xffff0000 ---- */
    .code16
real16_entry:
    cli
    cld
    inb $FAST_A20_PORT, %al
    orb $0x02, %al                  /* A20 on */
    andb $0xfe, %al                 /* never the fast-reset bit */
    outb %al, $FAST_A20_PORT
    lgdtl %cs:REAL_OFFSET(gdt_ptr)
    mov %cr0, %eax
    orl $1, %eax
    mov %eax, %cr0
    ljmpl $CODE32_SEL, $FLAT(vm_entry32)

/* Flat 32-bit code and data; accessed bits preset (the GDT is in ROM). */
    .p2align 3
gdt:
    .quad 0
    .quad 0x00cf9b000000ffff        /* 0x08: code, 32-bit, 4 GiB */
    .quad 0x00cf93000000ffff        /* 0x10: data, 4 GiB */
gdt_end:
gdt_ptr:
    .word gdt_end - gdt - 1
    .long FLAT(gdt)

/* ---- the builder's area: TDVF descriptor and GUIDed table ---- */
    .org TD_BFV_DATA_OFFSET, 0
    .fill TD_BFV_DATA_SIZE, 1, 0

/* ---- the reset vector, 0xfffffff0: the same bytes decode in both
 * modes up to the jump; CR0.PE tells a TD (set) from a VM (clear). ---- */
    .org TD_RESET_OFFSET, 0
    .code16
reset_vector:
    mov %cr0, %eax                  /* 0f 20 c0 in either mode */
    test $1, %al
    jz 1f
    .code32
    jmp tdx_entry32                 /* e9 rel32 */
    .code16
1:  jmp real16_entry                /* e9 rel16 */
    .org TD_BFV_SIZE, 0xf4          /* pad with hlt to exactly 4 KiB */

    .section .note.GNU-stack, "", @progbits
