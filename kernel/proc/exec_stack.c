/*
 * exec_stack.c: build argc/argv/envp/auxv on a fresh user stack.
 *
 * Layout, from USER_STACK_TOP down: the strings (argv, envp, execfn,
 * "x86_64") and 16 random bytes for AT_RANDOM; then, 16-byte aligned, the
 * auxv pairs, envp[] + NULL, argv[] + NULL, argc at the final rsp.
 *
 * Trust: the strings come from the measured config (or host overrides
 * the config allowed); their total size is bounded by EXEC_STRINGS_MAX.
 */
#include "proc/exec_stack.h"

#include "arch/x86_64/arch.h"
#include "drivers/random/random.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/uaccess.h"
#include "mm/vma.h"
#include "proc/elf.h"
#include "proc/cred.h"
#include "proc/sigframe_fpu.h"
#include "proc/task.h"
#include "syscalls/linux_abi/auxv.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/mman.h"
#include "syscalls/linux_abi/signal.h"

#define AUXV_MAX 24   /* pairs, including AT_NULL */

/* Copy a string to the stack below *sp; returns its user address. */
static int push_string(struct mm *mm, u64 *sp, const char *s, u64 *addr)
{
	size_t len = strlen(s) + 1;
	*sp -= len;
	*addr = *sp;
	return copyout_to(mm, *sp, s, len);
}

static u64 strings_size(const struct exec_args *args)
{
	u64 total = strlen(args->execfn) + 1;
	for (size_t i = 0; i < args->argc; i++)
		total += strlen(args->argv[i]) + 1;
	for (size_t i = 0; i < args->envc; i++)
		total += strlen(args->envp[i]) + 1;
	return total;
}

static u64 cpu_hwcap(void)
{
	u32 a, b, c, d;
	arch_cpuid(1, 0, &a, &b, &c, &d);
	return d; /* AT_HWCAP on x86-64 is CPUID.1:EDX */
}

struct auxv {
	u64 pairs[AUXV_MAX][2];
	size_t count;
};

static void aux_put(struct auxv *aux, u64 key, u64 value)
{
	aux->pairs[aux->count][0] = key;
	aux->pairs[aux->count][1] = value;
	aux->count++;
}

static void fill_auxv(struct auxv *aux, const struct task *task, const struct exec_cred *cred,
                      const struct elf_image *img, u64 random_addr, u64 platform_addr,
                      u64 execfn_addr, u64 vdso_base)
{
	aux->count = 0;
	aux_put(aux, AT_PHDR, img->phdr);
	aux_put(aux, AT_PHENT, sizeof(struct elf64_phdr));
	aux_put(aux, AT_PHNUM, img->phnum);
	aux_put(aux, AT_PAGESZ, PAGE_SIZE);
	aux_put(aux, AT_BASE, img->interp_base);
	aux_put(aux, AT_FLAGS, 0);
	aux_put(aux, AT_ENTRY, img->prog_entry);
	aux_put(aux, AT_UID, task->uid);
	aux_put(aux, AT_EUID, cred->euid);
	aux_put(aux, AT_GID, task->gid);
	aux_put(aux, AT_EGID, cred->egid);
	aux_put(aux, AT_SECURE, cred->secure ? 1 : 0);
	aux_put(aux, AT_RANDOM, random_addr);
	aux_put(aux, AT_HWCAP, cpu_hwcap());
	aux_put(aux, AT_HWCAP2, g_cpu.fsgsbase ? HWCAP2_FSGSBASE : 0);
	aux_put(aux, AT_CLKTCK, 100);
	aux_put(aux, AT_EXECFN, execfn_addr);
	aux_put(aux, AT_PLATFORM, platform_addr);
	aux_put(aux, AT_MINSIGSTKSZ, sigframe_min_stack());
	if (vdso_base != 0)
		aux_put(aux, AT_SYSINFO_EHDR, vdso_base);
	aux_put(aux, AT_NULL, 0);
}

/* Write the pointer block (argc .. auxv) at sp from kernel arrays. */
static int write_vectors(struct mm *mm, u64 sp, size_t argc, const u64 *argv_addrs, size_t envc,
                         const u64 *envp_addrs, const struct auxv *aux)
{
	u64 at = sp;
	u64 word = argc;
	int err = copyout_to(mm, at, &word, 8);
	at += 8;
	if (!err)
		err = copyout_to(mm, at, argv_addrs, argc * 8);
	at += argc * 8;
	word = 0;
	if (!err)
		err = copyout_to(mm, at, &word, 8);
	at += 8;
	if (!err)
		err = copyout_to(mm, at, envp_addrs, envc * 8);
	at += envc * 8;
	if (!err)
		err = copyout_to(mm, at, &word, 8);
	at += 8;
	if (!err)
		err = copyout_to(mm, at, aux->pairs, aux->count * 16);
	return err;
}

static int build(struct mm *mm, const struct task *task, const struct elf_image *img,
                 const struct exec_cred *cred, const struct exec_args *args, u64 *addrs,
                 struct auxv *aux, u64 *sp_out)
{
	u64 sp = USER_STACK_TOP;
	u64 random_addr, platform_addr, execfn_addr;
	u8 random[16];
	u64 *argv_addrs = addrs;
	u64 *envp_addrs = addrs + args->argc;
	int err;

	random_bytes(random, sizeof(random));
	sp -= sizeof(random);
	random_addr = sp;
	err = copyout_to(mm, sp, random, sizeof(random));
	if (!err)
		err = push_string(mm, &sp, "x86_64", &platform_addr);
	if (!err)
		err = push_string(mm, &sp, args->execfn, &execfn_addr);
	/* Last string first, so that argv[0..] and envp[0..] each lie in
	 * ascending order, as on Linux (/proc/<pid>/cmdline and environ
	 * read them as one range each). */
	mm->env_end = sp;
	for (size_t i = args->envc; !err && i-- > 0;)
		err = push_string(mm, &sp, args->envp[i], &envp_addrs[i]);
	mm->env_start = sp;
	mm->arg_end = sp;
	for (size_t i = args->argc; !err && i-- > 0;)
		err = push_string(mm, &sp, args->argv[i], &argv_addrs[i]);
	mm->arg_start = sp;
	if (err)
		return err;

	fill_auxv(aux, task, cred, img, random_addr, platform_addr, execfn_addr, mm->vdso_base);
	u64 words = 1 + args->argc + 1 + args->envc + 1 + 2 * aux->count;
	sp = ALIGN_DOWN(sp - words * 8, 16);
	err = write_vectors(mm, sp, args->argc, argv_addrs, args->envc, envp_addrs, aux);
	if (err)
		return err;
	*sp_out = sp;
	return 0;
}

int exec_build_stack(struct mm *mm, const struct task *task, const struct elf_image *img,
                     const struct exec_cred *cred, const struct exec_args *args, u64 *sp_out)
{
	if (args->argc > EXEC_STRINGS_MAX / 8 || args->envc > EXEC_STRINGS_MAX / 8)
		return -E2BIG;
	if (strings_size(args) + (args->argc + args->envc) * 8 > EXEC_STRINGS_MAX)
		return -E2BIG;
	/* RLIMIT_STACK sizes the stack mapping: past it, a fault (SIGSEGV)
	 * as on Linux. Unlimited (or above 1 GiB) is 1 GiB, which still
	 * leaves the mmap area below it (USER_MMAP_TOP); below 64 KiB is
	 * 64 KiB, room for the arguments. */
	u64 stack_size = task->rlimits[RLIMIT_STACK].rlim_cur;
	if (stack_size > USER_STACK_LIMIT_MAX)
		stack_size = USER_STACK_LIMIT_MAX;
	if (stack_size < USER_STACK_LIMIT_MIN)
		stack_size = USER_STACK_LIMIT_MIN;
	stack_size = ALIGN_UP(stack_size, PAGE_SIZE);
	int err = vma_add(mm, USER_STACK_TOP - stack_size, USER_STACK_TOP,
	                  PROT_READ | PROT_WRITE, VMA_ANON | VMA_STACK, NULL, 0, 0);
	if (err)
		return err;
	mm->stack_top = USER_STACK_TOP;

	u64 *addrs = kmalloc((args->argc + args->envc + 1) * sizeof(u64));
	struct auxv *aux = kmalloc(sizeof(*aux));
	if (!addrs || !aux)
		err = -ENOMEM;
	else
		err = build(mm, task, img, cred, args, addrs, aux, sp_out);
	if (addrs)
		kfree(addrs);
	if (aux)
		kfree(aux);
	return err;
}
