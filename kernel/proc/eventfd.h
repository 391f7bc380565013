/*
 * eventfd.h: event counters (eventfd, eventfd2), timer files (timerfd_*)
 * and epoll instances as open files. The syscalls (syscalls/epoll.c)
 * check the arguments; these build the files, which are then ordinary
 * fds: readable, pollable, closeable.
 */
#ifndef CVMIFY_PROC_EVENTFD_H
#define CVMIFY_PROC_EVENTFD_H

#include "lib/types.h"

struct file;

#define EFD_SEMAPHORE 1

/* A new eventfd file (O_NONBLOCK in flags applies); -ENOMEM. */
int eventfd_create(u64 initval, bool semaphore, u32 o_flags, struct file **out);

/* ---- timerfd (proc/timerfd.c) ---- */

struct timerfd_spec {
	u64 value_ns;     /* first expiry: 0 disarms */
	u64 interval_ns;  /* then every interval (0: once) */
};

/* clock: CLOCK_REALTIME, CLOCK_MONOTONIC or CLOCK_BOOTTIME (caller checked). */
int timerfd_create(int clock, u32 o_flags, struct file **out);
bool timerfd_is(const struct file *file);
/* absolute: value_ns is a time on the file's clock. *old gets what was
 * set (value relative to now). */
int timerfd_settime(struct file *file, bool absolute, const struct timerfd_spec *spec,
                    struct timerfd_spec *old);
void timerfd_gettime(struct file *file, struct timerfd_spec *out);

#endif
