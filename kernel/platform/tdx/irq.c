/*
 * irq.c: a TD has no legacy 8259 PICs to silence (the VMM emulates no
 * ISA interrupt controller for it, and the kernel polls anyway), so
 * there is nothing to mask here.
 */
#include "platform/platform.h"

void platform_irq_init(void)
{
}
