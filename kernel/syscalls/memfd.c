/*
 * memfd.c: memfd_create and the seal commands of fcntl (F_ADD_SEALS,
 * F_GET_SEALS). The files and their seals are fs/tmpfs_seal.c's.
 *
 * Trust: the name, flags and seals are raw user input, checked here
 * (flags, name length) and in tmpfs_seal.c (seals).
 */
#include "fs/tmpfs.h"
#include "lib/kprintf.h"
#include "mm/kmalloc.h"
#include "mm/uaccess.h"
#include "mm/vma.h"
#include "proc/fdtable.h"
#include "proc/task.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/memfd.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

long sys_memfd_create(const struct syscall_args *args)
{
	u32 flags = (u32)args->a[1];
	if (flags & MFD_HUGETLB) {
		kprintf("memfd_create: MFD_HUGETLB not supported\n");
		return -EINVAL;
	}
	if (flags & ~(u32)(MFD_CLOEXEC | MFD_ALLOW_SEALING))
		return -EINVAL;
	char *name = kmalloc(MFD_NAME_MAX + 2);
	if (name == NULL)
		return -ENOMEM;
	long len = copyinstr(name, args->a[0], MFD_NAME_MAX + 2);
	if (len < 0 || len > MFD_NAME_MAX) {
		kfree(name);
		return len < 0 && len != -ENAMETOOLONG ? len : -EINVAL;
	}
	struct file *file;
	int err = tmpfs_memfd(name, flags & MFD_ALLOW_SEALING, &file);
	kfree(name);
	if (err)
		return err;
	long fd = fd_install(current_task(), file, 0, flags & MFD_CLOEXEC);
	file_put(file); /* the fd owns it now */
	return fd;
}

long fcntl_seals(struct file *file, int cmd, u64 arg)
{
	if (cmd == F_GET_SEALS)
		return tmpfs_get_seals(file);
	if ((u32)arg & ~(u32)F_SEAL_ALL)
		return -EINVAL;
	bool mapped = file->inode != NULL && vma_file_writably_mapped(file->inode);
	return tmpfs_add_seals(file, (u32)arg, mapped);
}
