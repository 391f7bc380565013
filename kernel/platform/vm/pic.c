/*
 * pic.c: silence the legacy 8259 PICs. Their default vectors (8..15)
 * collide with CPU exceptions, so they are moved to 0x20..0x2f and fully
 * masked; the kernel polls its devices.
 */
#include "platform/platform.h"
#include "arch/x86_64/cpu.h"

void platform_irq_init(void)
{
    cpu_outb(0x20, 0x11); /* ICW1: init, ICW4 follows */
    cpu_outb(0xa0, 0x11);
    cpu_outb(0x21, 0x20); /* ICW2: vector base */
    cpu_outb(0xa1, 0x28);
    cpu_outb(0x21, 0x04); /* ICW3: slave on IRQ2 */
    cpu_outb(0xa1, 0x02);
    cpu_outb(0x21, 0x01); /* ICW4: 8086 mode */
    cpu_outb(0xa1, 0x01);
    cpu_outb(0x21, 0xff); /* mask everything */
    cpu_outb(0xa1, 0xff);
}
