/*
 * procfs_task.c: what /proc shows about tasks (the hooks of
 * fs/procfs.h), in Linux's formats: status, stat, statm, cmdline,
 * environ, comm, limits, cgroup, maps, the exe/cwd/fd links, /proc/stat
 * and /proc/loadavg.
 *
 * Who may look: anyone may read status, stat and the like; environ,
 * the links and fd/ need Linux's "ptrace read" access: the caller's fs
 * ids match every id of a dumpable target, or the target is the caller
 * (CAP_SYS_PTRACE is outside a container's bounding set).
 *
 * CPU time comes from proc/cputime.h (stat's utime/stime/cutime/cstime,
 * /proc/stat's cpu lines, whose idle time is what no task used); the
 * load averages are kept from the number of runnable tasks sampled at
 * each read (docs/syscalls.md).
 */
#include "proc/procfs_task.h"

#include "arch/x86_64/percpu.h"
#include "fs/procfs.h"
#include "fs/vfs.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/uaccess.h"
#include "mm/vma.h"
#include "platform/platform.h"
#include "proc/cred.h"
#include "proc/fdtable.h"
#include "proc/sched.h"
#include "proc/signal.h"
#include "proc/stdio.h"
#include "proc/task.h"
#include "syscalls/linux_abi/capability.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/mman.h"

#define NS_PER_TICK 10000000ull /* USER_HZ 100 */
#define NS_PER_SEC 1000000000ull
#define ARGS_MAX (128 * 1024)

static struct task *live(int pid)
{
	struct task *t = task_find(pid);
	return t && !t->exited ? t : NULL;
}

/* Linux's PTRACE_MODE_READ_FSCREDS, without ptrace itself. */
static bool may_inspect(const struct task *t)
{
	const struct task *self = current_task();
	if (t == self || capable(CAP_SYS_PTRACE))
		return true;
	bool ids = self->fsuid == t->uid && self->fsuid == t->euid && self->fsuid == t->suid &&
	           self->fsgid == t->gid && self->fsgid == t->egid && self->fsgid == t->sgid;
	return ids && t->dumpable;
}

/* ---- memory figures (kB / pages) ---- */

struct vm_sizes {
	u64 size, data, stack, exe;   /* bytes */
	u64 rss, hwm;                  /* pages: now and the peak */
};

static void vm_sizes_of(const struct task *t, struct vm_sizes *s)
{
	memset(s, 0, sizeof(*s));
	if (!t->mm)
		return;
	for (const struct vma *v = t->mm->vmas; v; v = v->next) {
		u64 len = v->end - v->start;
		s->size += len;
		if (v->flags & VMA_STACK)
			s->stack += len;
		else if ((v->prot & PROT_EXEC) && v->file)
			s->exe += len;
		else if ((v->prot & PROT_WRITE) && !(v->flags & VMA_SHARED))
			s->data += len;
	}
	s->rss = t->mm->page_count;
	s->hwm = t->mm->peak_pages;
}

static char state_letter(const struct task *t, const char **word)
{
	if (t->exited) {
		*word = "zombie";
		return 'Z';
	}
	if (t->state == TASK_SLEEPING) {
		*word = "sleeping";
		return 'S';
	}
	*word = "running";
	return 'R';
}

/* ---- the files ---- */

static void caps_line(struct textbuf *o, const char *name, u64 caps)
{
	textbuf_add(o, "%s:\t%016llx\n", name, (unsigned long long)caps);
}

static u64 handled_signals(const struct task *t, bool ignored)
{
	u64 mask = 0;
	for (int s = 1; s <= NSIG; s++) {
		u64 h = t->sighand->actions[s].handler;
		if (ignored ? h == SIG_IGN : (h != SIG_IGN && h != SIG_DFL))
			mask |= 1ull << (s - 1);
	}
	return mask;
}

static void gen_status(const struct task *t, struct textbuf *o)
{
	const char *word;
	char letter = state_letter(t, &word);
	struct vm_sizes vm;
	vm_sizes_of(t, &vm);
	int ppid = t->parent ? t->parent->pid : 0;
	textbuf_add(o, "Name:\t%s\nUmask:\t%04o\nState:\t%c (%s)\n", t->comm, t->umask, letter, word);
	textbuf_add(o, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n", t->pid, t->pid, ppid);
	textbuf_add(o, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n", t->uid, t->euid, t->suid, t->fsuid,
	    t->gid, t->egid, t->sgid, t->fsgid);
	textbuf_add(o, "FDSize:\t%d\nGroups:\t", TASK_FD_MAX);
	for (u32 i = 0; i < t->group_count; i++)
		textbuf_add(o, i ? " %u" : "%u", t->groups[i]);
	textbuf_add(o, " \nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", t->pid, t->pid, t->pgid,
	    t->sid);
	textbuf_add(o, "VmPeak:\t%8llu kB\nVmSize:\t%8llu kB\nVmLck:\t       0 kB\nVmPin:\t       0 kB\n",
	    (unsigned long long)vm.size / 1024, (unsigned long long)vm.size / 1024);
	textbuf_add(o, "VmHWM:\t%8llu kB\nVmRSS:\t%8llu kB\n", (unsigned long long)vm.hwm * 4,
	    (unsigned long long)vm.rss * 4);
	textbuf_add(o, "RssAnon:\t%8llu kB\nRssFile:\t       0 kB\nRssShmem:\t       0 kB\n",
	    (unsigned long long)vm.rss * 4);
	textbuf_add(o, "VmData:\t%8llu kB\nVmStk:\t%8llu kB\nVmExe:\t%8llu kB\n",
	    (unsigned long long)vm.data / 1024, (unsigned long long)vm.stack / 1024,
	    (unsigned long long)vm.exe / 1024);
	textbuf_add(o, "VmLib:\t       0 kB\nVmPTE:\t       0 kB\nVmSwap:\t       0 kB\n");
	textbuf_add(o, "HugetlbPages:\t       0 kB\nCoreDumping:\t0\nThreads:\t%u\n", t->group->live);
	textbuf_add(o, "SigQ:\t0/%llu\n", (unsigned long long)t->rlimits[RLIMIT_SIGPENDING].rlim_cur);
	textbuf_add(o, "SigPnd:\t%016llx\nShdPnd:\t%016llx\nSigBlk:\t%016llx\n",
	    (unsigned long long)t->sig.queue.pending, (unsigned long long)t->group->queue.pending,
	    (unsigned long long)t->sig.blocked);
	textbuf_add(o, "SigIgn:\t%016llx\nSigCgt:\t%016llx\n", (unsigned long long)handled_signals(t, true),
	    (unsigned long long)handled_signals(t, false));
	caps_line(o, "CapInh", t->cap_inheritable);
	caps_line(o, "CapPrm", t->cap_permitted);
	caps_line(o, "CapEff", t->cap_effective);
	caps_line(o, "CapBnd", t->cap_bounding);
	caps_line(o, "CapAmb", t->cap_ambient);
	textbuf_add(o, "NoNewPrivs:\t%d\nSeccomp:\t0\nSeccomp_filters:\t0\n", t->no_new_privs ? 1 : 0);
	u32 cpus = cpu_count();
	textbuf_add(o, "Cpus_allowed:\t%llx\nCpus_allowed_list:\t0-%u\n",
	    (unsigned long long)((cpus >= 64) ? ~0ull : (1ull << cpus) - 1), cpus - 1);
	textbuf_add(o, "Mems_allowed:\t1\nMems_allowed_list:\t0\n");
	struct rusage_counts n = rusage_thread(t);
	textbuf_add(o, "voluntary_ctxt_switches:\t%llu\nnonvoluntary_ctxt_switches:\t%llu\n",
	    (unsigned long long)n.nvcsw, (unsigned long long)n.nivcsw);
}

static unsigned long long ticks(u64 ns)
{
	return (unsigned long long)(ns / NS_PER_TICK);
}

static void gen_stat(const struct task *t, struct textbuf *o)
{
	const char *word;
	char letter = state_letter(t, &word);
	struct vm_sizes vm;
	vm_sizes_of(t, &vm);
	int ppid = t->parent ? t->parent->pid : 0;
	const struct mm *mm = t->mm;
	unsigned long long start = t->start_ns / NS_PER_TICK;
	struct cputime used = cputime_process(t->group), children = cputime_children(t->group);
	struct rusage_counts faults = rusage_process(t->group), cfaults = rusage_children(t->group);
	/* pid (comm) state ppid pgrp session tty_nr tpgid flags minflt
	 * cminflt majflt cmajflt utime stime cutime cstime priority nice
	 * num_threads itrealvalue starttime vsize rss rsslim ... */
	textbuf_add(o, "%d (%s) %c %d %d %d 0 -1 4194304 %llu %llu %llu %llu %llu %llu %llu %llu %d %d "
	    "%u 0 %llu %llu %llu %llu ",
	    t->pid, t->comm, letter, ppid, t->pgid, t->sid, (unsigned long long)faults.minflt,
	    (unsigned long long)cfaults.minflt, (unsigned long long)faults.majflt,
	    (unsigned long long)cfaults.majflt, ticks(used.user_ns), ticks(used.sys_ns),
	    ticks(children.user_ns), ticks(children.sys_ns), 20 + t->nice, t->nice, t->group->live, start,
	    (unsigned long long)vm.size, (unsigned long long)vm.rss,
	    (unsigned long long)t->rlimits[RLIMIT_RSS].rlim_cur);
	/* startcode endcode startstack kstkesp kstkeip signal blocked
	 * sigignore sigcatch wchan nswap cnswap exit_signal processor
	 * rt_priority policy blkio guest_time cguest_time start_data
	 * end_data start_brk arg_start arg_end env_start env_end exit_code */
	textbuf_add(o, "0 0 %llu 0 0 %llu %llu %llu %llu 0 0 0 17 0 0 %u 0 0 0 0 0 %llu %llu %llu %llu "
	    "%llu 0\n",
	    (unsigned long long)(mm ? mm->stack_top : 0), (unsigned long long)signal_pending_set(t),
	    (unsigned long long)t->sig.blocked, (unsigned long long)handled_signals(t, true),
	    (unsigned long long)handled_signals(t, false), t->sched_policy,
	    (unsigned long long)(mm ? mm->brk : 0), (unsigned long long)(mm ? mm->arg_start : 0),
	    (unsigned long long)(mm ? mm->arg_end : 0), (unsigned long long)(mm ? mm->env_start : 0),
	    (unsigned long long)(mm ? mm->env_end : 0));
}

static void gen_statm(const struct task *t, struct textbuf *o)
{
	struct vm_sizes vm;
	vm_sizes_of(t, &vm);
	textbuf_add(o, "%llu %llu 0 %llu 0 %llu 0\n", (unsigned long long)vm.size / PAGE_SIZE,
	    (unsigned long long)vm.rss, (unsigned long long)vm.exe / PAGE_SIZE,
	    (unsigned long long)(vm.data + vm.stack) / PAGE_SIZE);
}

/* cmdline and environ: the strings exec wrote, read from the task. */
static long gen_range(const struct task *t, u64 start, u64 end, struct textbuf *o)
{
	if (!t->mm || end <= start)
		return 0;
	u64 len = MIN(end - start, (u64)ARGS_MAX);
	size_t n = (size_t)MIN(len, (u64)o->size);
	if (n > 0 && copyin_from(t->mm, o->buf, start, n) != 0)
		return -EFAULT;
	o->len = (size_t)len;
	return 0;
}

static const char *const g_limit_names[RLIMIT_NLIMITS][2] = {
	{"Max cpu time", "seconds"},    {"Max file size", "bytes"},
	{"Max data size", "bytes"},     {"Max stack size", "bytes"},
	{"Max core file size", "bytes"}, {"Max resident set", "bytes"},
	{"Max processes", "processes"}, {"Max open files", "files"},
	{"Max locked memory", "bytes"}, {"Max address space", "bytes"},
	{"Max file locks", "locks"},    {"Max pending signals", "signals"},
	{"Max msgqueue size", "bytes"}, {"Max nice priority", ""},
	{"Max realtime priority", ""},  {"Max realtime timeout", "us"},
};

static void limit_value(char *buf, size_t size, u64 v)
{
	if (v == RLIM_INFINITY)
		snprintf(buf, size, "unlimited");
	else
		snprintf(buf, size, "%llu", (unsigned long long)v);
}

static void gen_limits(const struct task *t, struct textbuf *o)
{
	textbuf_add(o, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
	for (int r = 0; r < RLIMIT_NLIMITS; r++) {
		char soft[24], hard[24];
		limit_value(soft, sizeof(soft), t->rlimits[r].rlim_cur);
		limit_value(hard, sizeof(hard), t->rlimits[r].rlim_max);
		textbuf_add(o, "%-25s %-20s %-20s %-10s\n", g_limit_names[r][0], soft, hard,
		    g_limit_names[r][1]);
	}
}

static long hook_task_file(int pid, enum proc_task_file which, char *buf, size_t size)
{
	struct task *t = live(pid);
	if (!t)
		return -ESRCH;
	struct textbuf o = {buf, size, 0};
	long n;
	switch (which) {
	case PROC_STATUS: gen_status(t, &o); break;
	case PROC_STAT: gen_stat(t, &o); break;
	case PROC_STATM: gen_statm(t, &o); break;
	case PROC_COMM: textbuf_add(&o, "%s\n", t->comm); break;
	case PROC_LIMITS: gen_limits(t, &o); break;
	case PROC_CGROUP: textbuf_add(&o, "0::/\n"); break;
	case PROC_CMDLINE:
		n = gen_range(t, t->mm ? t->mm->arg_start : 0, t->mm ? t->mm->arg_end : 0, &o);
		if (n < 0)
			return n;
		break;
	case PROC_ENVIRON:
		if (!may_inspect(t))
			return -EACCES;
		n = gen_range(t, t->mm ? t->mm->env_start : 0, t->mm ? t->mm->env_end : 0, &o);
		if (n < 0)
			return n;
		break;
	case PROC_MAPS:
		if (!may_inspect(t))
			return -EACCES;
		n = vma_format_maps(t->mm, buf, size);
		/* It truncates: a full buffer may mean more; ask for a bigger one. */
		return (n >= 0 && (size_t)n >= size) ? (long)size + 1 : n;
	default:
		return -ENOENT;
	}
	return (long)o.len;
}

/* ---- /proc/stat and /proc/loadavg ---- */

/* Load averages, Linux's exponential moving averages over 1, 5 and 15
 * minutes of the number of runnable tasks, advanced at each read with
 * the current count (fixed point, 11 bits as in Linux). */
static u64 g_load[3];
static u64 g_load_stamp_ns;

static u32 runnable_count(u32 *total, int *last_pid)
{
	u32 running = 0;
	*total = 0;
	*last_pid = 0;
	for (struct task *t = task_first(); t; t = t->next) {
		if (t->exited)
			continue;
		(*total)++;
		running += t->state == TASK_RUNNABLE;
		*last_pid = MAX(*last_pid, t->pid);
	}
	return running;
}

static void advance_load(u32 running)
{
	static const u64 decay_5s[3] = {1884, 2014, 2037}; /* exp(-5s/1,5,15 min) << 11 */
	u64 now = platform_time_ns();
	for (u64 step = g_load_stamp_ns; step + 5 * NS_PER_SEC <= now; step += 5 * NS_PER_SEC) {
		for (int i = 0; i < 3; i++)
			g_load[i] = (g_load[i] * decay_5s[i] + ((u64)running << 11) * (2048 - decay_5s[i])) >> 11;
		g_load_stamp_ns = step + 5 * NS_PER_SEC;
	}
	if (g_load_stamp_ns == 0)
		g_load_stamp_ns = now;
}

static void load_text(u64 fixed, char *buf, size_t size)
{
	u64 hundredths = (fixed * 100 + 1024) >> 11;
	snprintf(buf, size, "%llu.%02llu", (unsigned long long)(hundredths / 100),
	         (unsigned long long)(hundredths % 100));
}

/* user nice system idle ..., per CPU and summed: a CPU's idle time is
 * the time since boot that no task used on it. */
static void cpu_line(struct textbuf *o, const char *name, struct cputime c, u64 idle_ns)
{
	textbuf_add(o, "%s %llu 0 %llu %llu 0 0 0 0 0 0\n", name, ticks(c.user_ns), ticks(c.sys_ns),
	    ticks(idle_ns));
}

static void cpu_lines(struct textbuf *o, u64 now)
{
	u32 cpus = cpu_count();
	struct cputime total = {0, 0};
	u64 idle_total = 0;
	for (u32 i = 0; i < cpus; i++) {
		total = cputime_sum(total, cputime_cpu(i));
		idle_total += cputime_cpu_idle(i, now);
	}
	cpu_line(o, "cpu ", total, idle_total);
	for (u32 i = 0; i < cpus; i++) {
		char name[16];
		snprintf(name, sizeof(name), "cpu%u", i);
		cpu_line(o, name, cputime_cpu(i), cputime_cpu_idle(i, now));
	}
}

static long hook_system_file(enum proc_system_file which, char *buf, size_t size)
{
	struct textbuf o = {buf, size, 0};
	u32 total;
	int last_pid;
	u32 running = runnable_count(&total, &last_pid);
	if (which == PROC_SYS_LOADAVG) {
		advance_load(running);
		char l[3][16];
		for (int i = 0; i < 3; i++)
			load_text(g_load[i], l[i], sizeof(l[i]));
		textbuf_add(&o, "%s %s %s %u/%u %d\n", l[0], l[1], l[2], running, total, last_pid);
		return (long)o.len;
	}
	u64 now = platform_time_ns();
	cpu_lines(&o, now);
	u64 boot = (platform_wallclock_ns() - now) / NS_PER_SEC;
	textbuf_add(&o, "intr 0\nctxt %llu\nbtime %llu\nprocesses %d\nprocs_running %u\nprocs_blocked 0\n",
	    (unsigned long long)sched_switch_count(), (unsigned long long)boot, last_pid, running);
	textbuf_add(&o, "softirq 0 0 0 0 0 0 0 0 0 0 0\n");
	return (long)o.len;
}

/* ---- the rest of the hooks ---- */

static int hook_self_pid(void)
{
	return current_task()->pid;
}

static int hook_pid_next(int after)
{
	int best = -1;
	for (struct task *t = task_first(); t; t = t->next) {
		if (!t->exited && t->pid > after && (best < 0 || t->pid < best))
			best = t->pid;
	}
	return best;
}

static bool hook_task_owner(int pid, u32 *uid, u32 *gid)
{
	struct task *t = live(pid);
	if (!t)
		return false;
	*uid = t->euid;
	*gid = t->egid;
	return true;
}

static u64 hook_task_mm_id(int pid)
{
	struct task *t = live(pid);
	return t && t->mm ? t->mm->serial : 0;
}

static long copy_text(const char *s, char *buf, size_t size)
{
	size_t len = strlen(s);
	if (len > size)
		return -ENAMETOOLONG;
	memcpy(buf, s, len);
	return (long)len;
}

static long hook_exe_path(int pid, char *buf, size_t size)
{
	struct task *t = live(pid);
	if (!t)
		return -ENOENT;
	return may_inspect(t) ? copy_text(t->exe_path, buf, size) : -EACCES;
}

static long hook_cwd_path(int pid, char *buf, size_t size)
{
	struct task *t = live(pid);
	if (!t || !t->cwd)
		return -ENOENT;
	if (!may_inspect(t))
		return -EACCES;
	char *path = kmalloc(VFS_PATH_MAX);
	if (!path)
		return -ENOMEM;
	long n = vfs_getcwd(t->cwd, path, VFS_PATH_MAX);
	if (n >= 0)
		n = copy_text(path, buf, size);
	kfree(path);
	return n;
}

static long hook_fd_path(int pid, int fd, char *buf, size_t size)
{
	struct task *t = live(pid);
	if (!t)
		return -EBADF;
	struct file *f = fd_get(t, fd);
	if (!f)
		return -EBADF;
	if (!may_inspect(t))
		return -EACCES;
	/* Pipes (and other internal files) read "pipe:[ino]", as on Linux. */
	if (f->inode && f->inode->sb->anon_link) {
		char link[64];
		snprintf(link, sizeof(link), "%s:[%llu]", f->inode->sb->anon_link,
		         (unsigned long long)f->inode->ino);
		return copy_text(link, buf, size);
	}
	/* Files opened by path remember it (vfs_file_path). The stdio
	 * wrappers have none: stdio names them. */
	const char *name = f->inode ? NULL : stdio_file_name(f);
	if (!name)
		return vfs_file_path(f, buf, size);
	return copy_text(name, buf, size);
}

static int hook_fd_inode(int pid, int fd, struct inode **out)
{
	struct task *t = live(pid);
	struct file *f = t ? fd_get(t, fd) : NULL;
	if (!f)
		return -EBADF;
	if (!f->inode || !f->inode->sb->anon_link || !may_inspect(t))
		return 1;
	*out = inode_get(f->inode);
	return 0;
}

static int hook_fd_next(int pid, int after)
{
	struct task *t = live(pid);
	return t ? fd_next(t, after) : -1;
}

static const struct procfs_hooks g_procfs_hooks = {
	.self_pid = hook_self_pid,
	.pid_next = hook_pid_next,
	.task_owner = hook_task_owner,
	.task_file = hook_task_file,
	.system_file = hook_system_file,
	.exe_path = hook_exe_path,
	.cwd_path = hook_cwd_path,
	.fd_path = hook_fd_path,
	.fd_inode = hook_fd_inode,
	.fd_next = hook_fd_next,
	.task_mm_id = hook_task_mm_id,
};

void procfs_task_register(void)
{
	procfs_set_hooks(&g_procfs_hooks);
}
