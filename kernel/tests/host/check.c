/* check.c: the runner behind check.h. */
#include <stdbool.h>
#include <string.h>

#include "check.h"

int g_check_failures;

int run_tests(const struct host_test *tests, int count, int argc, char **argv)
{
	int failed_tests = 0;
	for (int i = 0; i < count; i++) {
		if (argc > 1 && strcmp(argv[1], tests[i].name) != 0)
			continue;
		int before = g_check_failures;
		tests[i].run();
		bool ok = g_check_failures == before;
		printf("%s %s\n", ok ? "ok  " : "FAIL", tests[i].name);
		if (!ok)
			failed_tests++;
	}
	printf("%d test(s) failed\n", failed_tests);
	return failed_tests == 0 ? 0 : 1;
}
