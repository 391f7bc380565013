/*
 * tmpfs_data.c: the contents of tmpfs files: a growable array of pages,
 * NULL slots being holes that read as zeros. Every page is counted
 * against the instance's page limit.
 *
 * A file of the root overlay may have a lower (image) file: a NULL slot
 * below lower_size reads the image's bytes (through the page cache), and
 * the first write to such a page copies it up into the file's own page
 * (copy-up per page). Truncation lowers lower_size, so bytes cut off
 * never come back from the image.
 */
#include "fs/tmpfs_node.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

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

u64 tmpfs_file_pages(struct inode *inode)
{
	struct tmpfs_node *node = tnode(inode);
	u64 count = 0;
	for (size_t i = 0; i < node->page_slots; i++)
		count += node->pages[i] != NULL;
	return count;
}

void tmpfs_data_release(struct tmpfs_node *node)
{
	if (node->lower_file != NULL)
		file_put(node->lower_file);
	node->lower_file = NULL;
}

/* The image file behind node, opened for reading on first use. */
static int open_lower(struct tmpfs_node *node)
{
	struct inode *lower = node->lower;
	if (node->lower_file != NULL)
		return 0;
	if (lower->fops == NULL || lower->fops->read == NULL)
		return -EIO;
	node->lower_file = file_alloc(lower->fops, inode_get(lower), O_RDONLY, NULL);
	if (node->lower_file == NULL) {
		inode_put(lower);
		return -ENOMEM;
	}
	return 0;
}

/* Read [offset, offset+size) of the image file behind node (all of it
 * below lower_size). */
static int read_lower(struct tmpfs_node *node, void *buf, size_t size, u64 offset)
{
	int err = open_lower(node);
	if (err < 0)
		return err;
	long n = node->lower_file->ops->read(node->lower_file, buf, size, offset);
	if (n < 0)
		return (int)n;
	if ((size_t)n < size)
		memset((u8 *)buf + n, 0, size - (size_t)n);
	return 0;
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

/* The file's own page at index page, made if needed (copied up from the
 * image below lower_size, else zero). NULL with *err = -ENOSPC when the
 * instance is full or memory is out, or the image read's error. */
static u8 *own_page(struct inode *inode, size_t page, int *err)
{
	struct tmpfs_fs *fs = tfs(inode);
	struct tmpfs_node *node = tnode(inode);
	*err = -ENOSPC;
	if (grow_slots(node, page) < 0)
		return NULL;
	if (node->pages[page] != NULL)
		return node->pages[page];
	if (fs->pages_used >= fs->page_limit)
		return NULL;
	u8 *fresh = page_alloc();
	if (fresh == NULL)
		return NULL;
	u64 start = (u64)page * PAGE_SIZE;
	if (start < node->lower_size) {
		u64 valid = MIN(node->lower_size - start, (u64)PAGE_SIZE);
		*err = read_lower(node, fresh, (size_t)valid, start);
		if (*err < 0) {
			page_free(fresh);
			return NULL;
		}
		/* Shared mappings still show the image's page: make them
		 * refault onto the file's own page. */
		vfs_unmap_file_range(inode, start, start + PAGE_SIZE, false);
	}
	node->pages[page] = fresh;
	fs->pages_used++;
	return fresh;
}

/* What a hole reads as (only ever read from). */
static u8 g_zeros[PAGE_SIZE];

/* Hand the image's bytes [pos, pos + n) to c, straight from the page
 * cache; what moved, or the error when nothing did. */
static long lower_to(struct tmpfs_node *node, struct vfs_copier *c, size_t n, u64 pos)
{
	int err = open_lower(node);
	if (err < 0)
		return err;
	if (node->lower_file->ops->read_direct == NULL)
		return -EIO;
	return node->lower_file->ops->read_direct(node->lower_file, c, n, pos);
}

/* How many bytes from pos on (at most max) come from the image in one
 * go: up to lower_size or the next page the file has of its own. */
static size_t lower_run(struct tmpfs_node *node, u64 pos, size_t max)
{
	size_t run = (size_t)MIN((u64)max, node->lower_size - pos);
	size_t limit = MIN((size_t)(PAGE_SIZE - pos % PAGE_SIZE), run);
	while (limit < run) {
		size_t next = (size_t)((pos + limit) / PAGE_SIZE);
		if (next < node->page_slots && node->pages[next] != NULL)
			break;
		limit += MIN((size_t)PAGE_SIZE, run - limit);
	}
	return limit;
}

static long tmpfs_read_direct(struct file *file, struct vfs_copier *c, size_t size, u64 offset)
{
	struct inode *inode = file->inode;
	struct tmpfs_node *node = tnode(inode);
	if (offset >= inode->size)
		return 0;
	if (size > inode->size - offset)
		size = (size_t)(inode->size - offset);
	size_t done = 0;
	while (done < size) {
		u64 pos = offset + done;
		size_t page = (size_t)(pos / PAGE_SIZE);
		size_t in_page = (size_t)(pos % PAGE_SIZE);
		size_t n = MIN(PAGE_SIZE - in_page, size - done);
		long moved;
		if (page < node->page_slots && node->pages[page] != NULL) {
			/* A reference, in case the copy faults into this file. */
			u8 *own = page_get(node->pages[page]);
			moved = c->copy(c, own + in_page, n) < 0 ? -EFAULT : (long)n;
			page_put(own);
		} else if (pos < node->lower_size) {
			n = lower_run(node, pos, size - done);
			moved = lower_to(node, c, n, pos);
		} else {
			moved = c->copy(c, g_zeros, n) < 0 ? -EFAULT : (long)n; /* a hole */
		}
		if (moved < 0)
			return done > 0 ? (long)done : moved;
		done += (size_t)moved;
		if ((size_t)moved < n)
			break;
	}
	return (long)done;
}

static long tmpfs_read(struct file *file, void *buf, size_t size, u64 offset)
{
	struct vfs_kcopier k;
	vfs_copier_to_kernel(&k, buf);
	return tmpfs_read_direct(file, &k.c, size, offset);
}

/* The seals a write of size bytes at offset meets: the size it may
 * write (up to the end of a file sealed against growing), or -EPERM. */
static long sealed_write_size(struct inode *inode, size_t size, u64 offset)
{
	u32 seals = tnode(inode)->seals;
	if (seals & TMPFS_SEALS_WRITE)
		return -EPERM;
	if ((seals & F_SEAL_GROW) && offset + size > inode->size) {
		if (offset >= inode->size)
			return -EPERM;
		size = (size_t)(inode->size - offset);
	}
	return (long)size;
}

static long tmpfs_write_direct(struct file *file, struct vfs_copier *c, size_t size, u64 offset)
{
	struct inode *inode = file->inode;
	if (offset > TMPFS_MAX_FILE_SIZE || size > TMPFS_MAX_FILE_SIZE - offset)
		return -EFBIG;
	long allowed = sealed_write_size(inode, size, offset);
	if (allowed < 0)
		return allowed;
	size = (size_t)allowed;
	size_t done = 0;
	int err = 0;
	while (done < size) {
		u64 pos = offset + done;
		size_t in_page = (size_t)(pos % PAGE_SIZE);
		size_t n = MIN(PAGE_SIZE - in_page, size - done);
		u8 *page = own_page(inode, (size_t)(pos / PAGE_SIZE), &err);
		if (page == NULL)
			break;
		page_get(page);
		err = c->copy(c, page + in_page, n);
		page_put(page);
		if (err < 0)
			break;
		done += n;
	}
	if (done == 0 && size > 0)
		return err;
	if (offset + done > inode->size)
		inode->size = offset + done;
	tmpfs_touch(inode);
	return (long)done;
}

static long tmpfs_write(struct file *file, const void *buf, size_t size, u64 offset)
{
	struct vfs_kcopier k;
	vfs_copier_from_kernel(&k, buf);
	return tmpfs_write_direct(file, &k.c, size, offset);
}

int tmpfs_truncate(struct inode *inode, u64 size)
{
	struct tmpfs_node *node = tnode(inode);
	if (size > TMPFS_MAX_FILE_SIZE)
		return -EFBIG;
	if ((size < inode->size && (node->seals & F_SEAL_SHRINK)) ||
	    (size > inode->size && (node->seals & F_SEAL_GROW)))
		return -EPERM;
	if (size < node->lower_size)
		node->lower_size = size;
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

/* Zero [from, to) of page index (within one page), giving the file its
 * own page first when the bytes still come from the image. */
static int zero_part(struct inode *inode, size_t index, size_t from, size_t to)
{
	struct tmpfs_node *node = tnode(inode);
	bool own = index < node->page_slots && node->pages[index] != NULL;
	if (!own && (u64)index * PAGE_SIZE >= node->lower_size)
		return 0; /* a hole reads zero already */
	int err = 0;
	u8 *page = own_page(inode, index, &err);
	if (page == NULL)
		return err;
	memset(page + from, 0, to - from);
	return 0;
}

/* FALLOC_FL_PUNCH_HOLE: whole pages become holes, partial ones zeros. */
static int punch_hole(struct inode *inode, u64 offset, u64 end)
{
	struct tmpfs_node *node = tnode(inode);
	for (u64 pos = offset; pos < end;) {
		size_t index = (size_t)(pos / PAGE_SIZE);
		size_t from = (size_t)(pos % PAGE_SIZE);
		size_t to = (size_t)MIN((u64)PAGE_SIZE, end - (u64)index * PAGE_SIZE);
		bool whole = from == 0 && to == PAGE_SIZE;
		if (whole && (u64)index * PAGE_SIZE >= node->lower_size) {
			if (index < node->page_slots && node->pages[index] != NULL) {
				u64 at = (u64)index * PAGE_SIZE;
				vfs_unmap_file_range(inode, at, at + PAGE_SIZE, true);
				page_put(node->pages[index]);
				node->pages[index] = NULL;
				tfs(inode)->pages_used--;
			}
		} else {
			int err = zero_part(inode, index, from, to);
			if (err < 0)
				return err;
		}
		pos = (u64)index * PAGE_SIZE + to;
	}
	return 0;
}

int tmpfs_fallocate(struct inode *inode, u32 mode, u64 offset, u64 len)
{
	if (offset > TMPFS_MAX_FILE_SIZE || len > TMPFS_MAX_FILE_SIZE - offset)
		return -EFBIG;
	u64 end = offset + len;
	u32 seals = tnode(inode)->seals;
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		if (seals & TMPFS_SEALS_WRITE)
			return -EPERM;
		return punch_hole(inode, MIN(offset, inode->size), MIN(end, inode->size));
	}
	if ((seals & F_SEAL_GROW) && end > inode->size)
		return -EPERM; /* even with FALLOC_FL_KEEP_SIZE, as on Linux */
	/* Reserve every page now, so later writes cannot run out of room. */
	for (u64 pos = ALIGN_DOWN(offset, PAGE_SIZE); pos < end; pos += PAGE_SIZE) {
		int err = 0;
		if (own_page(inode, (size_t)(pos / PAGE_SIZE), &err) == NULL)
			return err;
	}
	if (!(mode & FALLOC_FL_KEEP_SIZE) && end > inode->size)
		inode->size = end;
	tmpfs_touch(inode);
	return 0;
}

/* A page still in the image, for a read-only or private mapping: the
 * page cache's own page when the image's bytes fill it, else a private
 * copy (zeros past lower_size). */
static int lower_page(struct tmpfs_node *node, u64 offset, void **page)
{
	if (offset + PAGE_SIZE <= node->lower_size && open_lower(node) == 0 &&
	    node->lower_file->ops->get_page != NULL)
		return node->lower_file->ops->get_page(node->lower_file, offset, false, page);
	u8 *copy = page_alloc();
	if (copy == NULL)
		return -ENOMEM;
	u64 valid = MIN(node->lower_size - offset, (u64)PAGE_SIZE);
	int err = read_lower(node, copy, (size_t)valid, offset);
	if (err < 0) {
		page_free(copy);
		return err;
	}
	*page = copy;
	return 0;
}

/* The file's own page: every shared mapping maps it, so writes through a
 * mapping are the file's content. Overlay pages still in the image are
 * mapped from the page cache until a writable shared mapping asks (then
 * the page is copied up). A hole gets its page now (a private zero page
 * if the file system is full and nobody writes). */
static int tmpfs_get_page(struct file *file, u64 offset, bool write, void **page)
{
	struct tmpfs_node *node = tnode(file->inode);
	size_t index = (size_t)(offset / PAGE_SIZE);
	bool own = index < node->page_slots && node->pages[index] != NULL;
	if (!own && !write && offset < node->lower_size)
		return lower_page(node, offset, page);
	int err = 0;
	u8 *mine = own_page(file->inode, index, &err);
	if (mine == NULL && (write || err != -ENOSPC))
		return err;
	*page = mine != NULL ? page_get(mine) : page_alloc();
	return *page != NULL ? 0 : -ENOMEM;
}

const struct file_ops g_tmpfs_fops = {
	.shared_writable = true,
	.read = tmpfs_read,
	.write = tmpfs_write,
	.read_direct = tmpfs_read_direct,
	.write_direct = tmpfs_write_direct,
	.get_page = tmpfs_get_page,
};
