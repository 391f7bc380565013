/*
 * string.h: freestanding memory and string helpers (kernel and host tests).
 * The compiler may emit calls to memcpy/memset/memmove/memcmp itself, so
 * these keep the standard names and signatures.
 */
#ifndef CVMIFY_LIB_STRING_H
#define CVMIFY_LIB_STRING_H

#include "lib/types.h"

void *memcpy(void *dst, const void *src, size_t size);
void *memmove(void *dst, const void *src, size_t size);
void *memset(void *dst, int byte, size_t size);
int memcmp(const void *a, const void *b, size_t size);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t max);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);

/* Copy at most size-1 bytes and always NUL-terminate (size > 0).
 * Returns strlen(src), like BSD strlcpy. */
size_t strlcpy(char *dst, const char *src, size_t size);

/* Constant-time comparison for secrets and measurements: 0 when equal. */
int memcmp_ct(const void *a, const void *b, size_t size);

/* Zero memory in a way the compiler may not drop (keys, secrets). */
void memzero_explicit(void *dst, size_t size);

#endif
