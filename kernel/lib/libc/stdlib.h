/* stdlib.h for third-party code in the kernel. malloc/free: gcc's
 * mm_malloc.h (pulled in by the SSE intrinsics headers BearSSL uses)
 * names them in inline helpers we never call; declared, never defined, so
 * a real use fails at link time. atoi: lwIP's netif_find, defined in
 * net/lwip_port.c. */
#ifndef CVMIFY_LIBC_SHIM_STDLIB_H
#define CVMIFY_LIBC_SHIM_STDLIB_H
#include <stddef.h>
void *malloc(size_t size);
void free(void *p);
int atoi(const char *s);
#endif
