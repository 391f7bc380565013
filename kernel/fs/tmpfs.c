/*
 * tmpfs.c: in-memory files, directories and symlinks.
 *
 * Ownership: a directory entry holds one reference on its child inode;
 * the filesystem holds one on its root. A node's data is freed when its
 * inode's last reference goes (unlinked and no longer open). A directory
 * knows its parent without a reference (a parent cannot be removed while
 * it has entries); rmdir clears it.
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

static struct inode *new_inode(struct tmpfs_fs *fs, u32 mode)
{
	struct tmpfs_node *node = kzalloc(sizeof(*node));
	if (node == NULL)
		return NULL;
	struct inode *inode = inode_alloc(&fs->sb, fs->next_ino++, mode);
	if (inode == NULL) {
		kfree(node);
		return NULL;
	}
	inode->iops = &g_tmpfs_iops;
	inode->fops = &g_tmpfs_fops;
	inode->priv = node;
	inode->nlink = (mode & S_IFMT) == S_IFDIR ? 2 : 1;
	struct vfs_cred cred;
	vfs_current_cred(&cred);
	inode->uid = cred.uid;
	inode->gid = cred.gid;
	node->next_id = 1;
	tmpfs_touch(inode);
	inode->atime = inode->mtime;
	return inode;
}

static void tmpfs_release(struct inode *inode)
{
	struct tmpfs_node *node = tnode(inode);
	tmpfs_free_pages_from(tfs(inode), node, 0);
	if (node->pages != NULL)
		kfree(node->pages);
	if (node->target != NULL)
		kfree(node->target);
	kfree(node);
	kfree(inode);
}

static struct tmpfs_entry *find_entry(struct inode *dir, const char *name, size_t len,
                                      struct tmpfs_entry ***link_out)
{
	struct tmpfs_entry **link = &tnode(dir)->entries;
	for (; *link != NULL; link = &(*link)->next) {
		struct tmpfs_entry *e = *link;
		if (e->name_len == len && memcmp(e->name, name, len) == 0) {
			if (link_out != NULL)
				*link_out = link;
			return e;
		}
	}
	return NULL;
}

/* Append an entry naming child; takes over the caller's reference. */
static int add_entry(struct inode *dir, const char *name, size_t len, struct inode *child)
{
	struct tmpfs_entry *e = kmalloc(sizeof(*e) + len + 1);
	if (e == NULL)
		return -ENOMEM;
	struct tmpfs_node *node = tnode(dir);
	e->next = NULL;
	e->id = node->next_id++;
	e->child = child;
	e->name_len = (u16)len;
	memcpy(e->name, name, len);
	e->name[len] = 0;
	struct tmpfs_entry **link = &node->entries;
	while (*link != NULL)
		link = &(*link)->next;
	*link = e;
	tmpfs_touch(dir);
	return 0;
}

/* Unlink the entry at *link; returns the child reference it held. */
static struct inode *remove_entry(struct inode *dir, struct tmpfs_entry **link)
{
	struct tmpfs_entry *e = *link;
	struct inode *child = e->child;
	*link = e->next;
	kfree(e);
	tmpfs_touch(dir);
	return child;
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
	struct tmpfs_entry *e = find_entry(dir, name, len, NULL);
	if (e == NULL)
		return -ENOENT;
	*out = inode_get(e->child);
	return 0;
}

static int tmpfs_iterate(struct inode *dir, u64 *cookie, struct vfs_dirent *out)
{
	for (struct tmpfs_entry *e = tnode(dir)->entries; e != NULL; e = e->next) {
		if (e->id <= *cookie)
			continue;
		out->ino = e->child->ino;
		out->type = (u8)((e->child->mode & S_IFMT) >> 12);
		out->name_len = e->name_len;
		memcpy(out->name, e->name, e->name_len + 1);
		*cookie = e->id;
		return 1;
	}
	return 0;
}

static int make_child(struct inode *dir, const char *name, size_t len, u32 mode,
                      struct inode **out)
{
	if (tnode(dir)->parent == NULL && dir != dir->sb->root)
		return -ENOENT; /* dir was removed */
	struct inode *child = new_inode(tfs(dir), mode);
	if (child == NULL)
		return -ENOSPC;
	if ((mode & S_IFMT) == S_IFDIR)
		tnode(child)->parent = dir;
	int err = add_entry(dir, name, len, child);
	if (err < 0) {
		inode_put(child);
		return err;
	}
	if (out != NULL)
		*out = inode_get(child);
	return 0;
}

static int tmpfs_create_file(struct inode *dir, const char *name, size_t len, u32 mode,
                        struct inode **out)
{
	return make_child(dir, name, len, S_IFREG | (mode & 07777), out);
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
		return -ENOMEM;
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

static int tmpfs_link(struct inode *dir, const char *name, size_t len, struct inode *target)
{
	if (tnode(dir)->parent == NULL && dir != dir->sb->root)
		return -ENOENT; /* dir was removed */
	if (target->nlink == 0)
		return -ENOENT; /* unlinked already (Linux refuses it too) */
	int err = add_entry(dir, name, len, inode_get(target));
	if (err < 0) {
		inode_put(target);
		return err;
	}
	target->nlink++;
	target->ctime = tmpfs_now();
	return 0;
}

static int tmpfs_unlink(struct inode *dir, const char *name, size_t len)
{
	struct tmpfs_entry **link = NULL;
	struct tmpfs_entry *e = find_entry(dir, name, len, &link);
	if (e == NULL)
		return -ENOENT;
	if (inode_is_dir(e->child))
		return -EISDIR;
	struct inode *child = remove_entry(dir, link);
	child->nlink--;
	child->ctime = tmpfs_now();
	inode_put(child);
	return 0;
}

static int tmpfs_rmdir(struct inode *dir, const char *name, size_t len)
{
	struct tmpfs_entry **link = NULL;
	struct tmpfs_entry *e = find_entry(dir, name, len, &link);
	if (e == NULL)
		return -ENOENT;
	if (!inode_is_dir(e->child))
		return -ENOTDIR;
	if (tnode(e->child)->entries != NULL)
		return -ENOTEMPTY;
	struct inode *child = remove_entry(dir, link);
	tnode(child)->parent = NULL;
	child->nlink = 0;
	dir->nlink--;
	inode_put(child);
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
	if (inode_is_dir(dst) && tnode(dst)->entries != NULL)
		return -ENOTEMPTY;
	return 0;
}

static int tmpfs_rename(struct inode *old_dir, const char *old_name, size_t old_len,
                        struct inode *new_dir, const char *new_name, size_t new_len,
                        u32 flags)
{
	struct tmpfs_entry **src_link = NULL, **dst_link = NULL;
	struct tmpfs_entry *src = find_entry(old_dir, old_name, old_len, &src_link);
	if (src == NULL)
		return -ENOENT;
	struct inode *moving = src->child;
	if (inode_is_dir(moving) && is_ancestor(moving, new_dir))
		return -EINVAL;
	struct tmpfs_entry *dst = find_entry(new_dir, new_name, new_len, &dst_link);
	if (dst != NULL) {
		if (flags & RENAME_NOREPLACE)
			return -EEXIST;
		if (dst->child == moving)
			return 0;
		int err = check_replace(moving, dst->child);
		if (err < 0)
			return err;
	}

	/* Make the new entry first, so that nothing is lost on -ENOMEM. */
	int err = add_entry(new_dir, new_name, new_len, inode_get(moving));
	if (err < 0) {
		inode_put(moving);
		return err;
	}
	if (dst != NULL) {
		/* Look it up again: add_entry may have appended after it. */
		find_entry(new_dir, new_name, new_len, &dst_link);
		struct inode *replaced = remove_entry(new_dir, dst_link);
		if (inode_is_dir(replaced)) {
			tnode(replaced)->parent = NULL;
			replaced->nlink = 0;
			new_dir->nlink--;
		} else {
			replaced->nlink--;
		}
		inode_put(replaced);
	}
	find_entry(old_dir, old_name, old_len, &src_link);
	inode_put(remove_entry(old_dir, src_link));
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
	const char *target = tnode(link)->target;
	size_t n = link->size < size ? (size_t)link->size : size;
	memcpy(buf, target, n);
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
	.symlink = tmpfs_symlink,
	.unlink = tmpfs_unlink,
	.link = tmpfs_link,
	.rmdir = tmpfs_rmdir,
	.rename = tmpfs_rename,
	.truncate = tmpfs_truncate,
	.chmod = tmpfs_chmod,
	.release = tmpfs_release,
};

static u64 tmpfs_free_blocks(struct fs_super *sb)
{
	struct tmpfs_fs *fs = sb->priv;
	return fs->page_limit > fs->pages_used ? fs->page_limit - fs->pages_used : 0;
}

struct fs_super *tmpfs_create(u32 root_mode, u64 page_limit)
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
	fs->sb.root = new_inode(fs, S_IFDIR | (root_mode & 07777));
	if (fs->sb.root == NULL) {
		kfree(fs);
		return NULL;
	}
	return &fs->sb;
}

u64 tmpfs_pages_used(struct fs_super *sb)
{
	return ((struct tmpfs_fs *)sb->priv)->pages_used;
}
