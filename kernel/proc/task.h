/*
 * task.h: the process state. One task today (pid 1, tid 1); the fields
 * are grouped so that threads can later share mm/files/fs/signal actions
 * and keep their own tid, signal mask, altstack and FS base.
 *
 * Ownership: the task owns its mm, one reference on each open file in its
 * fd table and one reference on its cwd inode.
 */
#ifndef CVMIFY_PROC_TASK_H
#define CVMIFY_PROC_TASK_H

#include "lib/types.h"
#include "syscalls/linux_abi/misc.h"
#include "syscalls/linux_abi/signal.h"

struct mm;
struct file;
struct inode;

#define TASK_FD_MAX 1024      /* hard cap of RLIMIT_NOFILE */
#define TASK_GROUPS_MAX 64
#define TASK_PATH_MAX 4096

struct fd_entry {
	struct file *file;    /* owned reference, NULL = free slot */
	bool cloexec;
};

struct fd_table {
	struct fd_entry fds[TASK_FD_MAX];
};

struct sig_state {
	/* shared between threads (later) */
	struct linux_sigaction actions[NSIG + 1];  /* index = signal number */
	/* per thread */
	u64 blocked;          /* bit (n-1) = signal n */
	u64 pending;
	struct linux_stack altstack;
};

struct task {
	int pid;
	int tid;
	/* address space */
	struct mm *mm;
	/* files and fs context */
	struct fd_table *files;
	struct inode *cwd;
	u32 umask;
	char exe_path[TASK_PATH_MAX];     /* for /proc/self/exe */
	/* credentials: fixed at boot from the measured config */
	u32 uid, euid, suid;
	u32 gid, egid, sgid;
	u32 groups[TASK_GROUPS_MAX];
	u32 group_count;
	struct linux_rlimit rlimits[RLIMIT_NLIMITS];
	/* signals */
	struct sig_state sig;
	/* thread-library bookkeeping */
	u64 clear_child_tid;
	u64 robust_list;
	u64 robust_list_len;
	u64 fs_base;
	u64 start_ns;         /* platform_time_ns() at exec, for times() */
};

/* The running task (there is exactly one). */
struct task *current_task(void);

/* Allocate the first task with Linux defaults (pid 1, umask 022, default
 * rlimits, no files, signals at SIG_DFL) and make it current. */
struct task *task_create_first(void);

#endif
