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

void *page_alloc(void)
{
	void *p = aligned_alloc(4096, 4096);
	if (p != NULL)
		memset(p, 0, 4096);
	return p;
}

void page_free(void *page)
{
	free(page);
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
