/*
 * fpu.c: x87/SSE/AVX/AVX-512 state. User tasks own the FPU registers
 * while they run; the kernel itself is built without SSE, except crypto/,
 * which brackets its work with kernel_fpu_begin/end so the user's
 * registers survive.
 *
 * With XSAVE the kernel turns on CR4.OSXSAVE and sets XCR0 to x87, SSE,
 * AVX and (all three AVX-512 components or none) opmask, ZMM_Hi256 and
 * Hi16_ZMM, as far as CPUID leaf 0xD says the CPU supports them. In a
 * TD that leaf reflects XFAM, which bounds XCR0 (docs/kernel-security.md,
 * "CPU state"). MPX, PKRU and AMX stay off. Task state is saved in the
 * standard format: XSAVEOPT where present (modified and init
 * optimizations), else XSAVE; XSAVES is not used because no supervisor
 * state is enabled and its compacted format would have to be converted
 * for every signal frame.
 *
 * kernel_fpu_begin/end keep FXSAVE/FXRSTOR: crypto/ uses legacy SSE
 * encodings only, which leave the upper halves of the YMM/ZMM registers
 * and ZMM16-31 untouched.
 *
 * Trust: CPUID is the host's in VM mode; a lie can at worst make XSETBV
 * or XRSTOR fault at boot (a panic), never expose state.
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "lib/string.h"
#include "panic.h"

#define FXSAVE_FCW 0
#define FXSAVE_MXCSR 24
#define FXSAVE_MXCSR_MASK 28
#define FXSAVE_SIZE 512
#define XSAVE_HEADER 512
#define XSAVE_HEADER_SIZE 64
#define FCW_DEFAULT 0x037f
#define MXCSR_DEFAULT 0x1f80

#define XFEATURE_X87 (1ull << 0)
#define XFEATURE_SSE (1ull << 1)
#define XFEATURE_AVX (1ull << 2)
#define XFEATURE_AVX512 (7ull << 5) /* opmask, ZMM_Hi256, Hi16_ZMM */

static u64 g_xcr0;            /* 0: FXSAVE only */
static u32 g_area_size = FXSAVE_SIZE;
static u32 g_mxcsr_mask = 0xffbf;

static struct {
    u8 area[FXSAVE_SIZE];
} __attribute__((aligned(16))) g_kernel_fpu_saved;
static int g_kernel_fpu_depth;

u8 *fpu_area(struct fpu_state *s)
{
    return (u8 *)ALIGN_UP((uptr)s->raw, 64);
}

u32 fpu_area_size(void)
{
    return g_area_size;
}

u64 fpu_xfeatures(void)
{
    return g_xcr0;
}

/* What XCR0 should hold: what the CPU supports of what we want, AVX-512
 * only as the whole triple and only if the area still fits. */
static u64 wanted_xcr0(u64 supported)
{
    u64 want = XFEATURE_X87 | XFEATURE_SSE;
    if (g_cpu.avx && (supported & XFEATURE_AVX))
        want |= XFEATURE_AVX;
    if (g_cpu.avx512f && (want & XFEATURE_AVX) && (supported & XFEATURE_AVX512) == XFEATURE_AVX512)
        want |= XFEATURE_AVX512;
    return want & supported;
}

static u32 area_size_now(void)
{
    u32 a, b, c, d;
    cpu_cpuid(0xd, 0, &a, &b, &c, &d);
    return b; /* for the features enabled in XCR0 */
}

void fpu_cpu_init(void)
{
    /* FXSAVE needs 16-byte alignment; an AP's first stack frame need not
     * give it to an aligned local, so align by hand. */
    u8 probe[FXSAVE_SIZE + 15];
    u8 *area = (u8 *)ALIGN_UP((uptr)probe, 16);
    memset(area, 0, FXSAVE_SIZE);
    cpu_fxsave(area);
    u32 mask;
    memcpy(&mask, area + FXSAVE_MXCSR_MASK, sizeof(mask));
    g_mxcsr_mask = mask ? mask : 0xffbf;

    if (!g_cpu.xsave)
        return;
    cpu_write_cr4(cpu_read_cr4() | CR4_OSXSAVE);
    u32 a, b, c, d;
    cpu_cpuid(0xd, 0, &a, &b, &c, &d);
    u64 xcr0 = wanted_xcr0(((u64)d << 32) | a);
    cpu_xsetbv(0, xcr0);
    if (area_size_now() > FPU_AREA_MAX) {
        xcr0 &= ~XFEATURE_AVX512; /* cannot happen with the components above */
        cpu_xsetbv(0, xcr0);
    }
    if (area_size_now() > FPU_AREA_MAX)
        panic("fpu: XSAVE area of %u bytes for XCR0 0x%lx", area_size_now(), xcr0);
    g_xcr0 = xcr0;
    g_area_size = area_size_now();
    if (!(xcr0 & XFEATURE_AVX)) {
        g_cpu.avx = false;
        g_cpu.avx2 = false;
    }
    if (!(xcr0 & XFEATURE_AVX512))
        g_cpu.avx512f = false;
}

void fpu_state_init(struct fpu_state *s)
{
    u8 *area = fpu_area(s);
    memset(area, 0, g_area_size);
    u16 fcw = FCW_DEFAULT;
    u32 mxcsr = MXCSR_DEFAULT;
    memcpy(area + FXSAVE_FCW, &fcw, sizeof(fcw));
    memcpy(area + FXSAVE_MXCSR, &mxcsr, sizeof(mxcsr));
    /* XSTATE_BV 0: every component starts in its init state. */
}

void fpu_save(struct fpu_state *s)
{
    u8 *area = fpu_area(s);
    if (!g_xcr0)
        cpu_fxsave(area);
    else if (g_cpu.xsaveopt)
        cpu_xsaveopt(area, g_xcr0);
    else
        cpu_xsave(area, g_xcr0);
}

void fpu_save_full(struct fpu_state *s)
{
    u8 *area = fpu_area(s);
    memset(area, 0, g_area_size);
    if (g_xcr0)
        cpu_xsave(area, g_xcr0);
    else
        cpu_fxsave(area);
}

void fpu_restore(const struct fpu_state *s)
{
    u8 *area = fpu_area((struct fpu_state *)s);
    if (g_xcr0)
        cpu_xrstor(area, g_xcr0);
    else
        cpu_fxrstor(area);
}

void fpu_sanitize(struct fpu_state *s, u64 xfeatures)
{
    u8 *area = fpu_area(s);
    u32 mxcsr;
    memcpy(&mxcsr, area + FXSAVE_MXCSR, sizeof(mxcsr));
    mxcsr &= g_mxcsr_mask; /* reserved bits would make the restore #GP */
    memcpy(area + FXSAVE_MXCSR, &mxcsr, sizeof(mxcsr));
    memcpy(area + FXSAVE_MXCSR_MASK, &g_mxcsr_mask, sizeof(g_mxcsr_mask));
    if (!g_xcr0)
        return;
    /* Header: XSTATE_BV within what both the image and XCR0 hold,
     * XCOMP_BV 0 (standard format), the rest reserved and zero;
     * components past the image are absent, i.e. in their init state. */
    u64 xstate_bv;
    memcpy(&xstate_bv, area + XSAVE_HEADER, sizeof(xstate_bv));
    xstate_bv &= xfeatures & g_xcr0;
    memset(area + XSAVE_HEADER, 0, XSAVE_HEADER_SIZE);
    memcpy(area + XSAVE_HEADER, &xstate_bv, sizeof(xstate_bv));
}

void kernel_fpu_begin(void)
{
    if (g_kernel_fpu_depth++ == 0)
        cpu_fxsave(g_kernel_fpu_saved.area);
}

void kernel_fpu_end(void)
{
    if (--g_kernel_fpu_depth == 0)
        cpu_fxrstor(g_kernel_fpu_saved.area);
}
