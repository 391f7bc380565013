/*
 * time.c: clocks. Monotonic time is the TSC, its frequency from CPUID
 * leaf 0x15 (crystal ratio; TDX provides it), else leaf 0x16 (base MHz),
 * else measured against the i8254 PIT channel 0 (VM mode only). The wall clock is the CMOS
 * RTC read once at boot plus monotonic time: host input, checked for
 * sane ranges, used only for the app's clock, never for security.
 */
#include "platform/platform.h"
#include "platform/vm/lapic.h"
#include "arch/x86_64/cpu.h"
#include "lib/kprintf.h"
#include "panic.h"

#define PIT_HZ 1193182ULL
#define PIT_CAL_TICKS 23864 /* ~20 ms of PIT time */
#define PIT_CHANNEL0 0x40
#define PIT_COMMAND 0x43
#define PIT_CH0_MODE0_LOHI 0x30 /* channel 0, lo then hi byte, mode 0, binary */
#define PIT_CH0_LATCH 0x00      /* latch channel 0's count for reading */
#define PIT_STUCK_READS 100000  /* a live PIT changes within a few reads */
#define TSC_HZ_MIN 1000000ULL
#define TSC_HZ_MAX 100000000000ULL

static u64 g_tsc_hz;
static u64 g_tsc_boot;
static u64 g_ns_mult;        /* ns = (ticks * mult) >> 32 */
static u64 g_tsc_per_ns;     /* ticks = (ns * this) >> 32 */
static u64 g_wall_boot_ns;

static u64 tsc_hz_from_cpuid(void)
{
    u32 a, b, c, d;
    cpu_cpuid(0, 0, &a, &b, &c, &d);
    u32 max_leaf = a;
    if (max_leaf >= 0x15) {
        cpu_cpuid(0x15, 0, &a, &b, &c, &d);
        if (a != 0 && b != 0 && c != 0)
            return (u64)c * b / a;
    }
    if (max_leaf >= 0x16) {
        cpu_cpuid(0x16, 0, &a, &b, &c, &d);
        if ((a & 0xffff) != 0)
            return (u64)(a & 0xffff) * 1000000ULL;
    }
    return 0;
}

static u16 pit_read_count(void)
{
    platform_outb(PIT_COMMAND, PIT_CH0_LATCH);
    u8 lo = platform_inb(PIT_CHANNEL0);
    u8 hi = platform_inb(PIT_CHANNEL0);
    return (u16)(lo | (hi << 8));
}

/* Poll until the count differs from *count (a tick edge); store the new
 * count and the TSC read right after it. The TSC is read on every poll,
 * in the same few instructions as the latch, so both ends of the window
 * pair count and TSC equally closely (under TCG, code that runs for the
 * first time is translated first, which takes tens of microseconds).
 * False if the count never changes: no PIT, or one that does not run. */
static bool pit_next_count(u16 *count, u64 *tsc)
{
    for (u32 i = 0; i < PIT_STUCK_READS; i++) {
        u16 now = pit_read_count();
        u64 now_tsc = cpu_rdtsc();
        if (now != *count) {
            *count = now;
            *tsc = now_tsc;
            return true;
        }
    }
    return false;
}

/*
 * Count TSC ticks while PIT channel 0 counts down PIT_CAL_TICKS.
 *
 * Channel 0, not channel 2: channel 2's gate and OUT bit live in port
 * 0x61 (the PC speaker), which microvm does not have; there the gate
 * stays low, the counter never runs, and 0x61 reads back 0xff, so the
 * old "wait for OUT2" loop ended at once (a few MHz, varying per boot).
 * Channel 0's gate is always on. We read its latched count and sum the
 * decrements (mod 2^16) between tick edges, so the result does not
 * depend on how often we manage to poll. IRQ 0 stays masked (the kernel
 * polls); mode 0 with count 0 (65536) fires once and then stays quiet.
 */
static u64 tsc_hz_from_pit(void)
{
    platform_outb(PIT_COMMAND, PIT_CH0_MODE0_LOHI);
    platform_outb(PIT_CHANNEL0, 0);
    platform_outb(PIT_CHANNEL0, 0);

    /* Start on an edge: also skips a first read taken before the
     * counter was loaded. */
    u16 count = pit_read_count();
    u64 start, end;
    if (!pit_next_count(&count, &start))
        return 0;
    u64 elapsed = 0;
    while (elapsed < PIT_CAL_TICKS) {
        u16 prev = count;
        if (!pit_next_count(&count, &end))
            return 0;
        elapsed += (u16)(prev - count);
    }
    u64 ticks = end - start;
    if (ticks > UINT64_MAX / PIT_HZ)
        return 0; /* hours for 20 ms: not a usable clock */
    return ticks * PIT_HZ / elapsed;
}

/* ---- CMOS RTC ---- */

static u8 cmos_read(u8 reg)
{
    platform_outb(0x70, reg);
    return platform_inb(0x71);
}

static u32 from_bcd(u8 v, bool binary)
{
    return binary ? v : (u32)(v >> 4) * 10 + (v & 15);
}

/* Days since 1970-01-01 for a civil date (proleptic Gregorian). */
static u64 days_from_civil(u32 y, u32 m, u32 d)
{
    y -= m <= 2;
    u32 era = y / 400;
    u32 yoe = y - era * 400;
    u32 doy = (153 * (m + (m > 2 ? (u32)-3 : 9)) + 2) / 5 + d - 1;
    u32 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (u64)era * 146097 + doe - 719468;
}

static u64 rtc_read_ns(void)
{
    for (int i = 0; i < 100000 && (cmos_read(0x0a) & 0x80); i++)
        cpu_pause(); /* update in progress */
    u8 status_b = cmos_read(0x0b);
    bool binary = status_b & 0x04;
    bool h24 = status_b & 0x02;
    u32 sec = from_bcd(cmos_read(0x00), binary);
    u32 min = from_bcd(cmos_read(0x02), binary);
    u8 raw_hour = cmos_read(0x04);
    u32 hour = from_bcd(raw_hour & 0x7f, binary);
    u32 day = from_bcd(cmos_read(0x07), binary);
    u32 mon = from_bcd(cmos_read(0x08), binary);
    u32 year = from_bcd(cmos_read(0x09), binary) + 2000;
    if (!h24) {
        hour %= 12;
        if (raw_hour & 0x80)
            hour += 12;
    }
    if (sec > 59 || min > 59 || hour > 23 || day < 1 || day > 31 || mon < 1 || mon > 12) {
        kprintf("time: RTC gives garbage, wall clock starts at 1970\n");
        return 0;
    }
    u64 secs = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec;
    return secs * 1000000000ULL;
}

u64 rate_per_ns(u64 hz)
{
    /* hz / 1e9 in 32.32 fixed point without a 128-bit division. */
    return ((hz / 1000000000ULL) << 32) + ((hz % 1000000000ULL) << 32) / 1000000000ULL;
}

void platform_time_init(void)
{
    g_tsc_hz = tsc_hz_from_cpuid();
    const char *source = "cpuid";
    if (g_tsc_hz == 0) {
        g_tsc_hz = tsc_hz_from_pit();
        source = "pit";
        if (g_tsc_hz == 0)
            panic("time: no clock: CPUID 0x15/0x16 give no TSC frequency and the PIT "
                  "does not count");
    }
    if (g_tsc_hz < TSC_HZ_MIN || g_tsc_hz > TSC_HZ_MAX)
        panic("time: implausible TSC frequency %lu Hz (%s)", g_tsc_hz, source);
    g_ns_mult = (1000000000ULL << 32) / g_tsc_hz;
    g_tsc_per_ns = rate_per_ns(g_tsc_hz);
    g_tsc_boot = cpu_rdtsc();
    g_wall_boot_ns = rtc_read_ns();
    kprintf("time: tsc %lu kHz (%s), wall clock %lu s\n", g_tsc_hz / 1000, source,
            g_wall_boot_ns / 1000000000UL);
}

u64 platform_time_ns(void)
{
    u64 ticks = cpu_rdtsc() - g_tsc_boot;
    return (u64)(((unsigned __int128)ticks * g_ns_mult) >> 32);
}

u64 time_tsc_at_ns(u64 ns)
{
    /* ticks = ns * (hz / 1e9) in 32.32 fixed point, plus a few ticks so
     * the rounding never makes us early; saturate far futures. */
    unsigned __int128 ticks = ((unsigned __int128)ns * g_tsc_per_ns >> 32) + 4;
    unsigned __int128 tsc = ticks + g_tsc_boot;
    return tsc > ~0ULL ? ~0ULL : (u64)tsc;
}

u64 platform_wallclock_ns(void)
{
    return g_wall_boot_ns + platform_time_ns();
}

u64 platform_tsc_hz(void)
{
    return g_tsc_hz;
}

void platform_time_params(u64 *tsc_base, u64 *ns_mult, u64 *wall_base_ns)
{
    *tsc_base = g_tsc_boot;
    *ns_mult = g_ns_mult;
    *wall_base_ns = g_wall_boot_ns;
}
