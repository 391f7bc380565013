/*
 * kprintf.c: formatted kernel log to the LOG console (COM3). Lines are
 * formatted into a stack buffer and written in one go; longer output is
 * cut at 512 bytes. The log is for people: %s and %c arguments are
 * escaped (vsnprintf_log), and the launcher reads its messages from the
 * control channel (control/control.h), never from here.
 */
#include "lib/kprintf.h"
#include "lib/printf.h"
#include "platform/platform.h"

int vkprintf(const char *fmt, va_list ap)
{
    char buf[512];
    int n = vsnprintf_log(buf, sizeof(buf), fmt, ap);
    size_t len = n < 0 ? 0 : (size_t)n;
    if (len >= sizeof(buf))
        len = sizeof(buf) - 1;
    platform_console_write(CONSOLE_LOG, buf, len);
    return n;
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vkprintf(fmt, ap);
    va_end(ap);
    return n;
}
