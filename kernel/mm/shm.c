/*
 * shm.c: System V shared memory segments (see shm.h for the ownership of
 * pages and attaches).
 *
 * Trust: keys, sizes, ids, indexes, addresses and flags are raw user
 * values; each is checked here before it reaches the table or mm/. One
 * fixed table of SHM_SLOTS; an id is seq * SHM_SLOTS + index, and seq
 * changes whenever a slot is reused, so a stale id finds nothing.
 */
#include "mm/shm.h"

#include "fs/tmpfs.h"
#include "fs/vfs.h"
#include "lib/kprintf.h"
#include "mm/mmap.h"
#include "mm/page.h"
#include "mm/vma.h"
#include "platform/platform.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/mman.h"

#define SHM_SLOTS 256
#define SHM_MAX_SIZE (16ULL << 30) /* the unnamed tmpfs file's limit */
#define SEQ_LIMIT 0x7fff            /* keeps ids positive ints */

struct shm_seg {
	bool used;
	u16 seq;
	s32 key;
	u64 size;
	struct file *file; /* the table's reference */
	u32 mode;          /* permission bits | SHM_LOCKED */
	u32 uid, gid, cuid, cgid;
	int cpid, lpid;
	s64 atime, dtime, ctime;
};

static struct shm_seg g_segs[SHM_SLOTS];

static s64 now_seconds(void)
{
	return (s64)(platform_wallclock_ns() / 1000000000ull);
}

static struct shm_seg *seg_by_id(int id)
{
	if (id < 0)
		return NULL;
	struct shm_seg *s = &g_segs[id % SHM_SLOTS];
	if (!s->used || s->seq != (u32)id / SHM_SLOTS)
		return NULL;
	return s;
}

static int id_of(const struct shm_seg *s)
{
	return (int)s->seq * SHM_SLOTS + (int)(s - g_segs);
}

static struct shm_seg *seg_by_file(const struct file *file)
{
	for (int i = 0; i < SHM_SLOTS; i++) {
		if (g_segs[i].used && g_segs[i].file == file)
			return &g_segs[i];
	}
	return NULL;
}

static u64 nattch(const struct shm_seg *s)
{
	return s->file->refcount - 1; /* every other reference is an attach's VMA */
}

/* Linux's ipcperms: want is a mask of 4 (read) and 2 (write). */
static bool permitted(const struct shm_seg *s, const struct vfs_cred *c, u32 want)
{
	if (c->uid == 0)
		return true; /* CAP_IPC_OWNER */
	u32 granted = s->mode;
	if (c->uid == s->cuid || c->uid == s->uid)
		granted >>= 6;
	else if (vfs_cred_in_group(c, s->cgid) || vfs_cred_in_group(c, s->gid))
		granted >>= 3;
	return (want & ~granted & 7) == 0;
}

static bool is_owner(const struct shm_seg *s, const struct vfs_cred *c)
{
	return c->uid == 0 || c->uid == s->uid || c->uid == s->cuid;
}

static long create(s32 key, u64 size, u32 flags, const struct vfs_cred *cred, int pid)
{
	if (flags & SHM_HUGETLB) {
		kprintf("shm: SHM_HUGETLB not supported\n");
		return -EINVAL;
	}
	if (size == 0 || size > SHM_MAX_SIZE)
		return -EINVAL;
	struct shm_seg *s = NULL;
	for (int i = 0; i < SHM_SLOTS && s == NULL; i++) {
		if (!g_segs[i].used)
			s = &g_segs[i];
	}
	if (s == NULL)
		return -ENOSPC;
	struct file *file;
	int err = tmpfs_anon_file(size, &file);
	if (err)
		return err == -ENOSPC ? -ENOMEM : err;
	u16 seq = s->seq == SEQ_LIMIT ? 0 : (u16)(s->seq + 1);
	*s = (struct shm_seg){
		.used = true, .seq = seq, .key = key, .size = size, .file = file,
		.mode = flags & 0777, .uid = cred->uid, .gid = cred->gid,
		.cuid = cred->uid, .cgid = cred->gid, .cpid = pid, .ctime = now_seconds(),
	};
	return id_of(s);
}

long shm_get(s32 key, u64 size, u32 flags, const struct vfs_cred *cred, int pid)
{
	if (key == IPC_PRIVATE)
		return create(key, size, flags, cred, pid);
	for (int i = 0; i < SHM_SLOTS; i++) {
		struct shm_seg *s = &g_segs[i];
		if (!s->used || s->key != key)
			continue;
		if ((flags & IPC_CREAT) && (flags & IPC_EXCL))
			return -EEXIST;
		u32 want = ((flags >> 6) | (flags >> 3) | flags) & 7;
		if (!permitted(s, cred, want))
			return -EACCES;
		if (size > s->size)
			return -EINVAL;
		return id_of(s);
	}
	if (!(flags & IPC_CREAT))
		return -ENOENT;
	return create(key, size, flags, cred, pid);
}

long shm_attach(struct mm *mm, int id, u64 addr, u32 flags, const struct vfs_cred *cred,
                int pid)
{
	struct shm_seg *s = seg_by_id(id);
	if (s == NULL)
		return -EINVAL;
	if (addr % SHMLBA != 0) {
		if (!(flags & SHM_RND))
			return -EINVAL;
		addr = ALIGN_DOWN(addr, (u64)SHMLBA);
		if (addr == 0)
			return -EINVAL; /* Linux: rounding down to 0 is refused */
	}
	if ((flags & SHM_REMAP) && addr == 0)
		return -EINVAL;
	bool read_only = flags & SHM_RDONLY;
	u32 prot = PROT_READ | (read_only ? 0 : PROT_WRITE) | ((flags & SHM_EXEC) ? PROT_EXEC : 0);
	if (!permitted(s, cred, read_only ? 4 : 6) || ((flags & SHM_EXEC) && !permitted(s, cred, 1)))
		return -EACCES;
	long at = mm_map_shm(mm, addr, s->size, prot, flags & SHM_REMAP, s->file);
	if (at >= 0) {
		s->atime = now_seconds();
		s->lpid = pid;
	}
	return at;
}

int shm_detach(struct mm *mm, u64 addr, int pid)
{
	if (addr % PAGE_SIZE != 0)
		return -EINVAL;
	struct vma *v = vma_find(mm, addr);
	if (v == NULL || v->start != addr || !(v->flags & VMA_SYSV_SHM) || v->offset != 0)
		return -EINVAL;
	/* Every piece of this attach (mprotect may have split it): the VMAs
	 * of the same file at the offsets that continue from addr. */
	struct file *file = file_get(v->file);
	u64 end = addr + ALIGN_UP(file->inode->size, PAGE_SIZE);
	u64 at = addr;
	while (at < end) {
		v = vma_find_next(mm, at);
		if (v == NULL || v->start >= end)
			break;
		u64 stop = MIN(v->end, end);
		if (v->file == file && (v->flags & VMA_SYSV_SHM) && v->offset == v->start - addr) {
			int err = vma_remove(mm, v->start, stop);
			if (err) {
				file_put(file);
				return err;
			}
		}
		at = stop;
	}
	struct shm_seg *s = seg_by_file(file);
	if (s != NULL) {
		s->dtime = now_seconds();
		s->lpid = pid;
	}
	file_put(file);
	return 0;
}

static void fill_stat(const struct shm_seg *s, struct linux_shmid64_ds *out)
{
	*out = (struct linux_shmid64_ds){
		.shm_perm = {
			.key = s->key, .uid = s->uid, .gid = s->gid, .cuid = s->cuid,
			.cgid = s->cgid, .mode = s->mode, .seq = s->seq,
		},
		.shm_segsz = s->size, .shm_atime = s->atime, .shm_dtime = s->dtime,
		.shm_ctime = s->ctime, .shm_cpid = s->cpid, .shm_lpid = s->lpid,
		.shm_nattch = nattch(s),
	};
}

int shm_stat(int id, bool by_index, bool any, const struct vfs_cred *cred,
             struct linux_shmid64_ds *out, int *id_out)
{
	struct shm_seg *s;
	if (by_index)
		s = id >= 0 && id < SHM_SLOTS && g_segs[id].used ? &g_segs[id] : NULL;
	else
		s = seg_by_id(id);
	if (s == NULL)
		return -EINVAL;
	if (!any && !permitted(s, cred, 4))
		return -EACCES;
	fill_stat(s, out);
	*id_out = id_of(s);
	return 0;
}

int shm_set(int id, const struct linux_shmid64_ds *in, const struct vfs_cred *cred)
{
	struct shm_seg *s = seg_by_id(id);
	if (s == NULL)
		return -EINVAL;
	if (!is_owner(s, cred))
		return -EPERM;
	s->uid = in->shm_perm.uid;
	s->gid = in->shm_perm.gid;
	s->mode = (s->mode & ~0777u) | (in->shm_perm.mode & 0777);
	s->ctime = now_seconds();
	return 0;
}

int shm_remove(int id, const struct vfs_cred *cred)
{
	struct shm_seg *s = seg_by_id(id);
	if (s == NULL)
		return -EINVAL;
	if (!is_owner(s, cred))
		return -EPERM;
	struct file *file = s->file;
	s->used = false; /* seq stays: the next user of the slot moves it on */
	s->file = NULL;
	file_put(file); /* attaches keep the pages until they go */
	return 0;
}

int shm_lock(int id, bool lock, const struct vfs_cred *cred)
{
	struct shm_seg *s = seg_by_id(id);
	if (s == NULL)
		return -EINVAL;
	if (!is_owner(s, cred))
		return -EPERM;
	s->mode = lock ? s->mode | SHM_LOCKED : s->mode & ~(u32)SHM_LOCKED;
	return 0;
}

static int highest_index(void)
{
	int top = 0;
	for (int i = 0; i < SHM_SLOTS; i++) {
		if (g_segs[i].used)
			top = i;
	}
	return top;
}

int shm_limits(struct linux_shminfo64 *out)
{
	*out = (struct linux_shminfo64){
		.shmmax = SHM_MAX_SIZE, .shmmin = 1, .shmmni = SHM_SLOTS, .shmseg = SHM_SLOTS,
		.shmall = page_total_count() / 2,
	};
	return highest_index();
}

int shm_usage(struct linux_shm_info *out)
{
	*out = (struct linux_shm_info){ 0 };
	for (int i = 0; i < SHM_SLOTS; i++) {
		if (!g_segs[i].used)
			continue;
		out->used_ids++;
		out->shm_tot += ALIGN_UP(g_segs[i].size, PAGE_SIZE) / PAGE_SIZE;
		out->shm_rss += tmpfs_file_pages(g_segs[i].file->inode);
	}
	return highest_index();
}

s32 shm_key_of(const struct file *file)
{
	const struct shm_seg *s = seg_by_file(file);
	return s != NULL ? s->key : IPC_PRIVATE;
}
