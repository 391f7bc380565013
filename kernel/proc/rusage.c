/*
 * rusage.c: fault and context-switch counts and the peak resident set
 * (proc/rusage.h has who owns what).
 */
#include "proc/rusage.h"

#include "mm/vma.h"
#include "proc/task.h"

static u64 load(const u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void rusage_fault(u64 blocks_before)
{
	struct task *t = current_task();
	bool major = t->rusage.blocks_read != blocks_before;
	if (major) {
		t->rusage.counts.majflt++;
		t->group->rusage.counts.majflt++;
	} else {
		t->rusage.counts.minflt++;
		t->group->rusage.counts.minflt++;
	}
}

void rusage_block_read(void)
{
	struct task *t = current_task();
	if (t != NULL)
		t->rusage.blocks_read++;
}

void rusage_switch_locked(struct task *prev)
{
	/* An idle task or an exited thread is nobody's (its group may be
	 * going away). */
	if (prev->is_idle || prev->state == TASK_ZOMBIE || prev->thread_exited)
		return;
	struct rusage_counts *mine = &prev->rusage.counts;
	struct rusage_counts *group = &prev->group->rusage.counts;
	if (prev->state == TASK_SLEEPING) {
		__atomic_store_n(&mine->nvcsw, mine->nvcsw + 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&group->nvcsw, 1, __ATOMIC_RELAXED);
	} else {
		__atomic_store_n(&mine->nivcsw, mine->nivcsw + 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&group->nivcsw, 1, __ATOMIC_RELAXED);
	}
}

static u64 max_u64(u64 a, u64 b)
{
	return a > b ? a : b;
}

void rusage_leave_mm(struct thread_group *group, const struct mm *mm)
{
	if (group != NULL && mm != NULL)
		group->rusage.maxrss_pages = max_u64(group->rusage.maxrss_pages, mm->peak_pages);
}

static struct rusage_counts counts_of(const struct rusage_counts *c)
{
	struct rusage_counts r = {load(&c->minflt), load(&c->majflt), load(&c->nvcsw), load(&c->nivcsw)};
	return r;
}

struct rusage_counts rusage_thread(const struct task *task)
{
	return counts_of(&task->rusage.counts);
}

struct rusage_counts rusage_process(const struct thread_group *group)
{
	return counts_of(&group->rusage.counts);
}

struct rusage_counts rusage_children(const struct thread_group *group)
{
	return group->rusage.children;
}

struct rusage_counts rusage_sum(struct rusage_counts a, struct rusage_counts b)
{
	struct rusage_counts r = {a.minflt + b.minflt, a.majflt + b.majflt, a.nvcsw + b.nvcsw,
	                          a.nivcsw + b.nivcsw};
	return r;
}

u64 rusage_maxrss(const struct thread_group *group, const struct mm *mm)
{
	u64 peak = group->rusage.maxrss_pages;
	return mm != NULL ? max_u64(peak, mm->peak_pages) : peak;
}

u64 rusage_children_maxrss(const struct thread_group *group)
{
	return group->rusage.children_maxrss_pages;
}

/* Linux: the child's own counts and its children's; the largest peak. */
void rusage_reap(struct thread_group *parent, const struct thread_group *child)
{
	struct rusage_counts both = rusage_sum(rusage_process(child), child->rusage.children);
	parent->rusage.children = rusage_sum(parent->rusage.children, both);
	u64 peak = max_u64(child->rusage.maxrss_pages, child->rusage.children_maxrss_pages);
	parent->rusage.children_maxrss_pages = max_u64(parent->rusage.children_maxrss_pages, peak);
}
