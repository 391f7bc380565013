/*
 * kprintf.h: kernel log output, to the LOG console channel (COM3).
 * Lines starting with "cvmify: " are control lines for the launcher
 * (docs/boot-config.md); use kprintf_control for those.
 */
#ifndef CVMIFY_LIB_KPRINTF_H
#define CVMIFY_LIB_KPRINTF_H

#include <stdarg.h>

int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vkprintf(const char *fmt, va_list ap);

#endif
