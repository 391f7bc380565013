/*
 * volfs_ops.c: the VFS operations of a volume: names (lookup, create,
 * mkdir, symlink, unlink, rmdir, rename), metadata (chmod, truncate, the
 * VFS's own chown/utimes) and file content (read, write, mmap pages).
 *
 * Every change first makes the blocks it touches dirty, which reserves
 * their room in the next commit (-ENOSPC before anything changed), then
 * changes memory; nothing reaches the disk before a commit. The VFS has
 * checked names, permissions and the read-only flag.
 */
#include "fs/volfs_fs.h"
#include "lib/string.h"
#include "mm/page.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

static u8 dtype_of(u32 mode)
{
	return (u8)((mode & S_IFMT) >> 12);
}

static void touch(struct inode *inode)
{
	inode->mtime = volfs_now();
	inode->ctime = inode->mtime;
}

/* The entry and inode for name in dir (a new reference), or -ENOENT. */
static int find(struct inode *dir, const char *name, size_t len, struct volfs_name **entry,
                struct inode **child)
{
	int err = volfs_dir_ready(dir);
	if (err < 0)
		return err;
	struct volfs_name *n = volfs_dir_find(vinode(dir)->dir, name, len);
	if (n == NULL)
		return -ENOENT;
	err = volfs_iget(vfs_of(dir), n->ino, child);
	if (err < 0)
		return err;
	if (dtype_of((*child)->mode) != n->type) {
		inode_put(*child);
		return -EIO; /* the record and the inode disagree */
	}
	*entry = n;
	return 0;
}

static int lookup_op(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	if (len == 2 && name[0] == '.' && name[1] == '.')
		return volfs_iget(vfs_of(dir), vinode(dir)->parent, out);
	struct volfs_name *n;
	return find(dir, name, len, &n, out);
}

static int iterate_op(struct inode *dir, u64 *cookie, struct vfs_dirent *out)
{
	int err = volfs_dir_ready(dir);
	if (err < 0)
		return err;
	return volfs_dir_next(dir, cookie, out);
}

/* A new inode named name in dir; on failure nothing is left behind. */
static int make_child(struct inode *dir, const char *name, size_t len, u32 mode,
                      struct inode **out)
{
	if (dir->nlink == 0)
		return -ENOENT; /* a removed directory takes no names */
	int err = volfs_dir_ready(dir);
	if (err < 0)
		return err;
	struct inode *child;
	err = volfs_new_inode(vfs_of(dir), dir, mode, &child);
	if (err < 0)
		return err;
	err = volfs_dir_add(dir, name, len, (u32)child->ino, dtype_of(mode));
	if (err < 0) {
		child->nlink = 0;
		volfs_drop_link(child);
		inode_put(child);
		return err;
	}
	touch(dir);
	*out = child;
	return 0;
}

static int create_op(struct inode *dir, const char *name, size_t len, u32 mode,
                        struct inode **out)
{
	return make_child(dir, name, len, S_IFREG | (mode & 07777), out);
}

static int mkdir_op(struct inode *dir, const char *name, size_t len, u32 mode)
{
	struct inode *child;
	int err = make_child(dir, name, len, S_IFDIR | (mode & 07777), &child);
	if (err < 0)
		return err;
	dir->nlink++;
	inode_put(child);
	return 0;
}

static int symlink_op(struct inode *dir, const char *name, size_t len, const char *target)
{
	size_t size = strlen(target);
	if (size == 0 || size > VOLFS_SYMLINK_MAX)
		return -ENAMETOOLONG;
	struct inode *link;
	int err = make_child(dir, name, len, S_IFLNK | 0777, &link);
	if (err < 0)
		return err;
	struct volfs_fs *fs = vfs_of(link);
	u8 *page;
	err = volfs_obj_page(&fs->st, &vinode(link)->obj, 0, false, &page);
	if (err == 0)
		err = volfs_obj_dirty(&fs->st, &vinode(link)->obj, 0, false, false);
	if (err == 0) {
		memset(page, 0, VOLFS_BLOCK_SIZE);
		memcpy(page, target, size);
		link->size = size;
	} else {
		/* no room for the target: take the name back */
		struct volfs_name *n = volfs_dir_find(vinode(dir)->dir, name, len);
		if (n != NULL && volfs_dir_remove(dir, n) == 0) {
			link->nlink = 0;
			volfs_drop_link(link);
		}
	}
	inode_put(link);
	return err;
}

static long readlink_op(struct inode *link, char *buf, size_t size)
{
	u8 *page;
	int err = volfs_obj_page(&vfs_of(link)->st, &vinode(link)->obj, 0, true, &page);
	if (err < 0)
		return err;
	size_t n = link->size < size ? (size_t)link->size : size;
	memcpy(buf, page, n);
	return (long)n;
}

/* Take name n (naming child) out of dir. */
static int remove_name(struct inode *dir, struct volfs_name *n, struct inode *child)
{
	int err = volfs_touch_meta(child);
	if (err == 0)
		err = volfs_dir_remove(dir, n);
	if (err < 0)
		return err;
	if (inode_is_dir(child)) {
		child->nlink = 0;
		dir->nlink--;
	} else {
		child->nlink--;
	}
	child->ctime = volfs_now();
	touch(dir);
	volfs_drop_link(child);
	return 0;
}

static int unlink_op(struct inode *dir, const char *name, size_t len)
{
	struct volfs_name *n;
	struct inode *child;
	int err = find(dir, name, len, &n, &child);
	if (err < 0)
		return err;
	err = inode_is_dir(child) ? -EISDIR : remove_name(dir, n, child);
	inode_put(child);
	return err;
}

static int dir_empty(struct inode *dir)
{
	int err = volfs_dir_ready(dir);
	if (err < 0)
		return err;
	return vinode(dir)->dir->count == 0 ? 0 : -ENOTEMPTY;
}

static int rmdir_op(struct inode *dir, const char *name, size_t len)
{
	struct volfs_name *n;
	struct inode *child;
	int err = find(dir, name, len, &n, &child);
	if (err < 0)
		return err;
	if (!inode_is_dir(child))
		err = -ENOTDIR;
	else
		err = dir_empty(child);
	if (err == 0)
		err = remove_name(dir, n, child);
	inode_put(child);
	return err;
}

/* Is ancestor dir itself or above it? (Renaming a directory below itself.) */
static int is_ancestor(struct inode *ancestor, struct inode *dir, bool *out)
{
	struct volfs_fs *fs = vfs_of(dir);
	u32 ino = (u32)dir->ino;
	for (int hops = 0; hops < 4096; hops++) {
		if (ino == ancestor->ino) {
			*out = true;
			return 0;
		}
		if (ino == VOLFS_ROOT_INO) {
			*out = false;
			return 0;
		}
		struct inode *cur;
		int err = volfs_iget(fs, ino, &cur);
		if (err < 0)
			return err;
		ino = vinode(cur)->parent;
		inode_put(cur);
	}
	return -EIO; /* a parent loop: corrupt */
}

static int check_replace(struct inode *moving, struct inode *replaced)
{
	if (inode_is_dir(moving) && !inode_is_dir(replaced))
		return -ENOTDIR;
	if (!inode_is_dir(moving) && inode_is_dir(replaced))
		return -EISDIR;
	return inode_is_dir(replaced) ? dir_empty(replaced) : 0;
}

static int do_rename(struct inode *old_dir, struct volfs_name *src, struct inode *moving,
                     struct inode *new_dir, const char *new_name, size_t new_len,
                     struct volfs_name *dst, struct inode *replaced)
{
	int err = volfs_touch_meta(moving);
	if (err == 0 && inode_is_dir(moving))
		err = volfs_touch_meta(new_dir);
	if (err == 0 && replaced != NULL)
		err = volfs_touch_meta(replaced);
	if (err < 0)
		return err;
	/* The new name first (over the replaced one in place), then the old
	 * one goes: an -ENOSPC leaves both names, never none. */
	if (dst != NULL)
		err = volfs_dir_retarget(new_dir, dst, (u32)moving->ino, dtype_of(moving->mode));
	else
		err = volfs_dir_add(new_dir, new_name, new_len, (u32)moving->ino, dtype_of(moving->mode));
	if (err == 0)
		err = volfs_dir_remove(old_dir, src);
	if (err < 0)
		return err;
	if (replaced != NULL) {
		if (inode_is_dir(replaced)) {
			replaced->nlink = 0;
			new_dir->nlink--;
		} else {
			replaced->nlink--;
		}
		replaced->ctime = volfs_now();
		volfs_drop_link(replaced);
	}
	if (inode_is_dir(moving) && old_dir != new_dir) {
		vinode(moving)->parent = (u32)new_dir->ino;
		old_dir->nlink--;
		new_dir->nlink++;
	}
	moving->ctime = volfs_now();
	touch(old_dir);
	touch(new_dir);
	return 0;
}

static int rename_op(struct inode *old_dir, const char *old_name, size_t old_len,
                        struct inode *new_dir, const char *new_name, size_t new_len, u32 flags)
{
	struct volfs_name *src, *dst = NULL;
	struct inode *moving, *replaced = NULL;
	int err = find(old_dir, old_name, old_len, &src, &moving);
	if (err < 0)
		return err;
	bool below = false;
	if (inode_is_dir(moving))
		err = is_ancestor(moving, new_dir, &below);
	if (err == 0 && below)
		err = -EINVAL;
	if (err == 0) {
		err = find(new_dir, new_name, new_len, &dst, &replaced);
		if (err == -ENOENT) {
			dst = NULL;
			replaced = NULL;
			err = 0;
		}
	}
	if (err == 0 && replaced != NULL) {
		if (flags & RENAME_NOREPLACE)
			err = -EEXIST;
		else if (replaced == moving)
			err = 1; /* the same file: nothing to do */
		else
			err = check_replace(moving, replaced);
	}
	if (err == 0)
		err = do_rename(old_dir, src, moving, new_dir, new_name, new_len, dst, replaced);
	if (replaced != NULL)
		inode_put(replaced);
	inode_put(moving);
	return err == 1 ? 0 : err;
}

static int chmod_op(struct inode *inode, u32 mode)
{
	int err = volfs_touch_meta(inode);
	if (err < 0)
		return err;
	inode->mode = (inode->mode & S_IFMT) | (mode & 07777);
	inode->ctime = volfs_now();
	return 0;
}

static int prepare_change_op(struct inode *inode)
{
	return volfs_touch_meta(inode);
}

static int truncate_op(struct inode *inode, u64 size)
{
	struct volfs_fs *fs = vfs_of(inode);
	struct volfs_obj *obj = &vinode(inode)->obj;
	if (size > volfs_capacity(VOLFS_MAX_DEPTH))
		return -EFBIG;
	int err = volfs_touch_meta(inode);
	if (err == 0 && size < inode->size)
		err = volfs_obj_truncate(&fs->st, obj, inode->size, size);
	if (err == 0)
		err = volfs_obj_grow(&fs->st, obj, size);
	if (err < 0)
		return err;
	inode->size = size;
	touch(inode);
	return 0;
}



/* ---- file content ---- */

/* read(): into c (a kernel buffer, or user memory on the direct path). */
static long read_op(struct file *file, struct vfs_copier *c, size_t size, u64 offset)
{
	struct inode *inode = file->inode;
	struct volfs_fs *fs = vfs_of(inode);
	if (offset >= inode->size)
		return 0;
	if (size > inode->size - offset)
		size = (size_t)(inode->size - offset);
	size_t done = 0;
	while (done < size) {
		u64 pos = offset + done;
		size_t in_page = (size_t)(pos % VOLFS_BLOCK_SIZE);
		size_t n = MIN(VOLFS_BLOCK_SIZE - in_page, size - done);
		u8 *page;
		int err = volfs_obj_page(&fs->st, &vinode(inode)->obj, pos / VOLFS_BLOCK_SIZE, true, &page);
		if (err < 0)
			return done > 0 ? (long)done : err;
		/* A reference: the copy may fault into a mapping of this file. */
		page_get(page);
		err = c->copy(c, page + in_page, n);
		page_put(page);
		if (err < 0)
			return done > 0 ? (long)done : err;
		done += n;
	}
	return (long)done;
}

/* write(): from c. may_fault: c is user memory, so a copy can stop
 * half way; pages of the file are then read first even when the write
 * covers them whole, so that a short copy never loses old bytes. */
static long write_op(struct file *file, struct vfs_copier *c, size_t size, u64 offset,
                     bool may_fault)
{
	struct inode *inode = file->inode;
	struct volfs_fs *fs = vfs_of(inode);
	struct volfs_obj *obj = &vinode(inode)->obj;
	u64 max = volfs_capacity(VOLFS_MAX_DEPTH);
	if (offset > max || size > max - offset)
		return -EFBIG;
	int err = volfs_touch_meta(inode);
	if (err == 0)
		err = volfs_obj_grow(&fs->st, obj, offset + size);
	if (err < 0)
		return err;
	size_t done = 0;
	while (done < size) {
		u64 pos = offset + done;
		size_t in_page = (size_t)(pos % VOLFS_BLOCK_SIZE);
		size_t n = MIN(VOLFS_BLOCK_SIZE - in_page, size - done);
		u64 index = pos / VOLFS_BLOCK_SIZE;
		/* A page wholly overwritten, or past the end, needs no read. */
		bool need = (n < VOLFS_BLOCK_SIZE || may_fault) && index * VOLFS_BLOCK_SIZE < inode->size;
		u8 *page;
		err = volfs_obj_page(&fs->st, obj, index, need, &page);
		if (err == 0)
			err = volfs_obj_dirty(&fs->st, obj, index, true, false);
		if (err < 0)
			break;
		page_get(page);
		err = c->copy(c, page + in_page, n);
		page_put(page);
		if (err < 0)
			break;
		done += n;
	}
	if (offset + done > inode->size)
		inode->size = offset + done;
	if (done > 0)
		touch(inode);
	if (done == 0 && size > 0)
		return err;
	if (file->flags & O_DSYNC) { /* O_SYNC includes O_DSYNC's bit */
		err = volfs_commit(fs);
		if (err < 0)
			return err;
	} else if (fs->st.dirty_blocks > fs->dirty_page_limit) {
		volfs_commit(fs); /* a full cache: write back now (an error shows at fsync) */
	}
	return (long)done;
}

/* mmap: the cached page itself, so shared mappings see one page and a
 * shared writable mapping's stores land in it. write: the page becomes
 * dirty (its room reserved: -ENOSPC makes the fault a SIGBUS) and stays
 * dirty while mapped; the commit that writes it unmaps it again so that
 * the next store faults and dirties it anew. */
static int get_page_op(struct file *file, u64 offset, bool write, void **page)
{
	struct inode *inode = file->inode;
	struct volfs_fs *fs = vfs_of(inode);
	struct volfs_obj *obj = &vinode(inode)->obj;
	u64 index = offset / VOLFS_BLOCK_SIZE;
	int err = 0;
	if (write) {
		err = volfs_touch_meta(inode);
		if (err == 0)
			err = volfs_obj_grow(&fs->st, obj, (index + 1) * VOLFS_BLOCK_SIZE);
	} else if ((index + 1) * VOLFS_BLOCK_SIZE > volfs_capacity(obj->depth)) {
		*page = page_alloc(); /* past every block of the file: zeros */
		return *page != NULL ? 0 : -ENOMEM;
	}
	u8 *cached = NULL;
	if (err == 0)
		err = volfs_obj_page(&fs->st, obj, index, true, &cached);
	if (err == 0 && write)
		err = volfs_obj_dirty(&fs->st, obj, index, true, true);
	if (err < 0)
		return err;
	*page = page_get(cached);
	return 0;
}

/* fallocate: mode 0 and KEEP_SIZE only check that the room is free now
 * (copy-on-write cannot set blocks aside for later writes, which all take
 * new blocks) and mode 0 extends the file; PUNCH_HOLE zeroes the range,
 * giving whole pages back. */
static int fallocate_op(struct inode *inode, u32 mode, u64 offset, u64 len)
{
	struct volfs_fs *fs = vfs_of(inode);
	struct volfs_obj *obj = &vinode(inode)->obj;
	u64 end = offset + len;
	if (end > volfs_capacity(VOLFS_MAX_DEPTH))
		return -EFBIG;
	int err = volfs_touch_meta(inode);
	if (err < 0)
		return err;
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		if (offset >= inode->size)
			return 0;
		if (end > inode->size)
			end = inode->size;
		vfs_unmap_file_range(inode, ALIGN_DOWN(offset, VOLFS_BLOCK_SIZE),
		                     ALIGN_UP(end, VOLFS_BLOCK_SIZE), true);
		err = volfs_obj_punch(&fs->st, obj, offset, end);
		if (err == 0)
			touch(inode);
		return err;
	}
	u64 blocks = (ALIGN_UP(end, VOLFS_BLOCK_SIZE) - ALIGN_DOWN(offset, VOLFS_BLOCK_SIZE)) / VOLFS_BLOCK_SIZE;
	if (volfs_free_blocks(&fs->st) < blocks + fs->st.meta_reserve)
		return -ENOSPC;
	if (!(mode & FALLOC_FL_KEEP_SIZE) && end > inode->size) {
		err = volfs_obj_grow(&fs->st, obj, end);
		if (err < 0)
			return err;
		inode->size = end;
		touch(inode);
	}
	return 0;
}

static int link_op(struct inode *target, struct inode *dir, const char *name, size_t len)
{
	if (dir->nlink == 0 || target->nlink == 0)
		return -ENOENT; /* Linux: no names in a removed directory, none for an unlinked file */
	int err = volfs_dir_ready(dir);
	if (err == 0)
		err = volfs_touch_meta(target);
	if (err == 0)
		err = volfs_dir_add(dir, name, len, (u32)target->ino, dtype_of(target->mode));
	if (err < 0)
		return err;
	target->nlink++;
	target->ctime = volfs_now();
	touch(dir);
	return 0;
}

/* ---- the doors: every operation holds the busy guard (volfs.c), so
 * that reclaim never frees a page or node an operation is using ---- */

static int volfs_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	volfs_enter();
	int result = lookup_op(dir, name, len, out);
	volfs_leave();
	return result;
}

static int volfs_iterate(struct inode *dir, u64 *cookie, struct vfs_dirent *out)
{
	volfs_enter();
	int result = iterate_op(dir, cookie, out);
	volfs_leave();
	return result;
}

static int volfs_create(struct inode *dir, const char *name, size_t len, u32 mode, struct inode **out)
{
	volfs_enter();
	int result = create_op(dir, name, len, mode, out);
	volfs_leave();
	return result;
}

static int volfs_mkdir(struct inode *dir, const char *name, size_t len, u32 mode)
{
	volfs_enter();
	int result = mkdir_op(dir, name, len, mode);
	volfs_leave();
	return result;
}

static int volfs_symlink(struct inode *dir, const char *name, size_t len, const char *target)
{
	volfs_enter();
	int result = symlink_op(dir, name, len, target);
	volfs_leave();
	return result;
}

static long volfs_readlink(struct inode *link, char *buf, size_t size)
{
	volfs_enter();
	long result = readlink_op(link, buf, size);
	volfs_leave();
	return result;
}

static int volfs_unlink(struct inode *dir, const char *name, size_t len)
{
	volfs_enter();
	int result = unlink_op(dir, name, len);
	volfs_leave();
	return result;
}

static int volfs_rmdir(struct inode *dir, const char *name, size_t len)
{
	volfs_enter();
	int result = rmdir_op(dir, name, len);
	volfs_leave();
	return result;
}

static int volfs_rename(struct inode *old_dir, const char *old_name, size_t old_len,
                        struct inode *new_dir, const char *new_name, size_t new_len, u32 flags)
{
	volfs_enter();
	int result = rename_op(old_dir, old_name, old_len, new_dir, new_name, new_len, flags);
	volfs_leave();
	return result;
}

static int volfs_chmod(struct inode *inode, u32 mode)
{
	volfs_enter();
	int result = chmod_op(inode, mode);
	volfs_leave();
	return result;
}

static int volfs_prepare_change(struct inode *inode)
{
	volfs_enter();
	int result = prepare_change_op(inode);
	volfs_leave();
	return result;
}

static int volfs_truncate(struct inode *inode, u64 size)
{
	volfs_enter();
	int result = truncate_op(inode, size);
	volfs_leave();
	return result;
}

static long volfs_read(struct file *file, void *buf, size_t size, u64 offset)
{
	struct vfs_kcopier k;
	vfs_copier_to_kernel(&k, buf);
	volfs_enter();
	long result = read_op(file, &k.c, size, offset);
	volfs_leave();
	return result;
}

static long volfs_write(struct file *file, const void *buf, size_t size, u64 offset)
{
	struct vfs_kcopier k;
	vfs_copier_from_kernel(&k, buf);
	volfs_enter();
	long result = write_op(file, &k.c, size, offset, false);
	volfs_leave();
	return result;
}

static long volfs_read_direct(struct file *file, struct vfs_copier *c, size_t size, u64 offset)
{
	volfs_enter();
	long result = read_op(file, c, size, offset);
	volfs_leave();
	return result;
}

static long volfs_write_direct(struct file *file, struct vfs_copier *c, size_t size, u64 offset)
{
	volfs_enter();
	long result = write_op(file, c, size, offset, true);
	volfs_leave();
	return result;
}

static int volfs_get_page(struct file *file, u64 offset, bool write, void **page)
{
	volfs_enter();
	int result = get_page_op(file, offset, write, page);
	volfs_leave();
	return result;
}

static int volfs_fallocate(struct inode *inode, u32 mode, u64 offset, u64 len)
{
	volfs_enter();
	int result = fallocate_op(inode, mode, offset, len);
	volfs_leave();
	return result;
}

static int volfs_link(struct inode *target, struct inode *dir, const char *name, size_t len)
{
	volfs_enter();
	int result = link_op(target, dir, name, len);
	volfs_leave();
	return result;
}

const struct inode_ops g_volfs_iops = {
	.lookup = volfs_lookup,
	.iterate = volfs_iterate,
	.readlink = volfs_readlink,
	.create = volfs_create,
	.mkdir = volfs_mkdir,
	.symlink = volfs_symlink,
	.link = volfs_link,
	.unlink = volfs_unlink,
	.rmdir = volfs_rmdir,
	.rename = volfs_rename,
	.truncate = volfs_truncate,
	.fallocate = volfs_fallocate,
	.chmod = volfs_chmod,
	.prepare_change = volfs_prepare_change,
	.release = volfs_forget_inode,
};

const struct file_ops g_volfs_fops = {
	.shared_writable = true,
	.read = volfs_read,
	.write = volfs_write,
	.read_direct = volfs_read_direct,
	.write_direct = volfs_write_direct,
	.get_page = volfs_get_page,
};
