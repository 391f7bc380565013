/* process.c: ids, uname, limits, clocks, randomness, the auxv. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/stat.h>
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

	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	check(n > 0 && exe[0] == '/', "readlink /proc/self/exe is absolute");
	if (n > 0) {
		exe[n] = '\0';
		struct stat s1, s2;
		check(stat(exe, &s1) == 0 && stat("/proc/self/exe", &s2) == 0 && s1.st_ino == s2.st_ino,
		      "/proc/self/exe names this program");
	}
	FILE *maps = fopen("/proc/self/maps", "r");
	check(maps != NULL, "open /proc/self/maps");
	if (maps) {
		char line[512];
		int stack = 0;
		while (fgets(line, sizeof(line), maps))
			stack |= strstr(line, "[stack]") != NULL;
		fclose(maps);
		check(stack, "/proc/self/maps lists [stack]");
	}

	char *const no_args[] = {"missing", NULL};
	errno = 0;
	check(execve("/cvmify-missing-program", no_args, NULL) == -1 && errno == ENOENT,
	      "execve of a missing file: ENOENT, caller intact");
	int fd = open("/tmp/not-exec", O_CREAT | O_WRONLY, 0644);
	check(fd >= 0 && write(fd, "\x7f" "ELF", 4) == 4 && close(fd) == 0, "write a fake program");
	errno = 0;
	check(execve("/tmp/not-exec", no_args, NULL) == -1 && errno == EACCES,
	      "execve without x permission: EACCES");
	check(unlink("/tmp/not-exec") == 0, "unlink it");

	/* Malformed ELF headers must be refused with ENOEXEC, not crash. */
	unsigned char ehdr[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
	ehdr[16] = 2;                 /* e_type ET_EXEC */
	ehdr[18] = 62;                /* e_machine x86-64 */
	ehdr[20] = 1;                 /* e_version */
	ehdr[32] = 64;                /* e_phoff */
	ehdr[54] = 56;                /* e_phentsize */
	ehdr[56] = 0xff;              /* e_phnum 0xffff: table far past EOF */
	ehdr[57] = 0xff;
	fd = open("/tmp/bad-elf", O_CREAT | O_WRONLY | O_TRUNC, 0755);
	check(fd >= 0 && write(fd, ehdr, sizeof(ehdr)) == sizeof(ehdr) && close(fd) == 0,
	      "write an ELF header with a huge program header table");
	errno = 0;
	check(execve("/tmp/bad-elf", no_args, NULL) == -1 && errno == ENOEXEC,
	      "execve of a malformed ELF: ENOEXEC");
	fd = open("/tmp/bad-elf", O_WRONLY | O_TRUNC);
	check(fd >= 0 && write(fd, ehdr, 20) == 20 && close(fd) == 0, "truncate it to 20 bytes");
	errno = 0;
	check(execve("/tmp/bad-elf", no_args, NULL) == -1 && errno == ENOEXEC,
	      "execve of a truncated ELF: ENOEXEC");
	check(unlink("/tmp/bad-elf") == 0, "unlink the bad ELF");

	long clk = sysconf(_SC_CLK_TCK);
	check(clk == 100, "AT_CLKTCK 100");
	return check_done("process");
}
