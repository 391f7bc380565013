/*
 * cputime.c (syscalls): getrusage, times and the CPU-time clocks, from
 * the accounting of proc/cputime.h.
 *
 * Linux's encoding of a CPU-time clock id (what clock_getcpuclockid and
 * pthread_getcpuclockid return): ~pid << 3, bit 2 for a thread clock,
 * bits 0-1 which time: 0 user + system (PROF), 1 user (VIRT), 2 the
 * scheduler's run time (SCHED: user + system here too); 3 is invalid.
 * pid 0 is the caller. A thread clock names a thread of the caller's
 * own process; a process clock any process that is not reaped yet.
 */
#include "syscalls/cputime.h"

#include "arch/x86_64/percpu.h"
#include "lib/string.h"
#include "mm/uaccess.h"
#include "mm/vma.h"
#include "platform/platform.h"
#include "proc/task.h"
#include "proc/wait.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"

#define NS_PER_SEC 1000000000ull
#define NS_PER_TICK (NS_PER_SEC / 100) /* times(): USER_HZ, AT_CLKTCK 100 */

#define CPUCLOCK_PROF 0
#define CPUCLOCK_VIRT 1
#define CPUCLOCK_SCHED 2
#define CPUCLOCK_WHICH_MASK 3
#define CPUCLOCK_PERTHREAD 4

static struct linux_timeval ns_timeval(u64 ns)
{
	struct linux_timeval tv = {(s64)(ns / NS_PER_SEC), (s64)(ns % NS_PER_SEC / 1000)};
	return tv;
}

void rusage_fill(struct linux_rusage *ru, struct cputime c, struct rusage_counts n,
                 u64 maxrss_pages)
{
	memset(ru, 0, sizeof(*ru));
	ru->ru_utime = ns_timeval(c.user_ns);
	ru->ru_stime = ns_timeval(c.sys_ns);
	ru->ru_maxrss = (s64)(maxrss_pages * (PAGE_SIZE / 1024));
	ru->ru_minflt = (s64)n.minflt;
	ru->ru_majflt = (s64)n.majflt;
	ru->ru_nvcsw = (s64)n.nvcsw;
	ru->ru_nivcsw = (s64)n.nivcsw;
}

long sys_getrusage(const struct syscall_args *args)
{
	int who = arg_int(args->a[0]);
	struct task *self = current_task();
	struct cputime c;
	struct rusage_counts n;
	u64 maxrss;
	if (who == RUSAGE_SELF) {
		c = cputime_process(self->group);
		n = rusage_process(self->group);
		maxrss = rusage_maxrss(self->group, self->mm);
	} else if (who == RUSAGE_CHILDREN) {
		c = cputime_children(self->group);
		n = rusage_children(self->group);
		maxrss = rusage_children_maxrss(self->group);
	} else if (who == RUSAGE_THREAD) {
		/* Linux: the thread's counts, its address space's peak. */
		c = cputime_thread(self);
		n = rusage_thread(self);
		maxrss = self->mm ? self->mm->peak_pages : 0;
	} else {
		return -EINVAL;
	}
	struct linux_rusage ru;
	rusage_fill(&ru, c, n, maxrss);
	return copyout(args->a[1], &ru, sizeof(ru));
}

long sys_times(const struct syscall_args *args)
{
	u64 now = platform_time_ns();
	if (args->a[0]) {
		struct thread_group *g = current_task()->group;
		struct cputime self = cputime_process(g), children = cputime_children(g);
		struct linux_tms t = {
			.tms_utime = (s64)(self.user_ns / NS_PER_TICK),
			.tms_stime = (s64)(self.sys_ns / NS_PER_TICK),
			.tms_cutime = (s64)(children.user_ns / NS_PER_TICK),
			.tms_cstime = (s64)(children.sys_ns / NS_PER_TICK),
		};
		if (copyout(args->a[0], &t, sizeof(t)) != 0)
			return -EFAULT;
	}
	return (long)(now / NS_PER_TICK);
}

/* ---- CPU-time clocks ---- */

bool clock_is_cpu(int clock)
{
	return clock < 0 || clock == CLOCK_PROCESS_CPUTIME_ID || clock == CLOCK_THREAD_CPUTIME_ID;
}

/* The thread (thread clock) or process leader the clock names. */
static struct task *clock_target(int pid, bool thread)
{
	struct task *self = current_task();
	if (pid == 0)
		return thread ? self : self->group->leader;
	struct task *t = task_find_tid(pid);
	if (!t)
		return NULL;
	if (thread)
		return t->group == self->group && !t->thread_exited ? t : NULL;
	return t->tid == t->pid ? t : NULL; /* a leader, a zombie until reaped */
}

int cpu_clock_now(int clock, u64 *ns)
{
	int pid = 0;
	int which = CPUCLOCK_SCHED;
	bool thread = clock == CLOCK_THREAD_CPUTIME_ID;
	if (clock < 0) {
		pid = ~(clock >> 3);
		which = clock & CPUCLOCK_WHICH_MASK;
		thread = (clock & CPUCLOCK_PERTHREAD) != 0;
		if (which == CPUCLOCK_WHICH_MASK)
			return -EINVAL;
	}
	struct task *t = clock_target(pid, thread);
	if (!t)
		return -EINVAL;
	struct cputime c = thread ? cputime_thread(t) : cputime_process(t->group);
	*ns = which == CPUCLOCK_VIRT ? c.user_ns : c.user_ns + c.sys_ns;
	return 0;
}

/* ---- sleeping on a CPU-time clock ---- */

#define CPU_SLEEP_MIN_NS 1000000ull /* 1 ms: the shortest nap between looks */

static bool own_thread_clock(int clock)
{
	if (clock >= 0 || !(clock & CPUCLOCK_PERTHREAD))
		return false;
	int pid = ~(clock >> 3);
	return pid == 0 || pid == current_task()->tid;
}

/* No event marks a CPU clock passing a value, so the task naps and looks
 * again: the clock runs at most cpu_count() times as fast as the
 * monotonic one, so a nap of what is left divided by that never
 * oversleeps by more than the shortest nap. */
int cpu_clock_sleep(int clock, bool absolute, u64 req_ns, u64 *left_ns)
{
	/* Linux: the generic thread clock has no sleep at all (glibc turns
	 * that into EINVAL); an encoded one of the caller is EINVAL. */
	if (clock == CLOCK_THREAD_CPUTIME_ID)
		return -EOPNOTSUPP;
	if (own_thread_clock(clock))
		return -EINVAL;
	u64 now;
	int err = cpu_clock_now(clock, &now);
	if (err)
		return err;
	u64 target = absolute ? req_ns : (req_ns > ~0ull - now ? ~0ull : now + req_ns);
	while (now < target) {
		u64 nap = (target - now) / cpu_count();
		if (nap < CPU_SLEEP_MIN_NS)
			nap = CPU_SLEEP_MIN_NS;
		u64 mono = platform_time_ns();
		u64 deadline = nap > WAIT_FOREVER - 1 - mono ? WAIT_FOREVER - 1 : mono + nap;
		if (wait_until(deadline, true) == -EINTR) {
			cpu_clock_now(clock, &now);
			*left_ns = target > now ? target - now : 0;
			return -EINTR;
		}
		err = cpu_clock_now(clock, &now);
		if (err)
			return err;
	}
	return 0;
}
