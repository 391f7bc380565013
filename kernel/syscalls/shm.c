/*
 * shm.c: System V shared memory: shmget, shmat, shmdt, shmctl. The
 * segments live in mm/shm.c; this file decodes the calls and moves the
 * structs across.
 *
 * Trust: every argument is raw user input; mm/shm.c checks keys, sizes,
 * ids and addresses, this file the command and the user buffers.
 */
#include "fs/vfs.h"
#include "mm/shm.h"
#include "mm/uaccess.h"
#include "proc/task.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/ipc.h"

long sys_shmget(const struct syscall_args *args)
{
	struct vfs_cred cred;
	vfs_current_cred(&cred);
	return shm_get((s32)args->a[0], args->a[1], (u32)args->a[2], &cred, current_task()->pid);
}

long sys_shmat(const struct syscall_args *args)
{
	struct vfs_cred cred;
	vfs_current_cred(&cred);
	struct task *t = current_task();
	return shm_attach(t->mm, arg_int(args->a[0]), args->a[1], (u32)args->a[2], &cred, t->pid);
}

long sys_shmdt(const struct syscall_args *args)
{
	struct task *t = current_task();
	return shm_detach(t->mm, args->a[0], t->pid);
}

static long stat_out(int id, int cmd, u64 ubuf, const struct vfs_cred *cred)
{
	struct linux_shmid64_ds ds;
	int real_id;
	int err = shm_stat(id, cmd != IPC_STAT, cmd == SHM_STAT_ANY, cred, &ds, &real_id);
	if (err)
		return err;
	if (copyout(ubuf, &ds, sizeof(ds)) != 0)
		return -EFAULT;
	return cmd == IPC_STAT ? 0 : real_id; /* SHM_STAT*: the id of that index */
}

static long info_out(int cmd, u64 ubuf)
{
	if (cmd == IPC_INFO) {
		struct linux_shminfo64 info;
		int top = shm_limits(&info);
		return copyout(ubuf, &info, sizeof(info)) != 0 ? -EFAULT : top;
	}
	struct linux_shm_info usage;
	int top = shm_usage(&usage);
	return copyout(ubuf, &usage, sizeof(usage)) != 0 ? -EFAULT : top;
}

long sys_shmctl(const struct syscall_args *args)
{
	int id = arg_int(args->a[0]);
	int cmd = arg_int(args->a[1]) & ~IPC_64;
	u64 ubuf = args->a[2];
	struct vfs_cred cred;
	vfs_current_cred(&cred);
	switch (cmd) {
	case IPC_STAT:
	case SHM_STAT:
	case SHM_STAT_ANY:
		return stat_out(id, cmd, ubuf, &cred);
	case IPC_INFO:
	case SHM_INFO:
		return info_out(cmd, ubuf);
	case IPC_SET: {
		struct linux_shmid64_ds ds;
		if (copyin(&ds, ubuf, sizeof(ds)) != 0)
			return -EFAULT;
		return shm_set(id, &ds, &cred);
	}
	case IPC_RMID:
		return shm_remove(id, &cred);
	case SHM_LOCK:
	case SHM_UNLOCK:
		return shm_lock(id, cmd == SHM_LOCK, &cred);
	default:
		return -EINVAL;
	}
}
