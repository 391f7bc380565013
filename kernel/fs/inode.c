/*
 * inode.c: reference counting of inodes and open files.
 *
 * An inode lives while someone holds a reference; the last inode_put asks
 * its filesystem to release it. A file holds one inode reference and is
 * freed (after its close op) when its last reference goes.
 */
#include "fs/lock.h"
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "panic.h"

struct inode *inode_alloc(struct fs_super *sb, u64 ino, u32 mode)
{
	struct inode *inode = kzalloc(sizeof(*inode));
	if (inode == NULL)
		return NULL;
	inode->refcount = 1;
	inode->sb = sb;
	inode->ino = ino;
	inode->mode = mode;
	inode->nlink = 1;
	return inode;
}

struct inode *inode_get(struct inode *inode)
{
	ASSERT(inode->refcount > 0);
	inode->refcount++;
	return inode;
}

void inode_put(struct inode *inode)
{
	if (inode == NULL)
		return;
	ASSERT(inode->refcount > 0);
	if (--inode->refcount > 0)
		return;
	if (inode->iops != NULL && inode->iops->release != NULL)
		inode->iops->release(inode);
	else
		kfree(inode);
}

struct file *file_alloc(const struct file_ops *ops, struct inode *inode, u32 flags,
                        void *priv)
{
	struct file *file = kzalloc(sizeof(*file));
	if (file == NULL)
		return NULL;
	file->refcount = 1;
	file->flags = flags;
	file->inode = inode;
	file->ops = ops;
	file->priv = priv;
	list_init(&file->epoll_links);
	return file;
}

static void (*g_file_release_hook)(struct file *file);

void vfs_set_file_release_hook(void (*hook)(struct file *file))
{
	g_file_release_hook = hook;
}

struct file *file_get(struct file *file)
{
	ASSERT(file->refcount > 0);
	file->refcount++;
	return file;
}

void file_put(struct file *file)
{
	if (file == NULL)
		return;
	ASSERT(file->refcount > 0);
	if (--file->refcount > 0)
		return;
	if (g_file_release_hook != NULL && !list_empty(&file->epoll_links))
		g_file_release_hook(file);
	if (file->ops != NULL && file->ops->close != NULL)
		file->ops->close(file);
	/* The file's own locks (OFD, flock) go with its last reference. */
	if (file->inode != NULL && file->inode->locks != NULL)
		lock_release(file->inode, LOCK_OFD, (u64)(uptr)file);
	inode_put(file->inode);
	inode_put(file->path_dir);
	if (file->path_name != NULL)
		kfree(file->path_name);
	kfree(file);
}
