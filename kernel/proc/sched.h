/*
 * sched.h: running several tasks on one CPU, xv6 style. There is no
 * preemption: a task runs until it sleeps (wait4, a pipe, a vfork
 * parent), yields (sched_yield, sleeps) or exits. Conditions are always
 * re-checked in a loop: while (!cond) sched_sleep(chan);
 */
#ifndef CVMIFY_PROC_SCHED_H
#define CVMIFY_PROC_SCHED_H

#include "lib/types.h"

struct task;

/* Sleep on chan until someone calls sched_wakeup(chan). If every task
 * is asleep nothing can ever wake them: that deadlock ends the app
 * (logged, SIGKILL status), where Linux would hang forever. */
void sched_sleep(const void *chan);
/* Make every task sleeping on chan runnable. */
void sched_wakeup(const void *chan);
/* Let another runnable task run, if there is one. */
void sched_yield(void);
/* Switch away from a zombie for good. */
void sched_exit(void) __attribute__((noreturn));
/* How many tasks are not zombies. */
int sched_live_tasks(void);

#endif
