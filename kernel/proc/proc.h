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

/* The current process ends with exit status (or killed by signo > 0):
 * exit_group, or a signal's default action. Every thread of it goes
 * (signal_group_exit), then this one (proc_exit_thread). */
void proc_exit(int status, int signo) __attribute__((noreturn));

/* The current thread ends (exit, or its process is going). The last
 * thread of a process ends the process: for the first process that is
 * the end of the app (proc_exit_app); another becomes a zombie for its
 * parent's wait4, with status (the exit status of exit(2), unless the
 * group's exit set one). */
void proc_exit_thread_status(int status) __attribute__((noreturn));
/* The same when the group's exit decides the status. */
void proc_exit_thread(void) __attribute__((noreturn));

/* The app is done: print the --trace summary if asked, "cvmify: exit N"
 * (or "cvmify: signal N" when signo > 0), and power off. */
void proc_exit_app(int status, int signo) __attribute__((noreturn));

#endif
