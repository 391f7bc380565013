/*
 * smp.c: starting other vCPUs in a TD is not written yet: a TD's APs
 * start at the reset vector and wait in the TD HOB's wake-up mailbox,
 * not for INIT-SIPI-SIPI. Until that exists the TD runs on its first
 * vCPU only (smp_start_cpus logs how many came online).
 */
#include "platform/platform.h"
#include "syscalls/linux_abi/errno.h"

int platform_start_cpu(u32 which, u64 stack_top, void (*entry)(void *), void *arg)
{
    (void)which, (void)stack_top, (void)entry, (void)arg;
    return -ENODEV;
}

void platform_start_cpus_end(void)
{
}
