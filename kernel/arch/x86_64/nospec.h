/*
 * nospec.h: array indexes from user values that stay in bounds even
 * while the CPU speculates past a bounds check (Spectre v1).
 *
 *     if (nr >= COUNT) return -EINVAL;
 *     nr = index_nospec(nr, COUNT);     // 0 on a mispredicted path
 *     entry = table[nr];
 *
 * The mask is computed with cmp/sbb, a data dependency rather than a
 * branch, so a speculated load can only ever read table[0..COUNT).
 * docs/kernel-security.md lists where it is used.
 */
#ifndef CVMIFY_ARCH_NOSPEC_H
#define CVMIFY_ARCH_NOSPEC_H

#include "arch/x86_64/cpu.h"

static inline u64 index_nospec(u64 index, u64 size)
{
    return index & cpu_index_mask_nospec(index, size);
}

#endif
