/*
 * panic.c: the one way the kernel stops on an error it cannot handle.
 * Sends the PANIC message on the control channel, prints "cvmify: panic
 * <text>" in the log (COM3) and powers off with code 0x20 (QEMU exits
 * 65). Interrupts go off first and the other CPUs are told to halt; a
 * panic inside a panic (on any CPU) just powers off.
 */
#include "panic.h"
#include "control/control.h"
#include "lib/printf.h"
#include "platform/platform.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/arch.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/percpu.h"

static volatile int g_panicking;
static volatile int g_panic_cpu = -1;

void panic(const char *fmt, ...)
{
    cpu_cli();
    int me = percpu_ready() ? (int)this_cpu()->index : 0;
    if (__atomic_fetch_add(&g_panicking, 1, __ATOMIC_SEQ_CST)) {
        if (g_panic_cpu == me)
            platform_poweroff(POWEROFF_PANIC); /* a panic inside our panic */
        arch_halt_forever(); /* another CPU is reporting its panic */
    }
    g_panic_cpu = me;
    irq_stop_other_cpus();

    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf_log(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 0 : (size_t)n;
    if (len >= sizeof(buf))
        len = sizeof(buf) - 1;

    /* A newline in the format itself would split the log line. */
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n' || buf[i] == '\r')
            buf[i] = ' ';
    }
    control_send(CONTROL_PANIC, buf, len);
    platform_console_write(CONSOLE_LOG, "\ncvmify: panic ", 15);
    platform_console_write(CONSOLE_LOG, buf, len);
    platform_console_write(CONSOLE_LOG, "\n", 1);
    platform_poweroff(POWEROFF_PANIC);
}
