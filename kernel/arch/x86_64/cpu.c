/*
 * cpu.c: find CPU features and turn on the protections the security
 * baseline asks for: NX (required), write-protect in ring 0, SMEP, SMAP
 * and UMIP when CPUID has them, SSE state (FXSAVE), global pages, and the
 * SYSCALL instruction. CPUID is answered by the host in VM mode; a lie
 * can only remove protections the host could remove anyway.
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "lib/kprintf.h"
#include "panic.h"

struct cpu_features g_cpu;

static bool bit(u32 word, int n)
{
    return (word >> n) & 1;
}

static void detect(void)
{
    u32 a, b, c, d;
    cpu_cpuid(0, 0, &a, &b, &c, &d);
    u32 max_leaf = a;
    cpu_cpuid(1, 0, &a, &b, &c, &d);
    g_cpu.pclmul = bit(c, 1);
    g_cpu.pcid = bit(c, 17);
    g_cpu.aesni = bit(c, 25);
    g_cpu.xsave = bit(c, 26);
    g_cpu.avx = bit(c, 28);
    g_cpu.rdrand = bit(c, 30);
    if (max_leaf >= 7) {
        cpu_cpuid(7, 0, &a, &b, &c, &d);
        g_cpu.fsgsbase = bit(b, 0);
        g_cpu.avx2 = bit(b, 5);
        g_cpu.avx512f = bit(b, 16);
        g_cpu.smep = bit(b, 7);
        g_cpu.rdseed = bit(b, 18);
        g_cpu.smap = bit(b, 20);
        g_cpu.umip = bit(c, 2);
    }
    if (max_leaf >= 0xd && g_cpu.xsave) {
        cpu_cpuid(0xd, 1, &a, &b, &c, &d);
        g_cpu.xsaveopt = bit(a, 0);
    } else {
        g_cpu.xsave = false;
    }
    cpu_cpuid(0x80000000, 0, &a, &b, &c, &d);
    u32 max_ext = a;
    if (max_ext >= 0x80000001) {
        cpu_cpuid(0x80000001, 0, &a, &b, &c, &d);
        g_cpu.nx = bit(d, 20);
        g_cpu.gbpages = bit(d, 26);
    }
    if (max_ext >= 0x80000007) {
        cpu_cpuid(0x80000007, 0, &a, &b, &c, &d);
        g_cpu.invariant_tsc = bit(d, 8);
    }
    g_cpu.phys_addr_bits = 36;
    if (max_ext >= 0x80000008) {
        cpu_cpuid(0x80000008, 0, &a, &b, &c, &d);
        g_cpu.phys_addr_bits = a & 0xff;
    }
}

/* Turn on what detect() found, on the calling CPU. */
static void apply(void)
{
    u64 efer = cpu_rdmsr(MSR_EFER);
    if ((efer & (EFER_NXE | EFER_SCE)) != (EFER_NXE | EFER_SCE)) /* a TD has both: no write */
        cpu_wrmsr(MSR_EFER, efer | EFER_NXE | EFER_SCE);

    u64 cr0 = cpu_read_cr0();
    cr0 |= CR0_WP | CR0_NE | CR0_MP;
    cr0 &= ~(CR0_EM | CR0_TS);
    cpu_write_cr0(cr0);

    u64 cr4 = cpu_read_cr4() | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT;
    if (g_cpu.smep)
        cr4 |= CR4_SMEP;
    if (g_cpu.smap)
        cr4 |= CR4_SMAP;
    if (g_cpu.umip)
        cr4 |= CR4_UMIP;
    if (g_cpu.fsgsbase)
        cr4 |= CR4_FSGSBASE;
    cpu_write_cr4(cr4);
    fpu_cpu_init();
}

void cpu_features_init(void)
{
    detect();
    if (!g_cpu.nx)
        panic("cpu: no NX bit; W^X cannot be enforced");
    apply();

    kprintf("cpu: nx smep=%d smap=%d umip=%d rdrand=%d rdseed=%d aesni=%d pclmul=%d "
            "fsgsbase=%d physbits=%u\n",
            g_cpu.smep, g_cpu.smap, g_cpu.umip, g_cpu.rdrand, g_cpu.rdseed, g_cpu.aesni,
            g_cpu.pclmul, g_cpu.fsgsbase, g_cpu.phys_addr_bits);
    kprintf("cpu: xsave=%d xsaveopt=%d avx=%d avx2=%d avx512f=%d xcr0=0x%llx area=%u bytes\n",
            g_cpu.xsave, g_cpu.xsaveopt, g_cpu.avx, g_cpu.avx2, g_cpu.avx512f,
            (unsigned long long)fpu_xfeatures(), fpu_area_size());
}

void cpu_features_init_ap(void)
{
    /* The vCPUs of one machine share one model: the boot CPU's CPUID
     * answers decide for all of them. */
    apply();
}

void arch_cpuid(u32 leaf, u32 subleaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
    cpu_cpuid(leaf, subleaf, a, b, c, d);
}

void arch_stac(void)
{
    if (g_cpu.smap)
        cpu_stac();
}

void arch_clac(void)
{
    if (g_cpu.smap)
        cpu_clac();
}

void arch_halt_forever(void)
{
    cpu_cli();
    for (;;)
        cpu_hlt();
}
