/*
 * file.c: opening files and I/O on an open file: access-mode checks,
 * offsets, O_APPEND, getdents64 records, ioctl argument layouts.
 */
#include "fs/mount.h"
#include "fs/path.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"
#include "syscalls/linux_abi/termios.h"

#define MAX_FILE_OFFSET 0x7fffffffffffffffLL

static bool can_read(const struct file *file)
{
	u32 mode = file->flags & O_ACCMODE;
	return !(file->flags & O_PATH) && (mode == O_RDONLY || mode == O_RDWR);
}

static bool can_write(const struct file *file)
{
	u32 mode = file->flags & O_ACCMODE;
	return !(file->flags & O_PATH) && (mode == O_WRONLY || mode == O_RDWR);
}

bool vfs_is_stream(const struct file *file)
{
	return file->ops == NULL || file->ops->stream;
}

/* What an open asks of the inode's permission bits (Linux: O_TRUNC
 * needs write too). */
static u32 open_access_mask(u32 o_flags)
{
	u32 mask = 0;
	switch (o_flags & O_ACCMODE) {
	case O_RDONLY:
		mask = R_OK;
		break;
	case O_WRONLY:
		mask = W_OK;
		break;
	default:
		mask = R_OK | W_OK;
		break;
	}
	if (o_flags & O_TRUNC)
		mask |= W_OK;
	return mask;
}

/* Linux's may_open: the type checks, then the permission bits for cred
 * (NULL: a file this open just created, which is not checked). */
static int may_open(struct inode *inode, u32 o_flags, const struct vfs_cred *cred)
{
	bool wants_write = (o_flags & O_ACCMODE) != O_RDONLY;

	if ((o_flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	if (o_flags & O_PATH)
		return 0; /* no access to the content: only the walk's x checks */
	if ((o_flags & O_DIRECTORY) && !inode_is_dir(inode))
		return -ENOTDIR;
	if (inode_is_link(inode))
		return -ELOOP;
	if ((inode->mode & S_IFMT) == S_IFSOCK)
		return -ENXIO; /* a socket's name is for connect(), not open() */
	if (wants_write && inode_is_dir(inode))
		return -EISDIR;
	u32 type = inode->mode & S_IFMT;
	if (wants_write && inode->sb->read_only && type != S_IFCHR && type != S_IFIFO)
		return -EROFS;
	if (cred == NULL)
		return 0;
	return vfs_access(inode, open_access_mask(o_flags), cred);
}

static const struct file_ops *g_fifo_fops;

void vfs_set_fifo_fops(const struct file_ops *fops)
{
	g_fifo_fops = fops;
}

/* What opens an inode: a named FIFO's bytes live in a pipe, not in its
 * filesystem (Linux: init_special_inode). An anonymous pipe's inode
 * (pipefs, an internal filesystem: anon_link) is a FIFO too, reopened
 * through /proc/self/fd/N by its own fops, which never wait for a
 * partner. O_PATH opens nothing. */
static int open_ops(struct inode *inode, u32 o_flags, const struct file_ops **ops)
{
	*ops = inode->fops;
	if ((inode->mode & S_IFMT) != S_IFIFO || inode->sb->anon_link != NULL)
		return 0;
	*ops = g_fifo_fops;
	return g_fifo_fops != NULL || (o_flags & O_PATH) ? 0 : -ENXIO;
}

/* The struct file for an inode that passed may_open. */
static int open_file(struct inode *inode, u32 o_flags, struct file **out)
{
	const struct file_ops *ops;
	int err = open_ops(inode, o_flags, &ops);
	if (err < 0)
		return err;
	struct file *file = file_alloc(ops, inode_get(inode), o_flags & ~O_CLOEXEC, NULL);
	if (file == NULL) {
		inode_put(inode);
		return -ENOMEM;
	}
	if (!(o_flags & O_PATH) && file->ops != NULL && file->ops->open != NULL) {
		err = file->ops->open(inode, file);
		if (err < 0) {
			file->ops = NULL; /* no close for a failed open */
			file_put(file);
			return err;
		}
	}
	*out = file;
	return 0;
}

/* The file remembers where it was found (the reference in found moves
 * to it). Out of memory only costs the name: readlink says -ENOENT. */
static void remember_path(struct file *file, struct path_found *found)
{
	if (found->dir == NULL)
		return;
	size_t len = strlen(found->name);
	file->path_name = kmalloc(len + 1);
	if (file->path_name == NULL) {
		path_found_release(found);
		return;
	}
	memcpy(file->path_name, found->name, len + 1);
	file->path_dir = found->dir;
	found->dir = NULL;
}

int vfs_open_inode(struct inode *inode, u32 o_flags, struct file **out)
{
	struct vfs_cred cred;
	vfs_current_cred(&cred);
	int err = may_open(inode, o_flags, &cred);
	if (err < 0)
		return err;
	return open_file(inode, o_flags, out);
}

/* O_CREAT: find or create the last component; *created says which. */
static int open_create(struct inode *start, const char *path, u32 o_flags, u32 mode,
                       const struct vfs_cred *cred, struct inode **out,
                       struct path_found *found, bool *created)
{
	struct inode *dir = NULL;
	const char *name = NULL;
	size_t name_len = 0;
	int err = path_lookup_parent(start, path, &dir, &name, &name_len);
	if (err < 0)
		return err;
	if (path_name_is_dot(name, name_len) || name[name_len] == '/') {
		inode_put(dir);
		return -EISDIR;
	}
	err = vfs_permission(dir, X_OK, cred);
	if (err < 0) {
		inode_put(dir);
		return err;
	}
	struct inode *existing = NULL;
	err = path_lookup_child(dir, name, name_len, &existing);
	if (err == 0) {
		if (o_flags & O_EXCL) {
			inode_put(dir);
			inode_put(existing);
			return -EEXIST;
		}
		if (inode_is_link(existing) && !(o_flags & O_NOFOLLOW)) {
			inode_put(dir);
			inode_put(existing);
			return path_walk(start, path, LOOKUP_FOLLOW, out, found);
		}
		found->dir = dir;
		memcpy(found->name, name, name_len);
		found->name[name_len] = 0;
		*out = existing;
		return 0;
	}
	if (err != -ENOENT) {
		inode_put(dir);
		return err;
	}
	if (dir->sb->read_only)
		err = -EROFS;
	else if (dir->iops == NULL || dir->iops->create == NULL)
		err = -EACCES;
	else
		err = vfs_permission(dir, W_OK | X_OK, cred);
	if (err == 0)
		err = dir->iops->create(dir, name, name_len, S_IFREG | (mode & 07777), out);
	if (err < 0) {
		inode_put(dir);
		return err;
	}
	*created = true;
	found->dir = dir;
	memcpy(found->name, name, name_len);
	found->name[name_len] = 0;
	return 0;
}

int vfs_open(struct inode *start, const char *path, u32 o_flags, u32 mode,
             struct file **out)
{
	struct inode *inode = NULL;
	struct path_found found = { .dir = NULL };
	bool created = false;
	int err;

	if ((o_flags & O_TMPFILE) == O_TMPFILE)
		return -EOPNOTSUPP; /* callers (e.g. Python's tempfile) fall back */
	struct vfs_cred cred;
	vfs_current_cred(&cred);
	if ((o_flags & O_CREAT) && !(o_flags & O_PATH)) {
		err = open_create(start, path, o_flags, mode, &cred, &inode, &found, &created);
	} else {
		u32 flags = (o_flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
		if (o_flags & O_DIRECTORY)
			flags |= LOOKUP_DIRECTORY;
		err = path_walk(start, path, flags, &inode, &found);
	}
	if (err < 0)
		return err;

	err = may_open(inode, o_flags, created ? NULL : &cred);
	bool wants_write = (o_flags & O_ACCMODE) != O_RDONLY;
	/* O_TRUNC means nothing to pseudo files without truncate
	 * (/dev/attestation/user_report_data opened "wb"). */
	bool truncatable = inode->iops != NULL && inode->iops->truncate != NULL;
	if (err == 0 && (o_flags & O_TRUNC) && wants_write && inode_is_reg(inode) &&
	    !(o_flags & O_PATH) && truncatable)
		err = vfs_truncate(inode, 0);
	if (err == 0)
		err = open_file(inode, o_flags, out);
	if (err == 0)
		remember_path(*out, &found);
	path_found_release(&found);
	inode_put(inode);
	return err;
}

int vfs_open_exec(struct inode *start, const char *path, struct file **out)
{
	struct inode *inode = NULL;
	struct path_found found = { .dir = NULL };
	int err = path_walk(start, path, LOOKUP_FOLLOW, &inode, &found);
	if (err < 0)
		return err;
	struct vfs_cred cred;
	vfs_current_cred(&cred);
	if (inode_is_dir(inode))
		err = -EISDIR;
	else if (!inode_is_reg(inode) || (vfs_mount_flags(inode) & VFS_MOUNT_NOEXEC))
		err = -EACCES; /* Linux: noexec refuses programs, scripts and interpreters */
	else
		err = vfs_permission(inode, X_OK, &cred);
	if (err == 0)
		err = open_file(inode, O_RDONLY, out);
	if (err == 0)
		remember_path(*out, &found);
	path_found_release(&found);
	inode_put(inode);
	return err;
}

/* The directory part of a path into tmp (VFS_PATH_MAX bytes), then
 * "/name" after it; returns the length or -errno. */
static long build_file_path(struct file *file, char *tmp)
{
	struct inode *dir = file->path_dir;
	if (file->inode != NULL && inode_is_dir(file->inode))
		return vfs_getcwd(file->inode, tmp, VFS_PATH_MAX);
	if (dir == NULL && file->path_name != NULL) {
		/* A file with a name but no directory (a memfd): "/" + name. */
		size_t n = strlen(file->path_name);
		if (n + 1 >= VFS_PATH_MAX)
			return -ENAMETOOLONG;
		tmp[0] = '/';
		memcpy(tmp + 1, file->path_name, n + 1);
		return (long)n + 1;
	}
	if (dir == NULL || file->path_name == NULL)
		return -ENOENT;
	long len = vfs_getcwd(dir, tmp, VFS_PATH_MAX);
	if (len < 0)
		return len;
	if (len == 1)
		len = 0; /* "/" + name, not "//name" */
	size_t name_len = strlen(file->path_name);
	if ((size_t)len + 1 + name_len >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	tmp[len] = '/';
	memcpy(tmp + len + 1, file->path_name, name_len + 1);
	return len + 1 + (long)name_len;
}

long vfs_file_path(struct file *file, char *buf, size_t size)
{
	char *tmp = kmalloc(VFS_PATH_MAX);
	if (tmp == NULL)
		return -ENOMEM;
	long len = build_file_path(file, tmp);
	if (len >= 0) {
		if ((size_t)len > size)
			len = (long)size; /* like readlink: truncated, no NUL */
		memcpy(buf, tmp, (size_t)len);
	}
	kfree(tmp);
	return len;
}

/* What every read at offset must pass (have_op: the file can do this
 * kind of read); trims size at the largest offset. */
static int check_read(struct file *file, s64 offset, size_t *size, bool have_op)
{
	if (!can_read(file))
		return -EBADF;
	if (file->inode != NULL && inode_is_dir(file->inode))
		return -EISDIR;
	if (!have_op || offset < 0)
		return -EINVAL;
	if (*size > (u64)MAX_FILE_OFFSET - (u64)offset)
		*size = (size_t)((u64)MAX_FILE_OFFSET - (u64)offset);
	return 0;
}

static int check_write(struct file *file, s64 offset, size_t size, bool have_op)
{
	if (!can_write(file))
		return -EBADF;
	if (!have_op || offset < 0)
		return -EINVAL;
	if (size > (u64)MAX_FILE_OFFSET - (u64)offset)
		return -EFBIG;
	return 0;
}

/* The read both vfs_read and vfs_pread do (streams ignore offset). */
static long read_at(struct file *file, void *buf, size_t size, s64 offset)
{
	int err = check_read(file, offset, &size, file->ops != NULL && file->ops->read != NULL);
	if (err < 0)
		return err;
	return file->ops->read(file, buf, size, (u64)offset);
}

static long write_at(struct file *file, const void *buf, size_t size, s64 offset)
{
	int err = check_write(file, offset, size, file->ops != NULL && file->ops->write != NULL);
	if (err < 0)
		return err;
	return file->ops->write(file, buf, size, (u64)offset);
}

/* pread/pwrite on a stream (tty, pipe) is ESPIPE before anything else,
 * as on Linux (no FMODE_PREAD/PWRITE). */
long vfs_pread(struct file *file, void *buf, size_t size, s64 offset)
{
	return vfs_is_stream(file) ? -ESPIPE : read_at(file, buf, size, offset);
}

long vfs_pwrite(struct file *file, const void *buf, size_t size, s64 offset)
{
	return vfs_is_stream(file) ? -ESPIPE : write_at(file, buf, size, offset);
}

long vfs_read(struct file *file, void *buf, size_t size)
{
	long n = read_at(file, buf, size, vfs_is_stream(file) ? 0 : (s64)file->offset);
	if (n > 0 && !vfs_is_stream(file))
		file->offset += (u64)n;
	return n;
}

/* O_APPEND: every write goes to the end, wherever the offset was. */
static void seek_append(struct file *file)
{
	if (!vfs_is_stream(file) && (file->flags & O_APPEND) && file->inode != NULL)
		file->offset = file->inode->size;
}

long vfs_write(struct file *file, const void *buf, size_t size)
{
	seek_append(file);
	long n = write_at(file, buf, size, vfs_is_stream(file) ? 0 : (s64)file->offset);
	if (n > 0 && !vfs_is_stream(file))
		file->offset += (u64)n;
	return n;
}

/* Advance *offset, or file->offset when offset is NULL, by n > 0. */
static void advance(struct file *file, s64 *offset, long n)
{
	if (n <= 0)
		return;
	if (offset != NULL)
		*offset += n;
	else
		file->offset += (u64)n;
}

long vfs_read_direct(struct file *file, struct vfs_copier *c, size_t size, s64 *offset)
{
	if (file->ops == NULL || file->ops->read_direct == NULL || vfs_is_stream(file))
		return -EOPNOTSUPP;
	s64 at = offset != NULL ? *offset : (s64)file->offset;
	int err = check_read(file, at, &size, true);
	if (err < 0)
		return err;
	long n = file->ops->read_direct(file, c, size, (u64)at);
	advance(file, offset, n);
	return n;
}

long vfs_write_direct(struct file *file, struct vfs_copier *c, size_t size, s64 *offset)
{
	if (file->ops == NULL || file->ops->write_direct == NULL || vfs_is_stream(file))
		return -EOPNOTSUPP;
	if (offset == NULL)
		seek_append(file);
	s64 at = offset != NULL ? *offset : (s64)file->offset;
	int err = check_write(file, at, size, true);
	if (err < 0)
		return err;
	long n = file->ops->write_direct(file, c, size, (u64)at);
	advance(file, offset, n);
	return n;
}

static int copy_to_kernel(struct vfs_copier *c, void *kaddr, size_t n)
{
	struct vfs_kcopier *k = (struct vfs_kcopier *)c;
	memcpy(k->at, kaddr, n);
	k->at += n;
	return 0;
}

static int copy_from_kernel(struct vfs_copier *c, void *kaddr, size_t n)
{
	struct vfs_kcopier *k = (struct vfs_kcopier *)c;
	memcpy(kaddr, k->at, n);
	k->at += n;
	return 0;
}

void vfs_copier_to_kernel(struct vfs_kcopier *k, void *buf)
{
	k->c.copy = copy_to_kernel;
	k->at = buf;
}

void vfs_copier_from_kernel(struct vfs_kcopier *k, const void *buf)
{
	k->c.copy = copy_from_kernel;
	k->at = (u8 *)(uptr)buf; /* only read from: copy_from_kernel */
}

s64 vfs_lseek(struct file *file, s64 offset, int whence)
{
	if (vfs_is_stream(file))
		return -ESPIPE;
	s64 base;
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = (s64)file->offset;
		break;
	case SEEK_END:
		if (file->inode == NULL)
			return -EINVAL;
		base = (s64)file->inode->size;
		break;
	default:
		return -EINVAL;
	}
	if ((offset > 0 && base > MAX_FILE_OFFSET - offset) || base + offset < 0)
		return -EINVAL;
	file->offset = (u64)(base + offset);
	return (s64)file->offset;
}

/* Append one linux_dirent64 record; false if it does not fit. */
static bool put_dirent(u8 *buf, size_t size, size_t *used, u64 ino, s64 next_off,
                       u8 type, const char *name, size_t name_len)
{
	size_t reclen = (19 + name_len + 1 + 7) & ~(size_t)7;
	if (*used + reclen > size)
		return false;
	u8 *rec = buf + *used;
	memset(rec, 0, reclen);
	memcpy(rec, &ino, 8);
	memcpy(rec + 8, &next_off, 8);
	u16 reclen16 = (u16)reclen;
	memcpy(rec + 16, &reclen16, 2);
	rec[18] = type;
	memcpy(rec + 19, name, name_len);
	*used += reclen;
	return true;
}

/* getdents offsets: 0 ".", 1 "..", 2 + the filesystem's cookie, then
 * MOUNT_COOKIE_BASE + i for mount i whose point is missing in the
 * filesystem (images FROM scratch have no /dev or /proc). */
#define MOUNT_COOKIE_BASE (1ULL << 62)

/* Mount i if it is a child of dir that the filesystem itself lacks. */
static bool mount_only_child(struct inode *dir, struct mount *m)
{
	if (m->parent_dir == NULL || !inode_same(m->parent_dir, dir))
		return false;
	if (dir->iops == NULL || dir->iops->lookup == NULL)
		return true;
	struct inode *found = NULL;
	if (dir->iops->lookup(dir, m->name, strlen(m->name), &found) != 0)
		return true;
	inode_put(found);
	return false;
}

static long list_mounts(struct file *file, u8 *buf, size_t size, size_t used)
{
	for (;;) {
		size_t index = (size_t)(file->offset - MOUNT_COOKIE_BASE);
		struct mount *m = mount_at(index);
		if (m == NULL)
			break;
		if (mount_only_child(file->inode, m) &&
		    !put_dirent(buf, size, &used, m->sb->root->ino, (s64)(file->offset + 1), DT_DIR,
		                m->name, strlen(m->name)))
			return used > 0 ? (long)used : -EINVAL;
		file->offset++;
	}
	return (long)used;
}

static long list_fs_entries(struct file *file, u8 *buf, size_t size, size_t *used)
{
	struct inode *dir = file->inode;
	struct vfs_dirent *ent = kmalloc(sizeof(*ent));
	if (ent == NULL)
		return -ENOMEM;
	long result = 0;
	for (;;) {
		u64 cookie = file->offset - 2;
		int got = dir->iops->iterate(dir, &cookie, ent);
		if (got < 0) {
			result = got;
			break;
		}
		if (got == 0) {
			file->offset = MOUNT_COOKIE_BASE;
			break;
		}
		if (!put_dirent(buf, size, used, ent->ino, (s64)(cookie + 2), ent->type, ent->name,
		                ent->name_len)) {
			result = 1; /* buffer full */
			break;
		}
		file->offset = cookie + 2;
	}
	kfree(ent);
	return result;
}

long vfs_getdents64(struct file *file, void *buf, size_t size)
{
	struct inode *dir = file->inode;
	if (dir == NULL || !inode_is_dir(dir))
		return -ENOTDIR;
	if (file->flags & O_PATH)
		return -EBADF;

	size_t used = 0;
	if (file->offset == 0) {
		if (!put_dirent(buf, size, &used, dir->ino, 1, DT_DIR, ".", 1))
			return -EINVAL;
		file->offset = 1;
	}
	if (file->offset == 1) {
		struct inode *parent = NULL;
		u64 parent_ino = dir->ino;
		if (path_lookup_child(dir, "..", 2, &parent) == 0) {
			parent_ino = parent->ino;
			inode_put(parent);
		}
		if (!put_dirent(buf, size, &used, parent_ino, 2, DT_DIR, "..", 2))
			return used > 0 ? (long)used : -EINVAL;
		file->offset = 2;
	}
	if (file->offset < MOUNT_COOKIE_BASE) {
		if (dir->iops == NULL || dir->iops->iterate == NULL) {
			file->offset = MOUNT_COOKIE_BASE;
		} else {
			long r = list_fs_entries(file, buf, size, &used);
			if (r < 0)
				return used > 0 ? (long)used : r;
			if (r == 1)
				return used > 0 ? (long)used : -EINVAL;
		}
	}
	return list_mounts(file, buf, size, used);
}

int vfs_ioctl_layout(u32 cmd, struct vfs_ioctl_layout *out)
{
	switch (cmd) {
	case TCGETS:
		*out = (struct vfs_ioctl_layout){ sizeof(struct linux_termios), false, true };
		return 0;
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		*out = (struct vfs_ioctl_layout){ sizeof(struct linux_termios), true, false };
		return 0;
	case TIOCGWINSZ:
		*out = (struct vfs_ioctl_layout){ sizeof(struct linux_winsize), false, true };
		return 0;
	case TIOCSWINSZ:
		*out = (struct vfs_ioctl_layout){ sizeof(struct linux_winsize), true, false };
		return 0;
	case FIONREAD:
		*out = (struct vfs_ioctl_layout){ sizeof(int), false, true };
		return 0;
	default:
		return -ENOTTY;
	}
}

long vfs_ioctl(struct file *file, u32 cmd, void *karg, u64 arg)
{
	if (file->flags & O_PATH)
		return -EBADF;
	if (file->ops == NULL || file->ops->ioctl == NULL)
		return -ENOTTY;
	return file->ops->ioctl(file, cmd, karg, arg);
}

u32 vfs_poll(struct file *file, u32 events, struct poll_table *pt)
{
	if (file->ops == NULL || file->ops->poll == NULL)
		return events & (VFS_POLLIN | VFS_POLLOUT); /* regular files are always ready */
	return file->ops->poll(file, events, pt);
}

int vfs_get_page(struct file *file, u64 offset, bool write, void **page)
{
	if (!can_read(file) || (write && !can_write(file)))
		return -EACCES;
	if (offset % PAGE_SIZE != 0)
		return -EINVAL;
	if (file->ops == NULL || file->ops->get_page == NULL)
		return -ENODEV;
	return file->ops->get_page(file, offset, write, page);
}
