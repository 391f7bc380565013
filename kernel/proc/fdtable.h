/*
 * fdtable.h: file descriptors of a task.
 *
 * Ownership: an fd slot owns one reference on its struct file. fd_get
 * returns a pointer valid for the rest of the syscall, even across a
 * sleep: while only this task uses its fd table nobody else can change
 * the slot; while threads share it (CLONE_FILES), another one may close
 * the fd meanwhile, so fd_get then takes a reference of its own, which
 * fd_drop_held drops when the syscall returns (syscalls/table.c) or the
 * task exits.
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
/* Drop what fd_get held for the syscall that ends (and free the list
 * when free_list: the task goes away). */
void fd_drop_held(struct task *task, bool free_list);
/* task leaves its fd table (exit): the last user closes every fd the
 * way close does, so the process's record locks go too. */
void fd_table_release(struct task *task);
/* Lowest open fd > after, or -1 (procfs /proc/self/fd). */
int fd_next(struct task *task, int after);
/* The fd limit in force (RLIMIT_NOFILE soft, capped at TASK_FD_MAX). */
int fd_limit(struct task *task);

#endif
