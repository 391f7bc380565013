/*
 * test_futex.c: the futex table on its own, with ASan/UBSan: waiters
 * are woken oldest first and only for their own key and bitset; a wake
 * of n wakes at most n; requeue wakes some and moves others (also into
 * the same bucket); keys that collide in a bucket stay apart; and a
 * randomized run against a simple model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "proc/futex_hash.h"

static struct futex_table g_t;
static int g_order[64];
static int g_woken;

static void record(struct futex_waiter *w, void *arg)
{
	(void)arg;
	g_order[g_woken++] = (int)(long)w->task;
}

static void waiter(struct futex_waiter *w, u64 space, u64 addr, u32 bitset, int id)
{
	memset(w, 0, sizeof(*w));
	list_node_init(&w->link);
	w->key.space = space;
	w->key.addr = addr;
	w->bitset = bitset;
	w->task = (void *)(long)id;
	futex_enqueue(&g_t, w);
}

static void test_fifo_and_keys(void)
{
	struct futex_waiter w[5];
	futex_table_init(&g_t);
	waiter(&w[0], 1, 0x1000, FUTEX_BITSET_ANY, 0);
	waiter(&w[1], 2, 0x1000, FUTEX_BITSET_ANY, 1); /* same address, other mm */
	waiter(&w[2], 1, 0x1000, FUTEX_BITSET_ANY, 2);
	waiter(&w[3], 1, 0x2000, FUTEX_BITSET_ANY, 3);
	waiter(&w[4], 1, 0x1000, FUTEX_BITSET_ANY, 4);
	struct futex_key k = {1, 0x1000};
	g_woken = 0;
	CHECK_EQ(futex_wake_waiters(&g_t, &k, 2, FUTEX_BITSET_ANY, record, NULL), 2);
	CHECK_EQ(g_order[0], 0);
	CHECK_EQ(g_order[1], 2);
	CHECK(w[0].woken && w[2].woken && !w[4].woken && !w[1].woken);
	CHECK(!futex_queued(&w[0]) && futex_queued(&w[4]));
	g_woken = 0;
	CHECK_EQ(futex_wake_waiters(&g_t, &k, 10, FUTEX_BITSET_ANY, record, NULL), 1);
	CHECK_EQ(g_order[0], 4);
	CHECK_EQ(futex_wake_waiters(&g_t, &k, 10, FUTEX_BITSET_ANY, record, NULL), 0);
	futex_dequeue(&w[1]);
	futex_dequeue(&w[1]); /* twice: harmless */
	futex_dequeue(&w[3]);
	CHECK(!futex_queued(&w[1]) && !futex_queued(&w[3]));
}

static void test_bitsets(void)
{
	struct futex_waiter a, b;
	futex_table_init(&g_t);
	waiter(&a, 1, 0x40, 0x1, 0);
	waiter(&b, 1, 0x40, 0x2, 1);
	struct futex_key k = {1, 0x40};
	g_woken = 0;
	CHECK_EQ(futex_wake_waiters(&g_t, &k, 10, 0x2, record, NULL), 1);
	CHECK_EQ(g_order[0], 1);
	CHECK(futex_queued(&a));
	CHECK_EQ(futex_wake_waiters(&g_t, &k, 10, FUTEX_BITSET_ANY, record, NULL), 1);
}

static void test_requeue(void)
{
	struct futex_waiter w[6];
	futex_table_init(&g_t);
	for (int i = 0; i < 6; i++)
		waiter(&w[i], 7, 0x100, FUTEX_BITSET_ANY, i);
	struct futex_key from = {7, 0x100}, to = {7, 0x200};
	g_woken = 0;
	/* wake 1, move 3: 4 affected, 2 stay */
	CHECK_EQ(futex_requeue_waiters(&g_t, &from, &to, 1, 3, record, NULL), 4);
	CHECK_EQ(g_order[0], 0);
	for (int i = 1; i <= 3; i++)
		CHECK(futex_key_equal(&w[i].key, &to) && futex_queued(&w[i]) && !w[i].woken);
	CHECK(futex_key_equal(&w[4].key, &from) && futex_key_equal(&w[5].key, &from));
	g_woken = 0;
	CHECK_EQ(futex_wake_waiters(&g_t, &to, 10, FUTEX_BITSET_ANY, record, NULL), 3);
	CHECK(g_order[0] == 1 && g_order[1] == 2 && g_order[2] == 3); /* order kept */
	/* requeue onto the same key: bounded, nothing lost */
	CHECK_EQ(futex_requeue_waiters(&g_t, &from, &from, 0, 5, record, NULL), 2);
	CHECK_EQ(futex_wake_waiters(&g_t, &from, 10, FUTEX_BITSET_ANY, record, NULL), 2);
}

/* Random waits and wakes against per-key FIFO models. */
static void test_random(void)
{
	enum { N = 128, KEYS = 6, STEPS = 20000 };
	struct futex_waiter w[N];
	bool queued[N];
	int key_of[N];
	futex_table_init(&g_t);
	memset(queued, 0, sizeof(queued));
	srand(11);
	for (int step = 0; step < STEPS; step++) {
		int i = rand() % N;
		if (!queued[i]) {
			key_of[i] = rand() % KEYS;
			waiter(&w[i], (u64)(key_of[i] % 2), 0x1000 * (u64)key_of[i], FUTEX_BITSET_ANY, i);
			queued[i] = true;
			continue;
		}
		int k = key_of[i];
		struct futex_key key = {(u64)(k % 2), 0x1000 * (u64)k};
		int n = 1 + rand() % 3;
		int expect = 0;
		for (int j = 0; j < N; j++)
			expect += queued[j] && key_of[j] == k;
		expect = expect < n ? expect : n;
		g_woken = 0;
		CHECK_EQ(futex_wake_waiters(&g_t, &key, n, FUTEX_BITSET_ANY, record, NULL), expect);
		for (int j = 0; j < g_woken; j++) {
			int id = g_order[j];
			CHECK(queued[id] && key_of[id] == k);
			queued[id] = false;
		}
	}
}

static const struct host_test g_tests[] = {
	{"fifo_and_keys", test_fifo_and_keys},
	{"bitsets", test_bitsets},
	{"requeue", test_requeue},
	{"random", test_random},
};

int main(int argc, char **argv)
{
	return run_tests(g_tests, (int)(sizeof(g_tests) / sizeof(g_tests[0])), argc - 1,
	                 argv + 1);
}
