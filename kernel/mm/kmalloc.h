/*
 * kmalloc.h: kernel heap. Small sizes come from per-size-class slabs,
 * large ones from contiguous pages. Memory is 16-byte aligned and NOT
 * zeroed by kmalloc (use kzalloc). The caller owns the block until kfree.
 */
#ifndef CVMIFY_MM_KMALLOC_H
#define CVMIFY_MM_KMALLOC_H

#include "lib/types.h"

void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);

#endif
