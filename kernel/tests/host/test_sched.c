/*
 * test_sched.c: the scheduler's data structures on their own, with
 * ASan/UBSan: the run queue (FIFO order, CPU affinity, removal), the
 * timer queue (deadline order, ties in arming order, cancel, expiry in
 * order) and wait queues (add/remove, wake-ups, a callback that takes
 * itself off the queue while it is being woken), and a randomized
 * check of the timer queue against a simple model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "proc/runq.h"
#include "proc/timerq.h"
#include "proc/wait.h"

/* ---- run queue ---- */

static void test_runq_fifo(void)
{
	struct runq q;
	struct runq_node n[4];
	runq_init(&q);
	for (int i = 0; i < 4; i++) {
		runq_node_init(&n[i], ~0ULL);
		CHECK(!runq_queued(&n[i]));
		runq_push(&q, &n[i]);
		CHECK(runq_queued(&n[i]));
	}
	CHECK_EQ(q.count, 4);
	for (int i = 0; i < 4; i++)
		CHECK(runq_pop_for(&q, 0) == &n[i]);
	CHECK(runq_pop_for(&q, 0) == NULL);
	CHECK_EQ(q.count, 0);
	CHECK(!runq_has_work_for(&q, 0));
}

static void test_runq_affinity(void)
{
	struct runq q;
	struct runq_node only1, only0, any;
	runq_init(&q);
	runq_node_init(&only1, 1ULL << 1);
	runq_node_init(&only0, 1ULL << 0);
	runq_node_init(&any, ~0ULL);
	runq_push(&q, &only1);
	runq_push(&q, &only0);
	runq_push(&q, &any);
	CHECK(runq_has_work_for(&q, 0));
	CHECK(runq_has_work_for(&q, 1));
	CHECK(runq_has_work_for(&q, 2));  /* "any" */
	CHECK(!runq_has_work_for(&q, 64)); /* out of range: nothing */
	CHECK(runq_pop_for(&q, 0) == &only0); /* skips only1 */
	CHECK(runq_pop_for(&q, 0) == &any);
	CHECK(runq_pop_for(&q, 0) == NULL);
	CHECK(runq_has_work_for(&q, 1));
	CHECK(runq_pop_for(&q, 1) == &only1);
	CHECK_EQ(q.count, 0);
}

static void test_runq_remove(void)
{
	struct runq q;
	struct runq_node a, b, c;
	runq_init(&q);
	runq_node_init(&a, ~0ULL);
	runq_node_init(&b, ~0ULL);
	runq_node_init(&c, ~0ULL);
	runq_push(&q, &a);
	runq_push(&q, &b);
	runq_push(&q, &c);
	CHECK(runq_remove(&q, &b));
	CHECK(!runq_remove(&q, &b)); /* not queued any more */
	CHECK(runq_pop_for(&q, 3) == &a);
	CHECK(runq_pop_for(&q, 3) == &c);
	CHECK_EQ(q.count, 0);
}

/* ---- timer queue ---- */

static void test_timerq_order(void)
{
	struct timerq q;
	struct timerq_node t[5];
	u64 deadlines[5] = {50, 10, 30, 10, 40};
	timerq_init(&q);
	CHECK(timerq_first_deadline(&q) == TIMERQ_NEVER);
	for (int i = 0; i < 5; i++) {
		timerq_node_init(&t[i]);
		timerq_insert(&q, &t[i], deadlines[i]);
	}
	CHECK_EQ(timerq_first_deadline(&q), 10);
	CHECK(timerq_pop_due(&q, 9) == NULL);
	/* ties keep arming order: t[1] then t[3] */
	CHECK(timerq_pop_due(&q, 10) == &t[1]);
	CHECK(timerq_pop_due(&q, 10) == &t[3]);
	CHECK(timerq_pop_due(&q, 10) == NULL);
	CHECK(timerq_remove(&t[2]));
	CHECK(!timerq_remove(&t[2]));
	CHECK(!timerq_queued(&t[2]));
	CHECK(timerq_pop_due(&q, 100) == &t[4]);
	CHECK(timerq_pop_due(&q, 100) == &t[0]);
	CHECK(timerq_pop_due(&q, 100) == NULL);
	CHECK(timerq_first_deadline(&q) == TIMERQ_NEVER);
}

/* Random arm/cancel/expire against an array model. */
static void test_timerq_random(void)
{
	enum { N = 64, STEPS = 20000 };
	struct timerq q;
	struct timerq_node t[N];
	bool armed[N];
	u64 when[N];
	u64 now = 0;
	timerq_init(&q);
	for (int i = 0; i < N; i++) {
		timerq_node_init(&t[i]);
		armed[i] = false;
	}
	srand(7);
	for (int step = 0; step < STEPS; step++) {
		int i = rand() % N;
		int op = rand() % 3;
		if (op == 0) {
			timerq_remove(&t[i]);
			when[i] = now + (u64)(rand() % 1000);
			timerq_insert(&q, &t[i], when[i]);
			armed[i] = true;
		} else if (op == 1) {
			CHECK(timerq_remove(&t[i]) == armed[i]);
			armed[i] = false;
		} else {
			now += (u64)(rand() % 50);
			u64 last = 0;
			struct timerq_node *n;
			while ((n = timerq_pop_due(&q, now)) != NULL) {
				int k = (int)(n - t);
				CHECK(armed[k]);
				CHECK(when[k] <= now);
				CHECK(when[k] >= last); /* in deadline order */
				last = when[k];
				armed[k] = false;
			}
			for (int k = 0; k < N; k++)
				CHECK(!armed[k] || when[k] > now); /* nothing due left */
		}
		u64 first = TIMERQ_NEVER;
		for (int k = 0; k < N; k++) {
			if (armed[k] && when[k] < first)
				first = when[k];
		}
		CHECK(timerq_first_deadline(&q) == first);
	}
}

/* ---- wait queues ---- */

static int g_default_wakes;
static u32 g_last_events;

static void count_default(struct wait_entry *e, u32 events)
{
	(void)e;
	g_default_wakes++;
	g_last_events = events;
}

static int g_callback_wakes;

static void callback_removes_itself(struct wait_entry *e, u32 events)
{
	(void)events;
	g_callback_wakes++;
	waitq_remove_entry(e);
}

static void entry_init(struct wait_entry *e, wait_wake_fn wake)
{
	memset(e, 0, sizeof(*e));
	list_node_init(&e->link);
	e->wake = wake;
}

static void test_waitq(void)
{
	struct waitq q;
	struct wait_entry a, b, c;
	waitq_init(&q);
	entry_init(&a, NULL);
	entry_init(&b, callback_removes_itself);
	entry_init(&c, NULL);
	waitq_add_entry(&q, &a);
	waitq_add_entry(&q, &a); /* already on it: no second link */
	waitq_add_entry(&q, &b);
	waitq_add_entry(&q, &c);
	g_default_wakes = g_callback_wakes = 0;
	waitq_wake_entries(&q, 0x1, count_default);
	CHECK_EQ(g_default_wakes, 2);
	CHECK_EQ(g_callback_wakes, 1);
	CHECK_EQ(g_last_events, 0x1);
	CHECK(b.queue == NULL);
	CHECK(a.queue == &q && c.queue == &q);
	/* b is gone: a second wake reaches a and c only */
	g_default_wakes = g_callback_wakes = 0;
	waitq_wake_entries(&q, 0, count_default);
	CHECK_EQ(g_default_wakes, 2);
	CHECK_EQ(g_callback_wakes, 0);
	waitq_remove_entry(&a);
	waitq_remove_entry(&a); /* not queued: nothing */
	waitq_remove_entry(&c);
	CHECK(list_empty(&q.head));
	g_default_wakes = 0;
	waitq_wake_entries(&q, 0, count_default);
	CHECK_EQ(g_default_wakes, 0);
}

static const struct host_test g_tests[] = {
	{"runq_fifo", test_runq_fifo},
	{"runq_affinity", test_runq_affinity},
	{"runq_remove", test_runq_remove},
	{"timerq_order", test_timerq_order},
	{"timerq_random", test_timerq_random},
	{"waitq", test_waitq},
};

int main(int argc, char **argv)
{
	return run_tests(g_tests, (int)(sizeof(g_tests) / sizeof(g_tests[0])), argc - 1,
	                 argv + 1);
}
