/*
 * gdt.c: the final GDT (kernel and user segments in the order SYSCALL /
 * SYSRET need) and the TSS, whose rsp0 is the kernel stack for traps from
 * ring 3 and whose IST stacks give #DF, NMI and #MC a known-good stack.
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/gdt.h"
#include "lib/string.h"

struct tss {
    u32 reserved0;
    u64 rsp[3];
    u64 reserved1;
    u64 ist[7];
    u64 reserved2;
    u16 reserved3;
    u16 iomap_base;
} __attribute__((packed));

#define IST_STACK_SIZE 8192

static u64 g_gdt[7];
static struct tss g_tss;
static u8 g_ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));
struct percpu g_percpu;

static u64 tss_low(u64 base, u32 limit)
{
    return (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) /* present, 64-bit TSS */
           | ((u64)((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
}

void gdt_init(void)
{
    g_gdt[0] = 0;
    g_gdt[1] = 0x00af9b000000ffffULL; /* 0x08 kernel code, 64-bit */
    g_gdt[2] = 0x00cf93000000ffffULL; /* 0x10 kernel data */
    g_gdt[3] = 0x00cff3000000ffffULL; /* 0x18 user data, DPL 3 */
    g_gdt[4] = 0x00affb000000ffffULL; /* 0x20 user code, 64-bit, DPL 3 */
    u64 base = (u64)(uptr)&g_tss;
    g_gdt[5] = tss_low(base, sizeof(g_tss) - 1);
    g_gdt[6] = base >> 32;

    memset(&g_tss, 0, sizeof(g_tss));
    g_tss.ist[IST_DOUBLE_FAULT - 1] = (u64)(uptr)(g_ist_stacks[0] + IST_STACK_SIZE);
    g_tss.ist[IST_NMI - 1] = (u64)(uptr)(g_ist_stacks[1] + IST_STACK_SIZE);
    g_tss.ist[IST_MACHINE_CHECK - 1] = (u64)(uptr)(g_ist_stacks[2] + IST_STACK_SIZE);
    g_tss.iomap_base = sizeof(g_tss); /* no I/O bitmap: ring 3 gets no ports */

    struct descriptor_pointer gdtr = { sizeof(g_gdt) - 1, (u64)(uptr)g_gdt };
    cpu_lgdt(&gdtr);
    gdt_reload_segments();
    cpu_ltr(SEL_TSS);

    /* Kernel GS points at the per-CPU area; user GS starts at 0. */
    cpu_wrmsr(MSR_GS_BASE, (u64)(uptr)&g_percpu);
    cpu_wrmsr(MSR_KERNEL_GS_BASE, 0);
}

void arch_set_kernel_stack(u64 top)
{
    g_tss.rsp[0] = top;
    g_percpu.kernel_stack = top;
}
