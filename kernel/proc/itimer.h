/*
 * itimer.h: a process's signal timers: alarm, setitimer(ITIMER_REAL)
 * and POSIX timers (timer_create with SIGEV_SIGNAL, SIGEV_THREAD_ID and
 * SIGEV_NONE on CLOCK_REALTIME, CLOCK_MONOTONIC or CLOCK_BOOTTIME).
 *
 * Each is a kernel timer (proc/timer.h) whose callback, in interrupt
 * context, re-arms a periodic timer and queues deferred work that sends
 * the signal with the big kernel lock (proc/work.h). A POSIX timer that
 * expires again before its signal was delivered counts an overrun
 * instead (timer_getoverrun, si_overrun), as on Linux. ITIMER_VIRTUAL
 * and ITIMER_PROF count CPU time: proc/cputime.h. POSIX timers on
 * CPU-time clocks are -EINVAL (not kept).
 */
#ifndef CVMIFY_PROC_ITIMER_H
#define CVMIFY_PROC_ITIMER_H

#include "lib/types.h"

struct thread_group;
struct task;

struct itimer_spec {
	u64 value_ns;       /* time to the next expiry; 0: disarmed */
	u64 interval_ns;    /* period after that; 0: one shot */
};

/* setitimer(ITIMER_REAL) / alarm: *old gets the previous setting. */
int itimer_real_set(struct task *task, const struct itimer_spec *spec, struct itimer_spec *old);
void itimer_real_get(struct task *task, struct itimer_spec *out);

/* struct sigevent's notify values. */
#define SIGEV_SIGNAL 0
#define SIGEV_NONE 1
#define SIGEV_THREAD 2
#define SIGEV_THREAD_ID 4

struct posix_timer_event {
	int notify;         /* SIGEV_* (SIGEV_THREAD is glibc's: rejected) */
	int signo;
	int tid;            /* SIGEV_THREAD_ID: the thread to signal */
	u64 value;          /* sigval */
	bool value_is_id;   /* no sigevent given: sival_int is the timer id */
};

/* timer_create: returns the new id (>= 0) or -errno (-EAGAIN when the
 * process has POSIX_TIMERS_MAX). clock was checked by the caller. */
int posix_timer_create(struct task *task, int clock, const struct posix_timer_event *ev);
int posix_timer_delete(struct task *task, int id);
/* absolute: value_ns is a time on the timer's clock. */
int posix_timer_settime(struct task *task, int id, bool absolute, const struct itimer_spec *spec,
                        struct itimer_spec *old);
int posix_timer_gettime(struct task *task, int id, struct itimer_spec *out);
int posix_timer_getoverrun(struct task *task, int id);

/* A thread took timer id's signal off a queue: its overrun count (the
 * expirations since it was sent), which restarts from 0. */
int posix_timer_signal_taken(struct thread_group *group, int id);

#define POSIX_TIMERS_MAX 256

/* execve: POSIX timers go, alarm and setitimer stay (as on Linux). */
void posix_timers_exec(struct thread_group *group);
/* The process ends: disarm and forget every timer. */
void itimers_stop(struct thread_group *group);
/* ... and free their memory (the group's last reference). */
void itimers_free(struct thread_group *group);

#endif
