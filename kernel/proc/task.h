/*
 * task.h: the process state. Processes (fork, vfork) but no threads yet:
 * each task is one process, pid == tid. The fields are grouped so that
 * threads can later share mm/files/fs/signal actions and keep their own
 * tid, signal mask, altstack and FS base.
 *
 * Ownership: the task owns one reference on its mm (vfork children
 * share the parent's), one reference on each open file in its fd table,
 * one reference on its cwd inode, and its kernel stack. A zombie keeps
 * only its exit status and kernel stack until its parent reaps it.
 */
#ifndef CVMIFY_PROC_TASK_H
#define CVMIFY_PROC_TASK_H

#include "arch/x86_64/arch.h"
#include "lib/types.h"
#include "syscalls/linux_abi/misc.h"
#include "syscalls/linux_abi/signal.h"

struct mm;
struct file;
struct inode;

#define TASK_FD_MAX 1024      /* hard cap of RLIMIT_NOFILE */
#define TASK_GROUPS_MAX 64
#define TASK_PATH_MAX 4096
#define TASK_COMM_SIZE 16     /* Linux's TASK_COMM_LEN, NUL included */

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

enum task_state {
	TASK_RUNNABLE,
	TASK_SLEEPING,     /* in sched_sleep(chan) until sched_wakeup(chan) */
	TASK_ZOMBIE,       /* exited, waiting for its parent's wait4 */
};

struct task {
	int pid;
	int tid;
	int pgid;                     /* process group (syscalls/session.c) */
	int sid;                      /* session */
	bool did_exec;                /* setpgid on a child that exec'd: EACCES */
	/* family and scheduling (proc/sched.c, proc/fork.c, proc/exit.c) */
	struct task *parent;          /* NULL for the first task */
	struct task *next;            /* all tasks, in creation order */
	enum task_state state;
	const void *sleep_chan;
	int wait_status;              /* Linux wait status word, when a zombie */
	bool vfork_waiting;           /* a vfork parent waits for this child */
	struct arch_context *context; /* saved kernel registers while switched out */
	u8 *kstack;                   /* from kstack_alloc (mm/kstack.h): guarded */
	struct fpu_state fpu;         /* user FPU state while switched out */
	/* address space */
	struct mm *mm;
	/* files and fs context */
	struct fd_table *files;
	struct inode *cwd;
	u32 umask;
	char exe_path[TASK_PATH_MAX];     /* for /proc/self/exe */
	char comm[TASK_COMM_SIZE];        /* PR_GET_NAME, /proc/self/comm */
	/* credentials: from the measured config at boot, then changed only
	 * by the set*id calls and exec with Linux's rules (proc/cred.c) */
	u32 uid, euid, suid, fsuid;
	u32 gid, egid, sgid, fsgid;
	u32 groups[TASK_GROUPS_MAX];
	u32 group_count;
	u64 cap_permitted, cap_effective, cap_inheritable, cap_bounding, cap_ambient;
	u32 securebits;
	struct linux_rlimit rlimits[RLIMIT_NLIMITS];
	/* signals */
	struct sig_state sig;
	/* thread-library bookkeeping */
	u64 clear_child_tid;
	u64 robust_list;
	u64 robust_list_len;
	u64 fs_base;
	u64 start_ns;         /* platform_time_ns() at exec, for times() */
	/* prctl state (syscalls/process.c) */
	int pdeath_signal;    /* sent when the parent exits; 0 = none */
	bool dumpable;        /* PR_GET_DUMPABLE (1 by default, as on Linux) */
	bool no_new_privs;    /* PR_SET_NO_NEW_PRIVS: exec grants nothing */
	bool child_subreaper; /* orphaned descendants come here, not to pid 1 */
	/* scheduling attributes (syscalls/sched_attr.c): kept and reported;
	 * the round-robin scheduler does not weigh them */
	int nice;             /* -20..19 */
	u32 sched_policy;     /* SCHED_OTHER, SCHED_BATCH or SCHED_IDLE */
	bool sched_reset_on_fork;
};

/* The running task. */
struct task *current_task(void);
void task_set_current(struct task *task);

/* Allocate the first task with Linux defaults (pid 1, umask 022, default
 * rlimits, no files, signals at SIG_DFL, a kernel stack) and make it
 * current. */
struct task *task_create_first(void);

/* A blank task with a new pid, a kernel stack and an empty fd table,
 * linked into the task list; NULL when out of memory or pids. */
struct task *task_alloc(void);
/* Unlink and free a reaped zombie (its kernel stack, fd table, itself). */
void task_free(struct task *task);

/* Iterate over all tasks: for (t = task_first(); t; t = t->next). */
struct task *task_first(void);
struct task *task_find(int pid);
u64 task_kstack_top(const struct task *task);

#endif
