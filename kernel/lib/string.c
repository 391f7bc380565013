/*
 * string.c: freestanding memory and string helpers. Also built on the
 * host for unit tests (compiled with -fno-builtin there).
 *
 * memcpy and memset move 8 bytes per step with `rep movsq` / `rep
 * stosq` and finish the last 0..7 bytes with the byte forms. Why not
 * `rep movsb` alone, which ERMS CPUs run fastest: under QEMU's TCG (where
 * the tests and benchmarks run) every iteration of a string instruction
 * is executed on its own, so the byte form is 8x slower there, while on
 * hardware with fast strings the quadword form runs at the same speed
 * for the page-sized copies the kernel makes. DF is clear on every
 * kernel entry (FMASK, the trap stubs), as the string instructions need.
 */
#include "lib/string.h"

void *memcpy(void *dst, const void *src, size_t size)
{
    void *d = dst;
    size_t words = size / 8;
    size_t tail = size % 8;
    __asm__ volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(words) : : "memory");
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(tail) : : "memory");
    return dst;
}

/* Backwards, for an overlapping move to a higher address. The attribute
 * keeps gcc from turning the loops back into a memmove call. */
__attribute__((optimize("no-tree-loop-distribute-patterns")))
static void copy_backwards(u8 *d, const u8 *s, size_t size)
{
    while (size % 8 != 0) {
        size--;
        d[size] = s[size];
    }
    while (size > 0) {
        size -= 8;
        u64 word;
        __builtin_memcpy(&word, s + size, 8);
        __builtin_memcpy(d + size, &word, 8);
    }
}

void *memmove(void *dst, const void *src, size_t size)
{
    u8 *d = dst;
    const u8 *s = src;
    if (d == s || size == 0)
        return dst;
    /* Forward copying is safe when the destination starts below the
     * source: each step reads before anything overwrites what it reads. */
    if (d < s || d >= s + size)
        return memcpy(dst, src, size);
    copy_backwards(d, s, size);
    return dst;
}

void *memset(void *dst, int byte, size_t size)
{
    void *d = dst;
    u64 pattern = 0x0101010101010101ULL * (u8)byte;
    size_t words = size / 8;
    size_t tail = size % 8;
    __asm__ volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(pattern) : "memory");
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(tail) : "a"(pattern) : "memory");
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
