/* cvmfs_image.c: see cvmfs_image.h. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "crypto/crypto.h"
#include "cvmfs_image.h"
#include "syscalls/linux_abi/errno.h"

u8 *cvmfs_image_plaintext(const struct golden_image *g, struct cvmfs_sb *sb_out)
{
	struct cvmfs_disk disk;
	struct memsource img = g->img;
	struct cvmfs_source src = memsource_source(&img);
	if (cvmfs_disk_open(&disk, &src, g->key, g->root) != 0)
		return NULL;
	size_t size = disk.sb.block_count * CVMFS_BLOCK_SIZE;
	u8 *plain = malloc(size);
	if (cvmfs_disk_read(&disk, 0, plain, size) != 0) {
		free(plain);
		plain = NULL;
	}
	*sb_out = disk.sb;
	cvmfs_disk_close(&disk);
	return plain;
}

void cvmfs_image_reencrypt(struct memsource *img, const struct cvmfs_sb *sb, const u8 *key,
                           const u8 *plain, u8 root_out[48])
{
	static const char info[] = CVMFS_HKDF_INFO;
	u8 image_key[32];
	hkdf_sha384(key, 32, sb->salt, CVMFS_SALT_SIZE, info, sizeof(info) - 1, image_key, 32);
	struct aes_gcm_key gcm;
	aes_gcm_key_init(&gcm, image_key);
	for (u64 b = 0; b < sb->block_count; b++) {
		u8 iv[AES_GCM_IV_SIZE] = { 0 };
		for (int i = 0; i < 8; i++)
			iv[i] = (u8)(b >> (8 * i));
		u8 *out = img->data + sb->data_offset + b * CVMFS_BLOCK_SIZE;
		memcpy(out, plain + b * CVMFS_BLOCK_SIZE, CVMFS_BLOCK_SIZE);
		aes_gcm_encrypt(&gcm, iv, out, CVMFS_BLOCK_SIZE,
		                img->data + CVMFS_TAG_TABLE_OFFSET + b * CVMFS_TAG_SIZE);
	}
	aes_gcm_key_wipe(&gcm);
	struct sha384_ctx h;
	sha384_init(&h);
	sha384_update(&h, img->data, CVMFS_SB_SIZE);
	sha384_update(&h, img->data + CVMFS_TAG_TABLE_OFFSET, sb->block_count * CVMFS_TAG_SIZE);
	sha384_final(&h, root_out);
}

size_t cvmfs_image_metadata_size(const struct cvmfs_sb *sb)
{
	size_t meta = (size_t)sb->inode_table_offset + (size_t)sb->inode_count * CVMFS_INODE_SIZE +
	              2048;
	size_t all = sb->block_count * CVMFS_BLOCK_SIZE;
	return meta < all ? meta : all;
}

/* Visit everything reachable from dir with the raw inode ops. */
static void walk(struct inode *dir, int depth, int *budget, u64 (*next_offset)(void))
{
	if (depth > 8 || *budget <= 0)
		return;
	u64 cookie = 0;
	struct vfs_dirent ent;
	for (int n = 0; n < 64 && (*budget)-- > 0; n++) {
		int got = dir->iops->iterate(dir, &cookie, &ent);
		if (got <= 0) {
			CHECK(got == 0 || got == -EIO);
			return;
		}
		CHECK(ent.name_len >= 1 && ent.name_len <= 255);
		struct inode *child = NULL;
		int err = dir->iops->lookup(dir, ent.name, ent.name_len, &child);
		if (err != 0) {
			CHECK(err == -EIO || err == -ENOENT);
			continue;
		}
		char buf[5000];
		if (inode_is_dir(child)) {
			struct inode *up = NULL;
			if (child->iops->lookup(child, "..", 2, &up) == 0)
				inode_put(up);
			walk(child, depth + 1, budget, next_offset);
		} else if (inode_is_link(child)) {
			long r = child->iops->readlink(child, buf, sizeof(buf));
			CHECK(r == -EIO || (r >= 1 && r <= 4095));
		} else {
			struct file f = { .refcount = 1, .inode = child, .ops = child->fops };
			long r = child->fops->read(&f, buf, sizeof(buf), next_offset() % 30000);
			CHECK(r >= -EIO && r <= (long)sizeof(buf));
		}
		inode_put(child);
	}
}

int cvmfs_image_mount_and_walk(struct memsource *img, const u8 *key, const u8 *root,
                               int budget, u64 (*next_offset)(void))
{
	struct cvmfs_source src = memsource_source(img);
	struct fs_super *fs = NULL;
	int err = cvmfs_create(&src, key, root, &fs);
	if (err != 0) {
		CHECK(err == -EIO);
		return err;
	}
	walk(fs->root, 0, &budget, next_offset);
	/* No unmount in the kernel: free by hand for ASan's leak check. */
	inode_put(fs->root);
	struct cvmfs_disk *disk = fs->priv; /* first member of cvmfs_fs */
	cvmfs_disk_close(disk);
	free(fs->priv);
	return 0;
}
