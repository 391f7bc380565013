/*
 * percpu.c: the per-CPU areas (percpu.h). The boot CPU's is static; the
 * boot CPU allocates each AP's before starting it. An area never goes
 * away. The online mask only grows, with atomic updates, so any CPU may
 * read it without a lock.
 */
#include "arch/x86_64/percpu.h"

#include "arch/x86_64/cpu.h"
#include "mm/kmalloc.h"
#include "panic.h"

static struct percpu g_percpu0;
static struct percpu *g_cpus[MAX_CPUS];
static u64 g_online_mask;
static u32 g_online_count;
static bool g_ready;

bool percpu_ready(void)
{
    return g_ready;
}

struct percpu *cpu_by_index(u32 index)
{
    return index < MAX_CPUS ? g_cpus[index] : NULL;
}

u32 cpu_count(void)
{
    return __atomic_load_n(&g_online_count, __ATOMIC_ACQUIRE);
}

u64 cpu_online_mask(void)
{
    return __atomic_load_n(&g_online_mask, __ATOMIC_ACQUIRE);
}

void percpu_install(struct percpu *p)
{
    p->self = p;
    cpu_wrmsr(MSR_GS_BASE, (u64)(uptr)p);
    /* The vDSO's getcpu reads the CPU number with RDTSCP (mm/vdso.c). */
    if (cpu_has_rdtscp())
        cpu_wrmsr(MSR_TSC_AUX, p->index);
}

void percpu_init_boot(void)
{
    g_percpu0.index = 0;
    g_cpus[0] = &g_percpu0;
    percpu_install(&g_percpu0);
    percpu_mark_online(&g_percpu0);
    g_ready = true;
}

struct percpu *percpu_alloc_ap(u32 index)
{
    ASSERT(index > 0 && index < MAX_CPUS && g_cpus[index] == NULL);
    struct percpu *p = kzalloc(sizeof(*p));
    if (!p)
        return NULL;
    p->index = index;
    p->self = p;
    g_cpus[index] = p;
    return p;
}

void percpu_mark_online(struct percpu *p)
{
    __atomic_or_fetch(&g_online_mask, 1ULL << p->index, __ATOMIC_RELEASE);
    __atomic_add_fetch(&g_online_count, 1, __ATOMIC_RELEASE);
}
