/*
 * platform.h: the only door to the host.
 *
 * Every primitive that reads from or writes to something the host controls
 * (consoles, fw_cfg files, device MMIO, port I/O, memory shared for DMA,
 * time, power off) is declared here. Backends live in platform/vm/ (plain
 * QEMU/KVM/TCG guest) and later platform/tdx/; nothing else includes their
 * headers. Whatever these calls return is host input: callers copy it into
 * private memory and check it before use.
 */
#ifndef CVMIFY_PLATFORM_H
#define CVMIFY_PLATFORM_H

#include "lib/types.h"

/* ---- boot ---------------------------------------------------------- */

/* Bring up the consoles. Called first in main (after measuring). */
void platform_console_init(void);

/* A usable RAM range reported by the host (already validated: page
 * aligned, non-overlapping, inside the physical address width). */
struct ram_range {
    u64 base;
    u64 size;
};

/* Parse and validate the host's memory map (PVH start info in VM mode).
 * boot_info_pa is what the boot code received (%ebx at PVH entry).
 * Fills at most max ranges, returns how many. Panics on garbage. */
size_t platform_memory_map(u64 boot_info_pa, struct ram_range *out, size_t max);

/* Mask the legacy 8259 interrupt controllers (their vectors would
 * collide with exceptions); devices interrupt through the I/O APIC. */
void platform_irq_init(void);

/* ---- consoles ------------------------------------------------------ */

enum console_channel {
    CONSOLE_STDOUT = 0, /* COM1: app stdout and tty input */
    CONSOLE_STDERR = 1, /* COM2: app stderr */
    CONSOLE_LOG = 2,    /* COM3: kernel log, for people */
    CONSOLE_CONTROL = 3, /* COM4: control frames (control/control.h) */
};

/* Write len bytes; blocks until the UART took them all. */
void platform_console_write(enum console_channel channel, const char *buf, size_t len);

/* Read up to len bytes of COM1 input that are already waiting; never
 * blocks. Returns the number of bytes read (0 if none). */
size_t platform_console_read(char *buf, size_t len);

/* True if COM1 has input waiting. */
bool platform_console_has_input(void);

/* Turn on COM1's receive interrupt and return the device line (GSI) it
 * raises, or -1 when the backend has none (the tty then polls). */
int platform_console_input_irq(void);

/* Read up to len bytes the host sent on the control channel (COM4) that
 * are already waiting; never blocks. Returns the number read. */
size_t platform_control_read(char *buf, size_t len);

/* Turn on the control channel's receive interrupt and return its device
 * line (GSI), or -1 when the backend has none (control_poll then polls). */
int platform_control_input_irq(void);

/* ---- fw_cfg files (docs/boot-config.md) ---------------------------- */

/* Size of the named fw_cfg file, or -ENOENT. */
long platform_fwcfg_size(const char *name);

/* Copy the whole named file into buf. size must equal the file's size
 * (as returned by platform_fwcfg_size); returns 0 or -ENOENT/-EINVAL. */
int platform_fwcfg_read(const char *name, void *buf, size_t size);

/* ---- virtualization exceptions ----------------------------------------
 * A #VE (vector 20): TDX turns some instructions into one. Handle it and
 * return true (the frame is updated and resumes after the instruction),
 * or false: not ours, the trap path treats it as a fault. The VM backend
 * never gets one. */
struct trapframe;
bool platform_virt_exception(struct trapframe *tf);

/* ---- the measured boot config ------------------------------------------
 * A platform may carry config.bin itself, measured (td.fd's CFV section).
 * Size, or -ENOENT: then the config comes from fw_cfg opt/cvmify/config.
 * read copies exactly size bytes (as returned by the size call). */
long platform_boot_config_size(void);
int platform_boot_config_read(void *buf, size_t size);

/* ---- measurement (docs/measurements.md, "TDX") -----------------------
 * Extend a SHA-384 digest into measurement register `rtmr` (2: the
 * kernel's config and disk root, 3: host overrides) and record `event` in
 * the event log. TDX: TDG.MR.RTMR.EXTEND (or the simulated module of a
 * plain VM booted from td.fd). The PVH VM backend measures nothing here
 * (its software register is measure/measure.c's). 0, or panics. */
int platform_measure_extend(unsigned rtmr, const u8 digest[48], const char *event);

/* What /dev/attestation shows: the attestation type ("none", "tdx" or
 * "tdx-simulated") and the event log of every platform_measure_extend
 * (CCEL-style, TCG2 crypto-agile), or size 0 when there is none. */
const char *platform_attestation_type(void);
const u8 *platform_event_log(size_t *size);

/* ---- the disk key -------------------------------------------------------
 * The key of the root disk whose root hash is disk_root. VM: fw_cfg
 * opt/cvmify/disk-key (development). TDX: released by the key broker to
 * this TD's quote (never from the host). 0 or -errno. */
int platform_disk_key(u8 key[32], const u8 disk_root[48]);

/* The key of persistent volume `index` (in the order of the VOLUME
 * records). VM: the development key at index in fw_cfg
 * opt/cvmify/volume-keys (32 bytes each). A TD: -ENOSYS (the key broker
 * will release them: docs/volume-format.md, "Rollback"). 0 or -errno. */
int platform_volume_key(u32 index, u8 key[32]);

/* ---- device MMIO ------------------------------------------------------
 * Physical addresses in the device window [PLATFORM_MMIO_BASE,
 * PLATFORM_MMIO_END) only (virtio-mmio lives at 0xfeb00000). Anything
 * outside panics: a driver bug, not host input. */
#define PLATFORM_MMIO_BASE 0xfe000000ULL
#define PLATFORM_MMIO_END 0x100000000ULL

u8 platform_mmio_read8(u64 pa);
u16 platform_mmio_read16(u64 pa);
u32 platform_mmio_read32(u64 pa);
void platform_mmio_write8(u64 pa, u8 value);
void platform_mmio_write16(u64 pa, u16 value);
void platform_mmio_write32(u64 pa, u32 value);

/* ---- port I/O ------------------------------------------------------ */

u8 platform_inb(u16 port);
void platform_outb(u16 port, u8 value);
u16 platform_inw(u16 port);
void platform_outw(u16 port, u16 value);
u32 platform_inl(u16 port);
void platform_outl(u16 port, u32 value);

/* ---- memory shared with the host (DMA) ------------------------------
 * Zeroed, physically contiguous, page-aligned memory the device may read
 * and write. *dma_addr receives the address to give the device. In TDX
 * mode these pages are converted to shared; never put secrets in them and
 * never trust what you read back without copying it out first. */
void *platform_shared_alloc(size_t size, u64 *dma_addr);
void platform_shared_free(void *va, size_t size);

/* ---- time ------------------------------------------------------------ */

/* Calibrate the clock (CPUID 0x15/0x16 or the PIT) and read the RTC. */
void platform_time_init(void);

/* Monotonic nanoseconds since boot (TSC based). */
u64 platform_time_ns(void);

/* Wall clock, nanoseconds since the Unix epoch: the host's RTC at boot
 * plus monotonic time since. Untrusted: only for the app's clock. */
u64 platform_wallclock_ns(void);

/* TSC ticks per second as calibrated. */
u64 platform_tsc_hz(void);

/* How the two clocks above are computed, for the vDSO (mm/vdso.c), which
 * must give the same answers in user mode: monotonic ns = ((rdtsc -
 * *tsc_base) * *ns_mult) >> 32, wall ns = *wall_base_ns + monotonic ns. */
void platform_time_params(u64 *tsc_base, u64 *ns_mult, u64 *wall_base_ns);

/* ---- interrupts, the timer and other CPUs ---------------------------
 * Each vCPU's local APIC (x2APIC MSRs when the CPU has them, else xAPIC
 * MMIO), the I/O APIC that routes device lines, and AP start-up. The
 * host is all of these: an interrupt may come early, late, twice or
 * never and carry any vector; callers compare the TSC with their
 * deadline and count what they did not expect (arch/x86_64/irq.c). */

/* Enable the calling CPU's local APIC: LINT0/1 and the other local
 * sources masked, the one-shot timer (TSC-deadline mode when offered)
 * on timer_vector, spurious and error vectors set. Every CPU calls it
 * once; the first call also calibrates the timer. Panics without one. */
void platform_lapic_init(u8 timer_vector, u8 spurious_vector, u8 error_vector);

/* The calling CPU's APIC id (host-assigned). */
u32 platform_cpu_apic_id(void);

/* Signal end of interrupt for the vector being handled. */
void platform_irq_eoi(void);

/* Is vector marked in service at this CPU's local APIC? (A vector we did
 * not expect needs an EOI only if the APIC delivered it.) */
bool platform_irq_in_service(u8 vector);

/* Arm this CPU's one-shot timer for deadline_ns of platform_time_ns()
 * (0 disarms), replacing any earlier deadline. */
void platform_timer_arm(u64 deadline_ns);

/* A fixed-delivery IPI with vector to the CPU with apic_id. */
void platform_send_ipi(u32 apic_id, u8 vector);

/* I/O APIC: every line starts masked (called once, by the boot CPU). */
void platform_ioapic_init(void);
/* Route device line gsi to vector on the CPU apic_id and unmask it;
 * level: level-triggered (virtio), else edge (ISA). -EINVAL when the
 * line does not exist. */
int platform_irq_route(u32 gsi, u8 vector, u32 apic_id, bool level);
void platform_irq_mask(u32 gsi, bool masked);

/* How many vCPUs the host says the machine has (fw_cfg); 0 if it does
 * not say. Untrusted: the caller bounds it. */
u32 platform_cpu_count_hint(void);

/* Start vCPU number which (1 .. hint-1, in the host's order): it runs
 * entry(arg) in long mode on stack_top with the kernel's page tables,
 * interrupts off and a temporary GDT (entry loads the real one) and
 * never returns. Returns 0 once the CPU is running entry, -ETIMEDOUT
 * if it never showed up, -ENODEV if this backend cannot start CPUs. The
 * VM backend sends INIT-SIPI-SIPI to APIC id `which` with a real-mode
 * trampoline in low memory (platform/vm/smp.c); TDX uses the wake-up
 * mailbox instead. Boot CPU only, one CPU at a time. */
int platform_start_cpu(u32 which, u64 stack_top, void (*entry)(void *), void *arg);
/* All started: drop what start-up needed (the VM backend's low-memory
 * trampoline mapping). */
void platform_start_cpus_end(void);

/* ---- power --------------------------------------------------------- */

#define POWEROFF_APP_EXIT 0x10 /* after the EXIT / KILLED message (QEMU exits 33) */
#define POWEROFF_PANIC 0x20    /* after the PANIC message (QEMU exits 65) */

/* Power off through isa-debug-exit with code; halts forever if the host
 * ignores it. */
void platform_poweroff(u8 code) __attribute__((noreturn));

#endif
