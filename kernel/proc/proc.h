/*
 * proc.h: starting and ending the application.
 */
#ifndef CVMIFY_PROC_PROC_H
#define CVMIFY_PROC_PROC_H

#include "lib/types.h"

struct boot_config;

/* Last boot step (main.c): build the first task from the measured config
 * (cwd, uid/gid/groups, rlimits, argv/envp plus host overrides where the
 * config allows them), open fds 0/1/2 on the consoles, exec the entrypoint
 * and enter ring 3. Does not return; a failure to start prints
 * "cvmify: panic ..." and powers off. */
void proc_start_init(const struct boot_config *config) __attribute__((noreturn));

/* The current task ends with exit status (or killed by signo > 0). For
 * the first task that is the end of the app (proc_exit_app); another
 * task becomes a zombie for its parent's wait4. */
void proc_exit(int status, int signo) __attribute__((noreturn));

/* The app is done: print the --trace summary if asked, "cvmify: exit N"
 * (or "cvmify: signal N" when signo > 0), and power off. */
void proc_exit_app(int status, int signo) __attribute__((noreturn));

#endif
