/*
 * file_lock.h: the lock commands of fcntl (file_lock.c), for file_io.c.
 */
#ifndef CVMIFY_SYSCALLS_FILE_LOCK_H
#define CVMIFY_SYSCALLS_FILE_LOCK_H

#include "lib/types.h"

struct file;

/* F_GETLK, F_SETLK, F_SETLKW and their F_OFD_ forms on f; uarg points
 * at a struct flock. */
long fcntl_lock(struct file *f, int cmd, u64 uarg);

/* Once at boot, before the first task: the waiters' queue and the wake
 * hook fs/lock.c calls on every unlock. */
void file_lock_init(void);

#endif
