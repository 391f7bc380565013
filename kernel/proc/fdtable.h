/*
 * fdtable.h: file descriptors of a task.
 *
 * Ownership: an fd slot owns one reference on its struct file. fd_get
 * returns a borrowed pointer valid until the slot changes: fd tables are
 * never shared between tasks and only the owner changes its slots, so
 * the pointer stays valid for the rest of the syscall, even across a
 * sleep.
 */
#ifndef CVMIFY_PROC_FDTABLE_H
#define CVMIFY_PROC_FDTABLE_H

#include "lib/types.h"

struct task;
struct file;

/* The open file behind fd, or NULL (caller answers -EBADF). */
struct file *fd_get(struct task *task, int fd);
/* Install file (taking a new reference) at the lowest free fd >= min.
 * Returns the fd, or -EMFILE (RLIMIT_NOFILE) / -EINVAL. */
int fd_install(struct task *task, struct file *file, int min, bool cloexec);
/* Install at exactly fd, closing what was there (dup2/dup3). */
int fd_install_at(struct task *task, struct file *file, int fd, bool cloexec);
int fd_close(struct task *task, int fd);

/* The task lets go of its fd table (exit, or an execve that unshares
 * it): the last user closes every descriptor as close() would, so the
 * process's record locks go with them (POSIX), then frees the table. */
void fd_table_release(struct task *task);
bool fd_get_cloexec(struct task *task, int fd);
void fd_set_cloexec(struct task *task, int fd, bool cloexec);
/* Lowest open fd > after, or -1 (procfs /proc/self/fd). */
int fd_next(struct task *task, int after);
/* The fd limit in force (RLIMIT_NOFILE soft, capped at TASK_FD_MAX). */
int fd_limit(struct task *task);

#endif
