/* string.h for third-party code in the kernel (BearSSL, lwIP):
 * declarations of lib/string.c (lib/types.h is not included: its MIN/MAX
 * clash with BearSSL's). */
#ifndef CVMIFY_LIBC_SHIM_STRING_H
#define CVMIFY_LIBC_SHIM_STRING_H
#include <stddef.h>
void *memcpy(void *dst, const void *src, size_t size);
void *memmove(void *dst, const void *src, size_t size);
void *memset(void *dst, int byte, size_t size);
int memcmp(const void *a, const void *b, size_t size);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t max);
#endif
