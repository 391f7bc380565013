/*
 * perm.c: the caller's credentials and the one Unix permission check the
 * whole VFS uses (path walk, open, namespace changes, access, chmod).
 *
 * Trust: the credentials come from the process layer's hook (the task's
 * ids and capabilities); inode modes and owners come from the
 * authenticated root disk or from tmpfs. Privilege is a capability, as
 * on Linux (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER), never
 * "uid 0".
 */
#include "fs/vfs.h"
#include "syscalls/linux_abi/capability.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

static void (*g_cred_hook)(struct vfs_cred *out);

void vfs_set_cred_hook(void (*hook)(struct vfs_cred *out))
{
	g_cred_hook = hook;
}

void vfs_current_cred(struct vfs_cred *out)
{
	out->uid = 0;
	out->gid = 0;
	out->groups = NULL;
	out->group_count = 0;
	out->caps = CAP_ALL;
	if (g_cred_hook != NULL)
		g_cred_hook(out);
}

bool vfs_cred_in_group(const struct vfs_cred *cred, u32 gid)
{
	if (cred->gid == gid)
		return true;
	for (u32 i = 0; i < cred->group_count; i++) {
		if (cred->groups[i] == gid)
			return true;
	}
	return false;
}

static bool has_cap(const struct vfs_cred *cred, int cap)
{
	return (cred->caps & CAP_BIT(cap)) != 0;
}

bool vfs_is_owner(const struct inode *inode, const struct vfs_cred *cred)
{
	return cred->uid == inode->uid || has_cap(cred, CAP_FOWNER);
}

/* Linux's capable_wrt_inode: what the DAC capabilities let through. */
static bool dac_bypass(struct inode *inode, u32 mask, const struct vfs_cred *cred)
{
	if (has_cap(cred, CAP_DAC_OVERRIDE)) {
		/* Exec of a file needs an x bit even so. */
		return !((mask & X_OK) && !inode_is_dir(inode) && !(inode->mode & 0111));
	}
	if (has_cap(cred, CAP_DAC_READ_SEARCH)) {
		u32 allowed = inode_is_dir(inode) ? (R_OK | X_OK) : R_OK;
		return (mask & ~allowed) == 0;
	}
	return false;
}

int vfs_permission(struct inode *inode, u32 mask, const struct vfs_cred *cred)
{
	mask &= R_OK | W_OK | X_OK;
	u32 bits;
	if (cred->uid == inode->uid)
		bits = (inode->mode >> 6) & 7;
	else if (vfs_cred_in_group(cred, inode->gid))
		bits = (inode->mode >> 3) & 7;
	else
		bits = inode->mode & 7;
	if ((mask & ~bits) == 0 || dac_bypass(inode, mask, cred))
		return 0;
	return -EACCES;
}

int vfs_access(struct inode *inode, u32 mask, const struct vfs_cred *cred)
{
	u32 type = inode->mode & S_IFMT;
	if ((mask & W_OK) && inode->sb->read_only && type != S_IFCHR && type != S_IFIFO)
		return -EROFS;
	return vfs_permission(inode, mask, cred);
}

int vfs_may_delete(struct inode *dir, struct inode *victim, const struct vfs_cred *cred)
{
	int err = vfs_permission(dir, W_OK | X_OK, cred);
	if (err < 0)
		return err;
	if ((dir->mode & S_ISVTX) && !has_cap(cred, CAP_FOWNER) && cred->uid != dir->uid &&
	    cred->uid != victim->uid)
		return -EPERM; /* Linux: sticky directory, not ours */
	return 0;
}
