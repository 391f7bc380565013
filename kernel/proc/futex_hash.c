/*
 * futex_hash.c: the futex table's list operations (futex_hash.h).
 */
#include "proc/futex_hash.h"

void futex_table_init(struct futex_table *t)
{
	for (u32 i = 0; i < FUTEX_BUCKETS; i++)
		list_init(&t->buckets[i]);
}

bool futex_key_equal(const struct futex_key *a, const struct futex_key *b)
{
	return a->space == b->space && a->addr == b->addr;
}

static struct list_node *bucket_of(struct futex_table *t, const struct futex_key *key)
{
	u64 h = (key->addr >> 2) ^ (key->space >> 4);
	h *= 0x9e3779b97f4a7c15ULL; /* Fibonacci hashing: spread the bits */
	return &t->buckets[h >> 56]; /* 256 buckets: the top 8 bits */
}

void futex_enqueue(struct futex_table *t, struct futex_waiter *w)
{
	w->woken = false;
	list_push_back(bucket_of(t, &w->key), &w->link);
}

void futex_dequeue(struct futex_waiter *w)
{
	if (list_linked(&w->link))
		list_remove(&w->link);
}

bool futex_queued(const struct futex_waiter *w)
{
	return list_linked(&w->link);
}

int futex_wake_waiters(struct futex_table *t, const struct futex_key *key, int n, u32 bitset,
                       void (*wake)(struct futex_waiter *w, void *arg), void *arg)
{
	struct list_node *head = bucket_of(t, key);
	int woken = 0;
	struct list_node *l = head->next;
	while (l != head && woken < n) {
		struct list_node *next = l->next;
		struct futex_waiter *w = list_entry(l, struct futex_waiter, link);
		if (futex_key_equal(&w->key, key) && (w->bitset & bitset)) {
			list_remove(&w->link);
			w->woken = true;
			wake(w, arg);
			woken++;
		}
		l = next;
	}
	return woken;
}

int futex_requeue_waiters(struct futex_table *t, const struct futex_key *from,
                          const struct futex_key *to, int nwake, int nrequeue,
                          void (*wake)(struct futex_waiter *w, void *arg), void *arg)
{
	int done = futex_wake_waiters(t, from, nwake, FUTEX_BITSET_ANY, wake, arg);
	struct list_node *head = bucket_of(t, from);
	struct list_node *target = bucket_of(t, to);
	int moved = 0;
	struct list_node *l = head->next;
	while (l != head && moved < nrequeue) {
		struct list_node *next = l->next;
		struct futex_waiter *w = list_entry(l, struct futex_waiter, link);
		if (futex_key_equal(&w->key, from)) {
			w->key = *to;
			if (target != head) { /* same bucket: it stays in place */
				list_remove(&w->link);
				list_push_back(target, &w->link);
			}
			moved++;
		}
		l = next;
	}
	return done + moved;
}
