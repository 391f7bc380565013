/*
 * fdtable.c: the fd table. Trust: fd numbers are raw user input and are
 * range-checked here, in one place.
 */
#include "proc/fdtable.h"

#include "arch/x86_64/nospec.h"
#include "fs/lock.h"
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "proc/task.h"
#include "syscalls/linux_abi/errno.h"

int fd_limit(struct task *task)
{
	u64 soft = task->rlimits[RLIMIT_NOFILE].rlim_cur;
	return soft < TASK_FD_MAX ? (int)soft : TASK_FD_MAX;
}

static bool fd_valid(struct task *task, int fd)
{
	if (fd < 0 || fd >= TASK_FD_MAX)
		return false;
	return task->files->fds[index_nospec((u64)fd, TASK_FD_MAX)].file != NULL;
}

/* Keep file alive until the syscall ends: once per file. */
static bool hold(struct task *task, struct file *file)
{
	for (u32 i = 0; i < task->held_count; i++) {
		if (task->held[i] == file)
			return true;
	}
	if (task->held_count == task->held_cap) {
		u32 cap = task->held_cap ? task->held_cap * 2 : 8;
		struct file **list = kmalloc(cap * sizeof(*list));
		if (!list)
			return false;
		if (task->held_count)
			memcpy(list, task->held, task->held_count * sizeof(*list));
		kfree(task->held);
		task->held = list;
		task->held_cap = cap;
	}
	task->held[task->held_count++] = file_get(file);
	return true;
}

struct file *fd_get(struct task *task, int fd)
{
	if (!fd_valid(task, fd))
		return NULL;
	struct file *file = task->files->fds[index_nospec((u64)fd, TASK_FD_MAX)].file;
	if (task->files->refcount > 1 && !hold(task, file))
		return NULL; /* out of memory: -EBADF rather than a pointer that may die */
	return file;
}

void fd_drop_held(struct task *task, bool free_list)
{
	/* file_put may sleep (the last close flushes): take the list first */
	while (task->held_count > 0)
		file_put(task->held[--task->held_count]);
	if (free_list) {
		kfree(task->held);
		task->held = NULL;
		task->held_cap = 0;
	}
}

/* A descriptor of file goes away: POSIX says the process's record locks
 * on the file go with it (any descriptor, not only the one that locked). */
static void drop_descriptor(struct task *task, struct file *file)
{
	if (file->inode != NULL && file->inode->locks != NULL)
		lock_release(file->inode, LOCK_POSIX, (u64)task->pid);
	file_put(file);
}

void fd_table_release(struct task *task)
{
	struct fd_table *files = task->files;
	task->files = NULL;
	if (files->refcount == 1) {
		for (int fd = 0; fd < TASK_FD_MAX; fd++) {
			struct file *f = files->fds[fd].file;
			files->fds[fd].file = NULL;
			if (f)
				drop_descriptor(task, f);
		}
	}
	fd_table_put(files);
}

int fd_install(struct task *task, struct file *file, int min, bool cloexec)
{
	int limit = fd_limit(task);
	if (min < 0 || min >= limit)
		return -EINVAL;
	for (int fd = min; fd < limit; fd++) {
		struct fd_entry *e = &task->files->fds[fd];
		if (!e->file) {
			e->file = file_get(file);
			e->cloexec = cloexec;
			return fd;
		}
	}
	return -EMFILE;
}

int fd_install_at(struct task *task, struct file *file, int fd, bool cloexec)
{
	if (fd < 0 || fd >= fd_limit(task))
		return -EBADF;
	struct fd_entry *e = &task->files->fds[fd];
	struct file *old = e->file;
	e->file = file_get(file);
	e->cloexec = cloexec;
	if (old)
		drop_descriptor(task, old);
	return fd;
}

int fd_close(struct task *task, int fd)
{
	if (!fd_valid(task, fd))
		return -EBADF;
	struct fd_entry *e = &task->files->fds[fd];
	struct file *old = e->file;
	e->file = NULL;
	e->cloexec = false;
	drop_descriptor(task, old);
	return 0;
}

bool fd_get_cloexec(struct task *task, int fd)
{
	return fd_valid(task, fd) && task->files->fds[fd].cloexec;
}

void fd_set_cloexec(struct task *task, int fd, bool cloexec)
{
	if (fd_valid(task, fd))
		task->files->fds[fd].cloexec = cloexec;
}

int fd_next(struct task *task, int after)
{
	for (int fd = after + 1; fd < TASK_FD_MAX; fd++) {
		if (task->files->fds[fd].file)
			return fd;
	}
	return -1;
}
