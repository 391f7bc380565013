/*
 * volfs_dir.c: directories of a volume (docs/volume-format.md,
 * "Directory content"). A directory's blocks are tiled by records; the
 * first use loads every name into a hash index, checking each record,
 * and from then on each change edits the one block it concerns (and
 * first reserves the block it dirties), so a lookup costs one probe and a
 * change one block whatever the directory's size.
 */
#include "fs/volfs_fs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "syscalls/linux_abi/errno.h"

static u32 record_space(u32 name_len)
{
	return (VOLFS_DIRENT_HEADER + name_len + 3) & ~3u;
}

static u32 hash_name(const char *name, size_t len)
{
	u32 h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (u8)name[i]) * 16777619u;
	return h;
}

struct record {
	u32 off;                     /* in the block */
	u32 ino;
	u32 rec_len;
	u32 name_len;
	u8 type;
	const char *name;
};

/* Decode the record at off of a block, checking every rule; false for a
 * corrupt block (authentic, but not what a writer may produce). */
static bool record_at(const u8 *block, u32 off, struct record *r)
{
	if (VOLFS_BLOCK_SIZE - off < VOLFS_DIRENT_HEADER)
		return false;
	r->off = off;
	r->ino = cvmfs_le32(block + off);
	r->rec_len = cvmfs_le16(block + off + 4);
	r->name_len = block[off + 6];
	r->type = block[off + 7];
	r->name = (const char *)block + off + VOLFS_DIRENT_HEADER;
	if (r->rec_len < VOLFS_DIRENT_HEADER || r->rec_len % 4 != 0 ||
	    r->rec_len > VOLFS_BLOCK_SIZE - off)
		return false;
	if (r->ino == 0)
		return r->name_len == 0;
	if (r->name_len == 0 || VOLFS_DIRENT_HEADER + r->name_len > r->rec_len)
		return false;
	if (r->type != DT_DIR && r->type != DT_REG && r->type != DT_LNK)
		return false;
	if (r->ino >= VOLFS_MAX_INODES)
		return false;
	if ((r->name_len == 1 && r->name[0] == '.') ||
	    (r->name_len == 2 && r->name[0] == '.' && r->name[1] == '.'))
		return false;
	for (u32 i = 0; i < r->name_len; i++)
		if (r->name[i] == '/' || r->name[i] == 0)
			return false;
	return true;
}

/* The largest record a block can take: the slack of one record. */
static u16 block_room(const u8 *block)
{
	u32 best = 0;
	struct record r;
	for (u32 off = 0; off < VOLFS_BLOCK_SIZE && record_at(block, off, &r); off += r.rec_len) {
		u32 used = r.ino != 0 ? record_space(r.name_len) : 0;
		if (r.rec_len - used > best)
			best = r.rec_len - used;
	}
	return (u16)best;
}

struct volfs_name *volfs_dir_find(struct volfs_dir *d, const char *name, size_t len)
{
	if (d->bucket_count == 0)
		return NULL;
	struct volfs_name *n = d->buckets[hash_name(name, len) & (d->bucket_count - 1)];
	for (; n != NULL; n = n->hash_next)
		if (n->len == len && memcmp(n->name, name, len) == 0)
			return n;
	return NULL;
}

static int grow_buckets(struct volfs_dir *d)
{
	u32 count = d->bucket_count ? d->bucket_count * 2 : 16;
	struct volfs_name **buckets = kzalloc(count * sizeof(*buckets));
	if (buckets == NULL)
		return -ENOMEM;
	for (u32 i = 0; i < d->bucket_count; i++) {
		struct volfs_name *n = d->buckets[i];
		while (n != NULL) {
			struct volfs_name *next = n->hash_next;
			u32 b = hash_name(n->name, n->len) & (count - 1);
			n->hash_next = buckets[b];
			buckets[b] = n;
			n = next;
		}
	}
	if (d->buckets != NULL)
		kfree(d->buckets);
	d->buckets = buckets;
	d->bucket_count = count;
	return 0;
}

static int index_add(struct volfs_dir *d, const char *name, size_t len, u32 ino, u8 type, u64 pos)
{
	if (d->count >= d->bucket_count && grow_buckets(d) < 0)
		return -ENOMEM;
	struct volfs_name *n = kmalloc(sizeof(*n) + len + 1);
	if (n == NULL)
		return -ENOMEM;
	n->pos = pos;
	n->ino = ino;
	n->type = type;
	n->len = (u8)len;
	memcpy(n->name, name, len);
	n->name[len] = 0;
	u32 b = hash_name(name, len) & (d->bucket_count - 1);
	n->hash_next = d->buckets[b];
	d->buckets[b] = n;
	d->count++;
	return 0;
}

static void index_remove(struct volfs_dir *d, struct volfs_name *victim)
{
	struct volfs_name **link = &d->buckets[hash_name(victim->name, victim->len) & (d->bucket_count - 1)];
	for (; *link != NULL; link = &(*link)->hash_next) {
		if (*link == victim) {
			*link = victim->hash_next;
			d->count--;
			kfree(victim);
			return;
		}
	}
}

void volfs_dir_free(struct volfs_dir *d)
{
	for (u32 i = 0; i < d->bucket_count; i++) {
		struct volfs_name *n = d->buckets[i];
		while (n != NULL) {
			struct volfs_name *next = n->hash_next;
			kfree(n);
			n = next;
		}
	}
	if (d->buckets != NULL)
		kfree(d->buckets);
	if (d->room != NULL)
		kfree(d->room);
	kfree(d);
}

static int block_page(struct inode *dir, u64 b, bool need_content, u8 **page)
{
	return volfs_obj_page(&vfs_of(dir)->st, &vinode(dir)->obj, b, need_content, page);
}

static int load_block(struct inode *dir, struct volfs_dir *d, u64 b)
{
	u8 *block;
	int err = block_page(dir, b, true, &block);
	if (err < 0)
		return err;
	struct record r;
	u32 off = 0;
	while (off < VOLFS_BLOCK_SIZE) {
		if (!record_at(block, off, &r))
			return -EIO;
		if (r.ino != 0) {
			if (volfs_dir_find(d, r.name, r.name_len) != NULL)
				return -EIO; /* a name twice */
			err = index_add(d, r.name, r.name_len, r.ino, r.type, b * VOLFS_BLOCK_SIZE + off);
			if (err < 0)
				return err;
		}
		off += r.rec_len;
	}
	d->room[b] = block_room(block);
	return 0;
}

int volfs_dir_ready(struct inode *dir)
{
	struct volfs_inode *vi = vinode(dir);
	if (vi->dir != NULL)
		return 0;
	struct volfs_dir *d = kzalloc(sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	d->blocks = dir->size / VOLFS_BLOCK_SIZE;
	d->room = kzalloc((d->blocks + 1) * sizeof(u16));
	int err = d->room == NULL ? -ENOMEM : 0;
	for (u64 b = 0; err == 0 && b < d->blocks; b++)
		err = load_block(dir, d, b);
	if (err < 0) {
		volfs_dir_free(d);
		return err;
	}
	vi->dir = d;
	return 0;
}

static void put_record(u8 *at, u32 ino, u32 rec_len, const char *name, u32 len, u8 type)
{
	volfs_put_le32(at, ino);
	volfs_put_le16(at + 4, (u16)rec_len);
	at[6] = (u8)len;
	at[7] = type;
	memcpy(at + VOLFS_DIRENT_HEADER, name, len);
}

/* A new, empty block at the end of the directory (its page dirty). */
static int append_block(struct inode *dir, struct volfs_dir *d, u64 *out)
{
	struct volfs_fs *fs = vfs_of(dir);
	struct volfs_obj *obj = &vinode(dir)->obj;
	u64 b = d->blocks;
	u16 *room = kzalloc((b + 2) * sizeof(u16));
	if (room == NULL)
		return -ENOMEM;
	int err = volfs_obj_grow(&fs->st, obj, (b + 1) * VOLFS_BLOCK_SIZE);
	u8 *block = NULL;
	if (err == 0)
		err = volfs_obj_page(&fs->st, obj, b, false, &block);
	if (err == 0)
		err = volfs_obj_dirty(&fs->st, obj, b, false, false);
	if (err < 0) {
		kfree(room);
		return err;
	}
	memset(block, 0, VOLFS_BLOCK_SIZE);
	volfs_put_le16(block + 4, VOLFS_BLOCK_SIZE); /* one unused record */
	memcpy(room, d->room, b * sizeof(u16));
	kfree(d->room);
	d->room = room;
	d->room[b] = VOLFS_BLOCK_SIZE;
	d->blocks = b + 1;
	dir->size = d->blocks * VOLFS_BLOCK_SIZE;
	*out = b;
	return 0;
}

int volfs_dir_add(struct inode *dir, const char *name, size_t len, u32 ino, u8 type)
{
	struct volfs_dir *d = vinode(dir)->dir;
	struct volfs_fs *fs = vfs_of(dir);
	u32 need = record_space((u32)len);
	u64 b = 0;
	while (b < d->blocks && d->room[b] < need)
		b++;
	int err = volfs_touch_meta(dir); /* size and times */
	if (err == 0 && b == d->blocks)
		err = append_block(dir, d, &b);
	u8 *block = NULL;
	if (err == 0)
		err = block_page(dir, b, true, &block);
	if (err == 0)
		err = volfs_obj_dirty(&fs->st, &vinode(dir)->obj, b, false, false);
	if (err < 0)
		return err;
	struct record r;
	for (u32 off = 0; off < VOLFS_BLOCK_SIZE && record_at(block, off, &r); off += r.rec_len) {
		u32 used = r.ino != 0 ? record_space(r.name_len) : 0;
		if (r.rec_len - used < need)
			continue;
		err = index_add(d, name, len, ino, type, b * VOLFS_BLOCK_SIZE + off + used);
		if (err < 0)
			return err;
		if (used != 0)
			volfs_put_le16(block + off + 4, (u16)used);
		put_record(block + off + used, ino, r.rec_len - used, name, (u32)len, type);
		d->room[b] = block_room(block);
		return 0;
	}
	return -EIO; /* the room index and the block disagree: a bug, not the host */
}

/* The page and in-block offset of n's record, the block dirtied. */
static int record_page(struct inode *dir, struct volfs_name *n, u8 **block, u32 *off)
{
	u64 b = n->pos / VOLFS_BLOCK_SIZE;
	int err = volfs_touch_meta(dir);
	if (err == 0)
		err = block_page(dir, b, true, block);
	if (err == 0)
		err = volfs_obj_dirty(&vfs_of(dir)->st, &vinode(dir)->obj, b, false, false);
	*off = (u32)(n->pos % VOLFS_BLOCK_SIZE);
	return err;
}

int volfs_dir_remove(struct inode *dir, struct volfs_name *n)
{
	struct volfs_dir *d = vinode(dir)->dir;
	u8 *block;
	u32 target;
	int err = record_page(dir, n, &block, &target);
	if (err < 0)
		return err;
	struct record r, prev = { 0 };
	bool have_prev = false;
	u32 off = 0;
	for (; off < target && record_at(block, off, &r); off += r.rec_len) {
		prev = r;
		have_prev = true;
	}
	if (off != target || !record_at(block, off, &r) || r.ino != n->ino)
		return -EIO;
	if (have_prev) {
		volfs_put_le16(block + prev.off + 4, (u16)(prev.rec_len + r.rec_len));
		memset(block + off, 0, r.rec_len);
	} else {
		memset(block + off, 0, r.rec_len);
		volfs_put_le16(block + off + 4, (u16)r.rec_len); /* an unused record */
	}
	d->room[n->pos / VOLFS_BLOCK_SIZE] = block_room(block);
	index_remove(d, n);
	return 0;
}

int volfs_dir_retarget(struct inode *dir, struct volfs_name *n, u32 ino, u8 type)
{
	u8 *block;
	u32 off;
	int err = record_page(dir, n, &block, &off);
	if (err < 0)
		return err;
	volfs_put_le32(block + off, ino);
	block[off + 7] = type;
	n->ino = ino;
	n->type = type;
	return 0;
}

int volfs_dir_next(struct inode *dir, u64 *cookie, struct vfs_dirent *out)
{
	struct volfs_dir *d = vinode(dir)->dir;
	for (u64 b = *cookie / VOLFS_BLOCK_SIZE; b < d->blocks; b++) {
		u8 *block;
		int err = block_page(dir, b, true, &block);
		if (err < 0)
			return err;
		u32 from = b == *cookie / VOLFS_BLOCK_SIZE ? (u32)(*cookie % VOLFS_BLOCK_SIZE) : 0;
		struct record r;
		for (u32 off = 0; off < VOLFS_BLOCK_SIZE; off += r.rec_len) {
			if (!record_at(block, off, &r))
				return -EIO;
			if (off < from || r.ino == 0)
				continue;
			out->ino = r.ino;
			out->type = r.type;
			out->name_len = (u16)r.name_len;
			memcpy(out->name, r.name, r.name_len);
			out->name[r.name_len] = 0;
			*cookie = b * VOLFS_BLOCK_SIZE + off + r.rec_len;
			return 1;
		}
	}
	*cookie = d->blocks * VOLFS_BLOCK_SIZE;
	return 0;
}
