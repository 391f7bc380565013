/*
 * test_user_return.c: the decision taken on every return to ring 3
 * (arch/x86_64/user_return.c). TCG does not raise the ring-0 #GP that a
 * non-canonical rip causes on real CPUs, so the guest tests cannot catch
 * a wrong decision; this test checks the decision itself at the edges.
 */
#include "arch/x86_64/user_return.h"
#include "check.h"
#include "mm/vma.h"

static struct trapframe syscall_frame(u64 rip)
{
	struct trapframe tf = {0};
	tf.rip = rip;
	tf.rcx = rip;
	tf.rflags = 0x202;
	tf.r11 = 0x202;
	tf.cs = SEL_UCODE;
	tf.ss = SEL_UDATA;
	tf.trapno = TRAP_SYSCALL;
	return tf;
}

static void test_user_return_limit_is_task_size(void)
{
	CHECK_EQ(USER_RIP_LIMIT, USER_TOP);
	CHECK_EQ(USER_RIP_LIMIT, 0x00007ffffffff000ull); /* Linux's TASK_SIZE_MAX */
}

static void test_user_return_sysret_when_safe(void)
{
	struct trapframe tf = syscall_frame(0x401000);
	CHECK_EQ(user_return_after_syscall(&tf), USER_RETURN_SYSRET);
	tf = syscall_frame(USER_RIP_LIMIT - 1);
	CHECK_EQ(user_return_after_syscall(&tf), USER_RETURN_SYSRET);
}

static void test_user_return_iret_when_frame_changed(void)
{
	struct trapframe tf = syscall_frame(0x401000);
	tf.rcx = 0x1234; /* rt_sigreturn restored another rcx */
	CHECK_EQ(user_return_after_syscall(&tf), USER_RETURN_IRET);
	tf = syscall_frame(0x401000);
	tf.r11 = 0x246;
	CHECK_EQ(user_return_after_syscall(&tf), USER_RETURN_IRET);
	tf = syscall_frame(0x401000);
	tf.cs = SEL_KCODE;
	CHECK_EQ(user_return_after_syscall(&tf), USER_RETURN_IRET);
	tf = syscall_frame(0x401000);
	tf.ss = SEL_KDATA;
	CHECK_EQ(user_return_after_syscall(&tf), USER_RETURN_IRET);
}

/* The two attacks of the review: a handler at 2^47, and a syscall in the
 * last bytes below 2^47 (rip = 2^47 after it). Both must be refused on
 * the sysret path and on the iret path. */
static void test_user_return_bad_rip_refused(void)
{
	static const u64 bad[] = {
		USER_RIP_LIMIT, USER_RIP_LIMIT + 1, 0x00007fffffffffffull,
		0x0000800000000000ull, 0x0000800000000002ull, 0x8000000000000000ull,
		0xffff800000000000ull, 0xffffffff81000000ull, ~0ull,
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct trapframe tf = syscall_frame(bad[i]);
		CHECK_EQ(user_return_after_syscall(&tf), USER_RETURN_BAD_RIP);
		tf.rcx = 0; /* not sysret-shaped: still refused */
		CHECK_EQ(user_return_after_syscall(&tf), USER_RETURN_BAD_RIP);
		CHECK_EQ(user_return_via_iret(&tf), USER_RETURN_BAD_RIP);
		CHECK(!user_rip_ok(bad[i]));
	}
}

static void test_user_return_iret_for_user_rips(void)
{
	static const u64 good[] = {0, 0x10000, 0x401000, 0x7f0000000000ull,
	                           USER_RIP_LIMIT - 1};
	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct trapframe tf = syscall_frame(good[i]);
		CHECK_EQ(user_return_via_iret(&tf), USER_RETURN_IRET);
		CHECK(user_rip_ok(good[i]));
	}
}

int main(int argc, char **argv)
{
	static const struct host_test tests[] = {
		{"user_return_limit_is_task_size", test_user_return_limit_is_task_size},
		{"user_return_sysret_when_safe", test_user_return_sysret_when_safe},
		{"user_return_iret_when_frame_changed", test_user_return_iret_when_frame_changed},
		{"user_return_bad_rip_refused", test_user_return_bad_rip_refused},
		{"user_return_iret_for_user_rips", test_user_return_iret_for_user_rips},
	};
	/* argv[1] is the golden directory (unused here); argv[2] a test name. */
	return run_tests(tests, (int)(sizeof(tests) / sizeof(tests[0])), argc > 1 ? argc - 1 : argc,
	                 argc > 1 ? argv + 1 : argv);
}
