/*
 * prctl.c: prctl options that programs actually use (runtimes, init
 * helpers such as tini, privilege-dropping tools). Each option either
 * does what Linux does or answers -EINVAL, as Linux does for an option
 * it does not know; none is accepted and ignored.
 *
 * Trust: option and arguments are raw user values; names go through
 * copyinstr / copyout_str_field.
 */
#include "lib/string.h"
#include "mm/uaccess.h"
#include "proc/task.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/signal.h"

#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2
#define PR_GET_DUMPABLE 3
#define PR_SET_DUMPABLE 4
#define PR_SET_NAME 15
#define PR_GET_NAME 16
#define PR_SET_CHILD_SUBREAPER 36
#define PR_GET_CHILD_SUBREAPER 37
#define PR_SET_NO_NEW_PRIVS 38
#define PR_GET_NO_NEW_PRIVS 39

static long put_int(u64 uaddr, int value)
{
	return copyout(uaddr, &value, sizeof(value)) == 0 ? 0 : -EFAULT;
}

static long set_name(struct task *task, u64 uname)
{
	char name[TASK_COMM_SIZE];
	memset(name, 0, sizeof(name));
	long n = copyinstr(name, uname, sizeof(name));
	if (n == -EFAULT)
		return -EFAULT;
	name[TASK_COMM_SIZE - 1] = '\0'; /* Linux truncates silently */
	memset(task->comm, 0, sizeof(task->comm));
	strlcpy(task->comm, name, sizeof(task->comm));
	return 0;
}

/* The options without further arguments require them to be 0 (Linux
 * checks arg3..arg5 for the newer options). */
static bool rest_zero(const struct syscall_args *args, int from)
{
	for (int i = from; i < 5; i++) {
		if (args->a[i] != 0)
			return false;
	}
	return true;
}

long sys_prctl(const struct syscall_args *args)
{
	struct task *task = current_task();
	int option = arg_int(args->a[0]);
	u64 arg2 = args->a[1];
	switch (option) {
	case PR_SET_NAME:
		return set_name(task, arg2);
	case PR_GET_NAME:
		return copyout_str_field(arg2, task->comm, TASK_COMM_SIZE);
	case PR_SET_PDEATHSIG:
		if (arg2 > NSIG)
			return -EINVAL;
		task->pdeath_signal = (int)arg2;
		return 0;
	case PR_GET_PDEATHSIG:
		return put_int(arg2, task->pdeath_signal);
	case PR_GET_DUMPABLE:
		return task->dumpable ? 1 : 0;
	case PR_SET_DUMPABLE:
		if (arg2 > 1)
			return -EINVAL;
		task->dumpable = arg2 == 1;
		return 0;
	case PR_SET_CHILD_SUBREAPER:
		task->child_subreaper = arg2 != 0;
		return 0;
	case PR_GET_CHILD_SUBREAPER:
		return put_int(arg2, task->child_subreaper ? 1 : 0);
	case PR_SET_NO_NEW_PRIVS:
		if (arg2 != 1 || !rest_zero(args, 2))
			return -EINVAL;
		task->no_new_privs = true; /* one way, as on Linux */
		return 0;
	case PR_GET_NO_NEW_PRIVS:
		if (!rest_zero(args, 1))
			return -EINVAL;
		return task->no_new_privs ? 1 : 0;
	default:
		return -EINVAL;
	}
}
