/*
 * check.h: a tiny test harness for the guest programs. Each program is a
 * plain Linux program: it runs the same on Linux and on cvmify, prints
 * one "ok" or "FAIL" line per check and exits with the number of
 * failures (0 = all passed).
 */
#ifndef CVMIFY_GUEST_CHECK_H
#define CVMIFY_GUEST_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int g_failures;

static void check(int ok, const char *what)
{
	if (ok) {
		printf("ok   %s\n", what);
	} else {
		printf("FAIL %s (errno %d %s)\n", what, errno, strerror(errno));
		g_failures++;
	}
	fflush(stdout);
}

/* Run fn in a child (for what changes the process: ids, limits); the
 * check passes when the child exits 0. fn reports its own failed step
 * (STEP) and returns its number. */
__attribute__((unused)) static void check_in_child(const char *what, int (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn());
	int status = 0;
	check(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, what);
}

/* Inside such a child: the first failed step ends it with its number. */
#define STEP(n, cond)                                                            \
	do {                                                                     \
		if (!(cond)) {                                                   \
			printf("  step %d failed: %s (errno %d)\n", n, #cond, errno); \
			fflush(stdout);                                          \
			return n;                                                \
		}                                                                \
	} while (0)

/* The fields of a /proc/<pid>/stat after "(comm)", in buf; NULL when
 * the file cannot be read. */
__attribute__((unused)) static const char *stat_after_comm(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = 0;
	const char *end = strrchr(buf, ')');
	return end ? end + 1 : NULL;
}

static int check_done(const char *program)
{
	printf("%s: %d failure(s)\n", program, g_failures);
	fflush(stdout);
	return g_failures > 255 ? 255 : g_failures;
}

#endif
