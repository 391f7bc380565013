/*
 * futex.c: futex waits and wake-ups (futex.h) on the one futex table
 * (futex_hash.c), all under the big kernel lock.
 *
 * Trust: every address and value is the app's. Words are 4-byte
 * aligned user addresses reached through uaccess (user_u32_ptr for the
 * atomic read-modify-write of FUTEX_WAKE_OP and the robust list); the
 * robust list walk is bounded, so a looping list cannot hold us.
 */
#include "proc/futex.h"

#include "mm/uaccess.h"
#include "mm/vma.h"
#include "proc/futex_hash.h"
#include "proc/sched.h"
#include "proc/task.h"
#include "proc/wait.h"
#include "syscalls/linux_abi/errno.h"

#define ROBUST_LIST_LIMIT 2048
#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK 0x3fffffffu

static struct futex_table g_table;
static bool g_table_ready;

static struct futex_table *table(void)
{
	if (!g_table_ready) {
		futex_table_init(&g_table);
		g_table_ready = true;
	}
	return &g_table;
}

/* The key of the word at uaddr in task's address space. */
static int make_key(struct task *task, u64 uaddr, bool private, struct futex_key *key)
{
	if (uaddr % 4 != 0)
		return -EINVAL;
	if (!user_range_ok(uaddr, 4))
		return -EFAULT;
	key->space = (u64)(uptr)task->mm;
	key->addr = uaddr;
	if (private)
		return 0;
	/* Linux keys a shared futex by its page only in shared mappings;
	 * in private memory it is (mm, address) as for a private one. */
	struct vma *v = vma_find(task->mm, uaddr);
	if (!v)
		return -EFAULT;
	if (!(v->flags & VMA_SHARED))
		return 0;
	u64 pa;
	if (!user_u32_ptr(uaddr, false, &pa))
		return -EFAULT;
	key->space = 0;
	key->addr = pa;
	return 0;
}

static void wake_one(struct futex_waiter *w, void *arg)
{
	(void)arg;
	sched_wake(w->task);
}

int futex_wait(u64 uaddr, u32 val, u32 bitset, u64 deadline_ns, bool private)
{
	struct task *self = current_task();
	if (bitset == 0)
		return -EINVAL;
	struct futex_waiter w = {.bitset = bitset, .task = self};
	list_node_init(&w.link);
	int err = make_key(self, uaddr, private, &w.key);
	if (err)
		return err;
	u32 cur;
	if (copyin(&cur, uaddr, sizeof(cur)) != 0)
		return -EFAULT;
	if (cur != val)
		return -EAGAIN;
	futex_enqueue(table(), &w);
	struct wait_entry none; /* on no queue: the waker wakes the task */
	wait_entry_init(&none);
	for (;;) {
		wait_prepare_self();
		if (w.woken)
			break;
		err = wait_sleep(deadline_ns, true);
		if (err)
			break;
	}
	wait_finish(&none);
	futex_dequeue(&w);
	if (w.woken)
		return 0; /* a wake-up wins over a signal or timeout that raced it */
	if (err == -EINTR)
		return deadline_ns == WAIT_FOREVER ? -ERESTARTSYS : -ERESTART_RESTARTBLOCK;
	return err;
}

int futex_wake(u64 uaddr, int n, u32 bitset, bool private)
{
	struct futex_key key;
	if (bitset == 0)
		return -EINVAL;
	int err = make_key(current_task(), uaddr, private, &key);
	if (err)
		return err;
	return futex_wake_waiters(table(), &key, n, bitset, wake_one, NULL);
}

int futex_requeue(u64 uaddr, u64 uaddr2, int nwake, int nrequeue, bool cmp, u32 val,
                  bool private)
{
	struct futex_key from, to;
	if (nwake < 0 || nrequeue < 0)
		return -EINVAL;
	int err = make_key(current_task(), uaddr, private, &from);
	if (!err)
		err = make_key(current_task(), uaddr2, private, &to);
	if (err)
		return err;
	if (cmp) {
		u32 cur;
		if (copyin(&cur, uaddr, sizeof(cur)) != 0)
			return -EFAULT;
		if (cur != val)
			return -EAGAIN;
	}
	return futex_requeue_waiters(table(), &from, &to, nwake, nrequeue, wake_one, NULL);
}

/* FUTEX_OP_* (include/uapi/linux/futex.h). */
static u32 apply_op(u32 old, int op, u32 arg)
{
	switch (op) {
	case 0: return arg;          /* SET */
	case 1: return old + arg;    /* ADD */
	case 2: return old | arg;    /* OR */
	case 3: return old & ~arg;   /* ANDN */
	default: return old ^ arg;   /* XOR (4) */
	}
}

static bool compare(u32 old, int cmp, s32 arg)
{
	s32 v = (s32)old;
	switch (cmp) {
	case 0: return v == arg;     /* EQ */
	case 1: return v != arg;     /* NE */
	case 2: return v < arg;      /* LT */
	case 3: return v <= arg;     /* LE */
	case 4: return v > arg;      /* GT */
	default: return v >= arg;    /* GE (5) */
	}
}

static s32 sign_extend12(u32 v)
{
	return (s32)(v << 20) >> 20;
}

int futex_wake_op(u64 uaddr, u64 uaddr2, int nwake, int nwake2, u32 encoded_op, bool private)
{
	int op = (encoded_op >> 28) & 7;
	bool shift = (encoded_op >> 28) & 8;
	int cmp = (encoded_op >> 24) & 15;
	s32 oparg = sign_extend12(encoded_op >> 12);
	s32 cmparg = sign_extend12(encoded_op);
	if (op > 4 || cmp > 5)
		return -ENOSYS; /* Linux: unknown operation */
	if (shift) {
		if (oparg < 0 || oparg > 31)
			return -EINVAL;
		oparg = (s32)(1u << oparg);
	}
	struct futex_key k1, k2;
	int err = make_key(current_task(), uaddr, private, &k1);
	if (!err)
		err = make_key(current_task(), uaddr2, private, &k2);
	if (err)
		return err;
	u32 *word = user_u32_ptr(uaddr2, true, NULL);
	if (!word)
		return -EFAULT;
	/* Other CPUs run user code that may touch the word meanwhile. */
	u32 old = __atomic_load_n(word, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(word, &old, apply_op(old, op, (u32)oparg), false,
	                                    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		;
	int woken = futex_wake_waiters(table(), &k1, nwake, FUTEX_BITSET_ANY, wake_one, NULL);
	if (compare(old, cmp, cmparg))
		woken += futex_wake_waiters(table(), &k2, nwake2, FUTEX_BITSET_ANY, wake_one, NULL);
	return woken;
}

void futex_wake_address(struct task *task, u64 uaddr, int n)
{
	struct futex_key key;
	if (make_key(task, uaddr, false, &key) != 0)
		return;
	int woken = futex_wake_waiters(table(), &key, n, FUTEX_BITSET_ANY, wake_one, NULL);
	/* In MAP_SHARED memory a private waiter has the other key. */
	if (key.space == 0 && woken < n && make_key(task, uaddr, true, &key) == 0)
		futex_wake_waiters(table(), &key, n - woken, FUTEX_BITSET_ANY, wake_one, NULL);
}

/* One robust futex the dying thread may hold: if it does, mark the
 * owner dead and wake a waiter (Linux's handle_futex_death). */
static void robust_futex_died(struct task *task, u64 uaddr)
{
	u32 *word = user_u32_ptr(uaddr, true, NULL);
	if (!word)
		return;
	u32 old = __atomic_load_n(word, __ATOMIC_RELAXED);
	for (;;) {
		if ((old & FUTEX_TID_MASK) != (u32)task->tid)
			return;
		u32 next = (old & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
		if (__atomic_compare_exchange_n(word, &old, next, false, __ATOMIC_SEQ_CST,
		                                __ATOMIC_RELAXED))
			break;
	}
	if (old & FUTEX_WAITERS)
		futex_wake_address(task, uaddr, 1);
}

/* struct robust_list_head: { next, futex_offset, list_op_pending }. */
void futex_exit_robust_list(struct task *task)
{
	u64 head = task->robust_list;
	if (!head || !task->mm)
		return;
	u64 words[3];
	if (copyin(words, head, sizeof(words)) != 0)
		return;
	s64 offset = (s64)words[1];
	u64 pending = words[2];
	u64 entry = words[0];
	for (int n = 0; entry != head && n < ROBUST_LIST_LIMIT; n++) {
		u64 next;
		if (copyin(&next, entry & ~1ull, sizeof(next)) != 0)
			return;
		if (entry != pending)
			robust_futex_died(task, (entry & ~1ull) + (u64)offset);
		entry = next;
	}
	if (pending)
		robust_futex_died(task, (pending & ~1ull) + (u64)offset);
}
