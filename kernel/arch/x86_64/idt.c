/*
 * idt.c: the interrupt descriptor table. Every vector has a stub
 * (trap_entry.S); all are interrupt gates (IF cleared on entry), DPL 0 so
 * ring 3 cannot raise them with INT n (it gets #GP instead), except #BP
 * and #OF which user code may raise with int3/into. #DF, NMI and #MC run
 * on their own IST stacks.
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"

struct idt_gate {
    u16 offset_low;
    u16 selector;
    u8 ist;
    u8 type_attr;
    u16 offset_mid;
    u32 offset_high;
    u32 reserved;
} __attribute__((packed));

#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate */
#define GATE_DPL3 0x60

extern const u64 trap_vectors[256];

static struct idt_gate g_idt[256];

static void set_gate(int vector, u64 handler, u8 ist, u8 dpl3)
{
    struct idt_gate *g = &g_idt[vector];
    g->offset_low = handler & 0xffff;
    g->selector = SEL_KCODE;
    g->ist = ist;
    g->type_attr = GATE_INTERRUPT | dpl3;
    g->offset_mid = (handler >> 16) & 0xffff;
    g->offset_high = handler >> 32;
    g->reserved = 0;
}

void idt_init(void)
{
    for (int v = 0; v < 256; v++)
        set_gate(v, trap_vectors[v], 0, 0);
    set_gate(2, trap_vectors[2], IST_NMI, 0);
    set_gate(3, trap_vectors[3], 0, GATE_DPL3);
    set_gate(4, trap_vectors[4], 0, GATE_DPL3);
    set_gate(8, trap_vectors[8], IST_DOUBLE_FAULT, 0);
    set_gate(18, trap_vectors[18], IST_MACHINE_CHECK, 0);
    idt_load();
}

/* Every CPU loads the one table (APs: after the boot CPU built it). */
void idt_load(void)
{
    struct descriptor_pointer idtr = { sizeof(g_idt) - 1, (u64)(uptr)g_idt };
    cpu_lidt(&idtr);
}
