/*
 * arch/cc.h: lwIP's compiler and platform glue for the cvmify kernel.
 * Freestanding: no inttypes.h, ctype.h or stdio (string.h, stdlib.h and
 * limits.h come from lib/libc); diagnostics go
 * to the kernel log and a failed lwIP assertion is a kernel panic.
 */
#ifndef CVMIFY_LWIP_ARCH_CC_H
#define CVMIFY_LWIP_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>

#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_UNISTD_H 1
#define LWIP_NO_CTYPE_H 1

#define X8_F "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"

/* Guarded: the host build of the fuzzers (kernel/tests/fuzz) has libc's. */
#ifndef SSIZE_MAX
#define SSIZE_MAX 0x7fffffffffffffffL
#endif
typedef long ssize_t;

#ifndef BYTE_ORDER
#define BYTE_ORDER LITTLE_ENDIAN
#endif

int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#define LWIP_PLATFORM_DIAG(x) do { kprintf x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) panic("lwip: assertion \"%s\" failed at %s:%d", x, __FILE__, \
                                      __LINE__)

/* The kernel CSPRNG (initial ports, MLD delays); lwip_port.c. */
uint32_t lwip_port_rand(void);
#define LWIP_RAND() lwip_port_rand()

#endif
