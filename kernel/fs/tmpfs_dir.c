/*
 * tmpfs_dir.c: directory tables (the name cache) and the lower layer's
 * directories.
 *
 * A directory's names live in a list (getdents order, stable cookies)
 * and a hash index (lookups cost the same whatever the directory's
 * size). A directory of the overlay that has a lower (image) directory
 * copies the lower names into its table the first time it is used, as
 * unloaded entries (inode number and type only); from then on the table
 * is the whole truth: a removed name simply leaves it, so the lower
 * directory is never asked again and no whiteout is needed. A missing
 * name is missing without any disk access (the negative entry is the
 * table itself). An unloaded entry becomes an inode on first lookup.
 *
 * Trust: names from the lower layer come from the authenticated image
 * through cvmfs's checked parser (1..255 bytes, no '/' or NUL).
 */
#include "fs/tmpfs_node.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "syscalls/linux_abi/errno.h"

#define FIRST_BUCKETS 8

static u32 name_hash(const char *name, size_t len)
{
	u32 h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < len; i++) {
		h ^= (u8)name[i];
		h *= 16777619u;
	}
	return h;
}

static struct tmpfs_entry **bucket(struct tmpfs_dir *d, const char *name, size_t len)
{
	return &d->buckets[name_hash(name, len) & (d->bucket_count - 1)];
}

/* Keep about one name per bucket: double when the names outgrow them. */
static int grow_index(struct tmpfs_dir *d)
{
	if (d->bucket_count != 0 && d->count < d->bucket_count)
		return 0;
	u32 count = d->bucket_count ? d->bucket_count * 2 : FIRST_BUCKETS;
	struct tmpfs_entry **buckets = kzalloc(count * sizeof(*buckets));
	if (buckets == NULL)
		return d->bucket_count != 0 ? 0 : -ENOMEM; /* longer chains still work */
	if (d->buckets != NULL)
		kfree(d->buckets);
	d->buckets = buckets;
	d->bucket_count = count;
	for (struct tmpfs_entry *e = d->first; e != NULL; e = e->next) {
		struct tmpfs_entry **b = bucket(d, e->name, e->name_len);
		e->hash_next = *b;
		*b = e;
	}
	return 0;
}

struct tmpfs_entry *tmpfs_dir_find(struct tmpfs_dir *d, const char *name, size_t len)
{
	if (d->bucket_count == 0)
		return NULL;
	for (struct tmpfs_entry *e = *bucket(d, name, len); e != NULL; e = e->hash_next) {
		if (e->name_len == len && memcmp(e->name, name, len) == 0)
			return e;
	}
	return NULL;
}

int tmpfs_dir_add(struct tmpfs_dir *d, const char *name, size_t len, struct inode *child,
                  u64 lower_ino, u8 type)
{
	struct tmpfs_entry *e = kmalloc(sizeof(*e) + len + 1);
	if (e == NULL || grow_index(d) < 0) {
		if (e != NULL)
			kfree(e);
		return -ENOMEM;
	}
	e->id = ++d->next_id;
	e->child = child;
	e->lower_ino = lower_ino;
	e->type = type;
	e->name_len = (u16)len;
	memcpy(e->name, name, len);
	e->name[len] = 0;
	e->next = NULL;
	e->prev = d->last;
	if (d->last != NULL)
		d->last->next = e;
	else
		d->first = e;
	d->last = e;
	struct tmpfs_entry **b = bucket(d, name, len);
	e->hash_next = *b;
	*b = e;
	d->count++;
	return 0;
}

struct inode *tmpfs_dir_remove(struct tmpfs_dir *d, struct tmpfs_entry *e)
{
	struct tmpfs_entry **b = bucket(d, e->name, e->name_len);
	while (*b != e)
		b = &(*b)->hash_next;
	*b = e->hash_next;
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		d->first = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		d->last = e->prev;
	if (d->cursor == e)
		d->cursor = e->prev;
	d->count--;
	struct inode *child = e->child;
	kfree(e);
	return child;
}

void tmpfs_dir_free(struct tmpfs_dir *d)
{
	while (d->first != NULL)
		inode_put(tmpfs_dir_remove(d, d->first));
	if (d->buckets != NULL)
		kfree(d->buckets);
	d->buckets = NULL;
	d->bucket_count = 0;
}

int tmpfs_dir_ready(struct inode *dir)
{
	struct tmpfs_node *node = tnode(dir);
	if (node->lower == NULL || node->lower_loaded)
		return 0;
	struct inode *lower = node->lower;
	if (lower->iops == NULL || lower->iops->iterate == NULL)
		return -EIO;
	struct vfs_dirent *ent = kmalloc(sizeof(*ent));
	if (ent == NULL)
		return -ENOMEM;
	u64 cookie = 0;
	int got;
	while ((got = lower->iops->iterate(lower, &cookie, ent)) == 1) {
		int err = tmpfs_dir_add(&node->dir, ent->name, ent->name_len, NULL, ent->ino,
		                        ent->type);
		if (err < 0) {
			got = err;
			break;
		}
	}
	kfree(ent);
	if (got < 0) {
		/* Leave no half-loaded table: the next use tries again. */
		while (node->dir.first != NULL)
			inode_put(tmpfs_dir_remove(&node->dir, node->dir.first));
		return got;
	}
	node->lower_loaded = true;
	return 0;
}

/* One tmpfs inode per image inode with several names (hard links). */
static struct inode *find_alias(struct tmpfs_fs *fs, u64 lower_ino)
{
	for (struct tmpfs_alias *a = fs->aliases; a != NULL; a = a->next) {
		if (a->lower_ino == lower_ino)
			return a->inode;
	}
	return NULL;
}

static int add_alias(struct tmpfs_fs *fs, u64 lower_ino, struct inode *inode)
{
	struct tmpfs_alias *a = kmalloc(sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	a->lower_ino = lower_ino;
	a->inode = inode;
	a->next = fs->aliases;
	fs->aliases = a;
	return 0;
}

/* Load the image inode an unloaded entry names. */
static int load_entry(struct inode *dir, struct tmpfs_entry *e, struct inode **out)
{
	struct tmpfs_fs *fs = tfs(dir);
	struct inode *alias = find_alias(fs, e->lower_ino);
	if (alias != NULL) {
		*out = inode_get(alias);
		return 0;
	}
	if (fs->lower == NULL || fs->lower->iget == NULL)
		return -EIO;
	struct inode *lower = NULL;
	int err = fs->lower->iget(fs->lower, e->lower_ino, &lower);
	if (err < 0)
		return err;
	if (((lower->mode & S_IFMT) >> 12) != e->type) {
		inode_put(lower);
		return -EIO; /* the image's entry and inode disagree */
	}
	err = tmpfs_inode_from_lower(fs, lower, dir, out);
	bool linked = !inode_is_dir(lower) && lower->nlink > 1;
	inode_put(lower);
	if (err == 0 && linked && add_alias(fs, e->lower_ino, *out) < 0) {
		inode_put(*out);
		err = -ENOMEM;
	}
	return err;
}

int tmpfs_entry_inode(struct inode *dir, struct tmpfs_entry *e, struct inode **out)
{
	if (e->child == NULL) {
		int err = load_entry(dir, e, &e->child);
		if (err < 0) {
			e->child = NULL;
			return err;
		}
	}
	*out = e->child;
	return 0;
}

void tmpfs_forget_alias(struct tmpfs_fs *fs, struct inode *inode)
{
	for (struct tmpfs_alias **link = &fs->aliases; *link != NULL; link = &(*link)->next) {
		if ((*link)->inode == inode) {
			struct tmpfs_alias *gone = *link;
			*link = gone->next;
			kfree(gone);
			return;
		}
	}
}
