/*
 * pseudofs.c: table-driven directories and generated files (see
 * pseudofs.h). Inodes are made on lookup and freed on their last put;
 * the table itself is static and shared.
 */
#include "fs/pseudofs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "platform/platform.h"
#include "syscalls/linux_abi/errno.h"

#define GENERATED_MAX (1u << 20)

struct pseudofs {
	struct fs_super sb;
	const struct pseudo_node *nodes;
	size_t count;
	struct ktimespec created;  /* every node's time: when /dev, /proc appeared */
};

/* A generated file's content, owned by the open file. */
struct generated {
	size_t size;
	bool fresh;   /* made by the first read, not at open */
	u64 bound;    /* node->bind at open */
	char data[];
};

static const struct inode_ops g_pseudo_iops;

const struct pseudo_node *pseudofs_node(struct inode *inode)
{
	return inode->priv;
}

static struct pseudofs *pfs(struct inode *inode)
{
	return inode->sb->priv;
}

struct inode *pseudofs_inode(struct fs_super *sb, const struct pseudo_node *node, u64 ino)
{
	struct inode *inode = inode_alloc(sb, ino, node->mode);
	if (inode == NULL)
		return NULL;
	struct pseudofs *fs = sb->priv;
	if (node->caller_owned) {
		struct vfs_cred cred;
		vfs_current_cred(&cred);
		inode->uid = cred.uid;
		inode->gid = cred.gid;
	}
	inode->rdev = node->rdev;
	inode->size = node->size;
	inode->atime = fs->created;
	inode->mtime = fs->created;
	inode->ctime = fs->created;
	inode->nlink = (node->mode & S_IFMT) == S_IFDIR ? 2 : 1;
	inode->iops = &g_pseudo_iops;
	inode->fops = node->fops;
	inode->priv = (void *)node;
	return inode;
}

static const struct pseudo_node *find_node(struct pseudofs *fs, u32 ino)
{
	for (size_t i = 0; i < fs->count; i++)
		if (fs->nodes[i].ino == ino)
			return &fs->nodes[i];
	return NULL;
}

int pseudofs_lookup_static(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	struct pseudofs *fs = pfs(dir);
	const struct pseudo_node *node = pseudofs_node(dir);
	for (size_t i = 1; i < fs->count; i++) {
		const struct pseudo_node *child = &fs->nodes[i];
		if (child->parent != node->ino || strlen(child->name) != len ||
		    memcmp(child->name, name, len) != 0)
			continue;
		*out = pseudofs_inode(&fs->sb, child, child->ino);
		return *out ? 0 : -ENOMEM;
	}
	return -ENOENT;
}

static int pseudo_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	struct pseudofs *fs = pfs(dir);
	const struct pseudo_node *node = pseudofs_node(dir);
	if (len == 2 && name[0] == '.' && name[1] == '.') {
		const struct pseudo_node *parent = find_node(fs, node->parent);
		if (parent == NULL) /* a dynamic directory knows its own parent */
			return node->lookup != NULL ? node->lookup(dir, name, len, out) : -ENOENT;
		*out = pseudofs_inode(&fs->sb, parent, parent->ino);
		return *out ? 0 : -ENOMEM;
	}
	if (node->lookup != NULL)
		return node->lookup(dir, name, len, out);
	return pseudofs_lookup_static(dir, name, len, out);
}

/* cookie = index in the table of the next candidate. */
int pseudofs_iterate_static(struct inode *dir, u64 *cookie, struct vfs_dirent *out)
{
	struct pseudofs *fs = pfs(dir);
	const struct pseudo_node *node = pseudofs_node(dir);
	for (size_t i = (size_t)*cookie + 1; i < fs->count; i++) {
		const struct pseudo_node *child = &fs->nodes[i];
		if (child->parent != node->ino)
			continue;
		out->ino = child->ino;
		out->type = (u8)((child->mode & S_IFMT) >> 12);
		out->name_len = (u16)strlen(child->name);
		memcpy(out->name, child->name, out->name_len + 1);
		*cookie = i;
		return 1;
	}
	return 0;
}

static int pseudo_iterate(struct inode *dir, u64 *cookie, struct vfs_dirent *out)
{
	const struct pseudo_node *node = pseudofs_node(dir);
	if (node->iterate != NULL)
		return node->iterate(dir, cookie, out);
	return pseudofs_iterate_static(dir, cookie, out);
}

static long pseudo_readlink(struct inode *link, char *buf, size_t size)
{
	const struct pseudo_node *node = pseudofs_node(link);
	if (node->readlink == NULL)
		return -EINVAL;
	return node->readlink(link, buf, size);
}

static int pseudo_jump(struct inode *link, struct inode **out)
{
	const struct pseudo_node *node = pseudofs_node(link);
	if (node->jump == NULL)
		return 1;
	return node->jump(link, out);
}

static void pseudo_release(struct inode *inode)
{
	kfree(inode);
}

static const struct inode_ops g_pseudo_iops = {
	.lookup = pseudo_lookup,
	.iterate = pseudo_iterate,
	.readlink = pseudo_readlink,
	.jump = pseudo_jump,
	.release = pseudo_release,
};

long pseudofs_copy_link(const char *target, char *buf, size_t size)
{
	size_t len = strlen(target);
	size_t n = len < size ? len : size;
	memcpy(buf, target, n);
	return (long)n;
}

/* Generate the content, growing the buffer as needed. */
static long generate(struct inode *inode, struct generated **out)
{
	const struct pseudo_node *node = pseudofs_node(inode);
	if (node->generate == NULL)
		return -EIO;
	for (size_t cap = 4096; cap <= GENERATED_MAX; cap *= 2) {
		struct generated *g = kmalloc(sizeof(*g) + cap);
		if (g == NULL)
			return -ENOMEM;
		long n = node->generate(inode, g->data, cap);
		if (n < 0) {
			kfree(g);
			return n;
		}
		if ((size_t)n <= cap) {
			g->size = (size_t)n;
			g->fresh = false;
			*out = g;
			return 0;
		}
		kfree(g);
	}
	return -EFBIG;
}

/* At open, so that a file that cannot be read (no such task, no
 * access) fails the open as on Linux. */
static int generated_open(struct inode *inode, struct file *file)
{
	struct generated *g;
	long err = generate(inode, &g);
	if (err < 0)
		return (int)err;
	const struct pseudo_node *node = pseudofs_node(inode);
	g->bound = node->bind ? node->bind(inode) : 0;
	file->priv = g;
	return 0;
}

static void generated_close(struct file *file)
{
	if (file->priv != NULL)
		kfree(file->priv);
}

/* Linux generates at the first read: /proc/self/cmdline opened by a
 * shell's redirection and read after exec shows the new program. So the
 * first read makes the content again (keeping the open's if that fails,
 * e.g. the task has exited since); later reads see that one. */
static long generated_read(struct file *file, void *buf, size_t size, u64 offset)
{
	struct generated *g = file->priv;
	const struct pseudo_node *node = pseudofs_node(file->inode);
	if (node->bind && node->bind(file->inode) != g->bound)
		return 0; /* what it was opened on is gone */
	if (!g->fresh) {
		struct generated *again;
		if (generate(file->inode, &again) == 0) {
			again->bound = g->bound;
			kfree(g);
			g = again;
			file->priv = g;
		}
		g->fresh = true;
	}
	if (offset >= g->size)
		return 0;
	size_t n = g->size - (size_t)offset;
	if (n > size)
		n = size;
	memcpy(buf, g->data + offset, n);
	return (long)n;
}

const struct file_ops g_pseudo_generated_fops = {
	.open = generated_open,
	.close = generated_close,
	.read = generated_read,
};

struct fs_super *pseudofs_create(const char *type, u64 dev, const struct pseudo_node *nodes,
                                 size_t count)
{
	struct pseudofs *fs = kzalloc(sizeof(*fs));
	if (fs == NULL)
		return NULL;
	fs->sb.type = type;
	fs->sb.dev = dev;
	fs->sb.priv = fs;
	fs->nodes = nodes;
	fs->count = count;
	u64 now = platform_wallclock_ns();
	fs->created.sec = (s64)(now / 1000000000ULL);
	fs->created.nsec = (s64)(now % 1000000000ULL);
	fs->sb.root = pseudofs_inode(&fs->sb, &nodes[0], nodes[0].ino);
	if (fs->sb.root == NULL) {
		kfree(fs);
		return NULL;
	}
	return &fs->sb;
}
