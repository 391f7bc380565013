/* stdlib.h for BearSSL inside the kernel: gcc's mm_malloc.h (pulled in by
 * the SSE intrinsics headers) names malloc/free in inline helpers we never
 * call. Declared, never defined: a real use fails at link time. */
#ifndef CVMIFY_CRYPTO_SHIM_STDLIB_H
#define CVMIFY_CRYPTO_SHIM_STDLIB_H
#include <stddef.h>
void *malloc(size_t size);
void free(void *p);
#endif
