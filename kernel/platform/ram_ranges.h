/*
 * ram_ranges.h: the shared rules for a host memory map (platform/vm/
 * ram_ranges.c), used by every backend's platform_memory_map.
 */
#ifndef CVMIFY_PLATFORM_RAM_RANGES_H
#define CVMIFY_PLATFORM_RAM_RANGES_H

#include "platform/platform.h"

/* Clip [addr, addr + size) to page-aligned RAM from 1 MiB up and append
 * it to out (count entries so far, room for max); returns the new count.
 * Panics on a wrapping entry or too many ranges; `who` names the source. */
size_t ram_ranges_add(struct ram_range *out, size_t count, size_t max, u64 addr, u64 size,
                      const char *who);

/* Sort; panic on overlaps or when nothing is left. */
void ram_ranges_finish(struct ram_range *r, size_t count, const char *who);

#endif
