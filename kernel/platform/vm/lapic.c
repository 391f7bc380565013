/*
 * lapic.c: the local APIC of each vCPU: enable it, take interrupts,
 * arm the one-shot timer, send IPIs (platform.h, "interrupts").
 *
 * Access: x2APIC (MSRs 0x800 + reg/16) when CPUID says the CPU has it,
 * else xAPIC MMIO at the architectural base 0xfee00000 (in the device
 * window). The timer uses TSC-deadline mode when CPUID leaf 1 ECX bit 24
 * offers it, else one-shot mode with a count calibrated against the TSC
 * on the boot CPU (QEMU's TCG APIC has no TSC-deadline mode).
 *
 * Trust: the host is the APIC. What we read back (ids, counts, the
 * calibration) is bounded; the timer may still fire early, late or
 * never, which is why the timer code compares the TSC with its deadline
 * on every interrupt and never trusts the interrupt alone.
 */
#include "platform/platform.h"
#include "platform/vm/lapic.h"
#include "arch/x86_64/cpu.h"
#include "lib/kprintf.h"
#include "panic.h"

#define LAPIC_MMIO_BASE 0xfee00000ULL

#define REG_ID 0x20
#define REG_VERSION 0x30
#define REG_TPR 0x80
#define REG_EOI 0xb0
#define REG_SVR 0xf0
#define REG_ISR 0x100
#define REG_ESR 0x280
#define REG_ICR_LOW 0x300
#define REG_ICR_HIGH 0x310
#define REG_LVT_TIMER 0x320
#define REG_LVT_THERMAL 0x330
#define REG_LVT_PERF 0x340
#define REG_LVT_LINT0 0x350
#define REG_LVT_LINT1 0x360
#define REG_LVT_ERROR 0x370
#define REG_TIMER_INIT 0x380
#define REG_TIMER_CURRENT 0x390
#define REG_TIMER_DIVIDE 0x3e0

#define APIC_BASE_ENABLE (1ULL << 11)
#define APIC_BASE_X2APIC (1ULL << 10)
#define SVR_ENABLE (1u << 8)
#define LVT_MASKED (1u << 16)
#define LVT_TIMER_ONESHOT (0u << 17)
#define LVT_TIMER_TSC_DEADLINE (2u << 17)
#define ICR_DELIVERY_PENDING (1u << 12)
#define ICR_LEVEL_ASSERT (1u << 14)
#define DIVIDE_BY_1 0xb
#define ICR_SPIN_LIMIT 1000000

#define CALIBRATE_MS 10
#define TIMER_HZ_MIN 1000000ULL        /* 1 MHz */
#define TIMER_HZ_MAX 100000000000ULL   /* 100 GHz */

static bool g_x2apic;
static bool g_tsc_deadline;
static u64 g_timer_hz;   /* one-shot mode: APIC timer counts per second */
static u64 g_timer_per_ns; /* the same per nanosecond, 32.32 fixed point */

static u32 lapic_read(u32 reg)
{
    if (g_x2apic)
        return (u32)cpu_rdmsr(MSR_X2APIC_BASE + reg / 16);
    return platform_mmio_read32(LAPIC_MMIO_BASE + reg);
}

static void lapic_write(u32 reg, u32 value)
{
    if (g_x2apic)
        cpu_wrmsr(MSR_X2APIC_BASE + reg / 16, value);
    else
        platform_mmio_write32(LAPIC_MMIO_BASE + reg, value);
}

static void detect(void)
{
    u32 a, b, c, d;
    cpu_cpuid(1, 0, &a, &b, &c, &d);
    if (!((d >> 9) & 1))
        panic("lapic: the CPU has no local APIC");
    g_x2apic = (c >> 21) & 1;
    g_tsc_deadline = (c >> 24) & 1;
}

/* Count APIC timer ticks over CALIBRATE_MS of TSC time (boot CPU only;
 * all vCPUs share the bus clock). */
static void calibrate(void)
{
    u64 tsc_hz = platform_tsc_hz();
    lapic_write(REG_TIMER_DIVIDE, DIVIDE_BY_1);
    lapic_write(REG_LVT_TIMER, LVT_MASKED | LVT_TIMER_ONESHOT);
    lapic_write(REG_TIMER_INIT, 0xffffffffu);
    u64 start = cpu_rdtsc();
    u64 span = tsc_hz / 1000 * CALIBRATE_MS;
    while (cpu_rdtsc() - start < span)
        cpu_pause();
    u32 left = lapic_read(REG_TIMER_CURRENT);
    u64 elapsed_tsc = cpu_rdtsc() - start;
    lapic_write(REG_TIMER_INIT, 0);
    u64 counted = 0xffffffffu - (u64)left;
    u64 hz = elapsed_tsc ? counted * tsc_hz / elapsed_tsc : 0;
    if (hz < TIMER_HZ_MIN || hz > TIMER_HZ_MAX)
        panic("lapic: implausible timer rate %lu Hz", hz);
    g_timer_hz = hz;
    g_timer_per_ns = rate_per_ns(hz);
}

void platform_lapic_init(u8 timer_vector, u8 spurious_vector, u8 error_vector)
{
    static bool detected;
    bool first = !detected;
    if (first) {
        detect();
        detected = true;
    }
    u64 base = cpu_rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE;
    if (g_x2apic)
        base |= APIC_BASE_X2APIC;
    cpu_wrmsr(MSR_APIC_BASE, base);
    if (!g_x2apic && (base & ~0xfffULL & ((1ULL << 52) - 1)) != LAPIC_MMIO_BASE)
        panic("lapic: xAPIC at %lx, not at the architectural address",
              (unsigned long)(base & ~0xfffULL));

    lapic_write(REG_TPR, 0);
    lapic_write(REG_LVT_LINT0, LVT_MASKED);
    lapic_write(REG_LVT_LINT1, LVT_MASKED);
    lapic_write(REG_LVT_THERMAL, LVT_MASKED);
    lapic_write(REG_LVT_PERF, LVT_MASKED);
    lapic_write(REG_LVT_ERROR, error_vector);
    lapic_write(REG_ESR, 0);
    lapic_write(REG_SVR, SVR_ENABLE | spurious_vector);
    lapic_write(REG_EOI, 0);

    if (first && !g_tsc_deadline)
        calibrate();
    if (g_tsc_deadline) {
        lapic_write(REG_LVT_TIMER, LVT_TIMER_TSC_DEADLINE | timer_vector);
    } else {
        lapic_write(REG_TIMER_DIVIDE, DIVIDE_BY_1);
        lapic_write(REG_LVT_TIMER, LVT_TIMER_ONESHOT | timer_vector);
    }
    if (first && g_tsc_deadline)
        kprintf("lapic: %s, timer tsc-deadline\n", g_x2apic ? "x2APIC" : "xAPIC");
    else if (first)
        kprintf("lapic: %s, timer one-shot at %lu kHz\n", g_x2apic ? "x2APIC" : "xAPIC",
                g_timer_hz / 1000);
}

u32 platform_cpu_apic_id(void)
{
    u32 id = lapic_read(REG_ID);
    return g_x2apic ? id : id >> 24;
}

void platform_irq_eoi(void)
{
    lapic_write(REG_EOI, 0);
}

bool platform_irq_in_service(u8 vector)
{
    u32 word = lapic_read(REG_ISR + (vector / 32) * 0x10);
    return (word >> (vector % 32)) & 1;
}

void platform_timer_arm(u64 deadline_ns)
{
    if (g_tsc_deadline) {
        cpu_wrmsr(MSR_TSC_DEADLINE, deadline_ns ? time_tsc_at_ns(deadline_ns) : 0);
        return;
    }
    if (deadline_ns == 0) {
        lapic_write(REG_TIMER_INIT, 0);
        return;
    }
    u64 now = platform_time_ns();
    u64 left = deadline_ns > now ? deadline_ns - now : 0;
    /* ns -> APIC counts, plus one so the rounding never makes it early
     * and the count is never 0 (which would stop the timer). */
    unsigned __int128 counts = ((unsigned __int128)left * g_timer_per_ns >> 32) + 1;
    u64 count = counts > 0xffffffffu ? 0xffffffffu : (u64)counts;
    /* A far deadline fires early at the maximum count; the timer code
     * compares the clock and re-arms. */
    lapic_write(REG_TIMER_INIT, (u32)count);
}

/* Write the ICR; xAPIC: wait for the previous IPI to leave first. */
static void icr_write(u32 apic_id, u32 low)
{
    if (g_x2apic) {
        cpu_wrmsr(MSR_X2APIC_BASE + REG_ICR_LOW / 16, ((u64)apic_id << 32) | low);
        return;
    }
    for (int i = 0; i < ICR_SPIN_LIMIT && (lapic_read(REG_ICR_LOW) & ICR_DELIVERY_PENDING); i++)
        cpu_pause();
    lapic_write(REG_ICR_HIGH, apic_id << 24);
    lapic_write(REG_ICR_LOW, low);
}

void platform_send_ipi(u32 apic_id, u8 vector)
{
    icr_write(apic_id, vector);
}

void lapic_icr(u32 apic_id, u32 low)
{
    icr_write(apic_id, low);
}
