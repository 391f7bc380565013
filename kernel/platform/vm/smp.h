/*
 * smp.h: starting other vCPUs the plain-VM way (smp.c: fw_cfg's vCPU
 * count, INIT-SIPI-SIPI with a low-memory trampoline). The VM backend's
 * platform_* calls are these (smp_vm.c); td.fd's kernel calls them when
 * it runs as a plain VM (platform/tdx/smp.c). Same contracts as the
 * platform.h calls of the same names.
 */
#ifndef CVMIFY_PLATFORM_VM_SMP_H
#define CVMIFY_PLATFORM_VM_SMP_H

#include "lib/types.h"

u32 vm_cpu_count_hint(void);
int vm_start_cpu(u32 which, u64 stack_top, void (*entry)(void *), void *arg);
void vm_start_cpus_end(void);

#endif
