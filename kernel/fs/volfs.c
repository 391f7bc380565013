/*
 * volfs.c: a persistent volume as a filesystem: mounting (the metadata
 * walk and the epoch commit), the inode cache, inode records, and the
 * commit that fsync, sync, a full cache and the app's exit call.
 *
 * Trust: every inode record is checked when it is loaded (the mount walk
 * checks them all once, and every tree block); directory records are
 * checked in volfs_dir.c. What the blocks say is authentic (volfs_store.c),
 * but a reader still bound-checks it.
 */
#include "fs/volfs.h"
#include "fs/volfs_fs.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "platform/platform.h"
#include "syscalls/linux_abi/errno.h"

#define VOLFS_DEV_BASE 0xfd10
#define VOLFS_MAX_MOUNTS 32

static u64 g_next_dev = VOLFS_DEV_BASE;
static struct volfs_fs *g_mounted[VOLFS_MAX_MOUNTS];
static u32 g_busy; /* operations under way (nested): reclaim keeps out */

/* ---- memory: the busy guard and reclaim ---- */

static size_t evict_all(size_t want)
{
	size_t freed = 0;
	for (u32 i = 0; i < VOLFS_MAX_MOUNTS && freed < want; i++)
		if (g_mounted[i] != NULL)
			freed += volfs_reclaim(&g_mounted[i]->sb, want - freed);
	return freed;
}

/* The allocator's hook: clean pages and unused inodes go, but never
 * while an operation runs (it may hold any page or node). */
static size_t reclaim_hook(size_t want)
{
	return g_busy == 0 ? evict_all(want) : 0;
}

void volfs_enter(void)
{
	/* A safe point: if memory runs low, give back before starting. */
	if (g_busy == 0 && page_free_count() < page_total_count() / 16)
		evict_all(page_total_count() / 32);
	g_busy++;
}

void volfs_leave(void)
{
	g_busy--;
}

static void register_mount(struct volfs_fs *fs)
{
	static bool hooked;
	if (!hooked) {
		page_set_reclaim_hook(reclaim_hook);
		hooked = true;
	}
	for (u32 i = 0; i < VOLFS_MAX_MOUNTS; i++) {
		if (g_mounted[i] == NULL) {
			g_mounted[i] = fs;
			return;
		}
	}
}

static void unregister_mount(struct volfs_fs *fs)
{
	for (u32 i = 0; i < VOLFS_MAX_MOUNTS; i++)
		if (g_mounted[i] == fs)
			g_mounted[i] = NULL;
}

struct ktimespec volfs_now(void)
{
	u64 ns = platform_wallclock_ns();
	return (struct ktimespec){ (s64)(ns / 1000000000ULL), (s64)(ns % 1000000000ULL) };
}

/* ---- inode records ---- */

static bool all_zero(const u8 *p, size_t size)
{
	for (size_t i = 0; i < size; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* The rules of docs/volume-format.md "Inodes" for a used slot. */
static bool record_valid(const u8 *rec, u32 slots)
{
	u32 mode = cvmfs_le32(rec + VOLFS_INO_OFF_MODE);
	u32 type = mode & S_IFMT;
	u64 size = cvmfs_le64(rec + VOLFS_INO_OFF_SIZE);
	u8 depth = rec[VOLFS_INO_OFF_DEPTH];
	u32 parent = cvmfs_le32(rec + VOLFS_INO_OFF_PARENT);
	if ((type != S_IFREG && type != S_IFDIR && type != S_IFLNK) || (mode & ~(S_IFMT | 07777)))
		return false;
	if (depth > VOLFS_MAX_DEPTH || size > volfs_capacity(depth))
		return false;
	if (cvmfs_le32(rec + VOLFS_INO_OFF_ATIME_NSEC) >= 1000000000u ||
	    cvmfs_le32(rec + VOLFS_INO_OFF_MTIME_NSEC) >= 1000000000u ||
	    cvmfs_le32(rec + VOLFS_INO_OFF_CTIME_NSEC) >= 1000000000u)
		return false;
	if (!all_zero(rec + VOLFS_INO_OFF_RESERVED1, VOLFS_INO_OFF_BLOCKS - VOLFS_INO_OFF_RESERVED1) ||
	    !all_zero(rec + VOLFS_INO_OFF_RESERVED2, VOLFS_INODE_SIZE - VOLFS_INO_OFF_RESERVED2))
		return false;
	if (type == S_IFDIR && (size % VOLFS_BLOCK_SIZE != 0 || parent == 0 || parent >= slots))
		return false;
	if (type != S_IFDIR && parent != 0)
		return false;
	if (type == S_IFLNK && (size == 0 || size > VOLFS_SYMLINK_MAX || depth != 0))
		return false;
	return true;
}

/* The 128 bytes of slot ino in the inode table (a cached page). */
static int slot_record(struct volfs_fs *fs, u32 ino, u8 **rec)
{
	u8 *page;
	int err = volfs_obj_page(&fs->st, &fs->table, ino / VOLFS_INODES_PER_BLOCK, true, &page);
	if (err < 0)
		return err;
	*rec = page + (ino % VOLFS_INODES_PER_BLOCK) * VOLFS_INODE_SIZE;
	return 0;
}

static void get_time(const u8 *rec, u32 sec_off, u32 nsec_off, struct ktimespec *t)
{
	t->sec = (s64)cvmfs_le64(rec + sec_off);
	t->nsec = cvmfs_le32(rec + nsec_off);
}

static void put_time(u8 *rec, u32 sec_off, u32 nsec_off, const struct ktimespec *t)
{
	volfs_put_le64(rec + sec_off, (u64)t->sec);
	volfs_put_le32(rec + nsec_off, (u32)t->nsec);
}

static void encode_record(struct inode *inode, u8 *rec)
{
	struct volfs_inode *vi = vinode(inode);
	memset(rec, 0, VOLFS_INODE_SIZE);
	if (vi->removed)
		return; /* a free slot is all zero */
	volfs_put_le32(rec + VOLFS_INO_OFF_MODE, inode->mode);
	volfs_put_le32(rec + VOLFS_INO_OFF_UID, inode->uid);
	volfs_put_le32(rec + VOLFS_INO_OFF_GID, inode->gid);
	volfs_put_le32(rec + VOLFS_INO_OFF_NLINK, inode->nlink);
	volfs_put_le64(rec + VOLFS_INO_OFF_SIZE, inode->size);
	put_time(rec, VOLFS_INO_OFF_ATIME, VOLFS_INO_OFF_ATIME_NSEC, &inode->atime);
	put_time(rec, VOLFS_INO_OFF_MTIME, VOLFS_INO_OFF_MTIME_NSEC, &inode->mtime);
	put_time(rec, VOLFS_INO_OFF_CTIME, VOLFS_INO_OFF_CTIME_NSEC, &inode->ctime);
	volfs_put_le32(rec + VOLFS_INO_OFF_PARENT, inode_is_dir(inode) ? vi->parent : 0);
	volfs_ptr_encode(&vi->obj.root, rec + VOLFS_INO_OFF_ROOT);
	rec[VOLFS_INO_OFF_DEPTH] = vi->obj.depth;
	volfs_put_le64(rec + VOLFS_INO_OFF_BLOCKS, vi->obj.blocks);
}

/* ---- the inode cache ---- */

static struct inode **cache_slot(struct volfs_fs *fs, u32 ino)
{
	return &fs->cache[ino % VOLFS_CACHE_BUCKETS];
}

static struct inode *cache_find(struct volfs_fs *fs, u32 ino)
{
	for (struct inode *i = *cache_slot(fs, ino); i != NULL; i = vinode(i)->hash_next)
		if (i->ino == ino)
			return i;
	return NULL;
}

static void cache_remove(struct volfs_fs *fs, struct inode *inode)
{
	for (struct inode **link = cache_slot(fs, (u32)inode->ino); *link != NULL;
	     link = &vinode(*link)->hash_next) {
		if (*link == inode) {
			*link = vinode(inode)->hash_next;
			return;
		}
	}
}

void volfs_forget_inode(struct inode *inode)
{
	struct volfs_inode *vi = vinode(inode);
	volfs_obj_forget(&vi->obj);
	if (vi->dir != NULL)
		volfs_dir_free(vi->dir);
	kfree(vi);
	kfree(inode);
}

/* A VFS inode for a checked record. */
static int inode_from_record(struct volfs_fs *fs, u32 ino, const u8 *rec, struct inode **out)
{
	struct volfs_inode *vi = kzalloc(sizeof(*vi));
	struct inode *inode = inode_alloc(&fs->sb, ino, cvmfs_le32(rec + VOLFS_INO_OFF_MODE));
	if (vi == NULL || inode == NULL) {
		if (vi != NULL)
			kfree(vi);
		if (inode != NULL)
			kfree(inode);
		return -ENOMEM;
	}
	inode->uid = cvmfs_le32(rec + VOLFS_INO_OFF_UID);
	inode->gid = cvmfs_le32(rec + VOLFS_INO_OFF_GID);
	inode->nlink = cvmfs_le32(rec + VOLFS_INO_OFF_NLINK);
	inode->size = cvmfs_le64(rec + VOLFS_INO_OFF_SIZE);
	get_time(rec, VOLFS_INO_OFF_ATIME, VOLFS_INO_OFF_ATIME_NSEC, &inode->atime);
	get_time(rec, VOLFS_INO_OFF_MTIME, VOLFS_INO_OFF_MTIME_NSEC, &inode->mtime);
	get_time(rec, VOLFS_INO_OFF_CTIME, VOLFS_INO_OFF_CTIME_NSEC, &inode->ctime);
	inode->iops = &g_volfs_iops;
	inode->fops = &g_volfs_fops;
	inode->priv = vi;
	vi->obj.number = ino;
	vi->obj.depth = rec[VOLFS_INO_OFF_DEPTH];
	volfs_ptr_decode(rec + VOLFS_INO_OFF_ROOT, &vi->obj.root);
	vi->obj.blocks = cvmfs_le64(rec + VOLFS_INO_OFF_BLOCKS);
	vi->parent = cvmfs_le32(rec + VOLFS_INO_OFF_PARENT);
	list_node_init(&vi->dirty_link);
	list_node_init(&vi->orphan_link);
	*out = inode;
	return 0;
}

static void cache_add(struct volfs_fs *fs, struct inode *inode)
{
	struct inode **slot = cache_slot(fs, (u32)inode->ino);
	vinode(inode)->hash_next = *slot;
	*slot = inode; /* the cache's reference */
}

int volfs_iget(struct volfs_fs *fs, u32 ino, struct inode **out)
{
	struct inode *inode = cache_find(fs, ino);
	if (inode != NULL) {
		if (vinode(inode)->removed)
			return -EIO; /* a name for a freed inode */
		*out = inode_get(inode);
		return 0;
	}
	if (ino == 0 || ino >= fs->table_size / VOLFS_INODE_SIZE)
		return -EIO;
	u8 *rec;
	int err = slot_record(fs, ino, &rec);
	if (err < 0)
		return err;
	if (cvmfs_le32(rec) == 0 || !record_valid(rec, (u32)(fs->table_size / VOLFS_INODE_SIZE)))
		return -EIO;
	err = inode_from_record(fs, ino, rec, &inode);
	if (err < 0)
		return err;
	cache_add(fs, inode);
	*out = inode_get(inode);
	return 0;
}

/* ---- changes ---- */

static void mark_dirty(struct volfs_fs *fs, struct inode *inode)
{
	struct volfs_inode *vi = vinode(inode);
	if (!vi->meta_dirty) {
		vi->meta_dirty = true;
		list_insert_between(&vi->dirty_link, fs->dirty.prev, &fs->dirty);
	}
}

int volfs_touch_meta(struct inode *inode)
{
	struct volfs_fs *fs = vfs_of(inode);
	if (vinode(inode)->meta_dirty)
		return 0;
	u64 page = inode->ino / VOLFS_INODES_PER_BLOCK;
	u8 *rec;
	int err = slot_record(fs, (u32)inode->ino, &rec);
	if (err == 0)
		err = volfs_obj_dirty(&fs->st, &fs->table, page, false, false);
	if (err < 0)
		return err;
	mark_dirty(fs, inode);
	return 0;
}

/* A free slot, growing the table by a block when there is none. */
static int alloc_slot(struct volfs_fs *fs, u32 *out)
{
	for (u64 w = 0; w < fs->slot_words; w++) {
		if (fs->free_slots[w] == 0)
			continue;
		u32 bit = (u32)__builtin_ctzll(fs->free_slots[w]);
		*out = (u32)(w * 64 + bit);
		fs->free_slots[w] &= ~(1ULL << bit);
		return 0;
	}
	if (fs->table_size + VOLFS_BLOCK_SIZE > (u64)VOLFS_INODE_SIZE * VOLFS_MAX_INODES)
		return -ENOSPC;
	u64 block = fs->table_size / VOLFS_BLOCK_SIZE;
	u64 *grown = kzalloc((fs->slot_words + 1) * sizeof(u64));
	if (grown == NULL)
		return -ENOMEM;
	u8 *page;
	int err = volfs_obj_grow(&fs->st, &fs->table, fs->table_size + VOLFS_BLOCK_SIZE);
	if (err == 0)
		err = volfs_obj_page(&fs->st, &fs->table, block, false, &page);
	if (err == 0)
		err = volfs_obj_dirty(&fs->st, &fs->table, block, false, false);
	if (err < 0) {
		kfree(grown);
		return err;
	}
	memset(page, 0, VOLFS_BLOCK_SIZE);
	/* A table block is 32 slots: half a bitmap word. */
	memcpy(grown, fs->free_slots, fs->slot_words * sizeof(u64));
	u64 first = fs->table_size / VOLFS_INODE_SIZE;
	for (u64 s = first; s < first + VOLFS_INODES_PER_BLOCK; s++)
		grown[s / 64] |= 1ULL << (s % 64);
	kfree(fs->free_slots);
	fs->free_slots = grown;
	fs->slot_words = (first + VOLFS_INODES_PER_BLOCK + 63) / 64;
	fs->table_size += VOLFS_BLOCK_SIZE;
	return alloc_slot(fs, out);
}

static void free_slot(struct volfs_fs *fs, u32 ino)
{
	fs->free_slots[ino / 64] |= 1ULL << (ino % 64);
}

int volfs_new_inode(struct volfs_fs *fs, struct inode *dir, u32 mode, struct inode **out)
{
	u32 ino;
	int err = alloc_slot(fs, &ino);
	if (err < 0)
		return err;
	u8 blank[VOLFS_INODE_SIZE] = { 0 };
	volfs_put_le32(blank + VOLFS_INO_OFF_MODE, mode);
	struct inode *inode;
	err = inode_from_record(fs, ino, blank, &inode);
	if (err < 0) {
		free_slot(fs, ino);
		return err;
	}
	struct vfs_cred cred;
	vfs_current_cred(&cred);
	inode->uid = cred.uid;
	inode->gid = cred.gid;
	if (dir->mode & S_ISGID) { /* Linux: the directory's group, and setgid for subdirectories */
		inode->gid = dir->gid;
		if ((mode & S_IFMT) == S_IFDIR)
			inode->mode |= S_ISGID;
	}
	inode->nlink = (mode & S_IFMT) == S_IFDIR ? 2 : 1;
	inode->atime = inode->mtime = inode->ctime = volfs_now();
	if ((mode & S_IFMT) == S_IFDIR)
		vinode(inode)->parent = (u32)dir->ino;
	cache_add(fs, inode);
	err = volfs_touch_meta(inode);
	if (err < 0) {
		vinode(inode)->removed = true; /* never named: nothing to write */
		cache_remove(fs, inode);
		inode_put(inode);
		free_slot(fs, ino);
		return err;
	}
	fs->live_inodes++;
	*out = inode_get(inode);
	return 0;
}

/* Release an inode's blocks now that nothing names or uses it. */
static int free_inode(struct volfs_fs *fs, struct inode *inode)
{
	struct volfs_inode *vi = vinode(inode);
	int err = volfs_touch_meta(inode);
	if (err == 0)
		err = volfs_obj_truncate(&fs->st, &vi->obj, inode->size, 0);
	if (err < 0)
		return err;
	volfs_obj_forget(&vi->obj);
	vi->removed = true;
	fs->live_inodes--;
	return 0;
}

static void add_orphan(struct volfs_fs *fs, struct inode *inode)
{
	struct volfs_inode *vi = vinode(inode);
	if (!list_linked(&vi->orphan_link))
		list_insert_between(&vi->orphan_link, fs->orphans.prev, &fs->orphans);
}

void volfs_drop_link(struct inode *inode)
{
	struct volfs_fs *fs = vfs_of(inode);
	if (inode->nlink != 0 || vinode(inode)->removed)
		return;
	/* The cache's reference and the caller's: nobody else uses it. Else
	 * (or without room to free it now) a commit frees it later. */
	if (inode->refcount > 2 || free_inode(fs, inode) < 0)
		add_orphan(fs, inode);
}

/* ---- commit ---- */

/* A page a shared writable mapping dirtied was written: unmap it from
 * shared mappings so that the next store faults and dirties it again. */
static void unmapped(void *ctx, u64 index)
{
	if (ctx != NULL)
		vfs_unmap_file_range(ctx, index * VOLFS_BLOCK_SIZE, (index + 1) * VOLFS_BLOCK_SIZE, false);
}

/* Orphans (no name, still open at their unlink) that nobody uses any
 * more are freed before the commit. */
static void free_orphans(struct volfs_fs *fs)
{
	struct list_node *l = fs->orphans.next;
	while (l != &fs->orphans) {
		struct volfs_inode *vi = list_entry(l, struct volfs_inode, orphan_link);
		l = l->next;
		struct inode *inode = cache_find(fs, vi->obj.number);
		if (inode->refcount == 1 && free_inode(fs, inode) == 0)
			list_remove(&vi->orphan_link);
	}
}

int volfs_commit(struct volfs_fs *fs)
{
	struct volfs_store *st = &fs->st;
	if (!st->writable)
		return 0;
	if (st->broken)
		return -EIO;
	free_orphans(fs);
	if (list_empty(&fs->dirty) && !volfs_obj_is_dirty(&fs->table) && st->pending_count == 0 &&
	    fs->flags == st->hdr.flags)
		return 0;
	for (struct list_node *l = fs->dirty.next; l != &fs->dirty; l = l->next) {
		struct volfs_inode *vi = list_entry(l, struct volfs_inode, dirty_link);
		struct inode *inode = cache_find(fs, vi->obj.number);
		int err = volfs_obj_flush(st, &vi->obj, unmapped, inode);
		if (err < 0)
			return err;
		u8 *rec;
		err = slot_record(fs, vi->obj.number, &rec);
		if (err < 0)
			return err;
		encode_record(inode, rec);
	}
	int err = volfs_obj_flush(st, &fs->table, unmapped, NULL);
	if (err == 0)
		err = volfs_commit_header(st, &fs->table.root, fs->table.depth, fs->table_size,
		                          fs->live_inodes, fs->flags);
	if (err < 0)
		return err;
	while (!list_empty(&fs->dirty)) {
		struct volfs_inode *vi = list_entry(fs->dirty.next, struct volfs_inode, dirty_link);
		list_remove(&vi->dirty_link);
		vi->meta_dirty = false;
		if (vi->removed) {
			struct inode *inode = cache_find(fs, vi->obj.number);
			free_slot(fs, vi->obj.number);
			cache_remove(fs, inode);
			inode_put(inode); /* the cache's reference */
		}
	}
	return 0;
}

/* ---- mount ---- */

/* Walk every slot: check it, account its tree; count live inodes. */
static int walk_inodes(struct volfs_fs *fs)
{
	u64 slots = fs->table_size / VOLFS_INODE_SIZE;
	fs->slot_words = (slots + 63) / 64;
	fs->free_slots = kzalloc(fs->slot_words * sizeof(u64));
	if (fs->free_slots == NULL)
		return -ENOMEM;
	for (u32 ino = 0; ino < slots; ino++) {
		u8 *rec;
		int err = slot_record(fs, ino, &rec);
		if (err < 0)
			return err;
		if (cvmfs_le32(rec) == 0) {
			if (!all_zero(rec, VOLFS_INODE_SIZE) || ino == VOLFS_ROOT_INO)
				return -EIO;
			if (ino != 0)
				free_slot(fs, ino);
			continue;
		}
		if (ino == 0 || !record_valid(rec, (u32)slots))
			return -EIO;
		if (ino == VOLFS_ROOT_INO && (cvmfs_le32(rec) & S_IFMT) != S_IFDIR)
			return -EIO;
		struct volfs_obj obj = { .number = ino, .depth = rec[VOLFS_INO_OFF_DEPTH] };
		volfs_ptr_decode(rec + VOLFS_INO_OFF_ROOT, &obj.root);
		u64 blocks;
		err = volfs_obj_walk(&fs->st, &obj, cvmfs_le64(rec + VOLFS_INO_OFF_SIZE), &blocks);
		if (err < 0)
			return err;
		if (blocks != cvmfs_le64(rec + VOLFS_INO_OFF_BLOCKS))
			return -EIO;
		fs->live_inodes++;
		if (cvmfs_le32(rec + VOLFS_INO_OFF_NLINK) == 0)
			fs->disk_orphans++;
	}
	return 0;
}

/* Orphans a run left behind (open files unlinked before it ended) are
 * freed by the first commit of a writable mount. */
static int adopt_orphans(struct volfs_fs *fs)
{
	u64 slots = fs->table_size / VOLFS_INODE_SIZE;
	for (u32 ino = 1; ino < slots && fs->disk_orphans > 0; ino++) {
		u8 *rec;
		int err = slot_record(fs, ino, &rec);
		if (err < 0)
			return err;
		if (cvmfs_le32(rec) == 0 || cvmfs_le32(rec + VOLFS_INO_OFF_NLINK) != 0)
			continue;
		struct inode *inode;
		err = volfs_iget(fs, ino, &inode);
		if (err < 0)
			return err;
		add_orphan(fs, inode);
		inode_put(inode);
		fs->disk_orphans--;
	}
	return 0;
}

static u64 volfs_free_blocks_of(struct fs_super *sb)
{
	struct volfs_fs *fs = sb->priv;
	return volfs_free_blocks(&fs->st);
}

static int volfs_sync_sb(struct fs_super *sb)
{
	volfs_enter();
	int err = volfs_commit(sb->priv);
	volfs_leave();
	return err;
}

static void volfs_destroy(struct volfs_fs *fs)
{
	unregister_mount(fs);
	for (u32 b = 0; b < VOLFS_CACHE_BUCKETS; b++) {
		while (fs->cache[b] != NULL) {
			struct inode *inode = fs->cache[b];
			fs->cache[b] = vinode(inode)->hash_next;
			volfs_forget_inode(inode);
		}
	}
	volfs_obj_forget(&fs->table);
	volfs_store_close(&fs->st);
	if (fs->free_slots != NULL)
		kfree(fs->free_slots);
	kfree(fs);
}

int volfs_mount(const struct volfs_dev *dev, const u8 key[VOLFS_KEY_SIZE],
                const struct volfs_state *expected, bool read_only, struct fs_super **out)
{
	struct volfs_fs *fs = kzalloc(sizeof(*fs));
	if (fs == NULL)
		return -ENOMEM;
	list_init(&fs->dirty);
	list_init(&fs->orphans);
	int err = volfs_store_open(&fs->st, dev, key, expected, !read_only);
	if (err < 0) {
		kfree(fs);
		return err;
	}
	fs->table.depth = fs->st.hdr.table_depth;
	fs->table.root = fs->st.hdr.table_root;
	fs->table_size = fs->st.hdr.table_size;
	err = volfs_obj_walk(&fs->st, &fs->table, fs->table_size, &fs->table.blocks);
	if (err == 0)
		err = walk_inodes(fs);
	if (err == 0)
		err = volfs_store_begin(&fs->st, fs->live_inodes);
	if (err == 0 && !read_only)
		err = adopt_orphans(fs);
	fs->flags = fs->st.hdr.flags;
	fs->sb.type = "volfs";
	fs->sb.magic = VOLFS_MAGIC;
	fs->sb.dev = g_next_dev++;
	fs->sb.read_only = read_only;
	fs->sb.total_blocks = fs->st.hdr.block_count - VOLFS_FIRST_BLOCK;
	fs->sb.free_blocks = volfs_free_blocks_of;
	fs->sb.sync = volfs_sync_sb;
	fs->sb.priv = fs;
	fs->dirty_page_limit = page_total_count() / 8;
	if (err == 0)
		err = volfs_iget(fs, VOLFS_ROOT_INO, &fs->sb.root);
	if (err < 0) {
		volfs_destroy(fs);
		return err;
	}
	register_mount(fs);
	*out = &fs->sb;
	return 0;
}

u32 volfs_flags(struct fs_super *sb)
{
	return ((struct volfs_fs *)sb->priv)->flags;
}

void volfs_set_flags(struct fs_super *sb, u32 flags)
{
	((struct volfs_fs *)sb->priv)->flags = flags;
}

const struct volfs_stats *volfs_stats(struct fs_super *sb)
{
	return &((struct volfs_fs *)sb->priv)->st.stats;
}

size_t volfs_reclaim(struct fs_super *sb, size_t want)
{
	struct volfs_fs *fs = sb->priv;
	size_t freed = volfs_obj_evict(&fs->table);
	for (u32 b = 0; b < VOLFS_CACHE_BUCKETS && freed < want; b++) {
		for (struct inode **link = &fs->cache[b]; *link != NULL;) {
			struct inode *inode = *link;
			struct volfs_inode *vi = vinode(inode);
			freed += volfs_obj_evict(&vi->obj);
			if (inode->refcount == 1 && !vi->meta_dirty && vi->obj.top == NULL &&
			    inode->nlink > 0 && inode != sb->root) {
				*link = vi->hash_next;
				inode_put(inode);
				freed++;
				continue;
			}
			link = &vi->hash_next;
		}
	}
	return freed;
}

void volfs_log_stats(void)
{
	for (u32 i = 0; i < VOLFS_MAX_MOUNTS; i++) {
		struct volfs_fs *fs = g_mounted[i];
		if (fs == NULL)
			continue;
		const struct volfs_stats *s = &fs->st.stats;
		kprintf("volume %u: generation %llu, %llu commits, %llu blocks written, %llu read, "
		        "%llu flushes, %llu failed authentication\n", i,
		        (unsigned long long)fs->st.hdr.generation, (unsigned long long)s->commits,
		        (unsigned long long)s->blocks_written, (unsigned long long)s->blocks_read,
		        (unsigned long long)s->flushes, (unsigned long long)s->auth_failures);
	}
}

void volfs_unmount(struct fs_super *sb, bool commit)
{
	struct volfs_fs *fs = sb->priv;
	if (commit)
		volfs_sync_sb(sb);
	inode_put(sb->root);
	volfs_destroy(fs);
}

void volfs_state_of(struct fs_super *sb, struct volfs_state *out)
{
	struct volfs_fs *fs = sb->priv;
	out->generation = fs->st.hdr.generation;
	memcpy(out->root, fs->st.root, VOLFS_ROOT_SIZE);
}
