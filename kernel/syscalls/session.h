/*
 * session.h: process groups, sessions and the console's foreground
 * group (session.c), for kill, wait4 and the ioctl layer.
 */
#ifndef CVMIFY_SYSCALLS_SESSION_H
#define CVMIFY_SYSCALLS_SESSION_H

#include "lib/types.h"

struct file;

/* Is there a live task in group pgid of session sid? */
bool pgrp_exists_in_session(int pgid, int sid);

/* TIOCGPGRP, TIOCSPGRP, TIOCGSID, TIOCSCTTY, TIOCNOTTY on a terminal
 * (-ENOTTY on anything else). */
long tty_session_ioctl(struct file *f, u32 cmd, u64 arg);

#endif
