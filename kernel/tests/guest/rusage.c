/* rusage.c: the getrusage/wait4 figures beyond CPU time, as Linux fills
 * them: page faults (touching fresh anonymous pages is one minor fault
 * each and never a major one), the peak resident set (ru_maxrss and
 * VmHWM stay after an munmap; a reaped child's peak shows in wait4's
 * rusage and RUSAGE_CHILDREN), voluntary switches (each sleep) and
 * involuntary ones (two spinners sharing one CPU), and the same figures
 * in /proc/self/status and /proc/self/stat. Counts are compared, never
 * times. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#include "check.h"

#define PAGE 4096
#define TOUCH_PAGES 1024          /* 4 MiB */
#define CHILD_PAGES 8192          /* 32 MiB: well above the parent's own peak */
#define SLEEPS 20

static struct rusage usage(int who)
{
	struct rusage ru;
	memset(&ru, 0xff, sizeof(ru));
	if (getrusage(who, &ru) != 0)
		memset(&ru, 0, sizeof(ru));
	return ru;
}

/* Map and touch pages fresh anonymous pages (one write each). */
static char *touch_new(size_t pages)
{
	char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	for (size_t i = 0; i < pages; i++)
		p[i * PAGE] = 1;
	return p;
}

/* A "Name:\t<number> ..." line of /proc/self/status; -1 if missing. */
static long long status_field(const char *name)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	char line[256];
	long long value = -1;
	size_t len = strlen(name);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, name, len) == 0 && line[len] == ':')
			value = atoll(line + len + 1);
	fclose(f);
	return value;
}

/* /proc/self/stat's minflt cminflt majflt cmajflt (fields 10-13). */
static int stat_faults(long long f[4])
{
	char buf[1024];
	const char *p = stat_after_comm("/proc/self/stat", buf, sizeof(buf));
	if (!p)
		return -1;
	return sscanf(p, " %*c %*d %*d %*d %*d %*d %*u %lld %lld %lld %lld", &f[0], &f[1], &f[2],
	              &f[3]) == 4
	           ? 0
	           : -1;
}

static void check_faults(void)
{
	struct rusage self0 = usage(RUSAGE_SELF), thread0 = usage(RUSAGE_THREAD);
	char *p = touch_new(TOUCH_PAGES);
	struct rusage self1 = usage(RUSAGE_SELF), thread1 = usage(RUSAGE_THREAD);
	check(p != NULL, "mmap and touch 4 MiB");
	check(self1.ru_minflt - self0.ru_minflt >= TOUCH_PAGES,
	      "RUSAGE_SELF: a minor fault per fresh anonymous page");
	check(thread1.ru_minflt - thread0.ru_minflt >= TOUCH_PAGES, "RUSAGE_THREAD: the same faults");
	check(self1.ru_majflt == self0.ru_majflt, "anonymous pages are never major faults");
	long long f[4] = {-1, -1, -1, -1};
	check(stat_faults(f) == 0 && f[0] >= self1.ru_minflt && f[2] >= 0,
	      "/proc/self/stat: minflt at least getrusage's");

	check(self1.ru_maxrss >= TOUCH_PAGES * (PAGE / 1024), "ru_maxrss counts the touched pages (KiB)");
	long long hwm = status_field("VmHWM");
	check(hwm >= TOUCH_PAGES * (PAGE / 1024), "VmHWM counts them");
	munmap(p, TOUCH_PAGES * PAGE);
	struct rusage self2 = usage(RUSAGE_SELF);
	check(self2.ru_maxrss >= self1.ru_maxrss, "ru_maxrss is a peak: it stays after munmap");
	/* (Linux updates its high-water mark lazily: VmHWM may read a few
	 * pages lower than before, never below what was touched.) */
	long long rss = status_field("VmRSS"), hwm2 = status_field("VmHWM");
	check(hwm2 >= TOUCH_PAGES * (PAGE / 1024) && rss >= 0 && rss < hwm2,
	      "VmHWM stays above VmRSS after munmap");
}

static void check_children(void)
{
	struct rusage before = usage(RUSAGE_CHILDREN);
	check(before.ru_maxrss < CHILD_PAGES * (PAGE / 1024), "RUSAGE_CHILDREN: no big child reaped yet");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(touch_new(CHILD_PAGES) ? 0 : 1);
	int status = -1;
	struct rusage ru;
	memset(&ru, 0, sizeof(ru));
	check(pid > 0 && wait4(pid, &status, 0, &ru) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "a child touches 32 MiB");
	check(ru.ru_maxrss >= CHILD_PAGES * (PAGE / 1024), "wait4: the child's peak resident set");
	check(ru.ru_minflt >= CHILD_PAGES, "wait4: the child's minor faults");
	struct rusage after = usage(RUSAGE_CHILDREN);
	check(after.ru_maxrss >= CHILD_PAGES * (PAGE / 1024), "RUSAGE_CHILDREN: the largest child's peak");
	check(after.ru_minflt - before.ru_minflt >= CHILD_PAGES, "RUSAGE_CHILDREN: its minor faults");
	long long f[4] = {-1, -1, -1, -1};
	check(stat_faults(f) == 0 && f[1] >= after.ru_minflt, "/proc/self/stat: cminflt");
}

static void check_voluntary(void)
{
	struct rusage self0 = usage(RUSAGE_SELF), thread0 = usage(RUSAGE_THREAD);
	long long status0 = status_field("voluntary_ctxt_switches");
	struct timespec ms = {0, 1000000};
	for (int i = 0; i < SLEEPS; i++)
		nanosleep(&ms, NULL);
	struct rusage self1 = usage(RUSAGE_SELF), thread1 = usage(RUSAGE_THREAD);
	check(self1.ru_nvcsw - self0.ru_nvcsw >= SLEEPS, "RUSAGE_SELF: a voluntary switch per sleep");
	check(thread1.ru_nvcsw - thread0.ru_nvcsw >= SLEEPS, "RUSAGE_THREAD: the same");
	check(status0 >= 0 && status_field("voluntary_ctxt_switches") - status0 >= SLEEPS,
	      "/proc/self/status: voluntary_ctxt_switches");
}

/* Busy until this process was preempted at least once (bounded). */
static int spin_until_preempted(void)
{
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(0, sizeof(one), &one) != 0)
		return 2;
	time_t end = time(NULL) + 30;
	volatile uint64_t x = 0;
	while (usage(RUSAGE_SELF).ru_nivcsw == 0 && time(NULL) < end)
		for (int i = 0; i < 100000; i++)
			x += (uint64_t)i;
	return usage(RUSAGE_SELF).ru_nivcsw > 0 && status_field("nonvoluntary_ctxt_switches") > 0 ? 0 : 1;
}

static void check_involuntary(void)
{
	fflush(stdout);
	pid_t a = fork();
	if (a == 0)
		_exit(spin_until_preempted());
	pid_t b = fork();
	if (b == 0)
		_exit(spin_until_preempted());
	int sa = -1, sb = -1;
	struct rusage ru;
	memset(&ru, 0, sizeof(ru));
	waitpid(a, &sa, 0);
	wait4(b, &sb, 0, &ru);
	check(WIFEXITED(sa) && WEXITSTATUS(sa) == 0 && WIFEXITED(sb) && WEXITSTATUS(sb) == 0,
	      "two spinners on one CPU: each is preempted (ru_nivcsw, nonvoluntary_ctxt_switches)");
	check(ru.ru_nivcsw > 0, "wait4: the child's involuntary switches");
}

int main(void)
{
	check_faults();
	check_children();
	check_voluntary();
	check_involuntary();
	return check_done("rusage");
}
