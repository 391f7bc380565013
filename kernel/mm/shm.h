/*
 * shm.h: System V shared memory segments (shmget/shmat/shmdt/shmctl).
 *
 * A segment is an unnamed tmpfs file (fs/tmpfs.h, like MAP_SHARED|
 * MAP_ANONYMOUS memory) with a key, an owner and a mode. The table holds
 * one file reference per live segment; each attach is a shared VMA
 * (VMA_SYSV_SHM) holding another, so the attach count is the file's
 * references minus the table's, fork and splits included, and a removed
 * segment's pages go with its last attach. Callers pass the caller's
 * credentials and pid: nothing here reads the current task.
 */
#ifndef CVMIFY_MM_SHM_H
#define CVMIFY_MM_SHM_H

#include "lib/types.h"
#include "syscalls/linux_abi/ipc.h"

struct mm;
struct file;
struct vfs_cred;

/* shmget: the id of the segment with key (created with IPC_CREAT), or
 * -errno. */
long shm_get(s32 key, u64 size, u32 flags, const struct vfs_cred *cred, int pid);
/* shmat: the address where segment id is now mapped in mm, or -errno. */
long shm_attach(struct mm *mm, int id, u64 addr, u32 flags, const struct vfs_cred *cred,
                int pid);
/* shmdt: unmap the attach that starts at addr. */
int shm_detach(struct mm *mm, u64 addr, int pid);

/* shmctl IPC_STAT (by id), SHM_STAT / SHM_STAT_ANY (by table index, which
 * gives back the id in *id). any: no read permission needed. */
int shm_stat(int id, bool by_index, bool any, const struct vfs_cred *cred,
             struct linux_shmid64_ds *out, int *id_out);
/* shmctl IPC_SET: owner, group and permission bits from in. */
int shm_set(int id, const struct linux_shmid64_ds *in, const struct vfs_cred *cred);
/* shmctl IPC_RMID: the key and id go now, the pages with the last attach. */
int shm_remove(int id, const struct vfs_cred *cred);
/* shmctl SHM_LOCK / SHM_UNLOCK: pages are never swapped out, so this only
 * sets or clears SHM_LOCKED. */
int shm_lock(int id, bool lock, const struct vfs_cred *cred);
/* shmctl IPC_INFO and SHM_INFO; both return the highest used index. */
int shm_limits(struct linux_shminfo64 *out);
int shm_usage(struct linux_shm_info *out);

/* The key of the segment behind an attach's file, for /proc/self/maps;
 * IPC_PRIVATE when removed. */
s32 shm_key_of(const struct file *file);

#endif
