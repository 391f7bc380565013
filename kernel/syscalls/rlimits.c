/*
 * rlimits.c: the resource limits the syscalls enforce, with Linux's
 * rules and errnos (setrlimit/prlimit64 themselves are in process.c):
 *
 *   RLIMIT_FSIZE    a write or truncate past it: EFBIG and SIGXFSZ; a
 *                   write that crosses it is cut short at the limit
 *   RLIMIT_AS       mmap, mremap and brk past it: ENOMEM
 *   RLIMIT_DATA     private writable mappings and the heap past it: ENOMEM
 *   RLIMIT_MEMLOCK  mlock/mlockall of more: ENOMEM (EPERM when it is 0);
 *                   CAP_IPC_LOCK is outside a container's bounding set
 *   RLIMIT_NOFILE   fd numbers (proc/fdtable.c), RLIMIT_NPROC fork
 *                   (proc/cred.c), RLIMIT_STACK exec (proc/exec_stack.c),
 *                   RLIMIT_NICE setpriority (sched_attr.c)
 *
 * RLIMIT_CPU: proc/cputime.c (SIGXCPU, SIGKILL).
 *
 * Not enforced, listed in docs/syscalls.md: RLIMIT_SIGPENDING (signals are a bit mask, never a
 * queue), RLIMIT_MSGQUEUE (no message queues), RLIMIT_CORE (no core
 * dumps); RLIMIT_RSS and RLIMIT_LOCKS are ignored by Linux too.
 */
#include "syscalls/rlimits.h"

#include "fs/vfs.h"
#include "mm/kpt.h"
#include "mm/vma.h"
#include "proc/signal.h"
#include "proc/task.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"
#include "syscalls/linux_abi/mman.h"

static u64 limit(int resource)
{
	return current_task()->rlimits[resource].rlim_cur;
}

long rlimit_fsize(struct file *f, u64 pos, size_t *size)
{
	u64 max = limit(RLIMIT_FSIZE);
	if (max == RLIM_INFINITY || *size == 0 || f->inode == NULL || !inode_is_reg(f->inode))
		return 0;
	if (pos >= max) {
		signal_post(current_task(), SIGXFSZ, 0);
		return -EFBIG;
	}
	if (*size > max - pos)
		*size = (size_t)(max - pos);
	return 0;
}

long rlimit_truncate(struct inode *inode, u64 size)
{
	u64 max = limit(RLIMIT_FSIZE);
	if (max != RLIM_INFINITY && inode_is_reg(inode) && size > max) {
		signal_post(current_task(), SIGXFSZ, 0);
		return -EFBIG;
	}
	return 0;
}

u64 rlimit_write_pos(struct file *f, bool explicit_offset, s64 offset)
{
	if (explicit_offset)
		return (u64)offset;
	if ((f->flags & O_APPEND) && f->inode != NULL)
		return f->inode->size;
	return f->offset;
}

/* Private writable, not the stack: what Linux counts as data. */
static bool is_data(u32 prot, u32 flags)
{
	return (prot & PROT_WRITE) && !(flags & VMA_SHARED) && !(flags & VMA_STACK);
}

/* The stack mapping is reserved whole at exec; Linux's grows on demand.
 * Count it, like Linux, from its lowest page in use to its top. */
static u64 stack_in_use(const struct mm *mm, const struct vma *v)
{
	for (u64 va = v->start; va < v->end; va += PAGE_SIZE) {
		u64 *pte = pt_lookup(mm->root, va);
		if (pte != NULL && (*pte & PTE_P))
			return v->end - va;
	}
	return 0;
}

/* Bytes of mm's mappings (only data ones if data_only) inside
 * [start, end). */
static u64 mapped_in(const struct mm *mm, u64 start, u64 end, bool data_only)
{
	u64 total = 0;
	for (const struct vma *v = mm->vmas; v; v = v->next) {
		u64 s = MAX(v->start, start), e = MIN(v->end, end);
		if (s >= e || (data_only && !is_data(v->prot, v->flags)))
			continue;
		if (v->flags & VMA_STACK)
			total += MIN(e - s, stack_in_use(mm, v));
		else
			total += e - s;
	}
	return total;
}

long rlimit_map(u64 addr, u64 len, u32 prot, u32 map_flags)
{
	struct mm *mm = current_task()->mm;
	len = ALIGN_UP(len, PAGE_SIZE);
	u64 as_max = limit(RLIMIT_AS), data_max = limit(RLIMIT_DATA);
	if (len == 0 || !mm || (as_max == RLIM_INFINITY && data_max == RLIM_INFINITY))
		return 0; /* the usual case costs nothing */
	/* A MAP_FIXED mapping replaces what it covers. */
	bool fixed = map_flags & MAP_FIXED;
	u64 end = addr + len < addr ? ~0ull : addr + len;
	u64 as = mapped_in(mm, 0, ~0ull, false);
	if (fixed)
		as -= mapped_in(mm, addr, end, false);
	if (as_max != RLIM_INFINITY && as + len > as_max)
		return -ENOMEM;
	u32 vflags = (map_flags & MAP_TYPE) == MAP_SHARED ? VMA_SHARED : 0;
	if (is_data(prot, vflags)) {
		u64 data = mapped_in(mm, 0, ~0ull, true);
		if (fixed)
			data -= mapped_in(mm, addr, end, true);
		if (data_max != RLIM_INFINITY && data + len > data_max)
			return -ENOMEM;
	}
	return 0;
}

bool rlimit_brk_ok(u64 new_brk)
{
	struct mm *mm = current_task()->mm;
	u64 old_end = ALIGN_UP(mm->brk, PAGE_SIZE);
	u64 new_end = ALIGN_UP(new_brk, PAGE_SIZE);
	if (new_brk < mm->brk_start || new_end <= old_end)
		return true;
	return rlimit_map(old_end, new_end - old_end, PROT_READ | PROT_WRITE, MAP_PRIVATE) == 0;
}

long rlimit_memlock(u64 len)
{
	u64 max = limit(RLIMIT_MEMLOCK);
	if (max == RLIM_INFINITY)
		return 0;
	if (max == 0)
		return -EPERM;
	return ALIGN_UP(len, PAGE_SIZE) > max ? -ENOMEM : 0;
}

u64 rlimit_vm_total(void)
{
	struct mm *mm = current_task()->mm;
	return mm ? mapped_in(mm, 0, ~0ull, false) : 0;
}
