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
#include "proc/cred.h"
#include "proc/task.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/capability.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/signal.h"

#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2
#define PR_GET_DUMPABLE 3
#define PR_SET_DUMPABLE 4
#define PR_GET_KEEPCAPS 7
#define PR_SET_KEEPCAPS 8
#define PR_SET_NAME 15
#define PR_GET_NAME 16
#define PR_CAPBSET_READ 23
#define PR_CAPBSET_DROP 24
#define PR_GET_SECUREBITS 27
#define PR_SET_SECUREBITS 28
#define PR_SET_CHILD_SUBREAPER 36
#define PR_GET_CHILD_SUBREAPER 37
#define PR_SET_NO_NEW_PRIVS 38
#define PR_GET_NO_NEW_PRIVS 39
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_IS_SET 1
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_LOWER 3
#define PR_CAP_AMBIENT_CLEAR_ALL 4

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

static bool cap_valid(u64 cap)
{
	return cap <= CAP_LAST_CAP;
}

/* securebits: each bit may be set only if not locked, and the caller
 * needs CAP_SETPCAP, as on Linux. */
static long set_securebits(struct task *t, u64 bits)
{
	if (bits & ~(u64)SECBITS_ALL)
		return -EINVAL;
	u32 locked = (t->securebits >> 1) & 0x55; /* each lock bit guards the one below */
	if (((u32)bits ^ t->securebits) & locked)
		return -EPERM;
	if (!capable(CAP_SETPCAP))
		return -EPERM;
	t->securebits = (u32)bits;
	return 0;
}

static long cap_ambient(struct task *t, const struct syscall_args *args)
{
	u64 op = args->a[1], cap = args->a[2];
	if (args->a[4] != 0 || (op != PR_CAP_AMBIENT_CLEAR_ALL && args->a[3] != 0))
		return -EINVAL;
	switch (op) {
	case PR_CAP_AMBIENT_IS_SET:
		return cap_valid(cap) ? (long)((t->cap_ambient >> cap) & 1) : -EINVAL;
	case PR_CAP_AMBIENT_RAISE:
		if (!cap_valid(cap))
			return -EINVAL;
		if (!(t->cap_permitted & CAP_BIT(cap)) || !(t->cap_inheritable & CAP_BIT(cap)) ||
		    (t->securebits & SECBIT_NO_CAP_AMBIENT_RAISE))
			return -EPERM;
		t->cap_ambient |= CAP_BIT(cap);
		return 0;
	case PR_CAP_AMBIENT_LOWER:
		if (!cap_valid(cap))
			return -EINVAL;
		t->cap_ambient &= ~CAP_BIT(cap);
		return 0;
	case PR_CAP_AMBIENT_CLEAR_ALL:
		if (args->a[2] != 0 || args->a[3] != 0)
			return -EINVAL;
		t->cap_ambient = 0;
		return 0;
	default:
		return -EINVAL;
	}
}

/* The capability options; -EINVAL for an option Linux does not have. */
static long cap_option(struct task *t, int option, const struct syscall_args *args)
{
	u64 arg2 = args->a[1];
	switch (option) {
	case PR_CAPBSET_READ:
		return cap_valid(arg2) ? (long)((t->cap_bounding >> arg2) & 1) : -EINVAL;
	case PR_CAPBSET_DROP:
		if (!cap_valid(arg2))
			return -EINVAL;
		if (!capable(CAP_SETPCAP))
			return -EPERM;
		t->cap_bounding &= ~CAP_BIT(arg2);
		return 0;
	case PR_GET_KEEPCAPS:
		return (t->securebits & SECBIT_KEEP_CAPS) ? 1 : 0;
	case PR_SET_KEEPCAPS:
		if (arg2 > 1)
			return -EINVAL;
		if (t->securebits & SECBIT_KEEP_CAPS_LOCKED)
			return -EPERM;
		t->securebits = arg2 ? (t->securebits | SECBIT_KEEP_CAPS)
		                     : (t->securebits & ~(u32)SECBIT_KEEP_CAPS);
		return 0;
	case PR_GET_SECUREBITS:
		return t->securebits;
	case PR_SET_SECUREBITS:
		return set_securebits(t, arg2);
	case PR_CAP_AMBIENT:
		return cap_ambient(t, args);
	default:
		return -EINVAL;
	}
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
		return cap_option(task, option, args);
	}
}
