/*
 * exec.h: replace a task's program (first start and execve).
 *
 * Two steps so that a failing exec leaves the caller intact: exec_prepare
 * builds a complete new address space (program, interpreter, stack) on
 * the side; exec_commit swaps it in, closes O_CLOEXEC fds, resets signal
 * handlers and points the trapframe at the new entry.
 */
#ifndef CVMIFY_PROC_EXEC_H
#define CVMIFY_PROC_EXEC_H

#include "lib/types.h"
#include "proc/cred.h"
#include "proc/exec_stack.h"

struct task;
struct mm;
struct trapframe;

/* "#!" scripts may name a script interpreter this many times in a row. */
#define EXEC_SHEBANG_DEPTH 4
/* Linux reads this much of a file to find the "#!" line. */
#define EXEC_SHEBANG_MAX 256

struct exec_image {
	struct mm *mm;      /* owned until exec_commit */
	u64 entry;
	u64 sp;
	u64 brk_start;
	char *exe_path;     /* kmalloc'ed: what /proc/self/exe shows */
	char comm[16];      /* the new task name: the basename of the path */
	struct exec_cred cred; /* ids and capabilities after the exec */
};

/* Load path (relative to the task's cwd) with args into a new address
 * space. "#!" scripts run their interpreter. Returns 0 or -errno; on
 * error nothing of the task changed. */
int exec_prepare(struct task *task, const char *path, const struct exec_args *args,
                 struct exec_image *out);

/* Between the two: a threaded process first loses its other threads
 * (Linux's de_thread): they are killed, and the caller waits until they
 * are gone; if it was not the leader it becomes it, taking the thread
 * group id as its tid. -EAGAIN if the process is already being ended
 * (then the caller dies on its way out). */
int exec_end_other_threads(struct task *task);
/* Drop a prepared image that will not be committed. */
void exec_discard(struct exec_image *img);

/* Make img the task's program; tf then enters it. Cannot fail. */
void exec_commit(struct task *task, struct exec_image *img, struct trapframe *tf);

#endif
