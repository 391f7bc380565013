/*
 * fpu.c: x87/SSE state. User tasks own the FPU registers while they run;
 * the kernel itself is built without SSE, except crypto/, which brackets
 * its work with kernel_fpu_begin/end so the user's registers survive.
 * There are no interrupt handlers that use the FPU, so a depth count is
 * enough (no preemption inside a bracket).
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "lib/string.h"

#define FXSAVE_FCW 0
#define FXSAVE_MXCSR 24
#define FCW_DEFAULT 0x037f
#define MXCSR_DEFAULT 0x1f80

static struct fpu_state g_kernel_fpu_saved;
static int g_kernel_fpu_depth;

void fpu_state_init(struct fpu_state *s)
{
    memset(s->area, 0, sizeof(s->area));
    u16 fcw = FCW_DEFAULT;
    u32 mxcsr = MXCSR_DEFAULT;
    memcpy(s->area + FXSAVE_FCW, &fcw, sizeof(fcw));
    memcpy(s->area + FXSAVE_MXCSR, &mxcsr, sizeof(mxcsr));
}

void fpu_save(struct fpu_state *s)
{
    cpu_fxsave(s->area);
}

void fpu_restore(const struct fpu_state *s)
{
    cpu_fxrstor(s->area);
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
