/*
 * exec.c: exec_prepare / exec_commit (see exec.h), including "#!"
 * scripts.
 *
 * Trust: the path and arguments are kernel copies; the script's first
 * line comes from the (authenticated) root disk or a tmpfs file the app
 * wrote, and is parsed with explicit bounds.
 */
#include "proc/exec.h"

#include "arch/x86_64/arch.h"
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/tlb.h"
#include "mm/vdso.h"
#include "mm/vma.h"
#include "proc/elf.h"
#include "proc/fdtable.h"
#include "proc/itimer.h"
#include "proc/wait.h"
#include "proc/signal.h"
#include "proc/task.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

/* A "#!" line split into the interpreter and its optional argument. */
struct shebang {
	char line[EXEC_SHEBANG_MAX + 1];
	const char *interp;
	const char *arg;    /* NULL when absent */
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Read the start of path; 1 and *sb filled if it is a "#!" script,
 * 0 if not (an ELF or garbage: elf_load decides), or -errno. */
static int read_shebang(struct task *task, const char *path, struct shebang *sb)
{
	struct file *file;
	int err = vfs_open_exec(task->cwd, path, &file);
	if (err)
		return err;
	long n = vfs_pread(file, sb->line, EXEC_SHEBANG_MAX, 0);
	file_put(file);
	if (n < 0)
		return (int)n;
	if (n < 2 || sb->line[0] != '#' || sb->line[1] != '!')
		return 0;
	sb->line[n] = '\0';
	char *end = strchr(sb->line, '\n');
	if (!end)
		return -ENOEXEC; /* interpreter line longer than we read */
	*end = '\0';
	char *p = sb->line + 2;
	while (is_blank(*p))
		p++;
	if (*p == '\0')
		return -ENOEXEC;
	sb->interp = p;
	while (*p && !is_blank(*p))
		p++;
	sb->arg = NULL;
	if (*p) {
		*p++ = '\0';
		while (is_blank(*p))
			p++;
		char *tail = p + strlen(p);
		while (tail > p && (is_blank(tail[-1]) || tail[-1] == '\r'))
			*--tail = '\0';
		if (*p)
			sb->arg = p;
	}
	return 1;
}

/* argv for the interpreter: interp [arg] script argv[1..]. */
static const char **script_argv(const struct shebang *sb, const char *script,
                                const struct exec_args *args, size_t *argc)
{
	size_t n = 1 + (sb->arg ? 1 : 0) + 1 + (args->argc > 0 ? args->argc - 1 : 0);
	const char **argv = kmalloc((n + 1) * sizeof(char *));
	if (!argv)
		return NULL;
	size_t i = 0;
	argv[i++] = sb->interp;
	if (sb->arg)
		argv[i++] = sb->arg;
	argv[i++] = script;
	for (size_t k = 1; k < args->argc; k++)
		argv[i++] = args->argv[k];
	argv[i] = NULL;
	*argc = n;
	return argv;
}

/* /proc/self/exe: the program's absolute path with symlinks resolved,
 * like Linux (/bin/sh -> /bin/busybox); the path as given if the file
 * has none to tell (kmalloc'ed either way). */
static int resolved_path(struct task *task, const char *path, char **out)
{
	char *buf = kmalloc(VFS_PATH_MAX);
	if (!buf)
		return -ENOMEM;
	struct file *file;
	long len = vfs_open(task->cwd, path, O_PATH, 0, &file);
	if (len == 0) {
		len = vfs_file_path(file, buf, VFS_PATH_MAX - 1);
		file_put(file);
	}
	if (len <= 0)
		len = (long)strlcpy(buf, path, VFS_PATH_MAX);
	buf[MIN((size_t)len, VFS_PATH_MAX - 1)] = '\0';
	*out = buf;
	return 0;
}

static int load_binary(struct task *task, const char *path, const struct exec_args *args,
                       struct exec_image *out)
{
	struct mm *mm = mm_create();
	if (!mm)
		return -ENOMEM;
	struct elf_image img;
	int err = elf_load(mm, task->cwd, path, &img);
	if (!err)
		vdso_map(mm); /* best effort: without it the app makes real syscalls */
	if (!err) {
		cred_for_exec(task, img.file_mode, img.file_uid, img.file_gid, &out->cred);
		err = exec_build_stack(mm, task, &img, &out->cred, args, &out->sp);
	}
	if (!err)
		err = resolved_path(task, path, &out->exe_path);
	if (err) {
		mm_destroy(mm);
		return err;
	}
	mm->brk_start = img.brk_start;
	mm->brk = img.brk_start;
	out->mm = mm;
	out->entry = img.entry;
	out->brk_start = img.brk_start;
	return 0;
}

static int prepare_depth(struct task *task, const char *path, const struct exec_args *args,
                         struct exec_image *out, int depth)
{
	struct shebang *sb = kmalloc(sizeof(*sb));
	if (!sb)
		return -ENOMEM;
	int err = read_shebang(task, path, sb);
	if (err == 0) {
		err = load_binary(task, path, args, out);
	} else if (err == 1) {
		if (depth >= EXEC_SHEBANG_DEPTH) {
			err = -ELOOP;
		} else {
			struct exec_args next = *args;
			const char **argv = script_argv(sb, path, args, &next.argc);
			next.argv = argv;
			err = argv ? prepare_depth(task, sb->interp, &next, out, depth + 1)
			           : -ENOMEM;
			if (argv)
				kfree(argv);
		}
	}
	kfree(sb);
	return err;
}

_Static_assert(sizeof(((struct exec_image *)0)->comm) == TASK_COMM_SIZE, "comm size");

int exec_prepare(struct task *task, const char *path, const struct exec_args *args,
                 struct exec_image *out)
{
	memset(out, 0, sizeof(*out));
	/* Linux names the task after the file execve was given (a script,
	 * not its interpreter). */
	const char *base = strrchr(path, '/');
	strlcpy(out->comm, base ? base + 1 : path, sizeof(out->comm));
	return prepare_depth(task, path, args, out, 0);
}

static void close_on_exec(struct task *task)
{
	for (int fd = 0; fd < TASK_FD_MAX; fd++) {
		if (task->files->fds[fd].file && task->files->fds[fd].cloexec)
			fd_close(task, fd);
	}
}

void exec_discard(struct exec_image *img)
{
	if (img->mm)
		mm_destroy(img->mm);
	if (img->exe_path)
		kfree(img->exe_path);
	img->mm = NULL;
	img->exe_path = NULL;
}

/* The exec'ing thread takes the place of the leader that is gone. */
static void become_leader(struct task *task)
{
	struct thread_group *g = task->group;
	struct task *old = g->leader;
	task->tid = g->tgid;
	task->parent = old->parent;
	g->leader = task;
	for (struct task *t = task_first(); t; t = t->next) {
		if (t->parent == old)
			t->parent = task;
	}
	old->tid = 0; /* no longer findable; freed once off its CPU */
	task_free(old);
}

int exec_end_other_threads(struct task *task)
{
	struct thread_group *g = task->group;
	if (g->live == 1)
		return 0;
	if (g->exiting)
		return -EAGAIN;
	/* Like a group exit, but this thread stays: the others die of
	 * SIGKILL and we wait (not interruptibly) until they are gone. */
	signal_group_exit(task, 0);
	g->execer = task;
	struct wait_entry e;
	wait_entry_init(&e);
	for (;;) {
		wait_prepare(&g->child_wait, &e); /* each one's exit wakes it */
		if (g->live == 1)
			break;
		wait_sleep(WAIT_FOREVER, false);
	}
	wait_finish(&e);
	g->execer = NULL;
	g->exiting = false;
	g->exit_status = 0;
	if (g->leader != task)
		become_leader(task);
	return 0;
}

void exec_commit(struct task *task, struct exec_image *img, struct trapframe *tf)
{
	struct mm *old = task->mm;
	task->mm = img->mm;
	tlb_switch_mm(old, task->mm);
	if (old) {
		rusage_leave_mm(task->group, old);
		mm_put(old);
	} /* a vfork parent may still use it */
	if (task->vfork_waiting) {
		task->vfork_waiting = false;
		waitq_wake(&task->parent->group->child_wait, 0);
	}
	strlcpy(task->exe_path, img->exe_path, sizeof(task->exe_path));
	memset(task->comm, 0, sizeof(task->comm));
	strlcpy(task->comm, img->comm, sizeof(task->comm));
	kfree(img->exe_path);
	img->exe_path = NULL;
	img->mm = NULL;

	close_on_exec(task);
	signal_reset_on_exec(task);
	posix_timers_exec(task->group);
	task->clear_child_tid = 0;
	task->robust_list = 0;
	task->robust_list_len = 0;
	task->fs_base = 0;
	task->gs_base = 0;
	task->dumpable = true; /* a plain exec makes it 1 (set-id: cleared below) */
	task->did_exec = true;
	cred_commit_exec(task, &img->cred);
	if (img->cred.secure)
		task->pdeath_signal = 0; /* Linux: a set-id exec clears it */
	arch_set_fs_base(0);
	arch_set_user_gs_base(0);
	fpu_state_init(&task->fpu);
	fpu_restore(&task->fpu);
	trapframe_init_user(tf, img->entry, img->sp);
}
