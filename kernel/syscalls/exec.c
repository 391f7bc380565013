/*
 * exec.c: execve. Copies the path, argv and envp into kernel memory
 * (bounded: EXEC_STRINGS_MAX bytes in total, MAX_ARG_STRLEN per string),
 * then proc/exec.c builds the new program on the side and swaps it in.
 * A failed execve returns an error to the unchanged caller.
 */
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/uaccess.h"
#include "proc/exec.h"
#include "proc/task.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"

#define MAX_ARG_STRLEN (128 * 1024)   /* Linux's limit per string */
#define MAX_ARG_COUNT 0x7fffffff

/* A kernel copy of a user string vector. */
struct kstrv {
	char **v;        /* n entries, each kmalloc'ed */
	size_t n;
	size_t cap;
	size_t bytes;    /* sum of lengths + NULs + pointers */
};

static void strv_free(struct kstrv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		kfree(sv->v[i]);
	if (sv->v)
		kfree(sv->v);
	memset(sv, 0, sizeof(*sv));
}

static int strv_push(struct kstrv *sv, const char *s, size_t len)
{
	if (sv->n == sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 16;
		char **v = kmalloc(cap * sizeof(char *));
		if (!v)
			return -ENOMEM;
		if (sv->v) {
			memcpy(v, sv->v, sv->n * sizeof(char *));
			kfree(sv->v);
		}
		sv->v = v;
		sv->cap = cap;
	}
	char *copy = kmalloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, s, len + 1);
	sv->v[sv->n++] = copy;
	return 0;
}

/* Copy the NULL-terminated user array at uvec; *budget is what the
 * strings may still use in total. A NULL uvec is an empty vector. */
static int strv_copyin(u64 uvec, struct kstrv *sv, size_t *budget, char *tmp)
{
	memset(sv, 0, sizeof(*sv));
	if (uvec == 0)
		return 0;
	for (u64 i = 0; i < MAX_ARG_COUNT; i++) {
		u64 uptr;
		if (copyin(&uptr, uvec + i * 8, sizeof(uptr)) != 0)
			return -EFAULT;
		if (uptr == 0)
			return 0;
		long len = copyinstr(tmp, uptr, MAX_ARG_STRLEN);
		if (len == -ENAMETOOLONG)
			return -E2BIG;
		if (len < 0)
			return (int)len;
		size_t cost = (size_t)len + 1 + sizeof(char *);
		if (cost > *budget)
			return -E2BIG;
		*budget -= cost;
		int err = strv_push(sv, tmp, (size_t)len);
		if (err)
			return err;
	}
	return -E2BIG;
}

long sys_execve(const struct syscall_args *args)
{
	struct task *task = current_task();
	char *path = NULL;
	struct kstrv argv = {0}, envp = {0};
	struct exec_image img;
	char *tmp = kmalloc(MAX_ARG_STRLEN);
	if (!tmp)
		return -ENOMEM;
	size_t budget = EXEC_STRINGS_MAX;
	int err = path_copyin(args->a[0], false, &path);
	if (!err)
		err = strv_copyin(args->a[1], &argv, &budget, tmp);
	if (!err)
		err = strv_copyin(args->a[2], &envp, &budget, tmp);
	kfree(tmp);
	if (!err) {
		struct exec_args ea = {(const char *const *)argv.v, argv.n,
		                       (const char *const *)envp.v, envp.n, path};
		err = exec_prepare(task, path, &ea, &img);
	}
	strv_free(&argv);
	strv_free(&envp);
	if (path)
		kfree(path);
	if (err)
		return err;
	err = exec_end_other_threads(task);
	if (err) {
		exec_discard(&img);
		return err;
	}
	exec_commit(task, &img, args->tf);
	return 0;
}
