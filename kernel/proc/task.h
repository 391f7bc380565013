/*
 * task.h: threads and processes, the Linux way: a task is one thread;
 * the threads of one process (CLONE_THREAD) share a thread group (the
 * process: tgid, the threads, signals sent to the process, exit state),
 * a signal-handler table (struct sighand), the address space, the fd
 * table and the working directory. Each thread keeps its own tid,
 * kernel stack, registers, FPU state, FS/GS base, signal mask and
 * pending signals, alternate signal stack and thread-library words.
 * Processes (fork, vfork) share nothing of this (vfork: only the mm).
 *
 * pid is the thread group id (getpid), tid the thread's own (gettid);
 * the group leader has tid == pid and is what the parent's wait4 sees.
 *
 * Ownership: each task owns one reference on its mm, its fd table, its
 * sighand, its thread group and its cwd inode, and its kernel stack.
 * cwd and umask are per-thread copies that chdir/umask keep equal in a
 * whole group (task_set_cwd, task_set_umask: CLONE_FS). A thread that
 * exits drops all of that; a non-leader is then freed once off its CPU
 * (proc/exit.c), a leader stays as a zombie for its parent's wait4.
 * Locks: the big kernel lock, except the fields marked "scheduler lock"
 * (docs/kernel-locking.md).
 */
#ifndef CVMIFY_PROC_TASK_H
#define CVMIFY_PROC_TASK_H

#include "arch/x86_64/arch.h"
#include "lib/list.h"
#include "lib/types.h"
#include "proc/cputime.h"
#include "proc/rusage.h"
#include "proc/runq.h"
#include "proc/wait.h"
#include "syscalls/linux_abi/misc.h"
#include "syscalls/linux_abi/signal.h"

struct mm;
struct file;
struct inode;
struct itimers;

#define TASK_FD_MAX 1024      /* hard cap of RLIMIT_NOFILE */
#define TASK_GROUPS_MAX 64
#define TASK_PATH_MAX 4096
#define TASK_COMM_SIZE 16     /* Linux's TASK_COMM_LEN, NUL included */

struct fd_entry {
	struct file *file;    /* owned reference, NULL = free slot */
	bool cloexec;
};

/* CLONE_FILES: shared by the threads of a process. */
struct fd_table {
	u32 refcount;         /* tasks using it; the last one closes the fds */
	struct fd_entry fds[TASK_FD_MAX];
};

/* What a queued signal carries (siginfo_t's content, compactly). One
 * per signal number and queue: a second instance of a pending signal
 * merges into the first (real-time signals do not queue here). */
struct ksiginfo {
	s32 code;             /* SI_USER, SI_TKILL, SI_TIMER, CLD_EXITED ... */
	s32 pid;              /* sender (SI_USER, SI_TKILL, SIGCHLD) */
	u32 uid;
	s32 status;           /* SIGCHLD: exit status or signal */
	s32 timerid;          /* SI_TIMER */
	s32 overrun;          /* SI_TIMER */
	u64 value;            /* SI_TIMER, SI_QUEUE: sigval */
	u64 addr;             /* faults: si_addr */
};

/* Signals pending on one queue (a thread's, or its process's). */
struct sigqueue {
	u64 pending;          /* bit (n-1) = signal n */
	struct ksiginfo info[NSIG];
};

/* CLONE_SIGHAND: the actions, shared by the threads of a process. */
struct sighand {
	u32 refcount;
	struct linux_sigaction actions[NSIG + 1];  /* index = signal number */
};

struct sig_state {
	u64 blocked;          /* bit (n-1) = signal n */
	struct sigqueue queue; /* sent to this thread (tgkill, faults) */
	struct linux_stack altstack;
	/* rt_sigsuspend/ppoll/pselect run with a temporary mask; the real
	 * one comes back when the handler's frame is built (it saves this
	 * one) or on the way back to user mode if no handler ran. */
	u64 saved_blocked;
	bool restore_blocked;
};

/* CLONE_THREAD: the process. */
struct thread_group {
	u32 refcount;                 /* tasks pointing at it */
	int tgid;
	struct task *leader;          /* tid == tgid; stays until reaped */
	struct list_node threads;     /* every thread, task->group_link */
	u32 live;                     /* threads that have not exited */
	struct sigqueue queue;        /* signals sent to the process (kill) */
	struct waitq signal_wait;     /* woken when a signal is queued (signalfd) */
	struct waitq child_wait;      /* wait4 and vfork sleep here */
	bool exiting;                 /* exit_group or a fatal signal: all go */
	int exit_status;              /* wait status word for the parent */
	struct task *execer;          /* in execve, waiting for the others to go */
	struct itimers *timers;       /* alarm, setitimer, POSIX timers (proc/itimer.c) */
	struct cputime_group cputime; /* CPU time, ITIMER_VIRTUAL/PROF (proc/cputime.h) */
	struct rusage_group rusage;   /* faults, switches, peak RSS (proc/rusage.h) */
};

enum task_state {
	TASK_RUNNABLE,     /* running on a CPU, or on the run queue */
	TASK_SLEEPING,     /* in wait_sleep until woken (proc/wait.h) */
	TASK_ZOMBIE,       /* exited: never runs again */
};

struct task {
	int pid;                      /* thread group id */
	int tid;
	int pgid;                     /* process group (syscalls/session.c) */
	int sid;                      /* session */
	bool did_exec;                /* setpgid on a child that exec'd: EACCES */
	/* family (proc/fork.c, proc/exit.c; big kernel lock) */
	struct task *parent;          /* parent process's leader; NULL for the first */
	struct task *next;            /* all tasks, in creation order */
	struct thread_group *group;
	struct list_node group_link;  /* in group->threads */
	bool thread_exited;           /* this thread is gone (leader: zombie) */
	bool exited;                  /* leader: the whole process is gone, wait4 may reap */
	int wait_status;              /* Linux wait status word, once exited */
	bool vfork_waiting;           /* a vfork parent waits for this child */
	/* scheduling (proc/sched.c; the scheduler lock) */
	enum task_state state;
	struct runq_node run;         /* on the run queue while runnable and off-CPU */
	s32 on_cpu;                   /* index of the CPU running it, -1 if none */
	s32 last_cpu;                 /* sched lock: the CPU it ran on last */
	u8 exits_since_wake;          /* sched lock: returns to user since it woke a task (sched.h) */
	u8 wake_then_sleep;           /* sched lock: times in a row it slept right after a wake-up */
	bool is_idle;                 /* a CPU's idle task (never queued, no pid) */
	struct task *next_dead;       /* on the list of exited threads to free */
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
	/* references fd_get took for the running syscall while files is
	 * shared with other threads (proc/fdtable.h); dropped when it ends */
	struct file **held;
	u32 held_count, held_cap;
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
	struct sighand *sighand;
	struct sig_state sig;
	u64 syscall_nr;               /* for restarting after a signal */
	/* thread-library bookkeeping */
	u64 clear_child_tid;
	u64 robust_list;
	u64 robust_list_len;
	u64 start_ns;         /* platform_time_ns() at fork/exec: /proc starttime */
	struct cputime_task cputime; /* written by its CPU only (proc/cputime.h) */
	struct rusage_task rusage;   /* faults, switches (proc/rusage.h) */
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

/* A blank task with a new tid (and pid = tid), a kernel stack, linked
 * into the task list, with no group, files or sighand yet; NULL when
 * out of memory or ids. */
struct task *task_alloc(void);
/* Unlink and free a task that has exited (its kernel stack, itself);
 * waits until it is off its CPU. */
void task_free(struct task *task);

/* A new process's thread group / sighand / fd table, one reference. */
struct thread_group *thread_group_create(struct task *leader);
struct sighand *sighand_create(void);
struct fd_table *fd_table_create(void);
/* Drop references (the last one frees; for an fd table it closes every
 * fd first). */
void thread_group_put(struct thread_group *group);
void sighand_put(struct sighand *sighand);
void fd_table_put(struct fd_table *files);

/* chdir/fchdir and umask: for every thread of task's group (CLONE_FS). */
void task_set_cwd(struct task *task, struct inode *dir);
void task_set_umask(struct task *task, u32 umask);

/* Iterate over all tasks: for (t = task_first(); t; t = t->next). */
struct task *task_first(void);
/* A live thread of the process with this pid (its leader if alive). */
struct task *task_find(int pid);
/* The task (thread) with this tid, or NULL. */
struct task *task_find_tid(int tid);
u64 task_kstack_top(const struct task *task);

#endif
