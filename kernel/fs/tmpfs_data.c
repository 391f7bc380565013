/*
 * tmpfs_data.c: the contents of tmpfs files: a growable array of private
 * pages, NULL slots being holes that read as zeros. Every page is counted
 * against the instance's page limit.
 */
#include "fs/tmpfs_node.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "syscalls/linux_abi/errno.h"

void tmpfs_free_pages_from(struct tmpfs_fs *fs, struct tmpfs_node *node, size_t first)
{
	for (size_t i = first; i < node->page_slots; i++) {
		if (node->pages[i] != NULL) {
			page_put(node->pages[i]); /* a mapping may still hold it */
			node->pages[i] = NULL;
			fs->pages_used--;
		}
	}
}

/* Make room for slot index `page`. */
static int grow_slots(struct tmpfs_node *node, size_t page)
{
	if (page < node->page_slots)
		return 0;
	size_t slots = node->page_slots ? node->page_slots : 4;
	while (slots <= page)
		slots *= 2;
	u8 **pages = kzalloc(slots * sizeof(*pages));
	if (pages == NULL)
		return -ENOSPC;
	if (node->pages != NULL) {
		memcpy(pages, node->pages, node->page_slots * sizeof(*pages));
		kfree(node->pages);
	}
	node->pages = pages;
	node->page_slots = slots;
	return 0;
}

static u8 *page_for_write(struct inode *inode, size_t page)
{
	struct tmpfs_fs *fs = tfs(inode);
	struct tmpfs_node *node = tnode(inode);
	if (grow_slots(node, page) < 0)
		return NULL;
	if (node->pages[page] == NULL) {
		if (fs->pages_used >= fs->page_limit)
			return NULL;
		node->pages[page] = page_alloc();
		if (node->pages[page] == NULL)
			return NULL;
		fs->pages_used++;
	}
	return node->pages[page];
}

static long tmpfs_read(struct file *file, void *buf, size_t size, u64 offset)
{
	struct inode *inode = file->inode;
	struct tmpfs_node *node = tnode(inode);
	if (offset >= inode->size)
		return 0;
	if (size > inode->size - offset)
		size = (size_t)(inode->size - offset);
	u8 *out = buf;
	size_t done = 0;
	while (done < size) {
		u64 pos = offset + done;
		size_t page = (size_t)(pos / PAGE_SIZE);
		size_t in_page = (size_t)(pos % PAGE_SIZE);
		size_t n = PAGE_SIZE - in_page;
		if (n > size - done)
			n = size - done;
		if (page < node->page_slots && node->pages[page] != NULL)
			memcpy(out + done, node->pages[page] + in_page, n);
		else
			memset(out + done, 0, n); /* a hole */
		done += n;
	}
	return (long)done;
}

static long tmpfs_write(struct file *file, const void *buf, size_t size, u64 offset)
{
	struct inode *inode = file->inode;
	if (offset > TMPFS_MAX_FILE_SIZE || size > TMPFS_MAX_FILE_SIZE - offset)
		return -EFBIG;
	const u8 *in = buf;
	size_t done = 0;
	while (done < size) {
		u64 pos = offset + done;
		size_t in_page = (size_t)(pos % PAGE_SIZE);
		size_t n = PAGE_SIZE - in_page;
		if (n > size - done)
			n = size - done;
		u8 *page = page_for_write(inode, (size_t)(pos / PAGE_SIZE));
		if (page == NULL)
			break;
		memcpy(page + in_page, in + done, n);
		done += n;
	}
	if (done == 0 && size > 0)
		return -ENOSPC;
	if (offset + done > inode->size)
		inode->size = offset + done;
	tmpfs_touch(inode);
	return (long)done;
}

int tmpfs_truncate(struct inode *inode, u64 size)
{
	struct tmpfs_node *node = tnode(inode);
	if (size > TMPFS_MAX_FILE_SIZE)
		return -EFBIG;
	if (size < inode->size) {
		size_t keep = (size_t)((size + PAGE_SIZE - 1) / PAGE_SIZE);
		tmpfs_free_pages_from(tfs(inode), node, keep);
		/* Zero the tail of the last kept page, so growing reads zeros. */
		size_t tail = (size_t)(size % PAGE_SIZE);
		if (tail != 0 && keep - 1 < node->page_slots && node->pages[keep - 1] != NULL)
			memset(node->pages[keep - 1] + tail, 0, PAGE_SIZE - tail);
	}
	inode->size = size;
	tmpfs_touch(inode);
	return 0;
}

/* The file's own page: every mapping shares it, so writes through a
 * shared mapping are the file's content. A hole gets its page now (a
 * private zero page if the file system is full and nobody writes). */
static int tmpfs_get_page(struct file *file, u64 offset, bool write, void **page)
{
	u8 *own = page_for_write(file->inode, (size_t)(offset / PAGE_SIZE));
	if (own == NULL && write)
		return -ENOSPC;
	*page = own != NULL ? page_get(own) : page_alloc();
	return *page != NULL ? 0 : -ENOMEM;
}

const struct file_ops g_tmpfs_fops = {
	.read = tmpfs_read,
	.write = tmpfs_write,
	.get_page = tmpfs_get_page,
};

