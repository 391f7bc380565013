/*
 * tmpfs.c: in-memory files, directories and symlinks, and the root
 * overlay: a tmpfs over the read-only image (docs/kernel-memory.md).
 *
 * Ownership: a directory entry holds one reference on its child inode
 * (once loaded, tmpfs_dir.c); the filesystem holds one on its root. A
 * node's data is freed when its inode's last reference goes (unlinked
 * and no longer open). A directory knows its parent without a reference
 * (a parent cannot be removed while it has entries); rmdir clears it. An
 * overlay node holds a reference on its image inode.
 */
#include "fs/tmpfs.h"
#include "fs/tmpfs_node.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "platform/platform.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

#define TMPFS_DEV_BASE 0x20
#define TMPFS_MAGIC 0x01021994
#define OVERLAYFS_MAGIC 0x794c7630

static const struct inode_ops g_tmpfs_iops;
static u64 g_next_dev = TMPFS_DEV_BASE;

struct ktimespec tmpfs_now(void)
{
	u64 ns = platform_wallclock_ns();
	struct ktimespec t = { (s64)(ns / 1000000000ULL), (s64)(ns % 1000000000ULL) };
	return t;
}

void tmpfs_touch(struct inode *inode)
{
	inode->mtime = tmpfs_now();
	inode->ctime = inode->mtime;
}

static u8 dtype_of(const struct inode *inode)
{
	return (u8)((inode->mode & S_IFMT) >> 12);
}

/* A bare tmpfs inode numbered ino. */
static struct inode *alloc_inode(struct tmpfs_fs *fs, u64 ino, u32 mode)
{
	struct tmpfs_node *node = kzalloc(sizeof(*node));
	if (node == NULL)
		return NULL;
	struct inode *inode = inode_alloc(&fs->sb, ino, mode);
	if (inode == NULL) {
		kfree(node);
		return NULL;
	}
	inode->iops = &g_tmpfs_iops;
	inode->fops = &g_tmpfs_fops;
	inode->priv = node;
	node->seals = F_SEAL_SEAL; /* only memfd_create's files may be sealed */
	return inode;
}

/* A new inode, owned by the caller's credentials, times now. */
static struct inode *new_inode(struct tmpfs_fs *fs, u32 mode)
{
	struct inode *inode = alloc_inode(fs, fs->next_ino++, mode);
	if (inode == NULL)
		return NULL;
	inode->nlink = (mode & S_IFMT) == S_IFDIR ? 2 : 1;
	struct vfs_cred cred;
	vfs_current_cred(&cred);
	inode->uid = cred.uid;
	inode->gid = cred.gid;
	tmpfs_touch(inode);
	inode->atime = inode->mtime;
	return inode;
}

int tmpfs_inode_from_lower(struct tmpfs_fs *fs, struct inode *lower, struct inode *parent,
                           struct inode **out)
{
	struct inode *inode = alloc_inode(fs, lower->ino, lower->mode);
	if (inode == NULL)
		return -ENOMEM;
	inode->uid = lower->uid;
	inode->gid = lower->gid;
	inode->nlink = lower->nlink;
	inode->size = lower->size;
	inode->atime = lower->atime;
	inode->mtime = lower->mtime;
	inode->ctime = lower->ctime;
	struct tmpfs_node *node = tnode(inode);
	node->lower = inode_get(lower);
	node->lower_size = inode_is_reg(lower) ? lower->size : 0;
	if (inode_is_dir(inode))
		node->parent = parent;
	*out = inode;
	return 0;
}

static void tmpfs_release(struct inode *inode)
{
	struct tmpfs_node *node = tnode(inode);
	if (node->lower != NULL && !inode_is_dir(inode))
		tmpfs_forget_alias(tfs(inode), inode);
	tmpfs_dir_free(&node->dir);
	tmpfs_free_pages_from(tfs(inode), node, 0);
	tmpfs_data_release(node);
	if (node->pages != NULL)
		kfree(node->pages);
	if (node->target != NULL)
		kfree(node->target);
	if (node->lower != NULL)
		inode_put(node->lower);
	kfree(node);
	kfree(inode);
}

/* The loaded entry for name in dir (its directory table ready), or
 * -ENOENT. */
static int find_child(struct inode *dir, const char *name, size_t len,
                      struct tmpfs_entry **entry, struct inode **child)
{
	int err = tmpfs_dir_ready(dir);
	if (err < 0)
		return err;
	struct tmpfs_entry *e = tmpfs_dir_find(&tnode(dir)->dir, name, len);
	if (e == NULL)
		return -ENOENT;
	err = tmpfs_entry_inode(dir, e, child);
	if (err < 0)
		return err;
	*entry = e;
	return 0;
}

static int tmpfs_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	if (len == 2 && name[0] == '.' && name[1] == '.') {
		struct inode *parent = tnode(dir)->parent;
		if (parent == NULL)
			return -ENOENT;
		*out = inode_get(parent);
		return 0;
	}
	struct tmpfs_entry *e = NULL;
	struct inode *child = NULL;
	int err = find_child(dir, name, len, &e, &child);
	if (err < 0)
		return err;
	*out = inode_get(child);
	return 0;
}

static int tmpfs_iterate(struct inode *dir, u64 *cookie, struct vfs_dirent *out)
{
	int err = tmpfs_dir_ready(dir);
	if (err < 0)
		return err;
	struct tmpfs_dir *d = &tnode(dir)->dir;
	/* Continue after the last entry returned, without a scan, when the
	 * caller continues from there (the usual getdents loop). */
	struct tmpfs_entry *e = d->first;
	if (d->cursor != NULL && d->cursor->id <= *cookie)
		e = d->cursor;
	while (e != NULL && e->id <= *cookie)
		e = e->next;
	if (e == NULL)
		return 0;
	out->ino = e->child != NULL ? e->child->ino : e->lower_ino;
	out->type = e->child != NULL ? dtype_of(e->child) : e->type;
	out->name_len = e->name_len;
	memcpy(out->name, e->name, e->name_len + 1);
	*cookie = e->id;
	d->cursor = e;
	return 1;
}

/* Is dir still in the tree? (A removed directory accepts no names.) */
static bool dir_alive(struct inode *dir)
{
	return tnode(dir)->parent != NULL || dir == dir->sb->root;
}

static int make_child(struct inode *dir, const char *name, size_t len, u32 mode,
                      struct inode **out)
{
	if (!dir_alive(dir))
		return -ENOENT;
	int err = tmpfs_dir_ready(dir);
	if (err < 0)
		return err;
	struct inode *child = new_inode(tfs(dir), mode);
	if (child == NULL)
		return -ENOSPC;
	if ((mode & S_IFMT) == S_IFDIR)
		tnode(child)->parent = dir;
	err = tmpfs_dir_add(&tnode(dir)->dir, name, len, child, 0, dtype_of(child));
	if (err < 0) {
		inode_put(child);
		return err == -ENOMEM ? -ENOSPC : err;
	}
	tmpfs_touch(dir);
	if (out != NULL)
		*out = inode_get(child);
	return 0;
}

static int tmpfs_create_file(struct inode *dir, const char *name, size_t len, u32 mode,
                             struct inode **out)
{
	return make_child(dir, name, len, S_IFREG | (mode & 07777), out);
}

/* Socket nodes and FIFOs: a name and an inode, no data (a FIFO's bytes
 * are in its pipe while open, proc/fifo.c). */
static int tmpfs_mknod(struct inode *dir, const char *name, size_t len, u32 mode)
{
	u32 type = mode & S_IFMT;
	if (type != S_IFSOCK && type != S_IFIFO)
		return -EPERM;
	return make_child(dir, name, len, type | (mode & 07777), NULL);
}

static int tmpfs_mkdir(struct inode *dir, const char *name, size_t len, u32 mode)
{
	int err = make_child(dir, name, len, S_IFDIR | (mode & 07777), NULL);
	if (err == 0)
		dir->nlink++;
	return err;
}

static int tmpfs_symlink(struct inode *dir, const char *name, size_t len, const char *target)
{
	size_t target_len = strlen(target);
	char *copy = kmalloc(target_len + 1);
	if (copy == NULL)
		return -ENOSPC;
	memcpy(copy, target, target_len + 1);
	struct inode *link = NULL;
	int err = make_child(dir, name, len, S_IFLNK | 0777, &link);
	if (err < 0) {
		kfree(copy);
		return err;
	}
	tnode(link)->target = copy;
	link->size = target_len;
	inode_put(link);
	return 0;
}

static int tmpfs_link(struct inode *target, struct inode *dir, const char *name, size_t len)
{
	if (!dir_alive(dir))
		return -ENOENT;
	if (target->nlink == 0)
		return -ENOENT; /* Linux: no new names for an unlinked file */
	int err = tmpfs_dir_ready(dir);
	if (err < 0)
		return err;
	err = tmpfs_dir_add(&tnode(dir)->dir, name, len, inode_get(target), 0, dtype_of(target));
	if (err < 0) {
		inode_put(target);
		return -ENOSPC;
	}
	target->nlink++;
	target->ctime = tmpfs_now();
	tmpfs_touch(dir);
	return 0;
}

/* Take the entry e out of dir and drop the name's share of its inode. */
static void remove_name(struct inode *dir, struct tmpfs_entry *e, struct inode *child)
{
	inode_get(child);
	inode_put(tmpfs_dir_remove(&tnode(dir)->dir, e));
	if (inode_is_dir(child)) {
		tnode(child)->parent = NULL;
		child->nlink = 0;
		dir->nlink--;
	} else {
		child->nlink--;
	}
	child->ctime = tmpfs_now();
	tmpfs_touch(dir);
	inode_put(child);
}

static int tmpfs_unlink(struct inode *dir, const char *name, size_t len)
{
	struct tmpfs_entry *e = NULL;
	struct inode *child = NULL;
	int err = find_child(dir, name, len, &e, &child);
	if (err < 0)
		return err;
	if (inode_is_dir(child))
		return -EISDIR;
	remove_name(dir, e, child);
	return 0;
}

/* A directory with no names (its image names loaded first). */
static int dir_empty(struct inode *dir)
{
	int err = tmpfs_dir_ready(dir);
	if (err < 0)
		return err;
	return tnode(dir)->dir.count == 0 ? 0 : -ENOTEMPTY;
}

static int tmpfs_rmdir(struct inode *dir, const char *name, size_t len)
{
	struct tmpfs_entry *e = NULL;
	struct inode *child = NULL;
	int err = find_child(dir, name, len, &e, &child);
	if (err < 0)
		return err;
	if (!inode_is_dir(child))
		return -ENOTDIR;
	err = dir_empty(child);
	if (err < 0)
		return err;
	remove_name(dir, e, child);
	return 0;
}

/* Is maybe_ancestor dir itself or one of its parents? */
static bool is_ancestor(struct inode *maybe_ancestor, struct inode *dir)
{
	for (struct inode *cur = dir; cur != NULL; cur = tnode(cur)->parent)
		if (cur == maybe_ancestor)
			return true;
	return false;
}

static int check_replace(struct inode *src, struct inode *dst)
{
	if (inode_is_dir(src) && !inode_is_dir(dst))
		return -ENOTDIR;
	if (!inode_is_dir(src) && inode_is_dir(dst))
		return -EISDIR;
	if (inode_is_dir(dst))
		return dir_empty(dst);
	return 0;
}

static int tmpfs_rename(struct inode *old_dir, const char *old_name, size_t old_len,
                        struct inode *new_dir, const char *new_name, size_t new_len,
                        u32 flags)
{
	struct tmpfs_entry *src = NULL;
	struct inode *moving = NULL;
	int err = find_child(old_dir, old_name, old_len, &src, &moving);
	if (err < 0)
		return err;
	if (inode_is_dir(moving) && is_ancestor(moving, new_dir))
		return -EINVAL;
	struct tmpfs_entry *dst = NULL;
	struct inode *replaced = NULL;
	err = find_child(new_dir, new_name, new_len, &dst, &replaced);
	if (err < 0 && err != -ENOENT)
		return err;
	if (dst != NULL) {
		if (flags & RENAME_NOREPLACE)
			return -EEXIST;
		if (replaced == moving)
			return 0;
		err = check_replace(moving, replaced);
		if (err < 0)
			return err;
	}

	/* Make the new entry first, so that nothing is lost on -ENOMEM. */
	err = tmpfs_dir_add(&tnode(new_dir)->dir, new_name, new_len, inode_get(moving), 0,
	                    dtype_of(moving));
	if (err < 0) {
		inode_put(moving);
		return -ENOSPC;
	}
	if (dst != NULL)
		remove_name(new_dir, dst, replaced);
	inode_put(tmpfs_dir_remove(&tnode(old_dir)->dir, src));
	tmpfs_touch(old_dir);
	tmpfs_touch(new_dir);
	if (inode_is_dir(moving) && old_dir != new_dir) {
		tnode(moving)->parent = new_dir;
		old_dir->nlink--;
		new_dir->nlink++;
	}
	moving->ctime = tmpfs_now();
	return 0;
}

static long tmpfs_readlink(struct inode *link, char *buf, size_t size)
{
	struct tmpfs_node *node = tnode(link);
	if (node->target == NULL) {
		struct inode *lower = node->lower;
		if (lower == NULL || lower->iops == NULL || lower->iops->readlink == NULL)
			return -EIO;
		return lower->iops->readlink(lower, buf, size);
	}
	size_t n = link->size < size ? (size_t)link->size : size;
	memcpy(buf, node->target, n);
	return (long)n;
}

static int tmpfs_chmod(struct inode *inode, u32 mode)
{
	inode->mode = (inode->mode & S_IFMT) | (mode & 07777);
	inode->ctime = tmpfs_now();
	return 0;
}

static const struct inode_ops g_tmpfs_iops = {
	.lookup = tmpfs_lookup,
	.iterate = tmpfs_iterate,
	.readlink = tmpfs_readlink,
	.create = tmpfs_create_file,
	.mkdir = tmpfs_mkdir,
	.mknod = tmpfs_mknod,
	.symlink = tmpfs_symlink,
	.link = tmpfs_link,
	.unlink = tmpfs_unlink,
	.rmdir = tmpfs_rmdir,
	.rename = tmpfs_rename,
	.truncate = tmpfs_truncate,
	.fallocate = tmpfs_fallocate,
	.chmod = tmpfs_chmod,
	.release = tmpfs_release,
};

static u64 tmpfs_free_blocks(struct fs_super *sb)
{
	struct tmpfs_fs *fs = sb->priv;
	return fs->page_limit > fs->pages_used ? fs->page_limit - fs->pages_used : 0;
}

static struct tmpfs_fs *new_fs(u64 page_limit)
{
	struct tmpfs_fs *fs = kzalloc(sizeof(*fs));
	if (fs == NULL)
		return NULL;
	fs->sb.type = "tmpfs";
	fs->sb.dev = g_next_dev++;
	fs->sb.magic = TMPFS_MAGIC;
	fs->sb.total_blocks = page_limit;
	fs->sb.free_blocks = tmpfs_free_blocks;
	fs->sb.priv = fs;
	fs->next_ino = 1;
	fs->page_limit = page_limit;
	return fs;
}

struct fs_super *tmpfs_create(u32 root_mode, u64 page_limit)
{
	struct tmpfs_fs *fs = new_fs(page_limit);
	if (fs == NULL)
		return NULL;
	fs->sb.root = new_inode(fs, S_IFDIR | (root_mode & 07777));
	if (fs->sb.root == NULL) {
		kfree(fs);
		return NULL;
	}
	return &fs->sb;
}

void tmpfs_destroy(struct fs_super *sb)
{
	inode_put(sb->root);
	kfree(sb->priv);
}

int tmpfs_configure(struct fs_super *sb, u32 root_mode, u32 uid, u32 gid, u64 page_limit)
{
	struct tmpfs_fs *fs = sb->priv;
	if (fs->pages_used != 0 || fs->lower != NULL || tnode(sb->root)->dir.count != 0)
		return -EBUSY; /* only a tmpfs nothing has used yet */
	fs->page_limit = page_limit;
	sb->total_blocks = page_limit;
	sb->root->mode = S_IFDIR | (root_mode & 07777);
	sb->root->uid = uid;
	sb->root->gid = gid;
	return 0;
}

struct fs_super *tmpfs_create_overlay(struct fs_super *lower, u64 first_new_ino,
                                      u64 page_limit, bool read_only)
{
	struct tmpfs_fs *fs = new_fs(page_limit);
	if (fs == NULL)
		return NULL;
	fs->sb.type = "overlay";
	fs->sb.magic = OVERLAYFS_MAGIC;
	fs->sb.dev = lower->dev;
	fs->sb.read_only = read_only;
	fs->lower = lower;
	fs->next_ino = first_new_ino;
	if (tmpfs_inode_from_lower(fs, lower->root, NULL, &fs->sb.root) < 0) {
		kfree(fs);
		return NULL;
	}
	return &fs->sb;
}

u64 tmpfs_pages_used(struct fs_super *sb)
{
	return ((struct tmpfs_fs *)sb->priv)->pages_used;
}

/* The instance behind shared anonymous memory, made on first use; like
 * Linux's internal shm mount it may take half of RAM. */
static struct fs_super *g_anon_sb;

int tmpfs_anon_file(u64 size, struct file **out)
{
	if (size > TMPFS_MAX_FILE_SIZE)
		return -ENOMEM;
	if (g_anon_sb == NULL)
		g_anon_sb = tmpfs_create(01777, page_total_count() / 2);
	if (g_anon_sb == NULL)
		return -ENOMEM;
	struct inode *inode = new_inode(tfs(g_anon_sb->root), S_IFREG | 0600);
	if (inode == NULL)
		return -ENOMEM;
	inode->nlink = 0; /* never had a name */
	inode->size = size;
	*out = file_alloc(inode->fops, inode, O_RDWR, NULL);
	if (*out == NULL) {
		inode_put(inode);
		return -ENOMEM;
	}
	return 0;
}
