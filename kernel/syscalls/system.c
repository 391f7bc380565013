/*
 * system.c: getrandom, sysinfo, scheduling and resource usage.
 *
 * Randomness comes from the kernel CSPRNG (drivers/random: seeded from
 * RDSEED/RDRAND, never from the host). futex is syscalls/futex.c.
 */
#include "arch/x86_64/percpu.h"
#include "drivers/random/random.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "mm/uaccess.h"
#include "platform/platform.h"
#include "proc/sched.h"
#include "proc/task.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/misc.h"
#include "syscalls/linux_abi/time.h"

#define GRND_NONBLOCK 1
#define GRND_RANDOM 2
#define GRND_INSECURE 4
#define RANDOM_CHUNK 256
#define NS_PER_SEC 1000000000ull


long sys_getrandom(const struct syscall_args *args)
{
	u64 ubuf = args->a[0];
	u64 size = args->a[1];
	u32 flags = (u32)args->a[2];
	if (flags & ~(u32)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & GRND_RANDOM) && (flags & GRND_INSECURE))
		return -EINVAL;
	if (size > 0x1ffffff)
		size = 0x1ffffff; /* Linux returns at most 32 MiB - 1 per call */
	if (!user_range_ok(ubuf, size))
		return -EFAULT;
	u8 chunk[RANDOM_CHUNK];
	u64 done = 0;
	while (done < size) {
		size_t n = MIN(size - done, (u64)RANDOM_CHUNK);
		random_bytes(chunk, n);
		if (copyout(ubuf + done, chunk, n) != 0) {
			memzero_explicit(chunk, sizeof(chunk));
			return done ? (long)done : -EFAULT;
		}
		done += n;
	}
	memzero_explicit(chunk, sizeof(chunk));
	return (long)done;
}

long sys_sysinfo(const struct syscall_args *args)
{
	struct linux_sysinfo info;
	memset(&info, 0, sizeof(info));
	info.uptime = (s64)(platform_time_ns() / NS_PER_SEC);
	info.totalram = (u64)page_total_count() * PAGE_SIZE;
	info.freeram = (u64)page_free_count() * PAGE_SIZE;
	for (struct task *t = task_first(); t; t = t->next)
		info.procs += !t->exited;
	info.mem_unit = 1;
	return copyout(args->a[0], &info, sizeof(info));
}

long sys_sched_yield(const struct syscall_args *args)
{
	(void)args;
	sched_yield();
	return 0;
}

/* The task a sched_*affinity pid names: 0 is the caller. */
static struct task *affinity_target(int pid)
{
	if (pid == 0)
		return current_task();
	struct task *t = task_find_tid(pid);
	return t && !t->exited ? t : NULL;
}

long sys_sched_getaffinity(const struct syscall_args *args)
{
	u64 len = args->a[1];
	struct task *task = affinity_target(arg_int(args->a[0]));
	if (!task)
		return -ESRCH;
	if (len < 8 || len % 8 != 0)
		return -EINVAL;
	/* The CPUs it may run on that are really there. */
	u64 mask = task->run.cpus_allowed & cpu_online_mask();
	if (copyout(args->a[2], &mask, sizeof(mask)) != 0)
		return -EFAULT;
	return sizeof(mask);
}

long sys_sched_setaffinity(const struct syscall_args *args)
{
	u64 len = args->a[1];
	struct task *task = affinity_target(arg_int(args->a[0]));
	if (!task)
		return -ESRCH;
	u64 mask = 0;
	if (copyin(&mask, args->a[2], MIN(len, (u64)sizeof(mask))) != 0)
		return -EFAULT;
	if (len < sizeof(mask))
		mask &= (1ULL << (len * 8)) - 1;
	return sched_set_affinity(task, mask);
}

long sys_getcpu(const struct syscall_args *args)
{
	u32 cpu = this_cpu()->index;
	u32 node = 0;
	if (args->a[0] && copyout(args->a[0], &cpu, sizeof(cpu)) != 0)
		return -EFAULT;
	if (args->a[1] && copyout(args->a[1], &node, sizeof(node)) != 0)
		return -EFAULT;
	return 0;
}
