/*
 * bytes.c: helpers that libc does not have (bounded copy, constant-time
 * compare, a zeroing the compiler keeps). Kept apart from string.c so the
 * host unit tests link these while taking the standard ones from libc.
 */
#include "lib/string.h"

size_t strlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);
    if (size > 0) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = 0;
    }
    return len;
}

int memcmp_ct(const void *a, const void *b, size_t size)
{
    const volatile u8 *x = a, *y = b;
    u8 diff = 0;
    for (size_t i = 0; i < size; i++)
        diff |= x[i] ^ y[i];
    return diff != 0;
}

void memzero_explicit(void *dst, size_t size)
{
    volatile u8 *d = dst;
    while (size--)
        *d++ = 0;
}
