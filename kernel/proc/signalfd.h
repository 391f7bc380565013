/*
 * signalfd.h: signals as a file (signalfd, signalfd4). Reading takes
 * pending signals of the mask off the reader's queues (its thread's and
 * its process's, as rt_sigtimedwait does) as struct signalfd_siginfo
 * records; poll says POLLIN while one of them is pending for the
 * caller. The signals stay blocked: that is the caller's job.
 */
#ifndef CVMIFY_PROC_SIGNALFD_H
#define CVMIFY_PROC_SIGNALFD_H

#include "lib/types.h"

struct file;

int signalfd_create(u64 mask, u32 o_flags, struct file **out);
bool signalfd_is(const struct file *file);
void signalfd_set_mask(struct file *file, u64 mask);

#endif
