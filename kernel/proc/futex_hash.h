/*
 * futex_hash.h: the futex wait queues' data structure: waiters hashed
 * by key into buckets, each a FIFO. Pure list code, unit-tested on the
 * host (tests/host/test_futex.c); proc/futex.c owns the one table
 * (under the big kernel lock) and does the sleeping and waking.
 *
 * A key names a futex word: (address space, user address) for private
 * memory, (0, physical address) for a word in MAP_SHARED memory, which
 * several processes may map at different addresses.
 */
#ifndef CVMIFY_PROC_FUTEX_HASH_H
#define CVMIFY_PROC_FUTEX_HASH_H

#include "lib/list.h"
#include "lib/types.h"

#define FUTEX_BUCKETS 256
#define FUTEX_BITSET_ANY 0xffffffffu

struct futex_key {
	u64 space;    /* the mm (private), 0 (shared) */
	u64 addr;     /* user address (private), physical address (shared) */
};

struct futex_waiter {
	struct list_node link;    /* in its bucket */
	struct futex_key key;
	u32 bitset;               /* FUTEX_WAIT_BITSET's mask */
	bool woken;               /* set by the waker, before it wakes task */
	void *task;               /* the sleeper (proc/futex.c's business) */
};

struct futex_table {
	struct list_node buckets[FUTEX_BUCKETS];
};

void futex_table_init(struct futex_table *t);
bool futex_key_equal(const struct futex_key *a, const struct futex_key *b);
/* Queue w (key and bitset set) at the tail of its bucket. */
void futex_enqueue(struct futex_table *t, struct futex_waiter *w);
/* Take w off its bucket if it is on one. */
void futex_dequeue(struct futex_waiter *w);
bool futex_queued(const struct futex_waiter *w);
/* Dequeue up to n waiters on key whose bitset meets bitset, oldest
 * first, marking them woken; each is passed to wake(w, arg). Returns
 * how many. */
int futex_wake_waiters(struct futex_table *t, const struct futex_key *key, int n, u32 bitset,
                       void (*wake)(struct futex_waiter *w, void *arg), void *arg);
/* Wake up to nwake waiters on from (as above), then move up to
 * nrequeue more to to (they keep sleeping, now on to). Returns the
 * number woken plus the number moved. */
int futex_requeue_waiters(struct futex_table *t, const struct futex_key *from,
                          const struct futex_key *to, int nwake, int nrequeue,
                          void (*wake)(struct futex_waiter *w, void *arg), void *arg);

#endif
