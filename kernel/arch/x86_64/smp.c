/*
 * smp.c: bringing up the other vCPUs (arch.h: smp_start_cpus).
 *
 * The boot CPU asks the host how many vCPUs there are (untrusted:
 * bounded by MAX_CPUS), and for each prepares a per-CPU area, a GDT/TSS
 * with IST stacks and an idle task on a guarded kernel stack (all
 * allocated here: the AP takes no lock while it starts), then has the platform
 * start it (platform_start_cpu: INIT-SIPI-SIPI in VM mode, the TDX
 * wake-up mailbox later). The AP sets up its own CPU state in ap_main
 * and enters its idle loop; it counts as online once it can run tasks.
 * One AP at a time, so the boot log stays readable.
 */
#ifndef CVMIFY_CORE_ONLY /* a core-only kernel runs no tasks: one CPU */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/percpu.h"
#include "lib/kprintf.h"
#include "mm/kpt.h"
#include "mm/kstack.h"
#include "platform/platform.h"
#include "proc/sched.h"

#define ONLINE_TIMEOUT_NS (5000ULL * 1000 * 1000)

struct ap_start {
	struct percpu *cpu;
	void *tables;          /* gdt_alloc_ap */
	struct task *idle;     /* its idle task, on a fresh kernel stack */
};

static struct ap_start g_starts[MAX_CPUS];

static void ap_main(void *arg)
{
	struct ap_start *start = arg;
	percpu_install(start->cpu);
	gdt_init_ap(start->tables);
	idt_load();
	cpu_features_init_ap();
	pt_activate(kpt_kernel_root()); /* off the trampoline's tables */
	syscall_init();
	irq_init_cpu();
	sched_init_cpu(start->idle);
	percpu_mark_online(start->cpu);
	sched_run_idle();
}

static bool wait_online(u32 index)
{
	u64 deadline = platform_time_ns() + ONLINE_TIMEOUT_NS;
	while (!((cpu_online_mask() >> index) & 1)) {
		if (platform_time_ns() > deadline)
			return false;
		cpu_pause();
	}
	return true;
}

static bool start_one(u32 index)
{
	struct ap_start *start = &g_starts[index];
	start->cpu = percpu_alloc_ap(index);
	start->tables = gdt_alloc_ap();
	void *stack = kstack_alloc();
	start->idle = stack ? sched_alloc_idle(stack) : NULL;
	if (!start->cpu || !start->tables || !start->idle) {
		kprintf("smp: no memory to start cpu %u\n", index);
		return false;
	}
	int err = platform_start_cpu(index, kstack_top(stack), ap_main, start);
	if (err) {
		kprintf("smp: cpu %u did not start (error %d)\n", index, err);
		return false;
	}
	if (!wait_online(index)) {
		kprintf("smp: cpu %u started but never came online\n", index);
		return false;
	}
	return true;
}

void smp_start_cpus(void)
{
	u32 hint = platform_cpu_count_hint();
	u32 want = hint == 0 ? 1 : (hint > MAX_CPUS ? MAX_CPUS : hint);
	for (u32 index = 1; index < want; index++) {
		if (!start_one(index))
			break; /* CPU indices stay dense */
	}
	platform_start_cpus_end();
	kprintf("smp: %u of %u vCPUs online%s\n", cpu_count(), hint ? hint : 1,
	        hint > MAX_CPUS ? " (more than the kernel supports)" : "");
}
#endif
