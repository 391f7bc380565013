/*
 * pic.c: silence the legacy 8259 PICs. Their default vectors (8..15)
 * collide with CPU exceptions, so they are moved to 0x20..0x2f and fully
 * masked; the kernel polls its devices.
 */
#include "platform/platform.h"
#include "arch/x86_64/cpu.h"

void platform_irq_init(void)
{
    platform_outb(0x20, 0x11); /* ICW1: init, ICW4 follows */
    platform_outb(0xa0, 0x11);
    platform_outb(0x21, 0x20); /* ICW2: vector base */
    platform_outb(0xa1, 0x28);
    platform_outb(0x21, 0x04); /* ICW3: slave on IRQ2 */
    platform_outb(0xa1, 0x02);
    platform_outb(0x21, 0x01); /* ICW4: 8086 mode */
    platform_outb(0xa1, 0x01);
    platform_outb(0x21, 0xff); /* mask everything */
    platform_outb(0xa1, 0xff);
}
