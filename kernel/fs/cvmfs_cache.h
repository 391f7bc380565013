/*
 * cvmfs_cache.h: the page cache of the root disk: authenticated,
 * decrypted 4 KiB blocks keyed by block number (docs/kernel-memory.md).
 *
 * Only cvmfs_disk.c inserts, and only blocks whose AES-GCM tag verified,
 * so everything here is authentic plaintext. Each cached block is a page
 * the cache holds one reference on; readers and mappings take their own
 * (page_get). Eviction drops the cache's reference of least recently used
 * blocks that nobody else holds; a block some mapping still uses stays.
 */
#ifndef CVMIFY_FS_CVMFS_CACHE_H
#define CVMIFY_FS_CVMFS_CACHE_H

#include "lib/types.h"

struct cvmfs_cache_entry;

struct cvmfs_cache {
	struct cvmfs_cache_entry **buckets;
	size_t bucket_count;              /* a power of two */
	struct cvmfs_cache_entry *lru_head; /* most recently used */
	struct cvmfs_cache_entry *lru_tail; /* least recently used */
	size_t count;                     /* cached blocks */
	struct cvmfs_cache *next_cache;   /* all caches, for the reclaim hook */
	/* statistics, for the log and the benchmarks */
	u64 hits;
	u64 misses;
	u64 evictions;
};

/* Buckets sized for the RAM there is; registers the cache with the
 * allocator's reclaim hook. 0 or -ENOMEM. */
int cvmfs_cache_init(struct cvmfs_cache *cache);
/* Drop every block (and the cache's references) and unregister. */
void cvmfs_cache_destroy(struct cvmfs_cache *cache);

/* The page of block with a new reference for the caller (page_put when
 * done), marked recently used; NULL when not cached. */
u8 *cvmfs_cache_get(struct cvmfs_cache *cache, u64 block);
/* Is block cached? (No reference, no change to the LRU order.) */
bool cvmfs_cache_contains(struct cvmfs_cache *cache, u64 block);
/* Add an authenticated block; the cache takes over the caller's page
 * reference. -ENOMEM (the page is then put) when no entry fits. */
int cvmfs_cache_insert(struct cvmfs_cache *cache, u64 block, u8 *page);

/* A page for a block about to be read: recycles the least recently used
 * block first when free RAM is below the reserve (1/16 of RAM), so the
 * cache never crowds out the app. NULL when out of memory. */
u8 *cvmfs_cache_new_page(struct cvmfs_cache *cache);

/* Evict up to want blocks that only the cache holds, oldest first;
 * returns how many went. */
size_t cvmfs_cache_shrink(struct cvmfs_cache *cache, size_t want);

#endif
