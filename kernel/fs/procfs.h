/*
 * procfs.h: /proc, generated from callbacks the process layer registers.
 *
 * procfs knows nothing about tasks: the process layer registers these hooks once (in
 * proc_start_init) and procfs asks them for the *current* task's view.
 * Every hook writes into a kernel buffer and returns a length or -errno.
 * Until hooks are registered, /proc/self/... files answer -ENOENT.
 */
#ifndef CVMIFY_FS_PROCFS_H
#define CVMIFY_FS_PROCFS_H

#include "lib/types.h"

struct inode;

struct procfs_hooks {
	/* Absolute path of the running executable (no NUL); length or -errno. */
	long (*exe_path)(char *buf, size_t size);
	/* /proc/self/maps text ("start-end perms offset dev inode path\n" per
	 * VMA, Linux format); length written (truncate if size is too small). */
	long (*maps)(char *buf, size_t size);
	/* Path of what fd refers to (for /proc/self/fd/N readlink), -EBADF if
	 * fd is not open. */
	long (*fd_path)(int fd, char *buf, size_t size);
	/* For /proc/self/fd/N of a file without a path (a pipe end): a new
	 * reference to its inode in *out, 0; else 1 (use fd_path) or -EBADF. */
	int (*fd_inode)(int fd, struct inode **out);
	/* The lowest open fd > after, or -1 when there is none. */
	int (*fd_next)(int after);
	/* The current task's pid (for /proc/self -> "<pid>" and /proc/<pid>). */
	int (*pid)(void);
};

/* Register the hooks (borrowed: must stay valid forever). */
void procfs_set_hooks(const struct procfs_hooks *hooks);

struct fs_super;
struct fs_super *procfs_create(void);

#endif
