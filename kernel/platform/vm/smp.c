/*
 * smp.c: starting the other vCPUs in VM mode (platform_start_cpu):
 * INIT, then STARTUP twice (Intel SDM vol. 3, 9.4.4 "MP Initialization
 * Example"), to APIC id `which`. QEMU numbers the vCPUs of one socket
 * 0 .. n-1 and gives vCPU i the APIC id i, so that is what we address;
 * a vCPU that never shows up costs a timeout and a log line, nothing
 * else.
 *
 * The trampoline (ap_trampoline.S) goes to physical AP_TRAMPOLINE_PA,
 * in the first MiB that page_init keeps out of the allocator, with four
 * pages of temporary page tables after it: the trampoline page mapped
 * at its own address (so the instruction after enabling paging can be
 * fetched) and the kernel half of the kernel's root. The kernel reaches
 * these pages through a temporary writable, non-executable mapping that
 * platform_start_cpus_end removes again.
 *
 * The low pages are read-only and executable for the AP, writable and
 * not executable for us; the AP reports in through a kernel variable.
 *
 * Trust: the host decides whether a vCPU starts at all; the started
 * flag is ours, written by the AP.
 */
#include "platform/platform.h"
#include "platform/vm/fw_cfg.h"
#include "platform/vm/lapic.h"
#include "arch/x86_64/cpu.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/kpt.h"
#include "mm/page.h"
#include "panic.h"
#include "syscalls/linux_abi/errno.h"

#define AP_TRAMPOLINE_PA 0x8000ULL
#define TABLE_PML4 (AP_TRAMPOLINE_PA + 1 * PAGE_SIZE)
#define TABLE_PDPT (AP_TRAMPOLINE_PA + 2 * PAGE_SIZE)
#define TABLE_PD (AP_TRAMPOLINE_PA + 3 * PAGE_SIZE)
#define TABLE_PT (AP_TRAMPOLINE_PA + 4 * PAGE_SIZE)
#define LOW_PAGES 5
#define KERNEL_HALF_FIRST 256
#define START_TIMEOUT_NS (2000ULL * 1000 * 1000)

extern const u8 ap_trampoline_start[], ap_trampoline_end[];
extern const u8 ap_trampoline_cr3[], ap_trampoline_stack[], ap_trampoline_entry[];
extern const u8 ap_trampoline_arg[], ap_trampoline_started[];

static bool g_ready;
static volatile u32 g_started; /* the AP sets it, through the kernel map */

/* The kernel's view of low page pa (mapped by setup). */
static u8 *low(u64 pa)
{
    return phys_to_virt(pa);
}

/* Where a data word of the trampoline sits in its low copy. */
static void *field(const u8 *sym)
{
    return low(AP_TRAMPOLINE_PA + (u64)(sym - ap_trampoline_start));
}

static void delay_ns(u64 ns)
{
    u64 end = platform_time_ns() + ns;
    while (platform_time_ns() < end)
        cpu_pause();
}

static void setup(void)
{
    u64 *root = kpt_kernel_root();
    size_t size = (size_t)(ap_trampoline_end - ap_trampoline_start);
    if (size > PAGE_SIZE)
        panic("smp: trampoline larger than a page");
    for (u64 i = 0; i < LOW_PAGES; i++) {
        u64 pa = AP_TRAMPOLINE_PA + i * PAGE_SIZE;
        if (pt_map(root, (u64)(uptr)low(pa), pa, PTE_W | PTE_NX) != 0)
            panic("smp: cannot map the trampoline page %lx", (unsigned long)pa);
        memset(low(pa), 0, PAGE_SIZE);
    }
    memcpy(low(AP_TRAMPOLINE_PA), ap_trampoline_start, size);

    u64 *pml4 = (u64 *)low(TABLE_PML4);
    for (size_t i = KERNEL_HALF_FIRST; i < 512; i++)
        pml4[i] = root[i];
    pml4[0] = TABLE_PDPT | PTE_P | PTE_W;
    ((u64 *)low(TABLE_PDPT))[0] = TABLE_PD | PTE_P | PTE_W;
    ((u64 *)low(TABLE_PD))[0] = TABLE_PT | PTE_P | PTE_W;
    ((u64 *)low(TABLE_PT))[AP_TRAMPOLINE_PA / PAGE_SIZE] = AP_TRAMPOLINE_PA | PTE_P;
    u32 cr3 = (u32)TABLE_PML4;
    memcpy(field(ap_trampoline_cr3), &cr3, sizeof(cr3));
    g_ready = true;
}

u32 platform_cpu_count_hint(void)
{
    return fw_cfg_item_u16(FW_CFG_NB_CPUS); /* the caller bounds it */
}

int platform_start_cpu(u32 which, u64 stack_top, void (*entry)(void *), void *arg)
{
    if (!g_ready)
        setup();
    u64 entry_va = (u64)(uptr)entry, arg_va = (u64)(uptr)arg;
    u64 flag_va = (u64)(uptr)&g_started;
    memcpy(field(ap_trampoline_stack), &stack_top, sizeof(stack_top));
    memcpy(field(ap_trampoline_entry), &entry_va, sizeof(entry_va));
    memcpy(field(ap_trampoline_arg), &arg_va, sizeof(arg_va));
    memcpy(field(ap_trampoline_started), &flag_va, sizeof(flag_va));
    g_started = 0;
    volatile u32 *started = &g_started;

    lapic_icr(which, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
    delay_ns(10ULL * 1000 * 1000);
    for (int attempt = 0; attempt < 2 && !*started; attempt++) {
        lapic_icr(which, ICR_STARTUP | (u32)(AP_TRAMPOLINE_PA >> 12));
        delay_ns(200ULL * 1000);
    }
    u64 deadline = platform_time_ns() + START_TIMEOUT_NS;
    while (!*started && platform_time_ns() < deadline)
        cpu_pause();
    return *started ? 0 : -ETIMEDOUT;
}

void platform_start_cpus_end(void)
{
    if (!g_ready)
        return;
    u64 *root = kpt_kernel_root();
    for (u64 i = 0; i < LOW_PAGES; i++) {
        u64 va = (u64)(uptr)low(AP_TRAMPOLINE_PA + i * PAGE_SIZE);
        pt_unmap(root, va, NULL);
        tlb_flush_page(va);
    }
    g_ready = false;
}
