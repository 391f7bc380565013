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
#include "proc/runq.h"
#include "proc/wait.h"
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
	/* rt_sigsuspend/ppoll/pselect run with a temporary mask; the real
	 * one comes back when the handler's frame is built (it saves this
	 * one) or on the way back to user mode if no handler ran. */
	u64 saved_blocked;
	bool restore_blocked;
};

enum task_state {
	TASK_RUNNABLE,     /* running on a CPU, or on the run queue */
	TASK_SLEEPING,     /* in wait_sleep until woken (proc/wait.h) */
	TASK_ZOMBIE,       /* exited, waiting for its parent's wait4 */
};

struct task {
	int pid;
	int tid;
	int pgid;                     /* process group (syscalls/session.c) */
	int sid;                      /* session */
	bool did_exec;                /* setpgid on a child that exec'd: EACCES */
	/* family (proc/fork.c, proc/exit.c; big kernel lock) */
	struct task *parent;          /* NULL for the first task */
	struct task *next;            /* all tasks, in creation order */
	bool exited;                  /* called exit: wait4 may reap it */
	int wait_status;              /* Linux wait status word, once exited */
	bool vfork_waiting;           /* a vfork parent waits for this child */
	struct waitq child_wait;      /* wait4 and vfork sleep here (children wake it) */
	/* scheduling (proc/sched.c; the scheduler lock) */
	enum task_state state;
	struct runq_node run;         /* on the run queue while runnable and off-CPU */
	s32 on_cpu;                   /* index of the CPU running it, -1 if none */
	bool is_idle;                 /* a CPU's idle task (never queued, no pid) */
	struct arch_context *context; /* saved kernel registers while switched out */
	u8 *kstack;                   /* from kstack_alloc (mm/kstack.h): guarded */
	/* user register state that lives outside the trapframe, saved at
	 * every switch (the app may change FS/GS base with WRFSBASE) */
	struct fpu_state fpu;
	u64 fs_base;
	u64 gs_base;
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

/* The task running on this CPU (its idle task when it has no other). */
struct task *current_task(void);

/* A CPU's idle task: a kernel stack and a context, no pid, on no list.
 * stack: the stack it already runs on (an AP), or NULL for a new one. */
struct task *task_alloc_idle(void *stack);

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
/* The task (thread) with this tid, or NULL. */
struct task *task_find_tid(int tid);
u64 task_kstack_top(const struct task *task);

#endif
