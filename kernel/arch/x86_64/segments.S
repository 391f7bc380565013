/* segments.S: reload the segment registers after loading the final GDT. */
#include "arch/x86_64/trapframe.h"

    .text
    .globl gdt_reload_segments
gdt_reload_segments:
    mov $SEL_KDATA, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs           /* fs/gs selectors 0: bases come from MSRs */
    pop %rax                /* return address */
    push $SEL_KCODE
    push %rax
    lretq
