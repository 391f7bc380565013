/*
 * main.c: the boot sequence, in order. Each step trusts only what the
 * steps before it checked. The host's inputs arrive through platform/
 * (fw_cfg, PVH start info, devices) and are checked where they enter.
 *
 *  1. measure the kernel image      (first C action, before .data is written)
 *  2. consoles                      COM1 app out, COM2 app err, COM3 log
 *  3. traps                         GDT + TSS (IST stacks), IDT: faults panic cleanly
 *  4. CPU protections               NX, WP, SMEP, SMAP, UMIP, SSE
 *  5. memory                        PVH memory map -> pages -> W^X kernel page tables
 *     selftest?                     fw_cfg opt/cvmify/selftest: a deliberate kernel fault
 *  6. syscall entry                 STAR/LSTAR/FMASK
 *  7. time                          TSC (CPUID or PIT), RTC wall clock; the vDSO's vvar page
 *  8. probe?                        fw_cfg opt/cvmify/probe = "1": ring-3 round trip, off
 *     interrupts                    I/O APIC (all lines masked), local APIC and its timer
 *     scheduler                     run queue, this CPU's idle task; the big kernel lock
 *     other vCPUs                   as many as the host says (bounded), each to its idle loop
 *  9. config                        fw_cfg opt/cvmify/config -> private copy -> parse (fail closed)
 * 10. measure config
 * 11. host overrides and switches   opt/cvmify/overrides, opt/cvmify/trace (not measured)
 * 12. random                        CSPRNG from RDSEED/RDRAND
 * 13. root disk check              its root (no key needed) must equal DISK_ROOT
 * 14. measure disk root, then the disk key (VM: fw_cfg; TDX: the key broker)
 *     and the file systems           cvmfs at /, tmpfs, dev, proc, the host's tmpfs, volumes
 * 15. network                       lwIP, loopback, virtio-net with the config's addresses
 * 16. proc_start_init               the app, in ring 3; never returns
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/probe.h"
#include "arch/x86_64/selftest.h"
#include "arch/x86_64/stack_guard.h"
#include "config/config.h"
#include "control/control.h"
#include "crypto/crypto.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "measure/measure.h"
#include "mm/kmalloc.h"
#include "mm/kpt.h"
#include "mm/page.h"
#include "mm/vdso.h"
#include "panic.h"
#include "platform/platform.h"
#ifndef CVMIFY_CORE_ONLY
#include "arch/x86_64/irq.h"
#include "drivers/random/random.h"
#include "fs/tmpfs_host.h"
#include "fs/vfs.h"
#include "fs/volfs.h"
#include "net/net.h"
#include "proc/bkl.h"
#include "proc/proc.h"
#include "proc/sched.h"
#endif

#define FW_CONFIG "opt/cvmify/config"
#define FW_OVERRIDES "opt/cvmify/overrides"
#define FW_TRACE "opt/cvmify/trace"
#define FW_PROBE "opt/cvmify/probe"
#define FW_TTY "opt/cvmify/tty"
#define FW_STDIN "opt/cvmify/control-stdin"
#define TTY_FILE_MAX 16
#define DISK_KEY_SIZE 32
#define MAX_RAM_RANGES 64

void kmain(u64 boot_info_pa);

static struct boot_config g_config;

static void memory_init(u64 boot_info_pa)
{
    static struct ram_range ranges[MAX_RAM_RANGES];
    size_t count = platform_memory_map(boot_info_pa, ranges, MAX_RAM_RANGES);
    page_init(ranges, count);
    kpt_init(ranges, count);
}

/* A one-byte switch file set to "1". Absent or anything else: off. */
static bool fw_switch(const char *name)
{
    char value;
    return platform_fwcfg_size(name) == 1 && platform_fwcfg_read(name, &value, 1) == 0 &&
           value == '1';
}

/* Copy a whole fw_cfg file into a fresh private buffer of at most max bytes. */
static u8 *fw_file_copy(const char *name, size_t min, size_t max, size_t *size_out)
{
    long size = platform_fwcfg_size(name);
    if (size < 0)
        return NULL;
    if ((size_t)size < min || (size_t)size > max)
        panic("fw_cfg %s: size %ld outside %zu..%zu", name, size, min, max);
    u8 *buf = kmalloc(size ? (size_t)size : 1);
    if (!buf)
        panic("fw_cfg %s: out of memory", name);
    if (platform_fwcfg_read(name, buf, (size_t)size) != 0)
        panic("fw_cfg %s: read failed", name);
    *size_out = (size_t)size;
    return buf;
}

/* One decimal number 0..65535 at *p, moving *p past it; -1 if none. */
static long parse_u16(const char **p)
{
    long v = 0;
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return -1;
    while (*s >= '0' && *s <= '9' && v <= 65535)
        v = v * 10 + (*s++ - '0');
    *p = s;
    return v <= 65535 ? v : -1;
}

/* opt/cvmify/tty: "ROWS COLS" in decimal; present means a terminal
 * (cvmify run -t). Anything else is refused: the host said something we
 * do not know. opt/cvmify/control-stdin "1": stdin is attached (-i). */
static void stdio_config_init(struct boot_config *cfg)
{
    size_t size;
    char *tty = (char *)fw_file_copy(FW_TTY, 3, TTY_FILE_MAX, &size);
    cfg->stdin_open = fw_switch(FW_STDIN);
    if (!tty)
        return;
    char text[TTY_FILE_MAX + 1];
    memcpy(text, tty, size);
    text[size] = 0;
    kfree(tty);
    const char *p = text;
    long rows = parse_u16(&p);
    long cols = *p == ' ' ? (p++, parse_u16(&p)) : -1;
    if (rows < 0 || cols < 0 || *p != 0)
        panic("fw_cfg %s: expected \"ROWS COLS\"", FW_TTY);
    cfg->tty = true;
    cfg->tty_rows = (u16)rows;
    cfg->tty_cols = (u16)cols;
}

/* The measured config the platform carries (td.fd), copied to private
 * memory; NULL when it has none. */
static u8 *platform_config_copy(size_t *size_out)
{
    long size = platform_boot_config_size();
    if (size < 0)
        return NULL;
    if ((size_t)size < CONFIG_MIN_SIZE || (size_t)size > CONFIG_MAX_SIZE)
        panic("boot config: size %ld out of range", size);
    u8 *buf = kmalloc((size_t)size);
    if (!buf || platform_boot_config_read(buf, (size_t)size) != 0)
        panic("boot config: cannot copy it");
    *size_out = (size_t)size;
    return buf;
}

static void config_init(void)
{
    size_t size;
    u8 *blob = platform_config_copy(&size);
    if (!blob)
        blob = fw_file_copy(FW_CONFIG, CONFIG_MIN_SIZE, CONFIG_MAX_SIZE, &size);
    if (!blob)
        panic("no boot config (fw_cfg %s)", FW_CONFIG);
    /* Measure exactly the bytes we parse: the private copy. */
    if (config_parse(blob, size, &g_config) != 0)
        panic("bad boot config: %s", config_error());
    measure_config(blob, size);
    kfree(blob);

    u8 *overrides = fw_file_copy(FW_OVERRIDES, 0, OVERRIDES_MAX_SIZE, &size);
    if (overrides) {
        if (config_apply_overrides(&g_config, overrides, size) != 0)
            panic("refused host overrides: %s", config_error());
        measure_overrides(overrides, size);
        kfree(overrides);
    }
    g_config.trace = fw_switch(FW_TRACE);
    stdio_config_init(&g_config);
    /* docker -t sets TERM=xterm unless the image set TERM */
    if (g_config.tty && config_default_env(&g_config, "TERM", "xterm") != 0)
        panic("out of memory for TERM");
    kprintf("config: entrypoint %s, %zu args, %zu env, uid %u gid %u\n", g_config.entrypoint,
            g_config.argc, g_config.envc, g_config.uid, g_config.gid);
}

#ifndef CVMIFY_CORE_ONLY
static void root_init(void)
{
    u8 key[DISK_KEY_SIZE];
    /* The disk's root (superblock and tag table, no key needed) must be
     * the measured one before any key is asked for: a changed disk is
     * never given a key. Then it is measured, so a quote shows it. */
    int err = fs_root_disk_check(g_config.disk_root);
    if (err)
        panic("cannot use the root disk (error %d)", err);
    measure_disk_root(g_config.disk_root);
    /* VM: the development key from fw_cfg; TDX: released by the key
     * broker to this TD's quote, never taken from the host. */
    err = platform_disk_key(key, g_config.disk_root);
    if (err)
        panic("no disk key (error %d)", err);
    /* A volume replaces the tmpfs an image VOLUME would get at its path. */
    size_t tmpfs_count = volfs_drop_tmpfs(g_config.tmpfs, g_config.tmpfs_count,
                                          g_config.volumes, g_config.volume_count);
    err = fs_mount_all(key, g_config.disk_root, (const char *const *)g_config.tmpfs, tmpfs_count,
                       g_config.read_only_root);
    memzero_explicit(key, sizeof(key));
    if (err)
        panic("cannot mount the root filesystem (error %d)", err);
    err = fs_mount_host_tmpfs(g_config.host_tmpfs, g_config.host_tmpfs_count);
    if (err)
        panic("cannot mount the host's tmpfs (error %d)", err);
    err = fs_mount_volumes(g_config.volumes, g_config.volume_count);
    if (err)
        panic("cannot attach the persistent volumes (error %d)", err);
}
#endif

void kmain(u64 boot_info_pa)
{
    measure_kernel_image();
    platform_console_init();
    control_init();
    kprintf("cvmify kernel: booting (stack canary from %s)\n", stack_guard_source());
    gdt_init();
    idt_init();
    platform_irq_init();
    cpu_features_init();
    memory_init(boot_info_pa);
    selftest_run_if_requested();
    syscall_init();
    platform_time_init();
#ifndef CVMIFY_CORE_ONLY
    vdso_init();
#endif

    if (fw_switch(FW_PROBE))
        probe_run();

#ifndef CVMIFY_CORE_ONLY
    irq_init();
    sched_init();
    bkl_lock(); /* boot holds it until the first task enters user mode */
    smp_start_cpus();
#endif
    config_init();
    measurements_log();

#ifdef CVMIFY_CORE_ONLY
    panic("core-only kernel: no drivers, file systems or processes");
#else
    if (random_init() != 0)
        panic("no CPU entropy (RDSEED/RDRAND)");
    root_init();
    measurements_log();
    net_init(&g_config);
    proc_start_init(&g_config);
#endif
}
