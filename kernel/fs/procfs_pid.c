/*
 * procfs_pid.c: /proc/<pid>: one directory per live task, with Linux's
 * files. The inode number says which pid and which entry
 * (procfs_pid_ino); the contents come from the process layer's hooks,
 * asked again at every open, so a file shows the task as it is then.
 * Entries belong to the task's effective ids, with Linux's modes
 * (environ and fd/ for the owner only). An open environ stays with the
 * address space of open time (pseudo_node.bind).
 */
#include "fs/procfs_int.h"

#include "fs/procfs.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "syscalls/linux_abi/errno.h"

#define DYNAMIC_PARENT 0xffff /* not in the table: lookups answer ".." */
#define FD_ENTRY 0x100
#define FD_MAX_NUMBER 0xeff

static int pid_of(const struct inode *inode)
{
	return (int)((inode->ino - (1ull << 32)) / 0x1000);
}

static u32 entry_of(const struct inode *inode)
{
	return (u32)((inode->ino - (1ull << 32)) % 0x1000);
}

static const struct procfs_hooks *hooks(void)
{
	return procfs_hooks();
}

/* An inode for a template node of pid's directory, owned by the task. */
static int pid_inode(struct fs_super *sb, int pid, const struct pseudo_node *node, u32 entry,
                     struct inode **out)
{
	u32 uid, gid;
	if (hooks() == NULL || !hooks()->task_owner(pid, &uid, &gid))
		return -ENOENT;
	*out = pseudofs_inode(sb, node, procfs_pid_ino(pid, entry));
	if (*out == NULL)
		return -ENOMEM;
	(*out)->uid = uid;
	(*out)->gid = gid;
	return 0;
}

/* ---- generated files and links ---- */

static const enum proc_task_file g_file_of_entry[] = {
	[1] = PROC_STATUS, [2] = PROC_STAT,    [3] = PROC_STATM,  [4] = PROC_CMDLINE,
	[5] = PROC_ENVIRON, [6] = PROC_COMM,   [7] = PROC_LIMITS, [8] = PROC_CGROUP,
	[9] = PROC_MAPS,
};

static long task_generate(struct inode *inode, char *buf, size_t size)
{
	u32 entry = entry_of(inode);
	if (hooks() == NULL || entry == 0 || entry >= ARRAY_SIZE(g_file_of_entry))
		return -ENOENT;
	return hooks()->task_file(pid_of(inode), g_file_of_entry[entry], buf, size);
}

/* Linux ties an open environ to the address space of open time: after
 * the task's exec (or exit) it reads empty. cmdline follows the task. */
static u64 environ_bind(struct inode *inode)
{
	return hooks() && hooks()->task_mm_id ? hooks()->task_mm_id(pid_of(inode)) : 0;
}

static long exe_readlink(struct inode *inode, char *buf, size_t size)
{
	return hooks() ? hooks()->exe_path(pid_of(inode), buf, size) : -ENOENT;
}

static long cwd_readlink(struct inode *inode, char *buf, size_t size)
{
	return hooks() ? hooks()->cwd_path(pid_of(inode), buf, size) : -ENOENT;
}

static long root_readlink(struct inode *inode, char *buf, size_t size)
{
	(void)inode;
	return pseudofs_copy_link("/", buf, size);
}

/* ---- fd/ ---- */

static long fd_link_readlink(struct inode *inode, char *buf, size_t size)
{
	if (hooks() == NULL)
		return -ENOENT;
	return hooks()->fd_path(pid_of(inode), (int)(entry_of(inode) - FD_ENTRY), buf, size);
}

/* Opening fd/N of a pipe end opens that pipe again (Linux's magic
 * link), not a path. */
static int fd_link_jump(struct inode *inode, struct inode **out)
{
	if (hooks() == NULL)
		return 1;
	int fd = (int)(entry_of(inode) - FD_ENTRY);
	return hooks()->fd_inode(pid_of(inode), fd, out) == 0 ? 0 : 1;
}

static const struct pseudo_node g_fd_link_node = {
	.ino = 0, .parent = DYNAMIC_PARENT, .name = "fd link", .mode = S_IFLNK | 0700,
	.readlink = fd_link_readlink, .jump = fd_link_jump,
};

/* Parse a decimal fd number without sign or leading zeros. */
static int parse_fd(const char *name, size_t len)
{
	if (len == 0 || len > 4 || (len > 1 && name[0] == '0'))
		return -1;
	int value = 0;
	for (size_t i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		value = value * 10 + (name[i] - '0');
	}
	return value > FD_MAX_NUMBER ? -1 : value;
}

static int fd_dir_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	int pid = pid_of(dir);
	if (len == 2 && name[0] == '.' && name[1] == '.')
		return procfs_pid_dir(dir->sb, pid, out);
	char probe[8];
	int fd = parse_fd(name, len);
	if (fd < 0 || hooks() == NULL || hooks()->fd_path(pid, fd, probe, sizeof(probe)) == -EBADF)
		return -ENOENT;
	return pid_inode(dir->sb, pid, &g_fd_link_node, FD_ENTRY + (u32)fd, out);
}

/* cookie: 0 at the start, else last fd returned + 1. */
static int fd_dir_iterate(struct inode *dir, u64 *cookie, struct vfs_dirent *out)
{
	int pid = pid_of(dir);
	if (hooks() == NULL)
		return 0;
	int fd = hooks()->fd_next(pid, (int)*cookie - 1);
	if (fd < 0 || fd > FD_MAX_NUMBER)
		return 0;
	out->ino = procfs_pid_ino(pid, FD_ENTRY + (u32)fd);
	out->type = DT_LNK;
	out->name_len = (u16)snprintf(out->name, sizeof(out->name), "%d", fd);
	*cookie = (u64)fd + 1;
	return 1;
}

/* ---- the directory ---- */

#define TASK_FILE(entry_, name_, mode_)                                          \
	{ .ino = entry_, .parent = DYNAMIC_PARENT, .name = name_, .mode = S_IFREG | (mode_), \
	  .fops = &g_pseudo_generated_fops, .generate = task_generate }

/* Entry numbers are the .ino of each template (1..0xff). */
static const struct pseudo_node g_pid_entries[] = {
	TASK_FILE(1, "status", 0444),
	TASK_FILE(2, "stat", 0444),
	TASK_FILE(3, "statm", 0444),
	TASK_FILE(4, "cmdline", 0444),
	{ .ino = 5, .parent = DYNAMIC_PARENT, .name = "environ", .mode = S_IFREG | 0400,
	  .fops = &g_pseudo_generated_fops, .generate = task_generate, .bind = environ_bind },
	TASK_FILE(6, "comm", 0444),
	TASK_FILE(7, "limits", 0444),
	TASK_FILE(8, "cgroup", 0444),
	TASK_FILE(9, "maps", 0444),
	{ .ino = 10, .parent = DYNAMIC_PARENT, .name = "mounts", .mode = S_IFREG | 0444,
	  .fops = &g_pseudo_generated_fops, .generate = procfs_mounts_generate },
	{ .ino = 11, .parent = DYNAMIC_PARENT, .name = "mountinfo", .mode = S_IFREG | 0444,
	  .fops = &g_pseudo_generated_fops, .generate = procfs_mountinfo_generate },
	{ .ino = 12, .parent = DYNAMIC_PARENT, .name = "exe", .mode = S_IFLNK | 0777,
	  .readlink = exe_readlink },
	{ .ino = 13, .parent = DYNAMIC_PARENT, .name = "cwd", .mode = S_IFLNK | 0777,
	  .readlink = cwd_readlink },
	{ .ino = 14, .parent = DYNAMIC_PARENT, .name = "root", .mode = S_IFLNK | 0777,
	  .readlink = root_readlink },
	{ .ino = 15, .parent = DYNAMIC_PARENT, .name = "fd", .mode = S_IFDIR | 0500,
	  .lookup = fd_dir_lookup, .iterate = fd_dir_iterate },
};

static int pid_dir_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	for (size_t i = 0; i < ARRAY_SIZE(g_pid_entries); i++) {
		const struct pseudo_node *e = &g_pid_entries[i];
		if (strlen(e->name) == len && memcmp(e->name, name, len) == 0)
			return pid_inode(dir->sb, pid_of(dir), e, e->ino, out);
	}
	return -ENOENT;
}

/* cookie: the index of the next entry. */
static int pid_dir_iterate(struct inode *dir, u64 *cookie, struct vfs_dirent *out)
{
	if (*cookie >= ARRAY_SIZE(g_pid_entries))
		return 0;
	const struct pseudo_node *e = &g_pid_entries[*cookie];
	out->ino = procfs_pid_ino(pid_of(dir), e->ino);
	out->type = (u8)((e->mode & S_IFMT) >> 12);
	out->name_len = (u16)strlen(e->name);
	memcpy(out->name, e->name, out->name_len + 1);
	*cookie += 1;
	return 1;
}

static const struct pseudo_node g_pid_dir_node = {
	.ino = 0, .parent = PROC_ROOT_INO, .name = "pid", .mode = S_IFDIR | 0555,
	.lookup = pid_dir_lookup, .iterate = pid_dir_iterate,
};

int procfs_pid_dir(struct fs_super *sb, int pid, struct inode **out)
{
	return pid_inode(sb, pid, &g_pid_dir_node, 0, out);
}
