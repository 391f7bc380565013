/*
 * check.h: a minimal test harness for host unit tests. Each test is a
 * function in a named table; CHECK records a failure and goes on, so one
 * run reports every broken expectation.
 */
#ifndef CVMIFY_TESTS_HOST_CHECK_H
#define CVMIFY_TESTS_HOST_CHECK_H

#include <stdio.h>

extern int g_check_failures;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			g_check_failures++;                                    \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);\
		if (check_a_ != check_b_) {                                    \
			fprintf(stderr, "  FAIL %s:%d: %s == %s (%lld != %lld)\n", \
			        __FILE__, __LINE__, #a, #b, check_a_, check_b_); \
			g_check_failures++;                                    \
		}                                                              \
	} while (0)

struct host_test {
	const char *name;
	void (*run)(void);
};

/* Run the table (or only argv[1] if given); returns the exit status. */
int run_tests(const struct host_test *tests, int count, int argc, char **argv);

#endif
