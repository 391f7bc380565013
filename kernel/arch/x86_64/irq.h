/*
 * irq.h: interrupt vectors, device interrupt handlers and IPIs.
 *
 * Vectors: 0-31 exceptions (trap.c); 0x20-0x2f the masked legacy PICs
 * (never expected); VECTOR_IRQ_BASE + gsi for device line gsi; 0xf0-0xf2
 * IPIs; 0xfc the local APIC timer, 0xfe its error, 0xff spurious.
 * Anything else, or a device vector nobody registered, is counted as
 * unexpected and ignored (with an EOI only if the local APIC says it is
 * in service): the host may inject any vector it likes.
 *
 * Device drivers (virtio-net, virtio-blk, the console):
 *
 *	int irq_register(u32 gsi, void (*handler)(void *arg), void *arg, bool level);
 *
 * routes line gsi (microvm: virtio-mmio transport n is GSI 5 + n, the
 * COM1 UART GSI 4; platform/vm/ioapic.c) to the boot CPU and calls
 * handler(arg) after each interrupt of that line, NOT in interrupt
 * context: as deferred work (proc/work.h), on the next CPU to return to
 * user mode or to wake up idle, in process context with the big kernel
 * lock held. The handler may therefore take any lock, touch the VFS or
 * the network stack, and wake tasks (wait.h); it must not sleep. One
 * handler run may stand for several interrupts: drain everything the
 * device has. For a level-triggered line (virtio: level = true) the line
 * is masked from the interrupt until the handler returns, so the
 * handler must acknowledge the device (virtio-mmio InterruptACK) before
 * returning or the line fires again at once. Edge lines (ISA) are not
 * masked. Returns 0, -EINVAL (no such line) or -EBUSY (already taken).
 *
 *	int irq_register_msi(void (*handler)(void *arg), void *arg, u8 *vector, u32 *apic_id);
 *
 * takes a free message-signalled vector (VECTOR_MSI_BASE..) for a device
 * that writes its interrupts itself (PCI MSI-X: virtio-pci), with the
 * same deferred handler as an edge line; *vector and *apic_id say what
 * the device must write where (the boot CPU). Returns 0 or -ENOSPC.
 */
#ifndef CVMIFY_ARCH_IRQ_H
#define CVMIFY_ARCH_IRQ_H

#include "lib/types.h"

struct trapframe;

#define VECTOR_IRQ_BASE 0x30
#define IRQ_LINES 48              /* device lines we route: GSI 0..47 */
#define VECTOR_MSI_BASE 0x60      /* message-signalled interrupts (MSI-X) */
#define MSI_VECTORS 16
#define VECTOR_RESCHEDULE 0xf0    /* look at the run queue / signals */
#define VECTOR_TLB_FLUSH 0xf1     /* mm/tlb.c shootdown */
#define VECTOR_STOP 0xf2          /* panic: halt this CPU */
#define VECTOR_TIMER 0xfc
#define VECTOR_APIC_ERROR 0xfe
#define VECTOR_SPURIOUS 0xff

int irq_register(u32 gsi, void (*handler)(void *arg), void *arg, bool level);
int irq_register_msi(void (*handler)(void *arg), void *arg, u8 *vector, u32 *apic_id);

/* Boot CPU: the I/O APIC and this CPU's local APIC. */
void irq_init(void);
/* Each AP: its local APIC. */
void irq_init_cpu(void);
/* Every interrupt (vector >= 32) from trap_handler, interrupts off. */
void irq_dispatch(struct trapframe *tf);
/* An IPI to the CPU with that index (ignored for an offline one). */
void irq_send_ipi(u32 cpu_index, u8 vector);
/* Panic: halt every other CPU (best effort; they may have interrupts
 * off, and power off follows anyway). */
void irq_stop_other_cpus(void);
/* Vectors we did not expect, and spurious ones (log, tests). */
u64 irq_unexpected_count(void);
u64 irq_spurious_count(void);

#endif
