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

static int check_done(const char *program)
{
	printf("%s: %d failure(s)\n", program, g_failures);
	fflush(stdout);
	return g_failures > 255 ? 255 : g_failures;
}

#endif
