/*
 * smp_vm.c: the VM backend's "other CPUs" calls of platform.h are the
 * plain-VM start-up of smp.c (the TDX backend picks between it and the
 * TD's wake-up mailbox, platform/tdx/smp.c).
 */
#include "platform/platform.h"
#include "platform/vm/smp.h"

u32 platform_cpu_count_hint(void)
{
    return vm_cpu_count_hint();
}

int platform_start_cpu(u32 which, u64 stack_top, void (*entry)(void *), void *arg)
{
    return vm_start_cpu(which, stack_top, entry, arg);
}

void platform_start_cpus_end(void)
{
    vm_start_cpus_end();
}
