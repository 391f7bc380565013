/*
 * stdio.h: the app's standard descriptors. fd 0 and 1 are /dev/console
 * (COM1, the tty); fd 2 is a write-only file on the stderr channel (COM2)
 * that answers tty ioctls like the console, so isatty(2) agrees with it.
 */
#ifndef CVMIFY_PROC_STDIO_H
#define CVMIFY_PROC_STDIO_H

#include "lib/types.h"

struct task;
struct file;

/* Open fds 0, 1 and 2 for task. Returns 0 or -errno. */
int stdio_open(struct task *task);

/* True for the boot console file and the stderr file (for /proc/self/fd). */
bool stdio_is_console(const struct file *file);

#endif
