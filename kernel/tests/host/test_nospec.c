/*
 * test_nospec.c: index_nospec (arch/x86_64/nospec.h) keeps in-range
 * indexes and turns every out-of-range one into 0, at the edges too.
 */
#include "arch/x86_64/nospec.h"
#include "check.h"

static void test_nospec_in_range_kept(void)
{
	for (u64 i = 0; i < 452; i++)
		CHECK_EQ(index_nospec(i, 452), i);
	CHECK_EQ(index_nospec(~0ull - 1, ~0ull), ~0ull - 1);
}

static void test_nospec_out_of_range_zero(void)
{
	static const u64 bad[] = {452, 453, 1000, 1ull << 31, 1ull << 63, ~0ull};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(index_nospec(bad[i], 452), 0);
	CHECK_EQ(index_nospec(0, 0), 0);
	CHECK_EQ(index_nospec((u64)-1, 65), 0); /* a negative int as u64 */
}

int main(int argc, char **argv)
{
	static const struct host_test tests[] = {
		{"nospec_in_range_kept", test_nospec_in_range_kept},
		{"nospec_out_of_range_zero", test_nospec_out_of_range_zero},
	};
	/* argv[1] is the golden directory (unused here); argv[2] a test name. */
	return run_tests(tests, (int)(sizeof(tests) / sizeof(tests[0])), argc > 1 ? argc - 1 : argc,
	                 argc > 1 ? argv + 1 : argv);
}
