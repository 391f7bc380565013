/*
 * test_lock.c: fs/lock.c on a bare inode: conflicts between owners and
 * kinds, an owner's locks splitting and merging, F_GETLK answers,
 * releases, and deadlock detection between two waiting processes.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "fs/lock.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

static struct inode g_inode;

static struct lock_range range(u16 type, u64 start, u64 end)
{
	struct lock_range r = { .type = type, .start = start, .end = end, .pid = 0 };
	return r;
}

static int set(enum lock_kind kind, u64 owner, u16 type, u64 start, u64 end)
{
	struct lock_range r = range(type, start, end);
	return lock_set(&g_inode, kind, owner, (int)owner, &r);
}

static u16 test_type(enum lock_kind kind, u64 owner, u16 type, u64 start, u64 end,
                     struct lock_range *out)
{
	*out = range(type, start, end);
	lock_test(&g_inode, kind, owner, out);
	return out->type;
}

static int count_locks(void)
{
	return (int)lock_count(&g_inode);
}

static void test_conflicts(void)
{
	struct lock_range r;
	CHECK_EQ(set(LOCK_POSIX, 100, F_RDLCK, 0, 100), 0);
	CHECK_EQ(set(LOCK_POSIX, 200, F_RDLCK, 50, 150), 0);      /* readers share */
	CHECK_EQ(set(LOCK_POSIX, 200, F_WRLCK, 60, 70), -EAGAIN); /* 100 reads there */
	CHECK_EQ(set(LOCK_POSIX, 200, F_WRLCK, 100, 150), 0);     /* converts its own */
	CHECK_EQ(test_type(LOCK_POSIX, 100, F_RDLCK, 120, 130, &r), F_WRLCK);
	CHECK_EQ(r.start, 100);
	CHECK_EQ(r.end, 150);
	CHECK_EQ(r.pid, 200);
	/* OFD locks share the space with record locks; flock does not. */
	CHECK_EQ(set(LOCK_OFD, 0xf11e, F_WRLCK, 0, 10), -EAGAIN);
	CHECK_EQ(test_type(LOCK_OFD, 0xf11e, F_WRLCK, 0, 10, &r), F_RDLCK);
	CHECK_EQ(set(LOCK_FLOCK, 0xf11e, F_WRLCK, 0, LOCK_END_MAX), 0);
	CHECK_EQ(set(LOCK_FLOCK, 0xf22e, F_RDLCK, 0, LOCK_END_MAX), -EAGAIN);
	lock_release(&g_inode, LOCK_OFD, 0xf11e); /* the file's last close */
	CHECK_EQ(set(LOCK_FLOCK, 0xf22e, F_RDLCK, 0, LOCK_END_MAX), 0);
	lock_release(&g_inode, LOCK_OFD, 0xf22e);
	lock_release(&g_inode, LOCK_POSIX, 100);
	lock_release(&g_inode, LOCK_POSIX, 200);
	CHECK(g_inode.locks == NULL);
}

static void test_split_and_merge(void)
{
	struct lock_range r;
	CHECK_EQ(set(LOCK_POSIX, 1, F_WRLCK, 0, 1000), 0);
	CHECK_EQ(set(LOCK_POSIX, 1, F_UNLCK, 400, 600), 0);       /* a hole in the middle */
	CHECK_EQ(count_locks(), 2);
	CHECK_EQ(test_type(LOCK_POSIX, 2, F_WRLCK, 400, 600, &r), F_UNLCK);
	CHECK_EQ(test_type(LOCK_POSIX, 2, F_WRLCK, 599, 601, &r), F_WRLCK);
	CHECK_EQ(r.start, 600);
	CHECK_EQ(set(LOCK_POSIX, 1, F_RDLCK, 450, 550), 0);
	CHECK_EQ(count_locks(), 3);
	CHECK_EQ(set(LOCK_POSIX, 1, F_WRLCK, 400, 600), 0);       /* fills the hole: one lock */
	CHECK_EQ(count_locks(), 1);
	CHECK_EQ(test_type(LOCK_POSIX, 2, F_RDLCK, 0, LOCK_END_MAX, &r), F_WRLCK);
	CHECK_EQ(r.start, 0);
	CHECK_EQ(r.end, 1000);
	CHECK_EQ(set(LOCK_POSIX, 1, F_UNLCK, 0, LOCK_END_MAX), 0);
	CHECK(g_inode.locks == NULL);
}

static void test_deadlock_detection(void)
{
	/* 1 holds A=[0,10), 2 holds B=[10,20); 2 waits for A; 1 asking for
	 * B would wait forever. */
	CHECK_EQ(set(LOCK_POSIX, 1, F_WRLCK, 0, 10), 0);
	CHECK_EQ(set(LOCK_POSIX, 2, F_WRLCK, 10, 20), 0);
	struct lock_range want_a = range(F_WRLCK, 0, 10);
	struct lock_range want_b = range(F_WRLCK, 10, 20);
	CHECK(!lock_would_deadlock(&g_inode, 2, &want_a));
	CHECK_EQ(lock_wait_begin(&g_inode, 2, &want_a), 0);
	CHECK(lock_would_deadlock(&g_inode, 1, &want_b));
	lock_wait_end(2);
	CHECK(!lock_would_deadlock(&g_inode, 1, &want_b));
	lock_release(&g_inode, LOCK_POSIX, 1);
	lock_release(&g_inode, LOCK_POSIX, 2);
	CHECK(g_inode.locks == NULL);
}

static const struct host_test g_tests[] = {
	{ "lock_conflicts", test_conflicts },
	{ "lock_split_and_merge", test_split_and_merge },
	{ "lock_deadlock_detection", test_deadlock_detection },
};

int main(int argc, char **argv)
{
	(void)argc;
	return run_tests(g_tests, sizeof(g_tests) / sizeof(g_tests[0]), 1, argv);
}
