/*
 * pagerefs.c: page references (page_get/page_put/page_refcount) for host
 * tests whose shim has only page_alloc/page_free. Weak: a shim that
 * counts references itself takes precedence. A page missing from the
 * table has one reference (page_alloc's).
 */
#include <stdlib.h>

#include "lib/types.h"

struct page_ref {
	const void *page;
	u32 refs;
	struct page_ref *next;
};

#define PAGE_REF_BUCKETS 1024

static struct page_ref *g_refs[PAGE_REF_BUCKETS];

static struct page_ref **bucket(const void *page)
{
	return &g_refs[((uptr)page >> 12) % PAGE_REF_BUCKETS];
}

static struct page_ref *find(const void *page)
{
	for (struct page_ref *r = *bucket(page); r != NULL; r = r->next)
		if (r->page == page)
			return r;
	return NULL;
}

__attribute__((weak)) u32 page_refcount(const void *page)
{
	struct page_ref *r = find(page);
	return r != NULL ? r->refs : 1;
}

__attribute__((weak)) void *page_get(void *page)
{
	struct page_ref *r = find(page);
	if (r == NULL) {
		r = malloc(sizeof(*r));
		r->page = page;
		r->refs = 1;
		r->next = *bucket(page);
		*bucket(page) = r;
	}
	r->refs++;
	return page;
}

__attribute__((weak)) void page_put(void *page)
{
	struct page_ref *r = find(page);
	if (r != NULL && r->refs > 2) {
		r->refs--;
		return;
	}
	if (r != NULL) {
		r->refs--; /* back to one: forget the entry */
		for (struct page_ref **link = bucket(page); *link != NULL; link = &(*link)->next) {
			if (*link == r) {
				*link = r->next;
				break;
			}
		}
		free(r);
		return;
	}
	free(page);
}

__attribute__((weak)) size_t page_total_count(void)
{
	return 1 << 20;
}

__attribute__((weak)) size_t page_free_count(void)
{
	return 1 << 20;
}

__attribute__((weak)) void page_set_reclaim_hook(size_t (*hook)(size_t want))
{
	(void)hook;
}
