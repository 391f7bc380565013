/*
 * smp.c: the end of AP start-up in a TD: nothing to undo (the wake-up
 * mailbox of smp_td.c stays, and no low-memory trampoline was mapped).
 */
#include "platform/platform.h"

void platform_start_cpus_end(void)
{
}
