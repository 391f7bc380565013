/*
 * boot.S: PVH entry. QEMU (or a PVH loader) jumps to pvh_start32 in 32-bit
 * protected mode with paging off and %ebx = physical address of the
 * hvm_start_info (host input; parsed in platform/vm/pvh.c).
 *
 * We build temporary page tables in .bss (the first GiB mapped at 0, at
 * DIRECT_MAP_BASE and at KERNEL_VBASE), enter long mode, jump to the high
 * half and call kmain(start_info_pa). This code writes nothing inside the
 * measured image: only .bss, which lies after __measured_end.
 * kpt.c replaces these tables with the final W^X ones.
 */
#define KERNEL_VBASE 0xffffffff80000000
#define PHYS(sym) ((sym) - KERNEL_VBASE)

#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* The PVH note: QEMU reads the 32-bit entry's physical address here. */
    .section .note.cvmify, "a"
    .p2align 2
    .long 4                         /* namesz: "Xen\0" */
    .long 8                         /* descsz */
    .long XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .quad PHYS(pvh_start32)

/* Boot GDT: accessed bits preset so the CPU never writes it (read-only,
 * measured). gdt.c loads the real GDT with a TSS later. */
    .section .rodata
    .p2align 3
boot_gdt:
    .quad 0
    .quad 0x00af9b000000ffff        /* 0x08: 64-bit code, DPL 0 */
    .quad 0x00cf93000000ffff        /* 0x10: data, DPL 0 */
boot_gdt_end:
boot_gdt_ptr:
    .word boot_gdt_end - boot_gdt - 1
    .quad PHYS(boot_gdt)

    .section .bss
    .p2align 12
    .globl boot_pml4
boot_pml4: .skip 4096
boot_pdpt_low: .skip 4096
boot_pdpt_high: .skip 4096
boot_pd: .skip 4096
    /* Left unmapped by kpt.c: a boot stack overflow faults (and ends in
     * #DF on its IST stack, then a panic) instead of corrupting .bss. */
    .globl boot_stack_guard
boot_stack_guard: .skip 4096
    .globl boot_stack_bottom, boot_stack_top
boot_stack_bottom: .skip 16384
boot_stack_top:

    .section .text.boot, "ax"
    .code32
    .globl pvh_start32
pvh_start32:
    cli
    cld
    /* Also entered from platform/tdx/td_entry.S (td.fd) with %ebx = 0. */
    .globl boot32_common
boot32_common:
    mov %ebx, %esi                  /* keep start_info across the setup */

    /* zero the four table pages (.bss may not be cleared by the loader) */
    mov $PHYS(boot_pml4), %edi
    mov $(4 * 4096 / 4), %ecx
    xor %eax, %eax
    rep stosl

    /* PML4[0] (identity) and PML4[256] (the start of the direct map) ->
     * the low PDPT; PML4[511] -> the high PDPT; both PDPTs point at one
     * PD. So RAM below 1 GiB is reachable at DIRECT_MAP_BASE + pa before
     * kpt.c builds the real map. */
    mov $PHYS(boot_pdpt_low), %eax
    or $3, %eax
    mov %eax, PHYS(boot_pml4)
    mov %eax, PHYS(boot_pml4) + 256 * 8
    mov $PHYS(boot_pdpt_high), %eax
    or $3, %eax
    mov %eax, PHYS(boot_pml4) + 511 * 8
    mov $PHYS(boot_pd), %eax
    or $3, %eax
    mov %eax, PHYS(boot_pdpt_low)
    mov %eax, PHYS(boot_pdpt_high) + 510 * 8

    /* PD: 512 x 2 MiB pages covering [0, 1 GiB), present|write|PS */
    mov $PHYS(boot_pd), %edi
    mov $0x83, %eax
    mov $512, %ecx
1:  mov %eax, (%edi)
    movl $0, 4(%edi)
    add $0x200000, %eax
    add $8, %edi
    loop 1b

    /* PAE, CR3, EFER.LME, then paging */
    mov %cr4, %eax
    or $(1 << 5), %eax
    mov %eax, %cr4
    mov $PHYS(boot_pml4), %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx
    rdmsr
    bt $8, %eax                     /* a TD starts with LME set: writing */
    jc 3f                           /* EFER there would be a #VE */
    or $(1 << 8), %eax
    wrmsr
3:
    mov %cr0, %eax
    or $0x80000001, %eax
    mov %eax, %cr0

    lgdt PHYS(boot_gdt_ptr)
    ljmp $0x08, $PHYS(start64_low)

    .code64
start64_low:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    movabs $start64_high, %rax
    jmp *%rax

start64_high:
    movabs $boot_stack_top, %rsp
    xor %ebp, %ebp
    /* SSE on (CR0.EM off, MP+NE on; CR4.OSFXSR+OSXMMEXCPT): the first C
     * action hashes the kernel with code the compiler may vectorise. */
    mov %cr0, %rax
    and $~(1 << 2), %rax
    or $((1 << 1) | (1 << 5)), %rax
    mov %rax, %cr0
    mov %cr4, %rax
    or $((1 << 9) | (1 << 10)), %rax
    mov %rax, %cr4
    mov %esi, %ebx                  /* callee-saved across the next call */
    /* The stack protector's canary, before any protected C frame exists
     * (writes only .bss, so the image is still as loaded). */
    call stack_guard_init
    mov %ebx, %edi                  /* kmain(u64 start_info_pa) */
    call kmain
2:  cli
    hlt
    jmp 2b
