/*
 * cpu.h: every x86-64 instruction the kernel needs that C cannot express,
 * each as a tiny named function. Nothing else in the tree writes asm().
 */
#ifndef CVMIFY_ARCH_CPU_H
#define CVMIFY_ARCH_CPU_H

#include "lib/types.h"

#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX 0xc0000103
#define MSR_APIC_BASE 0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define MSR_X2APIC_BASE 0x800  /* x2APIC register r is MSR 0x800 + r / 16 */

#define EFER_SCE (1ULL << 0)
#define EFER_LME (1ULL << 8)
#define EFER_NXE (1ULL << 11)

#define CR0_WP (1ULL << 16)
#define CR0_MP (1ULL << 1)
#define CR0_EM (1ULL << 2)
#define CR0_TS (1ULL << 3)
#define CR0_NE (1ULL << 5)
#define CR4_PGE (1ULL << 7)
#define CR4_OSFXSR (1ULL << 9)
#define CR4_OSXMMEXCPT (1ULL << 10)
#define CR4_OSXSAVE (1ULL << 18)
#define CR4_UMIP (1ULL << 11)
#define CR4_FSGSBASE (1ULL << 16)
#define CR4_SMEP (1ULL << 20)
#define CR4_SMAP (1ULL << 21)

static inline void cpu_outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 cpu_inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void cpu_outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline u16 cpu_inw(u16 port) { u16 v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void cpu_outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline u32 cpu_inl(u16 port) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline u64 cpu_rdmsr(u32 msr)
{
    u32 lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((u64)hi << 32) | lo;
}

static inline void cpu_wrmsr(u32 msr, u64 v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static inline void cpu_cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

/* RDTSCP (and with it IA32_TSC_AUX): CPUID 0x80000001 EDX bit 27. */
static inline bool cpu_has_rdtscp(void)
{
    u32 a, b, c, d;
    cpu_cpuid(0x80000000, 0, &a, &b, &c, &d);
    if (a < 0x80000001)
        return false;
    cpu_cpuid(0x80000001, 0, &a, &b, &c, &d);
    return (d >> 27) & 1;
}

static inline u64 cpu_read_cr0(void) { u64 v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline void cpu_write_cr0(u64 v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline u64 cpu_read_cr2(void) { u64 v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline u64 cpu_read_cr3(void) { u64 v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline void cpu_write_cr3(u64 v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline u64 cpu_read_cr4(void) { u64 v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void cpu_write_cr4(u64 v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }

static inline void cpu_invlpg(u64 va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }
static inline void cpu_hlt(void) { __asm__ volatile("hlt"); }
static inline void cpu_cli(void) { __asm__ volatile("cli" : : : "memory"); }
static inline void cpu_sti(void) { __asm__ volatile("sti" : : : "memory"); }
static inline void cpu_pause(void) { __asm__ volatile("pause"); }
/* Enable interrupts and halt as one step: an interrupt that is already
 * pending, or arrives in between, ends the halt (STI's one-instruction
 * shadow), so a check made with interrupts off cannot miss a wake-up. */
static inline void cpu_sti_hlt(void) { __asm__ volatile("sti; hlt" : : : "memory"); }
static inline u64 cpu_read_rflags(void)
{
    u64 v;
    __asm__ volatile("pushfq; popq %0" : "=r"(v) : : "memory");
    return v;
}
static inline void cpu_ud2(void) { __asm__ volatile("ud2"); } /* selftest only */
static inline void cpu_stac(void) { __asm__ volatile("stac" : : : "memory", "cc"); }
static inline void cpu_clac(void) { __asm__ volatile("clac" : : : "memory", "cc"); }

static inline u64 cpu_rdtsc(void)
{
    u32 lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((u64)hi << 32) | lo;
}

/* RDRAND / RDSEED: true when the CPU returned a value (CF=1). */
static inline bool cpu_rdrand64(u64 *out)
{
    u8 ok;
    __asm__ volatile("rdrand %0; setc %1" : "=r"(*out), "=qm"(ok) : : "cc");
    return ok;
}

static inline bool cpu_rdseed64(u64 *out)
{
    u8 ok;
    __asm__ volatile("rdseed %0; setc %1" : "=r"(*out), "=qm"(ok) : : "cc");
    return ok;
}

/* All ones when index < size, else 0, with no branch the CPU could
 * mispredict: cmp sets CF exactly when index < size, sbb spreads CF. */
static inline u64 cpu_index_mask_nospec(u64 index, u64 size) { u64 mask; __asm__ volatile("cmp %2, %1\n\tsbb %0, %0" : "=r"(mask) : "r"(index), "r"(size) : "cc"); return mask; }
static inline u64 cpu_xgetbv(u32 index) { u32 lo, hi; __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index)); return ((u64)hi << 32) | lo; }
static inline void cpu_xsetbv(u32 index, u64 v) { __asm__ volatile("xsetbv" : : "c"(index), "a"((u32)v), "d"((u32)(v >> 32))); }
static inline void cpu_xsave(void *area, u64 rfbm) { __asm__ volatile("xsave64 (%0)" : : "r"(area), "a"((u32)rfbm), "d"((u32)(rfbm >> 32)) : "memory"); }
static inline void cpu_xsaveopt(void *area, u64 rfbm) { __asm__ volatile("xsaveopt64 (%0)" : : "r"(area), "a"((u32)rfbm), "d"((u32)(rfbm >> 32)) : "memory"); }
static inline void cpu_xrstor(const void *area, u64 rfbm) { __asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"((u32)rfbm), "d"((u32)(rfbm >> 32)) : "memory"); }
static inline void cpu_fxsave(void *area) { __asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory"); }
static inline void cpu_fxrstor(const void *area) { __asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory"); }
static inline void cpu_fninit(void) { __asm__ volatile("fninit"); }

/* The quadword at %gs:16: the per-CPU area's self pointer (percpu.h). */
static inline u64 cpu_gs_read_self(void)
{
    u64 v;
    __asm__ volatile("mov %%gs:16, %0" : "=r"(v));
    return v;
}

static inline void cpu_wrfsbase(u64 v) { __asm__ volatile("wrfsbase %0" : : "r"(v)); }
static inline u64 cpu_rdfsbase(void) { u64 v; __asm__ volatile("rdfsbase %0" : "=r"(v)); return v; }

struct descriptor_pointer {
    u16 limit;
    u64 base;
} __attribute__((packed));

static inline void cpu_lgdt(const struct descriptor_pointer *p) { __asm__ volatile("lgdt (%0)" : : "r"(p) : "memory"); }
static inline void cpu_lidt(const struct descriptor_pointer *p) { __asm__ volatile("lidt (%0)" : : "r"(p) : "memory"); }
static inline void cpu_ltr(u16 sel) { __asm__ volatile("ltr %0" : : "r"(sel)); }

#endif
