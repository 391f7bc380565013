/*
 * rng.c: entropy from the CPU (RDSEED, else RDRAND), never from the host.
 * Each instruction may transiently fail; we retry a bounded number of
 * times, then report failure so the caller can stop the boot.
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "lib/string.h"

#define RNG_RETRIES 1000

static bool next_word(u64 *out)
{
    for (int i = 0; i < RNG_RETRIES; i++) {
        if (g_cpu.rdseed && cpu_rdseed64(out))
            return true;
        if (!g_cpu.rdseed && g_cpu.rdrand && cpu_rdrand64(out))
            return true;
        cpu_pause();
    }
    /* RDSEED can run dry under load; RDRAND is the documented fallback. */
    for (int i = 0; i < RNG_RETRIES && g_cpu.rdrand; i++) {
        if (cpu_rdrand64(out))
            return true;
    }
    return false;
}

bool arch_random_fill(void *buf, size_t size)
{
    u8 *p = buf;
    while (size > 0) {
        u64 w;
        if (!next_word(&w))
            return false;
        size_t n = MIN(size, sizeof(w));
        memcpy(p, &w, n);
        p += n;
        size -= n;
    }
    return true;
}
