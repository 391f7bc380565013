/*
 * init.c: start the application from the measured boot config.
 *
 * Order: task with config credentials and rlimits → cwd → fds 0/1/2 →
 * argv/envp (host overrides only where the config allowed them; the
 * config parser already filtered them) → address space, ELF, stack →
 * ring 3. Everything that decides what runs comes from config.bin.
 */
#include "proc/fifo.h"
#include "proc/proc.h"

#include "arch/x86_64/arch.h"
#include "config/config.h"
#include "fs/procfs.h"
#include "fs/vfs.h"
#include "lib/kprintf.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "mm/vma.h"
#include "panic.h"
#include "proc/bkl.h"
#include "platform/platform.h"
#include "proc/cputime.h"
#include "proc/cred.h"
#include "proc/exec.h"
#include "proc/procfs_task.h"
#include "proc/fdtable.h"
#include "proc/host_requests.h"
#include "proc/stdio.h"
#include "proc/task.h"
#include "syscalls/file_lock.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/syscall.h"

static void apply_credentials(struct task *task, const struct boot_config *cfg)
{
	cred_init_first(task, cfg->uid, cfg->gid);
	task->group_count = 0;
	for (size_t i = 0; i < cfg->group_count && i < TASK_GROUPS_MAX; i++)
		task->groups[task->group_count++] = cfg->groups[i];
}

static void apply_rlimits(struct task *task, const struct boot_config *cfg)
{
	for (size_t i = 0; i < cfg->rlimit_count && i < CONFIG_MAX_RLIMITS; i++) {
		const struct config_rlimit *r = &cfg->rlimits[i];
		if (r->resource >= RLIMIT_NLIMITS || r->soft > r->hard)
			panic("config: bad RLIMIT record %u", r->resource);
		task->rlimits[r->resource].rlim_cur = r->soft;
		task->rlimits[r->resource].rlim_max = r->hard;
	}
	/* The fd table has a fixed size: no limit can go past it. */
	struct linux_rlimit *nofile = &task->rlimits[RLIMIT_NOFILE];
	if (nofile->rlim_max > TASK_FD_MAX)
		nofile->rlim_max = TASK_FD_MAX;
	if (nofile->rlim_cur > nofile->rlim_max)
		nofile->rlim_cur = nofile->rlim_max;
}

/* Docker creates a missing working directory (and its parents, root's,
 * mode 755) before the app starts, e.g. an image's WORKDIR under a
 * --tmpfs; so does the kernel, as root, where the filesystem lets it.
 * set_start_dir reports what could not be made. */
static void make_start_dir(const char *cwd)
{
	struct inode *root = vfs_root();
	struct inode *dir = NULL;
	if (vfs_lookup(root, cwd, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &dir) == 0) {
		inode_put(dir);
		inode_put(root);
		return;
	}
	static char prefix[VFS_PATH_MAX];
	size_t len = strnlen(cwd, sizeof(prefix) - 1);
	for (size_t i = 1; i <= len; i++) {
		if (i < len && cwd[i] != '/')
			continue;
		memcpy(prefix, cwd, i);
		prefix[i] = 0;
		int err = vfs_mkdir(root, prefix, 0755);
		if (err < 0 && err != -EEXIST)
			break;
	}
	inode_put(root);
}

static void set_start_dir(struct task *task, const char *cwd)
{
	struct inode *root = vfs_root();
	int err = vfs_lookup(root, cwd, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &task->cwd);
	inode_put(root);
	if (err)
		panic("cannot enter working directory %s (error %d)", cwd, err);
}

/* argv: the config's, with argv[1..] replaced by the host's tail when the
 * config allowed that (config_apply_overrides filtered it). */
static const char **build_argv(const struct boot_config *cfg, size_t *argc)
{
	size_t n = cfg->host_argc > 0 ? 1 + cfg->host_argc : cfg->argc;
	const char **argv = kmalloc((n + 1) * sizeof(char *));
	if (!argv)
		return NULL;
	argv[0] = cfg->argv[0];
	for (size_t i = 1; i < n; i++)
		argv[i] = cfg->host_argc > 0 ? cfg->host_argv_tail[i - 1] : cfg->argv[i];
	argv[n] = NULL;
	*argc = n;
	return argv;
}

static size_t env_key_len(const char *kv)
{
	const char *eq = strchr(kv, '=');
	return eq ? (size_t)(eq - kv) : strlen(kv);
}

/* envp: the config's, each host variable replacing one of the same name
 * or appended (only names in ALLOW_HOST_ENV reach here). */
static const char **build_envp(const struct boot_config *cfg, size_t *envc)
{
	size_t max = cfg->envc + cfg->host_envc;
	const char **envp = kmalloc((max + 1) * sizeof(char *));
	if (!envp)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < cfg->envc; i++)
		envp[n++] = cfg->envp[i];
	for (size_t h = 0; h < cfg->host_envc; h++) {
		const char *kv = cfg->host_envp[h];
		size_t klen = env_key_len(kv);
		size_t i;
		for (i = 0; i < n; i++) {
			if (env_key_len(envp[i]) == klen && memcmp(envp[i], kv, klen) == 0)
				break;
		}
		envp[i] = kv;
		if (i == n)
			n++;
	}
	envp[n] = NULL;
	*envc = n;
	return envp;
}

/* The VFS checks files against the current task's fs ids, groups and
 * effective capabilities (DAC override, fowner, chown: proc/cred.c). */
static void hook_cred(struct vfs_cred *out)
{
	struct task *task = current_task();
	out->uid = task->fsuid;
	out->gid = task->fsgid;
	out->groups = task->groups;
	out->group_count = task->group_count;
	out->caps = task->cap_effective;
}

/* Exit status for a program that could not be started, like a shell:
 * 127 not found, 126 found but not runnable. Other errors (EIO from the
 * disk, ENOMEM) are kernel failures. */
static void exec_failed(const char *path, int err)
{
	kprintf("exec %s failed: error %d\n", path, err);
	if (err == -ENOENT || err == -ENOTDIR)
		proc_exit(127, 0);
	if (err == -EACCES || err == -ENOEXEC || err == -EISDIR || err == -E2BIG)
		proc_exit(126, 0);
	panic("cannot start %s (error %d)", path, err);
}

static struct trapframe *exec_first(struct task *task, const struct boot_config *cfg)
{
	size_t argc, envc;
	const char **argv = build_argv(cfg, &argc);
	const char **envp = build_envp(cfg, &envc);
	if (!argv || !envp)
		panic("out of memory building argv/envp");

	struct exec_args args = {argv, argc, envp, envc, cfg->entrypoint};
	struct exec_image img;
	int err = exec_prepare(task, cfg->entrypoint, &args, &img);
	if (err)
		exec_failed(cfg->entrypoint, err);
	kfree(argv);
	kfree(envp);

	u64 top = task_kstack_top(task);
	arch_set_kernel_stack(top);
	struct trapframe *tf = (struct trapframe *)(uptr)(top - TRAPFRAME_SIZE);
	kprintf("exec %s: entry 0x%llx sp 0x%llx\n", cfg->entrypoint,
	        (unsigned long long)img.entry, (unsigned long long)img.sp);
	exec_commit(task, &img, tf);
	return tf;
}

void proc_start_init(const struct boot_config *cfg)
{
	struct task *task = task_create_first();
	if (!task)
		panic("out of memory creating the first task");
	vfs_set_cred_hook(hook_cred);
	file_lock_init();
	vfs_set_unmap_hook(vma_zap_file_range);
	fifo_init();
	/* The console is opened for the app as root (like a container
	 * runtime sets up stdio before it drops privileges); everything
	 * after that runs with the app's credentials. */
	int err = stdio_open(task, cfg);
	if (err)
		panic("cannot open the console for fds 0/1/2 (error %d)", err);
	make_start_dir(cfg->cwd);
	apply_credentials(task, cfg);
	apply_rlimits(task, cfg);
	set_start_dir(task, cfg->cwd);
	procfs_task_register();
	syscall_set_trace(cfg->trace);
	host_requests_start();

	struct trapframe *tf = exec_first(task, cfg);
	task->start_ns = platform_time_ns();
	bkl_unlock(); /* taken in kmain; from now on held only in the kernel */
	cputime_first_user();
	arch_enter_user(tf);
}
