/*
 * smp.c: platform.h's "other CPUs" calls for td.fd's kernel. In a TD the
 * vCPUs wait at the reset vector for the wake-up mailbox (smp_td.c); as
 * a plain q35 VM they are started like any VM's, with INIT-SIPI-SIPI
 * (platform/vm/smp.c). Once all are up, their APIC ids (host-assigned:
 * in a TD the VMM sets each vCPU's x2APIC id) must be distinct, or IPIs
 * such as TLB shootdowns could never reach some CPU: refuse to run.
 */
#include "platform/platform.h"
#include "platform/tdx/tdx.h"
#include "platform/vm/smp.h"
#include "arch/x86_64/percpu.h"
#include "panic.h"

u32 platform_cpu_count_hint(void)
{
    return tdx_active() ? td_cpu_count_hint() : vm_cpu_count_hint();
}

int platform_start_cpu(u32 which, u64 stack_top, void (*entry)(void *), void *arg)
{
    if (tdx_active())
        return td_start_cpu(which, stack_top, entry, arg);
    return vm_start_cpu(which, stack_top, entry, arg);
}

void platform_start_cpus_end(void)
{
    if (!tdx_active())
        vm_start_cpus_end();
    u32 ids[MAX_CPUS], cpu[MAX_CPUS], n = 0, dup = 0;
    u64 online = cpu_online_mask();
    for (u32 i = 0; i < MAX_CPUS; i++) {
        if ((online >> i) & 1) {
            cpu[n] = i;
            ids[n++] = cpu_by_index(i)->apic_id;
        }
    }
    if (td_apic_ids_distinct(ids, n, &dup) != 0)
        panic("td: vCPU %u has the APIC id %u of another vCPU", cpu[dup], ids[dup]);
}
