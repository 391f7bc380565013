/*
 * common.h: helpers shared by the syscall families: user paths, dirfd
 * resolution and fd lookup. Each returns 0 or -errno.
 */
#ifndef CVMIFY_SYSCALLS_COMMON_H
#define CVMIFY_SYSCALLS_COMMON_H

#include "lib/types.h"

struct inode;
struct file;

/* Copy a user path into a fresh kmalloc'ed VFS_PATH_MAX buffer (*out;
 * the caller kfree()s it). An empty path is -ENOENT unless allow_empty. */
int path_copyin(u64 user_path, bool allow_empty, char **out);

/* The directory a *at() call starts from: the cwd for AT_FDCWD, else the
 * directory open at dirfd (-EBADF, -ENOTDIR). Borrowed reference. */
int at_dir(int dirfd, struct inode **out);

/* The inode a *at() call names (a new reference in *out), looked up
 * relative to dirfd (AT_FDCWD: the cwd) with lookup_flags (vfs.h
 * LOOKUP_*). An empty path, allowed only with allow_empty, names the
 * start directory itself. */
int lookup_at(int dirfd, u64 user_path, bool allow_empty, u32 lookup_flags,
              struct inode **out);

/* The open file at fd, borrowed (-EBADF when none). */
int file_of(int fd, struct file **out);

/* ---- time values (nanoseconds; far futures saturate below
 * WAIT_FOREVER) ---- */
struct linux_timespec;
/* A timespec already copied in; -EINVAL if negative or not normalised. */
int timespec_to_ns(const struct linux_timespec *ts, u64 *ns);
/* The same, read from user space (-EFAULT); uts == 0 means forever. */
int timespec_copyin_ns(u64 uts, u64 *ns);
struct linux_timespec ns_to_timespec(u64 ns);
/* struct itimerspec {interval, value} out to user space. */
int itimerspec_copyout(u64 uaddr, u64 interval_ns, u64 value_ns);
/* The monotonic deadline ns from now (WAIT_FOREVER stays forever). */
u64 deadline_after(u64 ns);

/* ppoll, pselect6, epoll_pwait: run the wait with the user's signal
 * mask at umask (size must be 8; 0 = no mask). -EINVAL, -EFAULT. */
int sigmask_set_temporary(u64 umask, u64 size);
/* After such a wait: unless a handler is about to run (-EINTR or
 * -ERESTARTNOHAND), the
 * real mask is back at once, before any signal is delivered. */
void sigmask_end_temporary(long result);

/* Argument registers hold 64 bits; ints are the low 32, sign-extended. */
static inline int arg_int(u64 v)
{
	return (int)(s32)(u32)v;
}

#endif
