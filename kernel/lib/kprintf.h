/*
 * kprintf.h: kernel log output, to the LOG console channel (COM3), for
 * people. Arguments (%s, %c) are escaped; messages for the launcher go
 * through the control channel (control/control.h).
 */
#ifndef CVMIFY_LIB_KPRINTF_H
#define CVMIFY_LIB_KPRINTF_H

#include <stdarg.h>

int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vkprintf(const char *fmt, va_list ap);

#endif
