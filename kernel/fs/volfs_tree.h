/*
 * volfs_tree.h: the objects of a volume in memory: each file, directory,
 * symlink and the inode table is a tree of authenticated blocks
 * (docs/volume-format.md, "Objects and their trees"), cached as
 * decrypted pages and nodes and changed in memory until a commit writes
 * it out copy-on-write.
 *
 * Ownership: an object owns its in-memory nodes and holds one reference
 * on each cached data page (page.h). Pages handed to callers are
 * borrowed unless they take their own reference (page_get). A page is
 * dirty from the moment its caller declares a change (volfs_obj_dirty,
 * which reserves the blocks the next commit will write, so a commit never
 * runs out of space) until the commit that writes it.
 *
 * Nodes are loaded on demand; every pointer in a node is checked against
 * the volume's size when it is used (volfs_ptr_valid), and every block
 * is authenticated by volfs_read_block before a byte of it is used.
 */
#ifndef CVMIFY_FS_VOLFS_TREE_H
#define CVMIFY_FS_VOLFS_TREE_H

#include "fs/volfs_store.h"

struct volfs_node {
	struct volfs_node *parent;   /* NULL: the object's top node */
	u64 index;                   /* the index-th node of its level */
	u8 level;                    /* 1 ..= 4 */
	bool dirty;
	u16 loaded;                  /* children present in memory */
	u8 *block;                   /* plaintext: 128 pointers (a page) */
	void *child[VOLFS_FANOUT];   /* level 1: data pages; above: nodes */
	u64 dirty_map[2];            /* level 1: which data pages are dirty */
	u64 wmap[2];                 /* level 1: pages mapped shared and writable */
};

struct volfs_obj {
	u32 number;                  /* inode number; 0: the inode table */
	u8 depth;
	bool top_dirty;              /* depth 0: the data page is dirty */
	bool top_wmapped;            /* depth 0: ... and mapped shared writable */
	struct volfs_ptr root;       /* the top block as last committed */
	u64 blocks;                  /* blocks of the committed tree */
	void *top;                   /* depth 0: the data page, else the top node; NULL: not loaded */
	u64 pages;                   /* data pages cached */
	u64 dirty_pages;
	u64 seq_next;                /* a read of this page next looks sequential */
};

/* The data page of block index (< capacity of the depth), loaded and
 * authenticated, or a zero page for a hole. need_content false: the
 * caller overwrites the whole page, so a page not cached yet is not read.
 * *page is borrowed. -EIO, -ENOMEM. */
int volfs_obj_page(struct volfs_store *st, struct volfs_obj *obj, u64 index, bool need_content,
                   u8 **page);

/* The page (loaded before with volfs_obj_page) will change: it and the
 * nodes above it become dirty; the blocks the next commit needs for them
 * are reserved first (data: leaving the metadata reserve). wmapped: the
 * page goes into a shared writable mapping (the commit unmaps it again).
 * -ENOSPC, -EROFS, -EIO. */
int volfs_obj_dirty(struct volfs_store *st, struct volfs_obj *obj, u64 index, bool data,
                    bool wmapped);

/* Deepen the tree until it holds size bytes (reserving its new nodes). */
int volfs_obj_grow(struct volfs_store *st, struct volfs_obj *obj, u64 size);

/* Shrink from old_size to size: release every block wholly past size,
 * zero the tail of the last page. Size 0 leaves an empty object. */
int volfs_obj_truncate(struct volfs_store *st, struct volfs_obj *obj, u64 old_size, u64 size);

/* Punch bytes [from, to) (to <= the object's size): whole pages become
 * holes (their blocks released), the parts of pages at the ends zero. */
int volfs_obj_punch(struct volfs_store *st, struct volfs_obj *obj, u64 from, u64 to);

/* Commit step: write the dirty pages and nodes, bottom up; obj->root then
 * names the new top block. For each page that was mapped shared writable,
 * unmapped(ctx, index) is called so that its next write faults again. */
int volfs_obj_flush(struct volfs_store *st, struct volfs_obj *obj,
                    void (*unmapped)(void *ctx, u64 index), void *ctx);

/* Mount walk: mark every block of the committed tree used, check that no
 * pointer names a block wholly past size, count the blocks (the inode's
 * `blocks` must equal it). Loads nothing into the cache. -EIO. */
int volfs_obj_walk(struct volfs_store *st, const struct volfs_obj *obj, u64 size, u64 *blocks);

/* Drop cached pages and nodes that are clean and used by nobody else
 * (reclaim). Returns the pages freed. */
size_t volfs_obj_evict(struct volfs_obj *obj);

/* Free all memory of the object (unmount, or after its blocks were
 * released). Dirty state is lost. */
void volfs_obj_forget(struct volfs_obj *obj);

static inline bool volfs_obj_is_dirty(const struct volfs_obj *obj)
{
	if (obj->depth == 0)
		return obj->top_dirty;
	return obj->top != NULL && ((struct volfs_node *)obj->top)->dirty;
}

#endif
