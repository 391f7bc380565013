/*
 * volfs_tree.c: objects as trees of pages and nodes in memory
 * (volfs_tree.h). Node of level k, index j covers data blocks
 * [j * 128^k, (j+1) * 128^k); its pointer i names the child of level k-1
 * and index j*128 + i. The top node of an object of depth d is (d, 0).
 */
#include "fs/volfs_tree.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "syscalls/linux_abi/errno.h"

static u32 slot_of(u64 block, u32 level)
{
	/* the pointer, in the node of `level` above block, that leads to it */
	return (u32)((block >> (VOLFS_FANOUT_SHIFT * (level - 1))) & (VOLFS_FANOUT - 1));
}

static bool map_test(const u64 map[2], u32 i)
{
	return (map[i / 64] >> (i % 64)) & 1;
}

static void map_set(u64 map[2], u32 i)
{
	map[i / 64] |= 1ULL << (i % 64);
}

static void map_clear(u64 map[2], u32 i)
{
	map[i / 64] &= ~(1ULL << (i % 64));
}

static void node_ptr(const struct volfs_node *n, u32 i, struct volfs_ptr *out)
{
	volfs_ptr_decode(n->block + (u64)i * VOLFS_PTR_SIZE, out);
}

static void node_set_ptr(struct volfs_node *n, u32 i, const struct volfs_ptr *ptr)
{
	volfs_ptr_encode(ptr, n->block + (u64)i * VOLFS_PTR_SIZE);
}

static void free_node_mem(struct volfs_node *n)
{
	page_put(n->block);
	kfree(n);
}

/* A node read from ptr (a hole gives an empty node). */
static int load_node(struct volfs_store *st, struct volfs_node *parent, u8 level, u64 index,
                     const struct volfs_ptr *ptr, struct volfs_node **out)
{
	struct volfs_node *n = kzalloc(sizeof(*n));
	u8 *block = page_alloc();
	if (n == NULL || block == NULL) {
		if (n != NULL)
			kfree(n);
		if (block != NULL)
			page_put(block);
		return -ENOMEM;
	}
	n->block = block;
	int err = volfs_read_block(st, ptr, block);
	for (u32 i = 0; err == 0 && i < VOLFS_FANOUT; i++) {
		struct volfs_ptr child;
		node_ptr(n, i, &child);
		if (!volfs_ptr_valid(st, &child))
			err = -EIO;
	}
	if (err < 0) {
		free_node_mem(n);
		return err;
	}
	n->parent = parent;
	n->level = level;
	n->index = index;
	*out = n;
	return 0;
}

/* The node of `level` on the way to data block `block`, loading the
 * path from the top. Requires 1 <= level <= depth. */
static int get_node(struct volfs_store *st, struct volfs_obj *obj, u32 level, u64 block,
                    struct volfs_node **out)
{
	if (obj->top == NULL) {
		struct volfs_node *top;
		int err = load_node(st, NULL, obj->depth, 0, &obj->root, &top);
		if (err < 0)
			return err;
		obj->top = top;
	}
	struct volfs_node *n = obj->top;
	for (u32 l = obj->depth; l > level; l--) {
		u32 i = slot_of(block, l);
		if (n->child[i] == NULL) {
			struct volfs_ptr ptr;
			node_ptr(n, i, &ptr);
			struct volfs_node *child;
			int err = load_node(st, n, (u8)(l - 1), n->index * VOLFS_FANOUT + i, &ptr, &child);
			if (err < 0)
				return err;
			n->child[i] = child;
			n->loaded++;
		}
		n = n->child[i];
	}
	*out = n;
	return 0;
}

/* A data page from ptr, or a blank one when the content is not needed. */
static int load_page(struct volfs_store *st, const struct volfs_ptr *ptr, bool need_content,
                     u8 **out)
{
	u8 *page = page_alloc();
	if (page == NULL)
		return -ENOMEM;
	if (need_content) {
		int err = volfs_read_block(st, ptr, page);
		if (err < 0) {
			page_put(page);
			return err;
		}
	}
	*out = page;
	return 0;
}

/* A sequential reader of page i of n: read the pages after it that sit
 * in consecutive blocks in the same request (COW allocation writes a file
 * in runs). Pages that fail stay unloaded; the caller's is the first. */
static int read_ahead(struct volfs_store *st, struct volfs_obj *obj, struct volfs_node *n, u32 i)
{
	struct volfs_ptr ptrs[VOLFS_BATCH_BLOCKS];
	u8 *pages[VOLFS_BATCH_BLOCKS];
	u32 count = 0;
	while (count < VOLFS_BATCH_BLOCKS && i + count < VOLFS_FANOUT && n->child[i + count] == NULL) {
		node_ptr(n, i + count, &ptrs[count]);
		if (ptrs[count].block == 0 || ptrs[count].block != ptrs[0].block + count)
			break;
		count++;
	}
	if (count < 2)
		return 0; /* not a run: the ordinary path */
	u32 got = 0;
	for (; got < count; got++) {
		pages[got] = page_alloc();
		if (pages[got] == NULL)
			break;
	}
	int good = got == count ? volfs_read_run(st, ptrs, count, pages) : -ENOMEM;
	for (u32 k = 0; k < got; k++) {
		if ((int)k < good) {
			n->child[i + k] = pages[k];
			n->loaded++;
			obj->pages++;
		} else {
			page_put(pages[k]);
		}
	}
	return good < 0 ? good : 0;
}

int volfs_obj_page(struct volfs_store *st, struct volfs_obj *obj, u64 index, bool need_content,
                   u8 **page)
{
	if ((index + 1) * VOLFS_BLOCK_SIZE > volfs_capacity(obj->depth))
		return -EFBIG;
	if (obj->depth == 0) {
		if (obj->top == NULL) {
			int err = load_page(st, &obj->root, need_content, (u8 **)&obj->top);
			if (err < 0)
				return err;
			obj->pages++;
		}
		*page = obj->top;
		return 0;
	}
	struct volfs_node *n;
	int err = get_node(st, obj, 1, index, &n);
	if (err < 0)
		return err;
	u32 i = slot_of(index, 1);
	bool sequential = index == obj->seq_next;
	obj->seq_next = index + 1;
	if (n->child[i] == NULL && need_content && sequential)
		read_ahead(st, obj, n, i); /* a failure falls back to the single read */
	if (n->child[i] == NULL) {
		struct volfs_ptr ptr;
		node_ptr(n, i, &ptr);
		err = load_page(st, &ptr, need_content, (u8 **)&n->child[i]);
		if (err < 0)
			return err;
		n->loaded++;
		obj->pages++;
	}
	*page = n->child[i];
	return 0;
}

/* ---- dirtying ---- */

/* Blocks a change to page index would add to the next commit. */
static u64 dirty_cost(struct volfs_obj *obj, struct volfs_node *n, u32 i)
{
	u64 cost = 0;
	if (obj->depth == 0)
		return obj->top_dirty ? 0 : 1;
	if (!map_test(n->dirty_map, i))
		cost++;
	for (; n != NULL && !n->dirty; n = n->parent)
		cost++;
	return cost;
}

static void mark_path(struct volfs_node *n)
{
	for (; n != NULL && !n->dirty; n = n->parent)
		n->dirty = true;
}

int volfs_obj_dirty(struct volfs_store *st, struct volfs_obj *obj, u64 index, bool data,
                    bool wmapped)
{
	struct volfs_node *n = NULL;
	u32 i = 0;
	if (obj->depth > 0) {
		int err = get_node(st, obj, 1, index, &n);
		if (err < 0)
			return err;
		i = slot_of(index, 1);
	}
	u64 cost = dirty_cost(obj, n, i);
	if (cost > 0) {
		int err = volfs_reserve(st, cost, data);
		if (err < 0)
			return err;
	}
	if (obj->depth == 0) {
		if (!obj->top_dirty)
			obj->dirty_pages++;
		obj->top_dirty = true;
		obj->top_wmapped |= wmapped;
		return 0;
	}
	if (!map_test(n->dirty_map, i))
		obj->dirty_pages++;
	map_set(n->dirty_map, i);
	if (wmapped)
		map_set(n->wmap, i);
	mark_path(n);
	return 0;
}

int volfs_obj_grow(struct volfs_store *st, struct volfs_obj *obj, u64 size)
{
	while (volfs_capacity(obj->depth) < size) {
		if (obj->depth == VOLFS_MAX_DEPTH)
			return -EFBIG;
		if (obj->root.block == 0 && obj->top == NULL) {
			obj->depth++; /* nothing to hang below a new top */
			continue;
		}
		int err = volfs_reserve(st, 1, true);
		if (err < 0)
			return err;
		struct volfs_node *top;
		struct volfs_ptr hole = { 0 };
		err = load_node(st, NULL, (u8)(obj->depth + 1), 0, &hole, &top);
		if (err < 0)
			return err;
		node_set_ptr(top, 0, &obj->root);
		top->child[0] = obj->top;
		top->loaded = obj->top != NULL;
		top->dirty = true;
		if (obj->depth == 0) {
			if (obj->top_dirty)
				map_set(top->dirty_map, 0);
			if (obj->top_wmapped)
				map_set(top->wmap, 0);
			obj->top_dirty = obj->top_wmapped = false;
		} else if (obj->top != NULL) {
			struct volfs_node *old = obj->top;
			old->parent = top;
			if (old->dirty)
				top->dirty = true;
		}
		obj->top = top;
		memset(&obj->root, 0, sizeof(obj->root));
		obj->depth++;
	}
	return 0;
}

/* ---- releasing blocks ---- */

/* Release the committed blocks below ptr (of `level`), reading nodes that
 * are not in memory. */
static int release_disk_subtree(struct volfs_store *st, struct volfs_obj *obj,
                                const struct volfs_ptr *ptr, u32 level)
{
	if (ptr->block == 0)
		return 0;
	if (level > 0) {
		u8 *block = page_alloc();
		if (block == NULL)
			return -ENOMEM;
		int err = volfs_read_block(st, ptr, block);
		for (u32 i = 0; err == 0 && i < VOLFS_FANOUT; i++) {
			struct volfs_ptr child;
			volfs_ptr_decode(block + (u64)i * VOLFS_PTR_SIZE, &child);
			err = volfs_ptr_valid(st, &child) ? release_disk_subtree(st, obj, &child, level - 1)
			                                  : -EIO;
		}
		page_put(block);
		if (err < 0)
			return err;
	}
	obj->blocks--;
	return volfs_release(st, ptr);
}

static int drop_child(struct volfs_store *st, struct volfs_obj *obj, struct volfs_node *n, u32 i);

/* Release a node in memory and all below it; frees its memory. */
static int drop_node(struct volfs_store *st, struct volfs_obj *obj, struct volfs_node *n,
                     const struct volfs_ptr *own)
{
	int err = 0;
	for (u32 i = 0; i < VOLFS_FANOUT && err == 0; i++)
		err = drop_child(st, obj, n, i);
	if (err == 0 && own->block != 0) {
		obj->blocks--;
		err = volfs_release(st, own);
	}
	free_node_mem(n);
	return err;
}

/* Empty pointer i of n: release what it names, free what is cached. */
static int drop_child(struct volfs_store *st, struct volfs_obj *obj, struct volfs_node *n, u32 i)
{
	struct volfs_ptr ptr;
	node_ptr(n, i, &ptr);
	int err = 0;
	if (n->child[i] != NULL) {
		if (n->level == 1) {
			if (map_test(n->dirty_map, i))
				obj->dirty_pages--;
			map_clear(n->dirty_map, i);
			map_clear(n->wmap, i);
			page_put(n->child[i]);
			obj->pages--;
			if (ptr.block != 0) {
				obj->blocks--;
				err = volfs_release(st, &ptr);
			}
		} else {
			err = drop_node(st, obj, n->child[i], &ptr);
		}
		n->child[i] = NULL;
		n->loaded--;
	} else {
		err = release_disk_subtree(st, obj, &ptr, n->level - 1u);
	}
	struct volfs_ptr hole = { 0 };
	node_set_ptr(n, i, &hole);
	return err;
}

/* Drop everything of n that lies at or past data block `keep` (the
 * first block not kept). */
static int punch(struct volfs_store *st, struct volfs_obj *obj, struct volfs_node *n, u64 keep)
{
	u32 span_shift = VOLFS_FANOUT_SHIFT * (n->level - 1u);
	for (u32 i = 0; i < VOLFS_FANOUT; i++) {
		u64 first = ((n->index * VOLFS_FANOUT) + i) << span_shift;
		u64 end = first + (1ULL << span_shift);
		if (first >= keep) {
			int err = drop_child(st, obj, n, i);
			if (err < 0)
				return err;
		} else if (end > keep && n->level > 1) {
			struct volfs_ptr ptr;
			node_ptr(n, i, &ptr);
			if (n->child[i] == NULL && ptr.block == 0)
				continue;
			struct volfs_node *child;
			int err = get_node(st, obj, n->level - 1u, first, &child);
			if (err == 0)
				err = punch(st, obj, child, keep);
			if (err < 0)
				return err;
		}
	}
	return 0;
}

static int drop_all(struct volfs_store *st, struct volfs_obj *obj)
{
	int err = 0;
	if (obj->depth == 0) {
		if (obj->top != NULL)
			page_put(obj->top);
		if (obj->root.block != 0) {
			obj->blocks--;
			err = volfs_release(st, &obj->root);
		}
	} else if (obj->top != NULL) {
		err = drop_node(st, obj, obj->top, &obj->root);
	} else {
		err = release_disk_subtree(st, obj, &obj->root, obj->depth);
	}
	obj->top = NULL;
	obj->top_dirty = obj->top_wmapped = false;
	obj->pages = obj->dirty_pages = 0;
	memset(&obj->root, 0, sizeof(obj->root));
	obj->depth = 0;
	return err;
}

int volfs_obj_truncate(struct volfs_store *st, struct volfs_obj *obj, u64 old_size, u64 size)
{
	if (size >= old_size)
		return 0;
	if (size == 0)
		return drop_all(st, obj);
	u64 last = (size - 1) / VOLFS_BLOCK_SIZE;
	u8 *page;
	int err = volfs_obj_page(st, obj, last, true, &page);
	if (err < 0)
		return err;
	/* The last kept page and the nodes that lose children are rewritten. */
	err = volfs_obj_dirty(st, obj, last, false, false);
	if (err < 0)
		return err;
	u64 tail = size % VOLFS_BLOCK_SIZE;
	if (tail != 0)
		memset(page + tail, 0, VOLFS_BLOCK_SIZE - tail);
	if (obj->depth == 0)
		return 0;
	return punch(st, obj, obj->top, last + 1);
}

/* Zero bytes [from, to) of page index (within one page), dirtying it. */
static int zero_part(struct volfs_store *st, struct volfs_obj *obj, u64 index, u32 from, u32 to)
{
	u8 *page;
	int err = volfs_obj_page(st, obj, index, true, &page);
	if (err == 0)
		err = volfs_obj_dirty(st, obj, index, false, false);
	if (err == 0)
		memset(page + from, 0, to - from);
	return err;
}

/* Make the nodes above n dirty (they will lose a pointer), reserving
 * their blocks first. */
static int dirty_nodes_from(struct volfs_store *st, struct volfs_node *n)
{
	u64 cost = 0;
	for (struct volfs_node *p = n; p != NULL && !p->dirty; p = p->parent)
		cost++;
	if (cost > 0) {
		int err = volfs_reserve(st, cost, false);
		if (err < 0)
			return err;
	}
	mark_path(n);
	return 0;
}

int volfs_obj_punch(struct volfs_store *st, struct volfs_obj *obj, u64 from, u64 to)
{
	if (from >= to)
		return 0;
	u64 first = from / VOLFS_BLOCK_SIZE, last = (to - 1) / VOLFS_BLOCK_SIZE;
	u32 head = (u32)(from % VOLFS_BLOCK_SIZE), tail = (u32)((to - 1) % VOLFS_BLOCK_SIZE) + 1;
	if (first == last && (head != 0 || tail != VOLFS_BLOCK_SIZE))
		return zero_part(st, obj, first, head, tail);
	int err = 0;
	if (head != 0) {
		err = zero_part(st, obj, first, head, VOLFS_BLOCK_SIZE);
		first++;
	}
	if (err == 0 && tail != VOLFS_BLOCK_SIZE) {
		err = zero_part(st, obj, last, 0, tail);
		last--;
	}
	for (u64 index = first; err == 0 && index <= last && last != ~0ULL; index++) {
		if ((index + 1) * VOLFS_BLOCK_SIZE > volfs_capacity(obj->depth))
			break;
		if (obj->depth == 0) {
			err = drop_all(st, obj); /* the only page */
			break;
		}
		struct volfs_node *n;
		err = get_node(st, obj, 1, index, &n);
		u32 i = slot_of(index, 1);
		struct volfs_ptr ptr;
		if (err == 0)
			node_ptr(n, i, &ptr);
		if (err == 0 && (n->child[i] != NULL || ptr.block != 0)) {
			err = dirty_nodes_from(st, n);
			if (err == 0)
				err = drop_child(st, obj, n, i);
		}
	}
	return err;
}

/* ---- commit ---- */

static int flush_page(struct volfs_store *st, struct volfs_obj *obj, u8 *page, u8 *ptr_raw)
{
	struct volfs_ptr old, fresh;
	volfs_ptr_decode(ptr_raw, &old);
	int err = volfs_write_block(st, &old, page, &fresh);
	if (err < 0)
		return err;
	if (old.block == 0)
		obj->blocks++;
	volfs_ptr_encode(&fresh, ptr_raw);
	return 0;
}

static int flush_node(struct volfs_store *st, struct volfs_obj *obj, struct volfs_node *n,
                      u8 *own_raw, void (*unmapped)(void *, u64), void *ctx)
{
	for (u32 i = 0; i < VOLFS_FANOUT; i++) {
		u8 *raw = n->block + (u64)i * VOLFS_PTR_SIZE;
		int err = 0;
		if (n->level == 1 && map_test(n->dirty_map, i)) {
			err = flush_page(st, obj, n->child[i], raw);
			map_clear(n->dirty_map, i);
			obj->dirty_pages--;
			if (err == 0 && map_test(n->wmap, i)) {
				map_clear(n->wmap, i);
				unmapped(ctx, n->index * VOLFS_FANOUT + i);
			}
		} else if (n->level > 1 && n->child[i] != NULL && ((struct volfs_node *)n->child[i])->dirty) {
			err = flush_node(st, obj, n->child[i], raw, unmapped, ctx);
		}
		if (err < 0)
			return err;
	}
	n->dirty = false;
	return flush_page(st, obj, n->block, own_raw);
}

int volfs_obj_flush(struct volfs_store *st, struct volfs_obj *obj,
                    void (*unmapped)(void *ctx, u64 index), void *ctx)
{
	u8 root_raw[VOLFS_PTR_SIZE];
	volfs_ptr_encode(&obj->root, root_raw);
	int err = 0;
	if (obj->depth == 0) {
		if (!obj->top_dirty)
			return 0;
		err = flush_page(st, obj, obj->top, root_raw);
		obj->top_dirty = false;
		obj->dirty_pages--;
		if (err == 0 && obj->top_wmapped) {
			obj->top_wmapped = false;
			unmapped(ctx, 0);
		}
	} else {
		struct volfs_node *top = obj->top;
		if (top == NULL || !top->dirty)
			return 0;
		err = flush_node(st, obj, top, root_raw, unmapped, ctx);
	}
	volfs_ptr_decode(root_raw, &obj->root);
	return err;
}

/* ---- the mount walk ---- */

static int walk(struct volfs_store *st, const struct volfs_ptr *ptr, u32 level, u64 first,
                u64 size, u8 *bufs[], u64 *blocks)
{
	if (ptr->block == 0)
		return 0;
	if (first * VOLFS_BLOCK_SIZE >= size)
		return -EIO; /* a block past the end */
	int err = volfs_mark_used(st, ptr->block);
	if (err < 0)
		return err;
	(*blocks)++;
	if (level == 0)
		return 0;
	u8 *node = bufs[level - 1];
	err = volfs_read_block(st, ptr, node);
	u32 shift = VOLFS_FANOUT_SHIFT * (level - 1);
	for (u32 i = 0; err == 0 && i < VOLFS_FANOUT; i++) {
		struct volfs_ptr child;
		volfs_ptr_decode(node + (u64)i * VOLFS_PTR_SIZE, &child);
		if (!volfs_ptr_valid(st, &child))
			return -EIO;
		err = walk(st, &child, level - 1, first + ((u64)i << shift), size, bufs, blocks);
	}
	return err;
}

int volfs_obj_walk(struct volfs_store *st, const struct volfs_obj *obj, u64 size, u64 *blocks)
{
	if (!volfs_ptr_valid(st, &obj->root))
		return -EIO;
	u8 *bufs[VOLFS_MAX_DEPTH] = { 0 };
	int err = 0;
	for (u32 l = 0; l < obj->depth && err == 0; l++) {
		bufs[l] = page_alloc();
		if (bufs[l] == NULL)
			err = -ENOMEM;
	}
	*blocks = 0;
	if (err == 0)
		err = walk(st, &obj->root, obj->depth, 0, size, bufs, blocks);
	for (u32 l = 0; l < obj->depth; l++)
		if (bufs[l] != NULL)
			page_put(bufs[l]);
	return err;
}

/* ---- memory ---- */

/* Evict what is clean and unshared below n; true if n itself may go. */
static bool evict_node(struct volfs_obj *obj, struct volfs_node *n, size_t *freed)
{
	for (u32 i = 0; i < VOLFS_FANOUT && n->loaded > 0; i++) {
		void *c = n->child[i];
		if (c == NULL)
			continue;
		bool gone;
		if (n->level == 1) {
			gone = !map_test(n->dirty_map, i) && page_refcount(c) == 1;
			if (gone) {
				page_put(c);
				obj->pages--;
				(*freed)++;
			}
		} else {
			gone = evict_node(obj, c, freed);
			if (gone) {
				free_node_mem(c);
				(*freed)++;
			}
		}
		if (gone) {
			n->child[i] = NULL;
			n->loaded--;
		}
	}
	return n->loaded == 0 && !n->dirty;
}

size_t volfs_obj_evict(struct volfs_obj *obj)
{
	size_t freed = 0;
	if (obj->top == NULL)
		return 0;
	if (obj->depth == 0) {
		if (!obj->top_dirty && page_refcount(obj->top) == 1) {
			page_put(obj->top);
			obj->top = NULL;
			obj->pages--;
			freed++;
		}
		return freed;
	}
	if (evict_node(obj, obj->top, &freed)) {
		free_node_mem(obj->top);
		obj->top = NULL;
		freed++;
	}
	return freed;
}

static void forget_node(struct volfs_node *n)
{
	for (u32 i = 0; i < VOLFS_FANOUT; i++) {
		if (n->child[i] == NULL)
			continue;
		if (n->level == 1)
			page_put(n->child[i]);
		else
			forget_node(n->child[i]);
	}
	free_node_mem(n);
}

void volfs_obj_forget(struct volfs_obj *obj)
{
	if (obj->top != NULL) {
		if (obj->depth == 0)
			page_put(obj->top);
		else
			forget_node(obj->top);
	}
	obj->top = NULL;
	obj->top_dirty = obj->top_wmapped = false;
	obj->pages = obj->dirty_pages = 0;
}
