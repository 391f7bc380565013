/*
 * printf.h: a small freestanding formatter.
 * Supports %d %i %u %o %x %X %p %s %c %% with l/ll/z length, width, zero pad,
 * '-' for left align and %.*s / %.Ns for bounded strings. No floats.
 */
#ifndef CVMIFY_LIB_PRINTF_H
#define CVMIFY_LIB_PRINTF_H

#include <stdarg.h>
#include "lib/types.h"

/* Format into buf (always NUL-terminated when size > 0).
 * Returns the length the full output would have had. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
/* vsnprintf for the kernel log: every byte of a %s or %c argument that
 * is not printable ASCII becomes \xNN (a backslash \\), so nothing an
 * app named (a path, a hostname) can add a line or a terminal escape. */
int vsnprintf_log(char *buf, size_t size, const char *fmt, va_list ap);

int snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Text built piece by piece into a fixed buffer (procfs files): len
 * keeps counting past size, so the caller learns the full length and
 * can retry with a bigger buffer. */
struct textbuf {
    char *buf;
    size_t size;
    size_t len;
};
void textbuf_add(struct textbuf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Lowercase hex of size bytes into out (2*size chars + NUL). */
void hex_encode(char *out, const void *data, size_t size);

#endif
