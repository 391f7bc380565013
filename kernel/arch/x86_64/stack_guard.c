/*
 * stack_guard.c: the stack protector's canary and what happens when a
 * protected function finds it overwritten.
 *
 * The canary comes from the CPU (RDSEED, else RDRAND), never the host.
 * It lives in .bss: not part of the measured image, and zero until
 * stack_guard_init runs. The functions here must not be protected
 * themselves (the canary changes under stack_guard_init's feet), hence
 * no_stack_protector on each.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/stack_guard.h"
#include "panic.h"

#define GUARD_RETRIES 1000

/* Read by every protected function; the name is fixed by gcc. */
u64 __stack_chk_guard;

/* .bss too (NULL until set): .data must stay as loaded until measured. */
static const char *g_source;

void __stack_chk_fail(void) __attribute__((noreturn));

__attribute__((no_stack_protector)) static bool cpu_has(u32 leaf, int reg, int bit)
{
    u32 r[4];
    cpu_cpuid(0, 0, &r[0], &r[1], &r[2], &r[3]);
    if (r[0] < leaf)
        return false;
    cpu_cpuid(leaf, 0, &r[0], &r[1], &r[2], &r[3]);
    return (r[reg] >> bit) & 1;
}

__attribute__((no_stack_protector)) static bool random_word(u64 *out)
{
    bool rdseed = cpu_has(7, 1, 18); /* CPUID.7.0:EBX[18] */
    bool rdrand = cpu_has(1, 2, 30); /* CPUID.1:ECX[30] */
    for (int i = 0; i < GUARD_RETRIES; i++) {
        if (rdseed && cpu_rdseed64(out)) {
            g_source = "rdseed";
            return true;
        }
        if (rdrand && cpu_rdrand64(out)) {
            g_source = "rdrand";
            return true;
        }
        cpu_pause();
    }
    return false;
}

__attribute__((no_stack_protector)) void stack_guard_init(void)
{
    u64 value;
    if (!random_word(&value)) {
        /* No CPU entropy: still better than a known zero canary. */
        u64 t = cpu_rdtsc();
        value = t * 0x9e3779b97f4a7c15ULL ^ (t >> 29);
        g_source = "tsc";
    }
    /* A zero low byte stops string overflows (strcpy and friends) from
     * copying the canary back intact. */
    __stack_chk_guard = value & ~0xffULL;
}

const char *stack_guard_source(void)
{
    return g_source ? g_source : "none";
}

__attribute__((no_stack_protector)) void __stack_chk_fail(void)
{
    /* The return address points into the function whose frame broke. */
    panic("stack protector: canary overwritten, detected at rip=%lx",
          (u64)(uptr)__builtin_return_address(0));
}
