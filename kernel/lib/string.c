/*
 * string.c: freestanding memory and string helpers. Plain byte loops: the
 * kernel moves little data and clarity beats speed here. Also built on
 * the host for unit tests (compiled with -fno-builtin there).
 */
#include "lib/string.h"

void *memcpy(void *dst, const void *src, size_t size)
{
    u8 *d = dst;
    const u8 *s = src;
    while (size--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t size)
{
    u8 *d = dst;
    const u8 *s = src;
    if (d == s || size == 0)
        return dst;
    if (d < s) {
        while (size--)
            *d++ = *s++;
    } else {
        d += size;
        s += size;
        while (size--)
            *--d = *--s;
    }
    return dst;
}

void *memset(void *dst, int byte, size_t size)
{
    u8 *d = dst;
    while (size--)
        *d++ = (u8)byte;
    return dst;
}

int memcmp(const void *a, const void *b, size_t size)
{
    const u8 *x = a, *y = b;
    for (size_t i = 0; i < size; i++) {
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (int)(u8)*a - (int)(u8)*b;
}

int strncmp(const char *a, const char *b, size_t max)
{
    for (size_t i = 0; i < max; i++) {
        if (a[i] != b[i] || a[i] == 0)
            return (int)(u8)a[i] - (int)(u8)b[i];
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (*s == 0)
            return NULL;
    }
}

char *strrchr(const char *s, int c)
{
    const char *last = NULL;
    for (;; s++) {
        if (*s == (char)c)
            last = s;
        if (*s == 0)
            return (char *)last;
    }
}
