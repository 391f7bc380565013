/*
 * volfs_boot.c: the boot step that attaches persistent volumes (after the
 * root and the tmpfs mounts): volume i is the (i+2)-th virtio-blk device
 * in bus order, its key platform_volume_key(i), its state the one the
 * measured VOLUME override names. A volume the host never mounted
 * writable (FRESH) first takes the owner, mode and content of the image's
 * directory at its target, as docker fills a new named volume.
 *
 * Trust: the device is the host's; volfs checks every block and the
 * state. The VOLUME records were checked against the measured policy
 * (config/volume_record.c).
 */
#include "config/volume_record.h"
#include "drivers/virtio/blk.h"
#include "fs/volfs.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "platform/platform.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"
#include "syscalls/linux_abi/misc.h"

#define SECTORS_PER_BLOCK (VOLFS_BLOCK_SIZE / BLK_SECTOR_SIZE)
#define COPY_DEPTH_MAX 32

static int dev_read(void *ctx, u64 block, void *buf, u32 count)
{
	return blk_read(ctx, block * SECTORS_PER_BLOCK, buf, (size_t)count * SECTORS_PER_BLOCK);
}

static int dev_write(void *ctx, u64 block, const void *buf, u32 count)
{
	return blk_write(ctx, block * SECTORS_PER_BLOCK, buf, (size_t)count * SECTORS_PER_BLOCK);
}

static int dev_flush(void *ctx)
{
	return blk_flush(ctx);
}

/* ---- filling a fresh volume from the image ---- */

static int copy_tree(struct inode *from, struct inode *to, int depth);

static int copy_attrs(struct inode *from, struct inode *to)
{
	int err = vfs_chown(to, from->uid, from->gid);
	if (err == 0)
		err = vfs_chmod(to, from->mode & 07777);
	if (err == 0)
		err = vfs_set_times(to, &from->atime, &from->mtime);
	return err;
}

static int copy_file(struct inode *src, struct inode *dir, const char *name)
{
	struct file *in, *out;
	int err = vfs_open_inode(src, O_RDONLY, &in);
	if (err < 0)
		return err;
	err = vfs_open(dir, name, O_CREAT | O_EXCL | O_WRONLY, 0600, &out);
	if (err < 0) {
		file_put(in);
		return err;
	}
	u8 *buf = kmalloc(VOLFS_BLOCK_SIZE);
	err = buf == NULL ? -ENOMEM : 0;
	while (err == 0) {
		long n = vfs_read(in, buf, VOLFS_BLOCK_SIZE);
		if (n <= 0) {
			err = (int)n;
			break;
		}
		long w = vfs_write(out, buf, (size_t)n);
		if (w != n)
			err = w < 0 ? (int)w : -EIO;
	}
	if (buf != NULL)
		kfree(buf);
	if (err == 0)
		err = copy_attrs(src, out->inode);
	file_put(out);
	file_put(in);
	return err;
}

static int copy_entry(struct inode *from, struct inode *to, const char *name, int depth)
{
	struct inode *src;
	int err = vfs_lookup(from, name, 0, &src);
	if (err < 0)
		return err;
	struct inode *made = NULL;
	if (inode_is_dir(src)) {
		err = vfs_mkdir(to, name, 0700);
		if (err == 0)
			err = vfs_lookup(to, name, 0, &made);
		if (err == 0)
			err = copy_tree(src, made, depth + 1);
		if (err == 0)
			err = copy_attrs(src, made);
	} else if (inode_is_reg(src)) {
		err = copy_file(src, to, name);
	} else if (inode_is_link(src)) {
		char *target = kmalloc(VOLFS_SYMLINK_MAX + 1);
		long n = target == NULL ? -ENOMEM : vfs_readlink(from, name, target, VOLFS_SYMLINK_MAX);
		if (n > 0) {
			target[n] = 0;
			err = vfs_symlink(target, to, name);
		} else {
			err = n < 0 ? (int)n : -EIO;
		}
		if (target != NULL)
			kfree(target);
	} /* device nodes, FIFOs, sockets: not in images, never copied */
	inode_put(made);
	inode_put(src);
	return err;
}

/* Copy every entry of the directory `from` into the directory `to`. */
static int copy_tree(struct inode *from, struct inode *to, int depth)
{
	if (depth > COPY_DEPTH_MAX)
		return -ELOOP;
	struct file *dir;
	int err = vfs_open_inode(from, O_RDONLY | O_DIRECTORY, &dir);
	if (err < 0)
		return err;
	u8 *buf = kmalloc(VOLFS_BLOCK_SIZE);
	err = buf == NULL ? -ENOMEM : 0;
	while (err == 0) {
		long n = vfs_getdents64(dir, buf, VOLFS_BLOCK_SIZE);
		if (n <= 0) {
			err = (int)n;
			break;
		}
		for (long off = 0; off < n && err == 0;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
				err = copy_entry(from, to, d->d_name, depth);
			off += d->d_reclen;
		}
	}
	if (buf != NULL)
		kfree(buf);
	file_put(dir);
	return err;
}

/* A fresh volume becomes the image's directory at its target: owner and
 * mode always, content if the volume is empty (docker's rule). */
static int fill_fresh(struct fs_super *sb, const char *path)
{
	struct inode *root = vfs_root();
	struct inode *image_dir = NULL;
	int err = vfs_lookup(root, path, LOOKUP_FOLLOW, &image_dir);
	inode_put(root);
	if (err == -ENOENT || err == -ENOTDIR)
		return 0; /* nothing there in the image: an empty root owned by root */
	if (err < 0)
		return err;
	if (inode_is_dir(image_dir)) {
		struct vfs_dirent probe;
		u64 cookie = 0;
		bool empty = sb->root->iops->iterate(sb->root, &cookie, &probe) == 0;
		err = empty ? copy_tree(image_dir, sb->root, 0) : 0;
		if (err == 0)
			err = copy_attrs(image_dir, sb->root);
	}
	inode_put(image_dir);
	return err;
}

/* ---- the boot step ---- */

static int mount_one(u32 index, const struct config_volume *v)
{
	struct blk_disk *disk;
	int err = blk_probe(&disk);
	if (err < 0) {
		kprintf("volume %s: no virtio-blk device for it (error %d)\n", v->path, err);
		return err;
	}
	bool read_only = (v->flags & CONFIG_VOLUME_READ_ONLY) != 0;
	struct volfs_dev dev = { .read = dev_read, .write = dev_write, .flush = dev_flush,
	                         .ctx = disk,
	                         .block_count = blk_sector_count(disk) / SECTORS_PER_BLOCK };
	u8 key[VOLFS_KEY_SIZE];
	err = platform_volume_key(index, key);
	if (err < 0) {
		kprintf("volume %s: no key (error %d)\n", v->path, err);
		return err;
	}
	struct volfs_state expected = { .generation = v->generation };
	memcpy(expected.root, v->root, sizeof(expected.root));
	struct fs_super *sb = NULL;
	err = volfs_mount(&dev, key, &expected, read_only, &sb);
	memzero_explicit(key, sizeof(key));
	if (err == -EACCES)
		kprintf("volume %s: not in the state the launcher named (generation %llu): "
		        "rolled back, tampered with, or a wrong key\n", v->path,
		        (unsigned long long)v->generation);
	else if (err < 0)
		kprintf("volume %s: refused (error %d): corrupt or tampered metadata\n", v->path, err);
	if (err < 0)
		return err;
	if (!read_only && (volfs_flags(sb) & VOLFS_FLAG_FRESH) != 0) {
		err = fill_fresh(sb, v->path);
		if (err < 0) {
			kprintf("volume %s: cannot fill it from the image (error %d)\n", v->path, err);
			return err;
		}
		volfs_set_flags(sb, volfs_flags(sb) & ~VOLFS_FLAG_FRESH);
		err = sb->sync(sb);
		if (err < 0)
			return err;
	}
	err = vfs_mount(v->path, sb);
	if (err < 0) {
		kprintf("volume %s: cannot mount it there (error %d)\n", v->path, err);
		return err;
	}
	kprintf("volume %s: mounted%s, generation %llu\n", v->path, read_only ? " read-only" : "",
	        (unsigned long long)v->generation);
	return 0;
}

int fs_mount_volumes(const struct config_volume *volumes, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		int err = mount_one((u32)i, &volumes[i]);
		if (err < 0)
			return err;
	}
	return 0;
}

size_t volfs_drop_tmpfs(char **tmpfs, size_t count, const struct config_volume *volumes,
                        size_t volume_count)
{
	size_t kept = 0;
	for (size_t i = 0; i < count; i++) {
		bool replaced = false;
		for (size_t v = 0; v < volume_count; v++)
			replaced |= strcmp(tmpfs[i], volumes[v].path) == 0;
		if (replaced)
			kfree(tmpfs[i]);
		else
			tmpfs[kept++] = tmpfs[i];
	}
	for (size_t i = kept; i < count; i++)
		tmpfs[i] = NULL;
	return kept;
}
