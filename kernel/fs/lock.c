/*
 * lock.c: file locks (see lock.h). Each inode keeps one list of its
 * locks, unsorted (a file rarely has more than a handful). A change by
 * one owner first allocates the at most two records it may need, so a
 * failing allocation leaves the list as it was.
 *
 * Trust: ranges come from the syscall layer, already checked and made
 * absolute (start < end <= LOCK_END_MAX).
 */
#include "fs/lock.h"
#include "mm/kmalloc.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

struct file_lock {
	struct file_lock *next;
	u64 start;
	u64 end;
	u16 type;           /* F_RDLCK or F_WRLCK */
	u8 kind;            /* enum lock_kind */
	u64 owner;
	int pid;
};

/* A process asleep in F_SETLKW, for deadlock detection. */
struct lock_waiter {
	struct lock_waiter *next;
	u64 owner;
	struct inode *inode; /* borrowed: the waiter holds the file open */
	struct lock_range req;
};

#define DEADLOCK_DEPTH 16

static void (*g_wake)(void);
static struct lock_waiter *g_waiters;

void lock_set_wake_hook(void (*wake)(void))
{
	g_wake = wake;
}

static void wake(void)
{
	if (g_wake != NULL)
		g_wake();
}

/* flock locks live apart from record and OFD locks. */
static bool same_space(u8 a, u8 b)
{
	return (a == LOCK_FLOCK) == (b == LOCK_FLOCK);
}

static bool overlaps(const struct file_lock *l, u64 start, u64 end)
{
	return l->start < end && start < l->end;
}

static struct file_lock *first_conflict(struct inode *inode, enum lock_kind kind, u64 owner,
                                        const struct lock_range *req)
{
	for (struct file_lock *l = inode->locks; l != NULL; l = l->next) {
		if (!same_space(l->kind, kind) || !overlaps(l, req->start, req->end))
			continue;
		if (l->kind == kind && l->owner == owner)
			continue; /* one's own lock never conflicts */
		if (l->type == F_WRLCK || req->type == F_WRLCK)
			return l;
	}
	return NULL;
}

void lock_test(struct inode *inode, enum lock_kind kind, u64 owner, struct lock_range *req)
{
	struct file_lock *l = first_conflict(inode, kind, owner, req);
	if (l == NULL) {
		req->type = F_UNLCK;
		return;
	}
	req->type = l->type;
	req->start = l->start;
	req->end = l->end;
	req->pid = l->kind == LOCK_POSIX ? l->pid : -1;
}

static struct file_lock *new_lock(u64 start, u64 end, u16 type, u8 kind, u64 owner, int pid)
{
	struct file_lock *l = kmalloc(sizeof(*l));
	if (l != NULL) {
		l->next = NULL;
		l->start = start;
		l->end = end;
		l->type = type;
		l->kind = kind;
		l->owner = owner;
		l->pid = pid;
	}
	return l;
}

/* Cut [start, end) out of owner's locks; a lock that covers both sides
 * of the range is split using *spare (consumed: set to NULL). */
static void punch(struct inode *inode, u8 kind, u64 owner, u64 start, u64 end,
                  struct file_lock **spare)
{
	struct file_lock **link = &inode->locks;
	while (*link != NULL) {
		struct file_lock *l = *link;
		if (l->kind != kind || l->owner != owner || !overlaps(l, start, end)) {
			link = &l->next;
			continue;
		}
		if (l->start < start && l->end > end) {
			struct file_lock *tail = *spare;
			*spare = NULL;
			*tail = *l;
			tail->start = end;
			l->end = start;
			tail->next = l->next;
			l->next = tail;
			return; /* nothing else of this owner can overlap */
		}
		if (l->start < start) {
			l->end = start;
		} else if (l->end > end) {
			l->start = end;
		} else {
			*link = l->next;
			kfree(l);
			continue;
		}
		link = &l->next;
	}
}

/* Merge owner's lock l with its touching neighbours of the same type. */
static void merge(struct inode *inode, struct file_lock *l)
{
	struct file_lock **link = &inode->locks;
	while (*link != NULL) {
		struct file_lock *o = *link;
		bool touches = o->end == l->start || l->end == o->start;
		if (o != l && o->kind == l->kind && o->owner == l->owner && o->type == l->type &&
		    touches) {
			l->start = MIN(l->start, o->start);
			l->end = MAX(l->end, o->end);
			*link = o->next;
			kfree(o);
			continue;
		}
		link = &o->next;
	}
}

int lock_set(struct inode *inode, enum lock_kind kind, u64 owner, int pid,
             const struct lock_range *req)
{
	if (req->type != F_UNLCK && first_conflict(inode, kind, owner, req) != NULL)
		return -EAGAIN;
	/* Allocate first: at most one split and one new lock. */
	struct file_lock *spare = new_lock(0, 0, 0, 0, 0, 0);
	struct file_lock *added = NULL;
	if (req->type != F_UNLCK)
		added = new_lock(req->start, req->end, req->type, (u8)kind, owner, pid);
	if (spare == NULL || (req->type != F_UNLCK && added == NULL)) {
		if (spare != NULL)
			kfree(spare);
		if (added != NULL)
			kfree(added);
		return -ENOLCK;
	}
	punch(inode, (u8)kind, owner, req->start, req->end, &spare);
	if (spare != NULL)
		kfree(spare);
	if (added != NULL) {
		added->next = inode->locks;
		inode->locks = added;
		merge(inode, added);
	}
	wake(); /* something was released or downgraded, maybe */
	return 0;
}

void lock_release(struct inode *inode, enum lock_kind kind, u64 owner)
{
	bool released = false;
	struct file_lock **link = &inode->locks;
	while (*link != NULL) {
		struct file_lock *l = *link;
		bool mine = l->owner == owner &&
		            (l->kind == kind || (kind != LOCK_POSIX && l->kind != LOCK_POSIX));
		if (mine) {
			*link = l->next;
			kfree(l);
			released = true;
			continue;
		}
		link = &l->next;
	}
	if (released)
		wake();
}

int lock_wait_begin(struct inode *inode, u64 owner, const struct lock_range *req)
{
	struct lock_waiter *w = kmalloc(sizeof(*w));
	if (w == NULL)
		return -ENOLCK;
	w->owner = owner;
	w->inode = inode;
	w->req = *req;
	w->next = g_waiters;
	g_waiters = w;
	return 0;
}

void lock_wait_end(u64 owner)
{
	for (struct lock_waiter **link = &g_waiters; *link != NULL; link = &(*link)->next) {
		if ((*link)->owner == owner) {
			struct lock_waiter *w = *link;
			*link = w->next;
			kfree(w);
			return;
		}
	}
}

static struct lock_waiter *waiter_of(u64 owner)
{
	for (struct lock_waiter *w = g_waiters; w != NULL; w = w->next) {
		if (w->owner == owner)
			return w;
	}
	return NULL;
}

bool lock_would_deadlock(struct inode *inode, u64 owner, const struct lock_range *req)
{
	struct file_lock *blocker = first_conflict(inode, LOCK_POSIX, owner, req);
	for (int depth = 0; blocker != NULL && depth < DEADLOCK_DEPTH; depth++) {
		if (blocker->kind != LOCK_POSIX)
			return false;
		if (blocker->owner == owner)
			return true;
		struct lock_waiter *w = waiter_of(blocker->owner);
		if (w == NULL)
			return false;
		blocker = first_conflict(w->inode, LOCK_POSIX, w->owner, &w->req);
	}
	return false;
}

size_t lock_count(struct inode *inode)
{
	size_t n = 0;
	for (struct file_lock *l = inode->locks; l != NULL; l = l->next)
		n++;
	return n;
}
