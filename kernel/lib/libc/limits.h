/* limits.h for third-party code in the kernel (LP64). gcc's own one wants a
 * libc limits.h next to it, which a freestanding build does not have. */
#ifndef CVMIFY_LIBC_SHIM_LIMITS_H
#define CVMIFY_LIBC_SHIM_LIMITS_H
#define CHAR_BIT 8
#define INT_MAX 0x7fffffff
#define UINT_MAX 0xffffffffU
#define LONG_MAX 0x7fffffffffffffffL
#define ULONG_MAX 0xffffffffffffffffUL
#endif
