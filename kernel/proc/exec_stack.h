/*
 * exec_stack.h: the initial user stack of a new program (System V x86-64
 * psABI §3.4.1): argc, argv, envp, auxv, then the strings.
 */
#ifndef CVMIFY_PROC_EXEC_STACK_H
#define CVMIFY_PROC_EXEC_STACK_H

#include "lib/types.h"

struct mm;
struct task;
struct elf_image;

/* Kernel strings for the new program (borrowed). */
struct exec_args {
	const char *const *argv;
	size_t argc;
	const char *const *envp;
	size_t envc;
	const char *execfn;   /* AT_EXECFN: the path as exec was given it */
};

/* Upper bound on argv + envp strings (like Linux: a quarter of the stack). */
#define EXEC_STRINGS_MAX (2ull << 20)

/* Add the stack VMA to mm and write the initial stack; *sp_out receives
 * the 16-byte aligned rsp pointing at argc. Returns 0 or -E2BIG/-ENOMEM/
 * -EFAULT. mm need not be the active address space. */
struct exec_cred;
int exec_build_stack(struct mm *mm, const struct task *task, const struct elf_image *img,
                     const struct exec_cred *cred, const struct exec_args *args, u64 *sp_out);

#endif
