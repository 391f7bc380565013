/* process.c: ids, uname, limits, clocks, randomness, the auxv. */
#define _GNU_SOURCE
#include <sys/auxv.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

int main(int argc, char **argv)
{
	check(argc >= 1 && argv[0] != NULL, "argv[0] present");
	check(getpid() > 0 && gettid() == getpid(), "getpid == gettid");
	struct utsname u;
	check(uname(&u) == 0 && strcmp(u.sysname, "Linux") == 0 && strcmp(u.machine, "x86_64") == 0,
	      "uname");

	struct rlimit rl;
	check(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > 0 && rl.rlim_cur <= rl.rlim_max,
	      "getrlimit NOFILE");
	struct rlimit lower = {rl.rlim_cur / 2, rl.rlim_max};
	check(setrlimit(RLIMIT_NOFILE, &lower) == 0, "setrlimit lowers the soft limit");
	check(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur == lower.rlim_cur, "read it back");

	struct timespec a, b;
	check(clock_gettime(CLOCK_MONOTONIC, &a) == 0, "clock_gettime MONOTONIC");
	struct timespec nap = {0, 2 * 1000 * 1000};
	check(nanosleep(&nap, NULL) == 0, "nanosleep 2 ms");
	check(clock_gettime(CLOCK_MONOTONIC, &b) == 0, "clock_gettime again");
	long long elapsed = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
	check(elapsed >= 2000000, "monotonic clock advanced by at least the sleep");
	/* The wall clock is the host's (untrusted) RTC: only check it works. */
	check(clock_gettime(CLOCK_REALTIME, &a) == 0 && a.tv_sec >= 0, "clock_gettime REALTIME");

	unsigned char r1[32], r2[32];
	check(getrandom(r1, sizeof(r1), 0) == 32 && getrandom(r2, sizeof(r2), 0) == 32,
	      "getrandom");
	check(memcmp(r1, r2, sizeof(r1)) != 0, "two getrandom calls differ");

	check(getauxval(AT_PAGESZ) == 4096, "AT_PAGESZ");
	const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
	check(rnd != NULL, "AT_RANDOM");
	const char *platform = (const char *)getauxval(AT_PLATFORM);
	check(platform && strcmp(platform, "x86_64") == 0, "AT_PLATFORM");
	check(getauxval(AT_SECURE) == 0, "AT_SECURE is 0");
	check(getauxval(AT_PHDR) != 0 && getauxval(AT_PHNUM) > 0, "AT_PHDR/AT_PHNUM");
	check(getauxval(AT_EXECFN) != 0, "AT_EXECFN");
	long clk = sysconf(_SC_CLK_TCK);
	check(clk == 100, "AT_CLKTCK 100");
	return check_done("process");
}
