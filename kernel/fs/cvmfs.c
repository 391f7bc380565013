/*
 * cvmfs.c: cvmfs inodes, directories, symlinks and files for the VFS.
 *
 * Trust: every byte comes through cvmfs_disk_read, so it is authentic;
 * every inode and record is still decoded by cvmfs_parse.c with bounds
 * checks, and a record that breaks a rule turns into -EIO (and a log
 * line), never into a wild read.
 */
#include "fs/cvmfs.h"
#include "fs/cvmfs_parse.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "syscalls/linux_abi/errno.h"

#define CVMFS_DEV 0x801 /* st_dev of the root filesystem */
#define CVMFS_MAGIC 0x43564d46 /* statfs f_type: "CVMF" */
#define RECORD_MAX (CVMFS_DIRENT_HEADER + CVMFS_NAME_MAX + 3)

struct cvmfs_fs {
	struct cvmfs_disk disk;
	struct fs_super sb;
};

static const struct inode_ops g_cvmfs_iops;
static const struct file_ops g_cvmfs_file_ops;

static struct cvmfs_fs *fs_of(struct inode *inode)
{
	return inode->sb->priv;
}

static struct cvmfs_inode *cinode(struct inode *inode)
{
	return inode->priv;
}

static int corrupt(const char *what, u32 ino)
{
	kprintf("cvmfs: bad %s in inode %u\n", what, ino);
	return -EIO;
}

static int load_inode(struct cvmfs_fs *fs, u32 ino, struct inode **out)
{
	u64 offset = 0;
	u8 raw[CVMFS_INODE_SIZE];
	if (cvmfs_inode_offset(&fs->disk.sb, ino, &offset) < 0)
		return corrupt("inode number", ino);
	int err = cvmfs_disk_read(&fs->disk, offset, raw, sizeof(raw));
	if (err < 0)
		return -EIO;
	struct cvmfs_inode *ci = kmalloc(sizeof(*ci));
	if (ci == NULL)
		return -ENOMEM;
	if (cvmfs_parse_inode(&fs->disk.sb, ino, raw, ci) < 0) {
		kfree(ci);
		return corrupt("inode", ino);
	}
	struct inode *inode = inode_alloc(&fs->sb, ino, ci->mode);
	if (inode == NULL) {
		kfree(ci);
		return -ENOMEM;
	}
	inode->uid = ci->uid;
	inode->gid = ci->gid;
	inode->nlink = ci->nlink;
	inode->size = ci->size;
	inode->mtime.sec = ci->mtime_sec;
	inode->mtime.nsec = ci->mtime_nsec;
	inode->atime = inode->mtime;
	inode->ctime = inode->mtime;
	inode->iops = &g_cvmfs_iops;
	inode->fops = &g_cvmfs_file_ops;
	inode->priv = ci;
	*out = inode;
	return 0;
}

static int cvmfs_iget(struct fs_super *sb, u64 ino, struct inode **out)
{
	if (ino < 1 || ino > ((struct cvmfs_fs *)sb->priv)->disk.sb.inode_count)
		return -EIO;
	return load_inode(sb->priv, (u32)ino, out);
}

static void cvmfs_release(struct inode *inode)
{
	kfree(inode->priv);
	kfree(inode);
}

/* Parse the record at byte pos of dir's content into *d (name in rec). */
static int read_record(struct inode *dir, u64 pos, u8 *rec, struct cvmfs_dirent *d)
{
	struct cvmfs_fs *fs = fs_of(dir);
	struct cvmfs_inode *ci = cinode(dir);
	u64 left = ci->size - pos;
	size_t avail = left < RECORD_MAX ? (size_t)left : RECORD_MAX;
	if (cvmfs_disk_read(&fs->disk, ci->data_offset + pos, rec, avail) < 0)
		return -EIO;
	if (cvmfs_parse_dirent(&fs->disk.sb, rec, avail, d) < 0)
		return corrupt("directory record", dir->ino);
	return 0;
}

static int cvmfs_iterate(struct inode *dir, u64 *cookie, struct vfs_dirent *out)
{
	u8 rec[RECORD_MAX];
	struct cvmfs_dirent d;
	if (*cookie >= cinode(dir)->size)
		return 0;
	int err = read_record(dir, *cookie, rec, &d);
	if (err < 0)
		return err;
	out->ino = d.ino;
	out->type = d.type;
	out->name_len = d.name_len;
	memcpy(out->name, d.name, d.name_len);
	out->name[d.name_len] = 0;
	*cookie += d.record_size;
	return 1;
}

static int cvmfs_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	struct cvmfs_fs *fs = fs_of(dir);
	struct cvmfs_inode *ci = cinode(dir);

	if (len == 2 && name[0] == '.' && name[1] == '.')
		return load_inode(fs, ci->parent, out);

	u8 rec[RECORD_MAX];
	u32 seen = 0;
	for (u64 pos = 0; pos < ci->size;) {
		struct cvmfs_dirent d;
		int err = read_record(dir, pos, rec, &d);
		if (err < 0)
			return err;
		if (++seen > ci->entry_count)
			return corrupt("entry count", dir->ino);
		if (d.name_len == len && memcmp(d.name, name, len) == 0) {
			err = load_inode(fs, d.ino, out);
			if (err < 0)
				return err;
			if (cvmfs_mode_dtype((*out)->mode) != d.type) {
				inode_put(*out);
				return corrupt("entry type", dir->ino);
			}
			return 0;
		}
		pos += d.record_size;
	}
	return -ENOENT;
}

static long cvmfs_readlink(struct inode *link, char *buf, size_t size)
{
	struct cvmfs_inode *ci = cinode(link);
	size_t n = ci->size < size ? (size_t)ci->size : size;
	if (cvmfs_disk_read(&fs_of(link)->disk, ci->data_offset, buf, n) < 0)
		return -EIO;
	return (long)n;
}

static long cvmfs_read_direct(struct file *file, struct vfs_copier *c, size_t size, u64 offset)
{
	struct inode *inode = file->inode;
	struct cvmfs_inode *ci = cinode(inode);
	if (offset >= ci->size)
		return 0;
	u64 left = ci->size - offset;
	size_t n = left < size ? (size_t)left : size;
	long got = cvmfs_disk_read_to(&fs_of(inode)->disk, ci->data_offset + offset, n, c);
	return got == -EINVAL ? -EIO : got;
}

static long cvmfs_read(struct file *file, void *buf, size_t size, u64 offset)
{
	struct vfs_kcopier k;
	vfs_copier_to_kernel(&k, buf);
	return cvmfs_read_direct(file, &k.c, size, offset);
}

/* A page wholly inside a block-aligned file is the cache page itself;
 * any other page (a file's last, partial page, small files packed
 * between others) is a private copy with zeros past the end, so no
 * bytes of the next file in the image ever reach a mapping. */
static int cvmfs_get_page(struct file *file, u64 offset, bool write, void **page)
{
	struct cvmfs_inode *ci = cinode(file->inode);
	if (write)
		return -EACCES;
	if (ci->data_offset % CVMFS_BLOCK_SIZE == 0 && offset < ci->size &&
	    ci->size - offset >= PAGE_SIZE) {
		u64 block = (ci->data_offset + offset) / CVMFS_BLOCK_SIZE;
		return cvmfs_block_get(&fs_of(file->inode)->disk, block, 1, (u8 **)page);
	}
	u8 *copy = page_alloc();
	if (copy == NULL)
		return -ENOMEM;
	long n = cvmfs_read(file, copy, PAGE_SIZE, offset);
	if (n < 0) {
		page_free(copy);
		return (int)n;
	}
	*page = copy;
	return 0;
}

static const struct inode_ops g_cvmfs_iops = {
	.lookup = cvmfs_lookup,
	.iterate = cvmfs_iterate,
	.readlink = cvmfs_readlink,
	.release = cvmfs_release,
};

static const struct file_ops g_cvmfs_file_ops = {
	.read = cvmfs_read,
	.read_direct = cvmfs_read_direct,
	.get_page = cvmfs_get_page,
};

int cvmfs_create(const struct cvmfs_source *src, const u8 disk_key[CVMFS_KEY_SIZE],
                 const u8 expected_root[CVMFS_ROOT_SIZE], struct fs_super **out)
{
	struct cvmfs_fs *fs = kzalloc(sizeof(*fs));
	if (fs == NULL)
		return -ENOMEM;
	int err = cvmfs_disk_open(&fs->disk, src, disk_key, expected_root);
	if (err < 0) {
		kfree(fs);
		return err;
	}
	fs->sb.type = "cvmfs";
	fs->sb.dev = CVMFS_DEV;
	fs->sb.read_only = true;
	fs->sb.magic = CVMFS_MAGIC;
	fs->sb.total_blocks = fs->disk.sb.block_count;
	fs->sb.iget = cvmfs_iget;
	fs->sb.priv = fs;
	err = load_inode(fs, fs->disk.sb.root_inode, &fs->sb.root);
	if (err == 0 && !inode_is_dir(fs->sb.root)) {
		inode_put(fs->sb.root);
		err = -EIO;
	}
	if (err < 0) {
		cvmfs_disk_close(&fs->disk);
		kfree(fs);
		return err;
	}
	*out = &fs->sb;
	return 0;
}

const u8 *cvmfs_root_hash(struct fs_super *sb)
{
	struct cvmfs_fs *fs = sb->priv;
	return fs->disk.root;
}

u64 cvmfs_inode_count(struct fs_super *sb)
{
	struct cvmfs_fs *fs = sb->priv;
	return fs->disk.sb.inode_count;
}

void cvmfs_log_stats(struct fs_super *sb)
{
	struct cvmfs_fs *fs = sb->priv;
	cvmfs_disk_log_stats(&fs->disk);
}
