/*
 * tmpfs_seal.c: memfd files and file seals. A memfd is an unnamed file
 * on the internal tmpfs instance behind shared anonymous memory
 * (tmpfs_anon_file); with MFD_ALLOW_SEALING it starts without seals and
 * F_ADD_SEALS may add them. Every other tmpfs file carries F_SEAL_SEAL
 * from birth. tmpfs_data.c enforces the seals on writes, truncation and
 * fallocate, mm/mmap.c on writable shared mappings.
 */
#include "fs/tmpfs.h"
#include "fs/tmpfs_node.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "syscalls/linux_abi/errno.h"

#define MEMFD_PREFIX "memfd:"
#define MEMFD_SUFFIX " (deleted)"

int tmpfs_memfd(const char *name, bool sealable, struct file **out)
{
	size_t len = strlen(name);
	if (len > MFD_NAME_MAX)
		return -EINVAL;
	/* What /proc/self/fd/N shows, as on Linux. */
	size_t size = sizeof(MEMFD_PREFIX) - 1 + len + sizeof(MEMFD_SUFFIX);
	char *path_name = kmalloc(size);
	if (path_name == NULL)
		return -ENOMEM;
	snprintf(path_name, size, MEMFD_PREFIX "%s" MEMFD_SUFFIX, name);
	struct file *file;
	int err = tmpfs_anon_file(0, &file);
	if (err) {
		kfree(path_name);
		return err;
	}
	file->inode->mode = S_IFREG | 0777;
	file->path_name = path_name;
	tnode(file->inode)->seals = sealable ? 0 : F_SEAL_SEAL;
	*out = file;
	return 0;
}

static bool is_tmpfs_file(const struct file *file)
{
	return file->ops == &g_tmpfs_fops && file->inode != NULL &&
	       (file->inode->mode & S_IFMT) == S_IFREG;
}

int tmpfs_get_seals(const struct file *file)
{
	if (!is_tmpfs_file(file))
		return -EINVAL;
	return (int)tnode(file->inode)->seals;
}

int tmpfs_add_seals(struct file *file, u32 seals, bool writably_mapped)
{
	if (!is_tmpfs_file(file) || (seals & ~(u32)F_SEAL_ALL))
		return -EINVAL;
	if ((file->flags & O_ACCMODE) == O_RDONLY)
		return -EPERM; /* Linux: sealing needs a file open for writing */
	struct tmpfs_node *node = tnode(file->inode);
	if (node->seals & F_SEAL_SEAL)
		return -EPERM;
	if ((seals & F_SEAL_WRITE) && !(node->seals & F_SEAL_WRITE) && writably_mapped)
		return -EBUSY;
	node->seals |= seals;
	return 0;
}
