/* System V IPC: shared memory (shmget/shmat/shmdt/shmctl), x86-64
 * layouts (the 64-bit "ipc64" forms; x86-64 has no older ones). */
#ifndef LINUX_ABI_IPC_H
#define LINUX_ABI_IPC_H

#include "lib/types.h"

#define IPC_PRIVATE 0
#define IPC_CREAT 01000
#define IPC_EXCL 02000
#define IPC_NOWAIT 04000

#define IPC_RMID 0
#define IPC_SET 1
#define IPC_STAT 2
#define IPC_INFO 3
#define IPC_64 0x100 /* ORed into cmd by some libcs; x86-64 ignores it */

#define SHM_LOCK 11
#define SHM_UNLOCK 12
#define SHM_STAT 13
#define SHM_INFO 14
#define SHM_STAT_ANY 15

/* shmget flags beyond IPC_* and the mode bits */
#define SHM_HUGETLB 04000
#define SHM_NORESERVE 010000

/* shmat flags */
#define SHM_RDONLY 010000
#define SHM_RND 020000
#define SHM_REMAP 040000
#define SHM_EXEC 0100000

/* shm_perm.mode bits beyond the permissions */
#define SHM_DEST 01000
#define SHM_LOCKED 02000

#define SHMLBA 4096

struct linux_ipc64_perm {
	s32 key;
	u32 uid;
	u32 gid;
	u32 cuid;
	u32 cgid;
	u32 mode;
	u16 seq;
	u16 pad;
	u64 unused1;
	u64 unused2;
};
_Static_assert(sizeof(struct linux_ipc64_perm) == 48, "ipc64_perm");

struct linux_shmid64_ds {
	struct linux_ipc64_perm shm_perm;
	u64 shm_segsz;
	s64 shm_atime;
	s64 shm_dtime;
	s64 shm_ctime;
	s32 shm_cpid;
	s32 shm_lpid;
	u64 shm_nattch;
	u64 unused4;
	u64 unused5;
};
_Static_assert(sizeof(struct linux_shmid64_ds) == 112, "shmid64_ds");

/* IPC_INFO */
struct linux_shminfo64 {
	u64 shmmax;
	u64 shmmin;
	u64 shmmni;
	u64 shmseg;
	u64 shmall;
	u64 unused[4];
};
_Static_assert(sizeof(struct linux_shminfo64) == 72, "shminfo64");

/* SHM_INFO */
struct linux_shm_info {
	s32 used_ids;
	u32 pad;
	u64 shm_tot; /* pages */
	u64 shm_rss; /* pages */
	u64 shm_swp;
	u64 swap_attempts;
	u64 swap_successes;
};
_Static_assert(sizeof(struct linux_shm_info) == 48, "shm_info");

#endif
