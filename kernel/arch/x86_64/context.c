/*
 * context.c: preparing a fresh kernel context for arch_switch.
 */
#include "arch/x86_64/arch.h"
#include "lib/string.h"

extern void arch_context_trampoline(void);

struct arch_context *arch_context_init(u64 stack_top, void (*entry)(void *), void *arg)
{
    /* After arch_switch pops the context and returns into the trampoline,
     * rsp = ctx + sizeof(ctx) must be 16-byte aligned for its call. */
    u64 end = ALIGN_DOWN(stack_top, 16);
    struct arch_context *ctx = (struct arch_context *)(uptr)(end - 16 - sizeof(*ctx));
    memset(ctx, 0, sizeof(*ctx));
    ctx->r12 = (u64)(uptr)entry;
    ctx->r13 = (u64)(uptr)arg;
    ctx->rip = (u64)(uptr)arch_context_trampoline;
    return ctx;
}
