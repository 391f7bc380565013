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

/* The app is done: print "cvmify: exit N" (or "cvmify: signal N" when
 * signo > 0), the --trace summary if asked, and power off. */
void proc_exit(int status, int signo) __attribute__((noreturn));

#endif
