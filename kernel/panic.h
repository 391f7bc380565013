/*
 * panic.h: stop the kernel cleanly. Prints "cvmify: panic <text>" on the
 * log channel (COM3) and powers off with POWEROFF_PANIC (QEMU exits 65).
 */
#ifndef CVMIFY_PANIC_H
#define CVMIFY_PANIC_H

void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* For invariants that can only fail through a kernel bug. */
#define ASSERT(cond)                                                        \
    do {                                                                    \
        if (!(cond))                                                        \
            panic("assertion failed: %s at %s:%d", #cond, __FILE__, __LINE__); \
    } while (0)

#endif
