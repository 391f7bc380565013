/*
 * exit.c: the end of the app: the control line for the launcher
 * (docs/boot-config.md), the --trace summary, power off.
 */
#include "lib/kprintf.h"
#include "platform/platform.h"
#include "proc/proc.h"
#include "syscalls/syscall.h"

void proc_exit(int status, int signo)
{
	syscall_print_trace();
	if (signo > 0)
		kprintf("cvmify: signal %d\n", signo);
	else
		kprintf("cvmify: exit %d\n", status & 0xff);
	platform_poweroff(POWEROFF_APP_EXIT);
}
