/*
 * smp_td.c: the other vCPUs of a TD (platform/tdx/smp.c calls these when
 * tdx_active(); a plain VM takes the INIT-SIPI path of platform/vm/).
 *
 * In a TD every vCPU starts at the reset vector; vCPU 0 boots and the
 * others wait in td_entry.S, each for its own vCPU index (ESI at reset,
 * set by the TDX module) to appear in the wake-up mailbox g_td_wakeup.
 * The mailbox is private memory (.bss): only the TD writes it. The
 * host decides only whether and when a vCPU runs, so the protocol
 * makes sure a vCPU that runs late can never take another's stack:
 *
 *   boot CPU: fill cr3, stack, entry, arg; vcpu = which (release)
 *   vCPU:     cmpxchg vcpu: its index -> TD_WAKE_CLAIMED; read the
 *             fields; started = 1; run entry
 *   boot CPU: started seen -> vcpu = 0, the mailbox is free again.
 *             Deadline passed -> cmpxchg vcpu: which -> 0. If that
 *             succeeds nobody claimed it (-ETIMEDOUT, free again); if
 *             not, the vCPU claimed it and is somewhere between reading
 *             the fields and reporting in: the fields stay as they are
 *             and no other vCPU is ever started (-EBUSY from then on).
 *
 * The count comes from TDG.VP.INFO (the module's answer, info.c), never
 * from the host's fw_cfg or ACPI. Never run in a TD (docs/tdx.md).
 */
#include "platform/platform.h"
#include "platform/tdx/tdx.h"
#include "arch/x86_64/cpu.h"
#include "mm/kpt.h"
#include "mm/page.h"
#include "syscalls/linux_abi/errno.h"

#define START_TIMEOUT_NS (1000ULL * 1000000ULL)
#define TD_MAX_VCPUS 256        /* td_entry.S parks a vCPU with a larger index */
#define TD_WAKE_CLAIMED 0xffffffffU

struct td_wakeup {
    volatile u32 vcpu;      /* 0: none; an index: it may go; TD_WAKE_CLAIMED */
    volatile u32 started;   /* set by that vCPU once it has read the fields */
    u64 cr3;
    u64 stack_top;
    u64 entry;
    u64 arg;
};
_Static_assert(sizeof(struct td_wakeup) == 40, "td_entry.S's mailbox layout");

extern struct td_wakeup g_td_wakeup;

static u32 g_vcpus;        /* the count td_cpu_count_hint gave */
static bool g_mailbox_lost; /* a vCPU claimed it and never reported in */

u32 td_cpu_count_hint(void)
{
    u32 n = tdx_vcpu_count();
    g_vcpus = n > TD_MAX_VCPUS ? TD_MAX_VCPUS : n;
    return g_vcpus;
}

/* The deadline passed: close the mailbox unless the vCPU claimed it. A
 * vCPU that claimed it and reported in just now has started after all. */
static int give_up(u32 which)
{
    u32 expected = which;
    if (__atomic_compare_exchange_n(&g_td_wakeup.vcpu, &expected, 0, false,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return -ETIMEDOUT;
    if (__atomic_load_n(&g_td_wakeup.started, __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&g_td_wakeup.vcpu, 0, __ATOMIC_RELEASE);
        return 0;
    }
    g_mailbox_lost = true;
    return -ETIMEDOUT;
}

int td_start_cpu(u32 which, u64 stack_top, void (*entry)(void *), void *arg)
{
    if (!tdx_active())
        return -ENODEV;
    if (which == 0 || which >= g_vcpus)
        return -EINVAL;
    if (g_mailbox_lost)
        return -EBUSY;
    struct td_wakeup *w = &g_td_wakeup;
    w->started = 0;
    w->cr3 = virt_to_phys(kpt_kernel_root());
    w->stack_top = stack_top;
    w->entry = (u64)(uptr)entry;
    w->arg = (u64)(uptr)arg;
    __atomic_store_n(&w->vcpu, which, __ATOMIC_RELEASE);
    u64 deadline = platform_time_ns() + START_TIMEOUT_NS;
    while (!__atomic_load_n(&w->started, __ATOMIC_ACQUIRE)) {
        if (platform_time_ns() > deadline)
            return give_up(which);
        cpu_pause();
    }
    __atomic_store_n(&w->vcpu, 0, __ATOMIC_RELEASE);
    return 0;
}

int td_apic_ids_distinct(const u32 *ids, u32 n, u32 *dup)
{
    for (u32 i = 1; i < n; i++) {
        for (u32 j = 0; j < i; j++) {
            if (ids[i] == ids[j]) {
                *dup = i;
                return -EINVAL;
            }
        }
    }
    return 0;
}
