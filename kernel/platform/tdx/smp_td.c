/*
 * smp_td.c: other vCPUs of td.fd's kernel (platform.h, "other CPUs").
 *
 * In a TD every vCPU starts at the reset vector; vCPU 0 boots and the
 * others wait in td_entry.S, each for its own vCPU index (ESI at reset,
 * set by the TDX module) to appear in the wake-up mailbox g_td_wakeup.
 * platform_start_cpu fills the mailbox (page tables, stack, entry, arg),
 * names the vCPU last, and waits for it to report in. The mailbox is
 * private memory: only the TD writes it.
 *
 * td.fd booted as a plain VM has no waiting vCPUs (a PC starts only the
 * boot CPU): starting others needs INIT-SIPI, which this backend does not
 * do yet (-ENODEV). Never run in a TD (docs/tdx.md).
 */
#include "platform/platform.h"
#include "platform/tdx/tdx.h"
#include "arch/x86_64/cpu.h"
#include "mm/kpt.h"
#include "mm/page.h"
#include "syscalls/linux_abi/errno.h"

#define START_TIMEOUT_NS (1000ULL * 1000000ULL)
#define MAX_VCPUS 256

struct td_wakeup {
    volatile u32 vcpu;      /* the vCPU index that may go; 0: none */
    volatile u32 started;   /* set by that vCPU once it runs in long mode */
    u64 cr3;
    u64 stack_top;
    u64 entry;
    u64 arg;
};
_Static_assert(sizeof(struct td_wakeup) == 40, "td_entry.S's mailbox layout");

extern struct td_wakeup g_td_wakeup;

u32 platform_cpu_count_hint(void)
{
    return 0; /* neither the TD HOB nor a trusted source says; the caller starts none */
}

int platform_start_cpu(u32 which, u64 stack_top, void (*entry)(void *), void *arg)
{
    if (!tdx_active())
        return -ENODEV;
    if (which == 0 || which >= MAX_VCPUS)
        return -EINVAL;
    struct td_wakeup *w = &g_td_wakeup;
    w->started = 0;
    w->cr3 = virt_to_phys(kpt_kernel_root());
    w->stack_top = stack_top;
    w->entry = (u64)(uptr)entry;
    w->arg = (u64)(uptr)arg;
    __atomic_store_n(&w->vcpu, which, __ATOMIC_RELEASE);
    u64 deadline = platform_time_ns() + START_TIMEOUT_NS;
    while (!__atomic_load_n(&w->started, __ATOMIC_ACQUIRE)) {
        if (platform_time_ns() > deadline) {
            __atomic_store_n(&w->vcpu, 0, __ATOMIC_RELEASE);
            return -ETIMEDOUT;
        }
        cpu_pause();
    }
    __atomic_store_n(&w->vcpu, 0, __ATOMIC_RELEASE);
    return 0;
}
