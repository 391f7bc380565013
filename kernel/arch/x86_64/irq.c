/*
 * irq.c: interrupt dispatch (irq.h). Runs with interrupts off on the
 * interrupted CPU's current stack and takes no lock but the scheduler's
 * (through sched_*) and the work list's: it never waits for the big
 * kernel lock, which its own CPU may hold.
 *
 * Trust: every vector is host input. Known vectors go to their handler;
 * the rest are counted and dropped. A device line that interrupts more
 * than once before its handler ran costs one handler run, never more
 * work for us: the work item is queued at most once.
 */
#include "arch/x86_64/irq.h"

#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "lib/kprintf.h"
#include "panic.h"
#include "platform/platform.h"
#include "syscalls/linux_abi/errno.h"
#ifndef CVMIFY_CORE_ONLY
#include "mm/tlb.h"
#include "proc/sched.h"
#include "proc/work.h"
#endif

struct irq_line {
	void (*handler)(void *arg);
	void *arg;
	u32 gsi;
	bool level;
#ifndef CVMIFY_CORE_ONLY
	struct kwork work;
#endif
};

static struct irq_line g_lines[IRQ_LINES];
static struct irq_line g_msi[MSI_VECTORS];  /* by vector - VECTOR_MSI_BASE */
_Static_assert(VECTOR_MSI_BASE >= VECTOR_IRQ_BASE + IRQ_LINES &&
               VECTOR_MSI_BASE + MSI_VECTORS <= VECTOR_RESCHEDULE, "vector ranges overlap");
static u64 g_unexpected;
static u64 g_spurious;

u64 irq_unexpected_count(void)
{
	return __atomic_load_n(&g_unexpected, __ATOMIC_RELAXED);
}

u64 irq_spurious_count(void)
{
	return __atomic_load_n(&g_spurious, __ATOMIC_RELAXED);
}

void irq_init(void)
{
	platform_ioapic_init();
	irq_init_cpu();
}

void irq_init_cpu(void)
{
	platform_lapic_init(VECTOR_TIMER, VECTOR_SPURIOUS, VECTOR_APIC_ERROR);
	this_cpu()->apic_id = platform_cpu_apic_id();
}

void irq_send_ipi(u32 cpu_index, u8 vector)
{
	struct percpu *p = cpu_by_index(cpu_index);
	if (p && ((cpu_online_mask() >> cpu_index) & 1))
		platform_send_ipi(p->apic_id, vector);
}

void irq_stop_other_cpus(void)
{
	if (!percpu_ready())
		return;
	u32 self = this_cpu()->index;
	u64 online = cpu_online_mask();
	for (u32 i = 0; i < MAX_CPUS; i++) {
		if (i != self && ((online >> i) & 1))
			irq_send_ipi(i, VECTOR_STOP);
	}
}

#ifndef CVMIFY_CORE_ONLY
/* Deferred part: the driver's handler, then the line opens again. */
static void line_work(void *arg)
{
	struct irq_line *line = arg;
	line->handler(line->arg);
	if (line->level)
		platform_irq_mask(line->gsi, false);
}
#endif

int irq_register(u32 gsi, void (*handler)(void *arg), void *arg, bool level)
{
#ifdef CVMIFY_CORE_ONLY
	(void)gsi, (void)handler, (void)arg, (void)level;
	return -EINVAL;
#else
	if (gsi >= IRQ_LINES || !handler)
		return -EINVAL;
	struct irq_line *line = &g_lines[gsi];
	if (line->handler)
		return -EBUSY;
	line->handler = handler;
	line->arg = arg;
	line->gsi = gsi;
	line->level = level;
	work_init(&line->work, line_work, line);
	int err = platform_irq_route(gsi, (u8)(VECTOR_IRQ_BASE + gsi), cpu_by_index(0)->apic_id,
	                             level);
	if (err)
		line->handler = NULL;
	return err;
#endif
}

int irq_register_msi(void (*handler)(void *arg), void *arg, u8 *vector, u32 *apic_id)
{
#ifdef CVMIFY_CORE_ONLY
	(void)handler, (void)arg, (void)vector, (void)apic_id;
	return -EINVAL;
#else
	if (!handler)
		return -EINVAL;
	for (u32 i = 0; i < MSI_VECTORS; i++) {
		struct irq_line *line = &g_msi[i];
		if (line->handler)
			continue;
		line->handler = handler;
		line->arg = arg;
		line->level = false; /* a message, never masked at an I/O APIC */
		work_init(&line->work, line_work, line);
		*vector = (u8)(VECTOR_MSI_BASE + i);
		*apic_id = cpu_by_index(0)->apic_id;
		return 0;
	}
	return -ENOSPC;
#endif
}

static void unexpected(u64 vector)
{
	u64 n = __atomic_add_fetch(&g_unexpected, 1, __ATOMIC_RELAXED);
	if (n <= 3)
		kprintf("irq: unexpected vector %lu ignored\n", vector);
	if (platform_irq_in_service((u8)vector))
		platform_irq_eoi();
}

static void device_interrupt(u32 gsi)
{
	struct irq_line *line = &g_lines[gsi];
	if (!line->handler) {
		unexpected(VECTOR_IRQ_BASE + gsi);
		return;
	}
	if (line->level)
		platform_irq_mask(gsi, true);
	platform_irq_eoi();
#ifndef CVMIFY_CORE_ONLY
	work_queue(&line->work);
#endif
}

/* Edge-triggered by nature: EOI now, the handler later. */
static void msi_interrupt(u32 index)
{
	struct irq_line *line = &g_msi[index];
	if (!line->handler) {
		unexpected(VECTOR_MSI_BASE + index);
		return;
	}
	platform_irq_eoi();
#ifndef CVMIFY_CORE_ONLY
	work_queue(&line->work);
#endif
}

void irq_dispatch(struct trapframe *tf)
{
	u64 vector = tf->trapno;
	struct percpu *cpu = this_cpu();
	cpu->irq_depth++;
	cpu->irq_count++;
	switch (vector) {
	case VECTOR_SPURIOUS:
		/* Not in service: no EOI (Intel SDM 10.9). */
		__atomic_add_fetch(&g_spurious, 1, __ATOMIC_RELAXED);
		break;
	case VECTOR_APIC_ERROR:
		__atomic_add_fetch(&g_unexpected, 1, __ATOMIC_RELAXED);
		platform_irq_eoi();
		break;
	case VECTOR_STOP:
		arch_halt_forever();
#ifndef CVMIFY_CORE_ONLY
	case VECTOR_TIMER:
		platform_irq_eoi();
		sched_timer_interrupt();
		break;
	case VECTOR_RESCHEDULE:
		platform_irq_eoi();
		sched_resched_ipi();
		break;
	case VECTOR_TLB_FLUSH:
		tlb_flush_ipi();
		platform_irq_eoi();
		break;
#endif
	default:
		if (vector >= VECTOR_IRQ_BASE && vector < VECTOR_IRQ_BASE + IRQ_LINES)
			device_interrupt((u32)(vector - VECTOR_IRQ_BASE));
		else if (vector >= VECTOR_MSI_BASE && vector < VECTOR_MSI_BASE + MSI_VECTORS)
			msi_interrupt((u32)(vector - VECTOR_MSI_BASE));
		else
			unexpected(vector);
		break;
	}
	cpu->irq_depth--;
}
