/*
 * crypto_stack.c: the private stack BearSSL runs on (crypto_stack.h).
 */
#include "crypto/crypto_stack.h"

#include "arch/x86_64/arch.h"
#include "lib/string.h"

u64 arch_call_on_stack(u64 (*fn)(void *), void *arg, u64 stack_top);

/* The guard page first (unmapped by mm/kpt.c), then the stack. */
struct crypto_stack_region {
    u8 guard[PAGE_SIZE];
    u8 stack[CRYPTO_STACK_SIZE];
};

__attribute__((section(".bss.secret"), aligned(PAGE_SIZE)))
static struct crypto_stack_region g_region;

/* mm/kpt.c leaves this page unmapped. */
const u8 *const crypto_stack_guard = g_region.guard;

u64 crypto_call(u64 (*fn)(void *), void *arg)
{
    u64 top = (u64)(uptr)(g_region.stack + CRYPTO_STACK_SIZE);
    kernel_fpu_begin();
    u64 ret = arch_call_on_stack(fn, arg, top);
    memzero_explicit(g_region.stack + CRYPTO_STACK_SIZE - CRYPTO_STACK_WIPE, CRYPTO_STACK_WIPE);
    kernel_fpu_end();
    return ret;
}

const u8 *crypto_stack_area(size_t *size)
{
    *size = CRYPTO_STACK_SIZE;
    return g_region.stack;
}

void crypto_stack_fill(u8 value)
{
    memset(g_region.stack, value, CRYPTO_STACK_SIZE);
}
