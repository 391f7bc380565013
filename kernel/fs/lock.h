/*
 * lock.h: file locks on inodes: fcntl record locks (F_SETLK & co.,
 * owned by a process), OFD locks (F_OFD_SETLK & co., owned by an open
 * file) and flock(2) locks (owned by an open file).
 *
 * Record and OFD locks share one space per inode (they conflict with
 * each other, as on Linux); flock locks have their own. Two locks
 * conflict when they overlap, have different owners and one is a write
 * lock. Nothing here sleeps: a request that conflicts returns -EAGAIN,
 * and the syscall layer decides whether to wait (F_SETLKW, flock without
 * LOCK_NB); every unlock calls the wake hook it registered. No hidden
 * current task: callers name the owner.
 */
#ifndef CVMIFY_FS_LOCK_H
#define CVMIFY_FS_LOCK_H

#include "fs/vfs.h"

enum lock_kind {
	LOCK_POSIX,   /* fcntl F_SETLK: owner = the process (its pid) */
	LOCK_OFD,     /* fcntl F_OFD_SETLK: owner = the struct file */
	LOCK_FLOCK,   /* flock(2): owner = the struct file */
};

#define LOCK_END_MAX 0x7fffffffffffffffULL /* "to the end of the file, forever" */

/* One request or answer: [start, end) with end = LOCK_END_MAX for l_len 0. */
struct lock_range {
	u16 type;     /* F_RDLCK, F_WRLCK, F_UNLCK */
	u64 start;
	u64 end;
	int pid;      /* answers: the holder's pid, -1 for OFD and flock locks */
};

/* F_GETLK: the first lock that would block req (in *req), or type F_UNLCK. */
void lock_test(struct inode *inode, enum lock_kind kind, u64 owner, struct lock_range *req);

/* F_SETLK / flock: take, change or release (F_UNLCK) owner's lock on the
 * range; an owner's locks merge and split like Linux's. -EAGAIN when
 * another owner's lock conflicts, -ENOLCK when out of memory. pid is the
 * process reported to F_GETLK of others. */
int lock_set(struct inode *inode, enum lock_kind kind, u64 owner, int pid,
             const struct lock_range *req);

/* Would owner waiting for req wait forever? True when the chain of
 * owners waiting for each other leads back to it (EDEADLK; record locks
 * only, like Linux). */
bool lock_would_deadlock(struct inode *inode, u64 owner, const struct lock_range *req);
/* Note that owner sleeps for req (for deadlock detection) / is done. */
int lock_wait_begin(struct inode *inode, u64 owner, const struct lock_range *req);
void lock_wait_end(u64 owner);

/* Drop every lock of owner on inode (kind LOCK_POSIX: a process closed a
 * descriptor of the file or exited; LOCK_OFD and LOCK_FLOCK together: the
 * last descriptor of an open file went). */
void lock_release(struct inode *inode, enum lock_kind kind, u64 owner);

/* How many lock records the inode has (diagnostics, tests). */
size_t lock_count(struct inode *inode);

/* Called after any lock on any inode was released or downgraded: the
 * syscall layer wakes its lock waiters (they re-check). None in host
 * tests. */
void lock_set_wake_hook(void (*wake)(void));

#endif
