/*
 * shim.c: the few kernel services the fs/ and drivers/ sources need,
 * implemented over libc for the host unit tests. Standard string
 * functions come from libc itself (so ASan sees them).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/types.h"

/* Blocks the kernel heap handed out and did not get back (the network
 * fuzzer checks it returns to its baseline once lwIP's timers expired
 * everything: LeakSanitizer cannot see pointers lwIP keeps at unaligned
 * places inside packet headers). */
long g_shim_live_blocks;

void *kmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	g_shim_live_blocks += p != NULL;
	return p;
}

void *kzalloc(size_t size)
{
	void *p = calloc(1, size ? size : 1);
	g_shim_live_blocks += p != NULL;
	return p;
}

void kfree(void *p)
{
	g_shim_live_blocks -= p != NULL;
	free(p);
}

void kernel_fpu_begin(void)
{
}

void kernel_fpu_end(void)
{
}

/* The kernel log: quiet unless CVMIFY_HOST_LOG is set (the fuzzer makes
 * the parsers complain thousands of times). */
int kprintf(const char *fmt, ...)
{
	if (getenv("CVMIFY_HOST_LOG") == NULL)
		return 0;
	va_list ap;
	va_start(ap, fmt);
	int n = vfprintf(stderr, fmt, ap);
	va_end(ap);
	return n;
}

void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "panic: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

/* Pages with reference counts, like mm/page.c: a small table of the
 * live pages (tests hold a few hundred at most). g_shim_free_pages and
 * g_shim_total_pages are what page_free_count/page_total_count report,
 * so a test can put the page cache under memory pressure. */
struct shim_page {
	void *page;
	u32 refs;
	struct shim_page *next;
};

static struct shim_page *g_pages;
size_t g_shim_free_pages = 1 << 20;
size_t g_shim_total_pages = 1 << 20;
static size_t (*g_reclaim)(size_t want);

static struct shim_page *shim_find(const void *page)
{
	for (struct shim_page *p = g_pages; p != NULL; p = p->next) {
		if (p->page == page)
			return p;
	}
	panic("shim: %p is not a live page", page);
	return NULL;
}

void *page_alloc(void)
{
	struct shim_page *p = malloc(sizeof(*p));
	void *page = aligned_alloc(4096, 4096);
	if (p == NULL || page == NULL) {
		free(p);
		free(page);
		return NULL;
	}
	memset(page, 0, 4096);
	p->page = page;
	p->refs = 1;
	p->next = g_pages;
	g_pages = p;
	return page;
}

void *page_get(void *page)
{
	shim_find(page)->refs++;
	return page;
}

void page_put(void *page)
{
	struct shim_page *found = shim_find(page);
	if (--found->refs > 0)
		return;
	for (struct shim_page **link = &g_pages; *link != NULL; link = &(*link)->next) {
		if (*link == found) {
			*link = found->next;
			break;
		}
	}
	free(found->page);
	free(found);
}

void page_free(void *page)
{
	if (shim_find(page)->refs != 1)
		panic("shim: page_free of a shared page %p", page);
	page_put(page);
}

u32 page_refcount(const void *page)
{
	return shim_find(page)->refs;
}

size_t page_free_count(void)
{
	return g_shim_free_pages;
}

size_t page_total_count(void)
{
	return g_shim_total_pages;
}

void page_set_reclaim_hook(size_t (*hook)(size_t want))
{
	g_reclaim = hook;
}

size_t shim_reclaim(size_t want)
{
	return g_reclaim != NULL ? g_reclaim(want) : 0;
}

u64 g_shim_wallclock_ns = 1700000000ULL * 1000000000ULL;

u64 platform_wallclock_ns(void)
{
	return g_shim_wallclock_ns++;
}

u64 platform_time_ns(void)
{
	return g_shim_wallclock_ns++;
}

/* Deterministic "random" bytes (xorshift64): tests want repeatable runs. */
static u64 g_shim_random_state = 0x9e3779b97f4a7c15ULL;

void random_bytes(void *buf, size_t size)
{
	u8 *out = buf;
	for (size_t i = 0; i < size; i++) {
		g_shim_random_state ^= g_shim_random_state << 13;
		g_shim_random_state ^= g_shim_random_state >> 7;
		g_shim_random_state ^= g_shim_random_state << 17;
		out[i] = (u8)g_shim_random_state;
	}
}

/* proc/rusage.h: there are no tasks to charge a disk read to. */
void rusage_block_read(void)
{
}
