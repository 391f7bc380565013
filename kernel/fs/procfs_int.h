/*
 * procfs_int.h: what procfs.c, procfs_pid.c and procfs_sys.c share. Not
 * for use outside fs/procfs*.
 */
#ifndef CVMIFY_FS_PROCFS_INT_H
#define CVMIFY_FS_PROCFS_INT_H

#include <stdarg.h>

#include "fs/pseudofs.h"
#include "lib/uts.h"

#define PROC_ROOT_INO 1
#define PROC_STAT_INO 6

#include "lib/printf.h"

long procfs_mounts_generate(struct inode *inode, char *buf, size_t size);
long procfs_mountinfo_generate(struct inode *inode, char *buf, size_t size);

/* ---- pid directories (procfs_pid.c) ---- */

/* Inode numbers of /proc/<pid>/...: entry 0 is the directory itself,
 * 1..0xff its files, 0x100 + fd the fd links. */
static inline u64 procfs_pid_ino(int pid, u32 entry)
{
	return (1ull << 32) + (u64)pid * 0x1000 + entry;
}

/* /proc/<pid>: a new inode in *out, or -ENOENT when pid is not live. */
int procfs_pid_dir(struct fs_super *sb, int pid, struct inode **out);

/* ---- /proc/sys (procfs_sys.c): the table entries, ino 20..99 ---- */

long procfs_sys_generate(struct inode *inode, char *buf, size_t size);

#define SYS_DIR(ino_, parent_, name_) \
	{ .ino = ino_, .parent = parent_, .name = name_, .mode = S_IFDIR | 0555 }
#define SYS_FILE(ino_, parent_, name_)                                              \
	{ .ino = ino_, .parent = parent_, .name = name_, .mode = S_IFREG | 0444,         \
	  .fops = &g_pseudo_generated_fops, .generate = procfs_sys_generate }

#define PROC_SYS 20
#define PROC_SYS_KERNEL 21
#define PROC_SYS_VM 22
#define PROC_SYS_FS 23
#define PROC_SYS_NET 24
#define PROC_SYS_NET_CORE 25
#define PROC_SYS_RANDOM 26

#define PROCFS_SYS_NODES                                             \
	SYS_DIR(PROC_SYS, PROC_ROOT_INO, "sys"),                     \
	SYS_DIR(PROC_SYS_KERNEL, PROC_SYS, "kernel"),                \
	SYS_DIR(PROC_SYS_VM, PROC_SYS, "vm"),                        \
	SYS_DIR(PROC_SYS_FS, PROC_SYS, "fs"),                        \
	SYS_DIR(PROC_SYS_NET, PROC_SYS, "net"),                      \
	SYS_DIR(PROC_SYS_NET_CORE, PROC_SYS_NET, "core"),            \
	SYS_DIR(PROC_SYS_RANDOM, PROC_SYS_KERNEL, "random"),         \
	SYS_FILE(30, PROC_SYS_KERNEL, "ostype"),                     \
	SYS_FILE(31, PROC_SYS_KERNEL, "osrelease"),                  \
	SYS_FILE(32, PROC_SYS_KERNEL, "version"),                    \
	SYS_FILE(33, PROC_SYS_KERNEL, "hostname"),                   \
	SYS_FILE(34, PROC_SYS_KERNEL, "domainname"),                 \
	SYS_FILE(35, PROC_SYS_KERNEL, "pid_max"),                    \
	SYS_FILE(36, PROC_SYS_KERNEL, "threads-max"),                \
	SYS_FILE(37, PROC_SYS_KERNEL, "ngroups_max"),                \
	SYS_FILE(38, PROC_SYS_KERNEL, "cap_last_cap"),               \
	SYS_FILE(39, PROC_SYS_KERNEL, "overflowuid"),                \
	SYS_FILE(40, PROC_SYS_KERNEL, "overflowgid"),                \
	SYS_FILE(41, PROC_SYS_RANDOM, "boot_id"),                    \
	SYS_FILE(42, PROC_SYS_RANDOM, "uuid"),                       \
	SYS_FILE(43, PROC_SYS_RANDOM, "entropy_avail"),              \
	SYS_FILE(44, PROC_SYS_RANDOM, "poolsize"),                   \
	SYS_FILE(50, PROC_SYS_VM, "overcommit_memory"),              \
	SYS_FILE(51, PROC_SYS_VM, "max_map_count"),                  \
	SYS_FILE(60, PROC_SYS_FS, "file-max"),                       \
	SYS_FILE(61, PROC_SYS_FS, "nr_open"),                        \
	SYS_FILE(62, PROC_SYS_FS, "pipe-max-size"),                  \
	SYS_FILE(70, PROC_SYS_NET_CORE, "somaxconn")

#endif
