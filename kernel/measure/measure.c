/*
 * measure.c: the measurement register, extended like a TDX RTMR.
 * In VM mode this is a self-measurement (docs/measurements.md): it tells
 * the host and the guest agree on what runs; it proves nothing against a
 * malicious host. State lives in .bss, outside the measured image.
 */
#include "measure/measure.h"
#include "lib/kprintf.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "panic.h"
#include "platform/platform.h"

extern const u8 __measured_start[];
extern const u8 __measured_end[];

static struct measurements g_measurements;

static void extend(const u8 value[SHA384_SIZE])
{
    struct sha384_ctx ctx;
    sha384_init(&ctx);
    sha384_update(&ctx, g_measurements.rtmr, SHA384_SIZE);
    sha384_update(&ctx, value, SHA384_SIZE);
    sha384_final(&ctx, g_measurements.rtmr);
    g_measurements.stage++;
}

void measure_kernel_image(void)
{
    if (g_measurements.stage != 0)
        panic("measure: kernel measured twice");
    sha384(__measured_start, (size_t)(__measured_end - __measured_start),
           g_measurements.kernel);
    extend(g_measurements.kernel);
}

void measure_config(const void *blob, size_t size)
{
    if (g_measurements.stage != 1)
        panic("measure: config out of order (stage %d)", g_measurements.stage);
    sha384(blob, size, g_measurements.config);
    extend(g_measurements.config);
    platform_measure_extend(2, g_measurements.config, "cvmify:config");
}

void measure_disk_root(const u8 root[SHA384_SIZE])
{
    if (g_measurements.stage != 2)
        panic("measure: disk root out of order (stage %d)", g_measurements.stage);
    memcpy(g_measurements.disk_root, root, SHA384_SIZE);
    extend(g_measurements.disk_root);
    platform_measure_extend(2, g_measurements.disk_root, "cvmify:disk-root");
}

void measure_overrides(const void *blob, size_t size)
{
    u8 digest[SHA384_SIZE];
    sha384(blob, size, digest);
    platform_measure_extend(3, digest, "cvmify:overrides");
}

const struct measurements *measurements_get(void)
{
    return &g_measurements;
}

static void log_value(const char *name, const u8 value[SHA384_SIZE])
{
    char hex[2 * SHA384_SIZE + 1];
    hex_encode(hex, value, SHA384_SIZE);
    kprintf("measure: %s %s\n", name, hex);
}

void measurements_log(void)
{
    const struct measurements *m = &g_measurements;
    if (m->stage >= 1)
        log_value("kernel", m->kernel);
    if (m->stage >= 2)
        log_value("config", m->config);
    if (m->stage >= 3)
        log_value("disk_root", m->disk_root);
    log_value("rtmr", m->rtmr);
}
