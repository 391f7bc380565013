/*
 * cvmfs_cache.c: the root disk's page cache (see cvmfs_cache.h): a hash
 * table of blocks plus an LRU list.
 *
 * Eviction policy (docs/kernel-memory.md): the cache grows into free RAM;
 * below the reserve (1/16 of RAM) it recycles its own least recently used
 * block before taking a new page, and when page_alloc finds no free page
 * the reclaim hook evicts the least recently used blocks. A block whose
 * page someone else holds (a mapping, a reader) is passed over and moved
 * to the front: it is in use. An evicted block is read and authenticated
 * again on its next use.
 */
#include "fs/cvmfs_cache.h"
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "syscalls/linux_abi/errno.h"

#define RESERVE_DIVISOR 16
#define MIN_BUCKETS 256

struct cvmfs_cache_entry {
	u64 block;
	u8 *page;                            /* the cache's reference */
	struct cvmfs_cache_entry *hash_next;
	struct cvmfs_cache_entry *lru_prev;  /* towards the head */
	struct cvmfs_cache_entry *lru_next;  /* towards the tail */
};

static struct cvmfs_cache *g_caches; /* every live cache, for reclaim */

static size_t reclaim_all(size_t want)
{
	size_t freed = 0;
	for (struct cvmfs_cache *c = g_caches; c != NULL && freed < want; c = c->next_cache)
		freed += cvmfs_cache_shrink(c, want - freed);
	return freed;
}

int cvmfs_cache_init(struct cvmfs_cache *cache)
{
	size_t buckets = MIN_BUCKETS;
	/* About one bucket per 8 pages of RAM: short chains even when the
	 * cache holds most of memory. */
	while (buckets < page_total_count() / 8)
		buckets *= 2;
	cache->buckets = kzalloc(buckets * sizeof(*cache->buckets));
	if (cache->buckets == NULL)
		return -ENOMEM;
	cache->bucket_count = buckets;
	cache->lru_head = NULL;
	cache->lru_tail = NULL;
	cache->count = 0;
	cache->hits = cache->misses = cache->evictions = 0;
	cache->next_cache = g_caches;
	g_caches = cache;
	page_set_reclaim_hook(reclaim_all);
	return 0;
}

static size_t bucket_of(const struct cvmfs_cache *cache, u64 block)
{
	return (size_t)((block * 0x9e3779b97f4a7c15ULL) >> 32) & (cache->bucket_count - 1);
}

static void lru_unlink(struct cvmfs_cache *cache, struct cvmfs_cache_entry *e)
{
	if (e->lru_prev != NULL)
		e->lru_prev->lru_next = e->lru_next;
	else
		cache->lru_head = e->lru_next;
	if (e->lru_next != NULL)
		e->lru_next->lru_prev = e->lru_prev;
	else
		cache->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void lru_push_head(struct cvmfs_cache *cache, struct cvmfs_cache_entry *e)
{
	e->lru_prev = NULL;
	e->lru_next = cache->lru_head;
	if (cache->lru_head != NULL)
		cache->lru_head->lru_prev = e;
	cache->lru_head = e;
	if (cache->lru_tail == NULL)
		cache->lru_tail = e;
}

static struct cvmfs_cache_entry *find(struct cvmfs_cache *cache, u64 block)
{
	struct cvmfs_cache_entry *e = cache->buckets[bucket_of(cache, block)];
	while (e != NULL && e->block != block)
		e = e->hash_next;
	return e;
}

/* Take e out of the table and the list and drop the cache's reference. */
static void drop(struct cvmfs_cache *cache, struct cvmfs_cache_entry *e)
{
	struct cvmfs_cache_entry **link = &cache->buckets[bucket_of(cache, e->block)];
	while (*link != e)
		link = &(*link)->hash_next;
	*link = e->hash_next;
	lru_unlink(cache, e);
	page_put(e->page);
	kfree(e);
	cache->count--;
}

void cvmfs_cache_destroy(struct cvmfs_cache *cache)
{
	while (cache->lru_head != NULL)
		drop(cache, cache->lru_head);
	for (struct cvmfs_cache **link = &g_caches; *link != NULL; link = &(*link)->next_cache) {
		if (*link == cache) {
			*link = cache->next_cache;
			break;
		}
	}
	kfree(cache->buckets);
	cache->buckets = NULL;
}

u8 *cvmfs_cache_get(struct cvmfs_cache *cache, u64 block)
{
	struct cvmfs_cache_entry *e = find(cache, block);
	if (e == NULL) {
		cache->misses++;
		return NULL;
	}
	cache->hits++;
	if (cache->lru_head != e) {
		lru_unlink(cache, e);
		lru_push_head(cache, e);
	}
	return page_get(e->page);
}

bool cvmfs_cache_contains(struct cvmfs_cache *cache, u64 block)
{
	return find(cache, block) != NULL;
}

int cvmfs_cache_insert(struct cvmfs_cache *cache, u64 block, u8 *page)
{
	struct cvmfs_cache_entry *old = find(cache, block);
	if (old != NULL)
		drop(cache, old); /* the same authenticated bytes; keep the new page */
	struct cvmfs_cache_entry *e = kmalloc(sizeof(*e));
	if (e == NULL) {
		page_put(page);
		return -ENOMEM;
	}
	e->block = block;
	e->page = page;
	size_t b = bucket_of(cache, block);
	e->hash_next = cache->buckets[b];
	cache->buckets[b] = e;
	lru_push_head(cache, e);
	cache->count++;
	return 0;
}

size_t cvmfs_cache_shrink(struct cvmfs_cache *cache, size_t want)
{
	size_t freed = 0;
	/* Each entry is looked at once: in-use ones move to the head. */
	for (size_t seen = cache->count; freed < want && seen > 0 && cache->lru_tail != NULL;
	     seen--) {
		struct cvmfs_cache_entry *e = cache->lru_tail;
		if (page_refcount(e->page) > 1) {
			lru_unlink(cache, e);
			lru_push_head(cache, e);
			continue;
		}
		drop(cache, e);
		cache->evictions++;
		freed++;
	}
	return freed;
}

u8 *cvmfs_cache_new_page(struct cvmfs_cache *cache)
{
	if (page_free_count() < page_total_count() / RESERVE_DIVISOR)
		cvmfs_cache_shrink(cache, 1);
	return page_alloc();
}
