/*
 * vfs.h: the virtual file system, the interface the syscall layer uses.
 *
 * Trust: callers pass kernel memory only. Paths are NUL-terminated kernel
 * strings already copied in from user space; buffers are kernel buffers
 * (the syscall layer copies to and from user memory, in chunks if needed).
 * Everything below the VFS (cvmfs, tmpfs, devfs, procfs) trusts its
 * arguments; it is the VFS that checks names, lengths and types.
 *
 * Errors: functions return 0 or a byte count on success and -errno
 * (syscalls/linux_abi/errno.h) on failure. Flags are the Linux O_* and
 * AT_* values (syscalls/linux_abi/fcntl.h).
 *
 * Ownership: inodes and files are refcounted. A function that returns a
 * `struct inode **` or `struct file **` hands the caller one reference,
 * which the caller drops with inode_put() / file_put(). A function that
 * takes an inode or file argument borrows it. Single-threaded for now: no
 * locks, but no hidden "current process" either: the caller passes its cwd
 * (or the dirfd's inode) explicitly.
 */
#ifndef CVMIFY_FS_VFS_H
#define CVMIFY_FS_VFS_H

#include "lib/list.h"
#include "lib/types.h"

#define VFS_NAME_MAX 255      /* one path component */
#define VFS_PATH_MAX 4096     /* a whole path, NUL included */
#define VFS_SYMLINK_HOPS 40   /* ELOOP after this many symlinks in one lookup */

/* st_mode type bits (Linux values). */
#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define S_ISUID 04000
#define S_ISGID 02000
#define S_ISVTX 01000

/* d_type values in getdents64 records (Linux values). */
#define DT_UNKNOWN 0
#define DT_FIFO 1
#define DT_CHR 2
#define DT_DIR 4
#define DT_BLK 6
#define DT_REG 8
#define DT_LNK 10
#define DT_SOCK 12

struct inode;
struct file;
struct fs_super;
struct mount;
struct file_lock;
struct poll_table;
struct pipe;

struct ktimespec {
	s64 sec;
	s64 nsec;
};

/* What stat() reports; the syscall layer converts it to struct stat/statx. */
struct kstat {
	u64 dev;
	u64 ino;
	u32 mode;
	u32 nlink;
	u32 uid;
	u32 gid;
	u64 rdev;
	s64 size;
	s64 blksize;
	s64 blocks;           /* 512-byte units */
	struct ktimespec atime;
	struct ktimespec mtime;
	struct ktimespec ctime;
};

/* One directory entry as a filesystem's iterate() reports it. */
struct vfs_dirent {
	u64 ino;
	u8 type;                         /* DT_* */
	u16 name_len;
	char name[VFS_NAME_MAX + 1];     /* NUL-terminated */
};

/* Operations on an inode; NULL means "not supported" (the VFS answers
 * -EPERM, -ENOTDIR, -EINVAL or -EROFS as Linux would). Names passed here
 * are checked by the VFS: 1..VFS_NAME_MAX bytes, no '/', not "." or ".."
 * (except that lookup is asked for ".." of a directory that is not the
 * root of its filesystem). */
struct inode_ops {
	/* Find name in dir; on success *out holds a new reference. */
	int (*lookup)(struct inode *dir, const char *name, size_t len, struct inode **out);
	/* Next entry after *cookie (0 = start); 1 = got one, 0 = end, <0 error.
	 * "." and ".." are added by the VFS, never by the filesystem. */
	int (*iterate)(struct inode *dir, u64 *cookie, struct vfs_dirent *out);
	/* Copy the target (no NUL) into buf; returns its length or -errno. */
	long (*readlink)(struct inode *link, char *buf, size_t size);
	int (*create)(struct inode *dir, const char *name, size_t len, u32 mode,
	              struct inode **out);
	int (*mkdir)(struct inode *dir, const char *name, size_t len, u32 mode);
	/* A special node: mode carries its type (only S_IFSOCK so far). */
	int (*mknod)(struct inode *dir, const char *name, size_t len, u32 mode);
	int (*symlink)(struct inode *dir, const char *name, size_t len, const char *target);
	/* A new name in dir for target (same filesystem, not a directory). */
	int (*link)(struct inode *target, struct inode *dir, const char *name, size_t len);
	int (*unlink)(struct inode *dir, const char *name, size_t len);
	int (*rmdir)(struct inode *dir, const char *name, size_t len);
	int (*rename)(struct inode *old_dir, const char *old_name, size_t old_len,
	              struct inode *new_dir, const char *new_name, size_t new_len,
	              u32 flags);
	int (*truncate)(struct inode *inode, u64 size);
	/* fallocate(2) on a regular file, mode already checked by the VFS. */
	int (*fallocate)(struct inode *inode, u32 mode, u64 offset, u64 len);
	int (*chmod)(struct inode *inode, u32 mode);
	/* A magic link (/proc/self/fd/N): 0 and a new reference to the inode
	 * it stands for in *out, which the walk continues from instead of
	 * the readlink text; 1 to follow the readlink text after all. */
	int (*jump)(struct inode *link, struct inode **out);
	/* The VFS is about to change the inode's owner or times in place
	 * (chown, utimensat): a filesystem that keeps metadata on a disk
	 * makes room for it first, or refuses (-ENOSPC). NULL: nothing. */
	int (*prepare_change)(struct inode *inode);
	/* Last reference dropped: free the in-memory inode (kfree(inode)
	 * included) and, for tmpfs, its data. NULL: the VFS kfree()s it. */
	void (*release)(struct inode *inode);
};

/* Where the bytes of a direct read go to / a direct write comes from:
 * copy(c, kaddr, n) moves n bytes between the filesystem's memory at
 * kaddr and the caller's buffer, and advances through that buffer.
 * Returns 0, or -EFAULT when the caller's buffer (user memory) is not
 * there: the filesystem then stops and reports what moved before. */
struct vfs_copier {
	int (*copy)(struct vfs_copier *c, void *kaddr, size_t n);
};

/* A copier over a kernel buffer (vfs_copier_kernel). */
struct vfs_kcopier {
	struct vfs_copier c;
	u8 *at;
};
void vfs_copier_to_kernel(struct vfs_kcopier *k, void *buf);
void vfs_copier_from_kernel(struct vfs_kcopier *k, const void *buf);

/* Operations on an open file; NULL means "not supported". Offsets are
 * explicit: the VFS keeps file->offset and passes it in. */
struct file_ops {
	/* Offsets mean nothing (ttys, pipes): lseek/pread/pwrite give -ESPIPE
	 * and read/write do not move file->offset. */
	bool stream;
	/* FIOASYNC / O_ASYNC may be turned on (pipes, ttys, sockets, as on
	 * Linux); else FIOASYNC on is -ENOTTY. SIGIO is not sent yet. */
	bool fasync;
	/* get_page(write=true) gives the file's own pages, so writable
	 * MAP_SHARED mappings work (tmpfs, the overlay); without it mmap
	 * refuses them (-ENODEV). */
	bool shared_writable;
	int (*open)(struct inode *inode, struct file *file);
	void (*close)(struct file *file);
	long (*read)(struct file *file, void *buf, size_t size, u64 offset);
	long (*write)(struct file *file, const void *buf, size_t size, u64 offset);
	/* Optional direct forms for files whose bytes live in pages (tmpfs,
	 * the overlay, cvmfs): move them straight between those pages and
	 * c, with no intermediate buffer. Same results as read/write; a
	 * copy that faults ends the transfer (what moved is returned). */
	long (*read_direct)(struct file *file, struct vfs_copier *c, size_t size, u64 offset);
	long (*write_direct)(struct file *file, struct vfs_copier *c, size_t size, u64 offset);
	/* karg: the argument already copied in (see vfs_ioctl_layout); arg: the
	 * raw argument value. Unknown commands return -ENOTTY. */
	long (*ioctl)(struct file *file, u32 cmd, void *karg, u64 arg);
	/* Readiness: the VFS_POLL* bits true now; registers the file's wait
	 * queues on pt first (proc/poll.h says how). NULL: always readable
	 * and writable (regular files). */
	u32 (*poll)(struct file *file, u32 events, struct poll_table *pt);
	/* mmap: *page gets a reference to a page holding the file's bytes
	 * at offset (page-aligned); bytes past the end of the file read as
	 * zero. write: the caller maps it writable and shared, so it must be
	 * the file's own page, which writes reach (-EACCES if the file has
	 * none). Otherwise it may be shared with the page cache or other
	 * mappings (page_refcount > 1): private mappings map such a page
	 * read-only and copy it on the first write. NULL = not mappable
	 * (-ENODEV). */
	int (*get_page)(struct file *file, u64 offset, bool write, void **page);
};

/* The poll bits file_ops.poll uses (Linux values). */
#define VFS_POLLIN 0x001
#define VFS_POLLPRI 0x002
#define VFS_POLLOUT 0x004
#define VFS_POLLERR 0x008
#define VFS_POLLHUP 0x010
#define VFS_POLLNVAL 0x020
#define VFS_POLLRDNORM 0x040
#define VFS_POLLRDBAND 0x080
#define VFS_POLLWRNORM 0x100
#define VFS_POLLWRBAND 0x200
#define VFS_POLLRDHUP 0x2000

struct inode {
	u32 refcount;
	struct fs_super *sb;             /* the filesystem instance it lives in */
	u64 ino;
	u32 mode;                        /* S_IF* | permission bits */
	u32 uid;
	u32 gid;
	u32 nlink;
	u64 size;
	u64 rdev;
	struct ktimespec atime;
	struct ktimespec mtime;
	struct ktimespec ctime;
	const struct inode_ops *iops;
	const struct file_ops *fops;     /* used by vfs_open for this inode */
	void *priv;                      /* the filesystem's own data */
	struct file_lock *locks;         /* fcntl, OFD and flock locks (fs/lock.c) */
	struct pipe *pipe;               /* a FIFO's buffer while it is open (proc/fifo.c) */
};

/* A mounted filesystem instance. */
struct fs_super {
	const char *type;                /* "cvmfs", "tmpfs", "devfs", "proc" */
	u64 magic;                       /* statfs f_type */
	u64 total_blocks;                /* statfs: 4096-byte blocks (0: none) */
	u64 (*free_blocks)(struct fs_super *sb);  /* NULL: none free */
	u64 dev;                         /* st_dev */
	bool read_only;                  /* writes and namespace changes: -EROFS */
	struct inode *root;              /* owned reference */
	struct mount *mount;             /* where it is mounted (NULL: not yet) */
	/* Internal filesystems (pipes): /proc/self/fd/N reads
	 * "<anon_link>:[ino]" for their files, as on Linux. NULL otherwise. */
	const char *anon_link;
	/* The inode numbered ino, a new reference in *out (filesystems an
	 * overlay sits on). NULL: not supported. */
	int (*iget)(struct fs_super *sb, u64 ino, struct inode **out);
	/* Make every change so far durable (fsync, sync). NULL: nothing to
	 * write back (in memory, or read-only). */
	int (*sync)(struct fs_super *sb);
	void *priv;
};

/* A struct file: one open of an inode, shared by dup'ed descriptors. */
struct file {
	u32 refcount;
	u32 flags;                       /* O_ACCMODE | O_APPEND | O_NONBLOCK ... */
	int owner;                       /* F_SETOWN: the pid O_ASYNC signals (0: none) */
	u64 offset;                      /* bytes; for directories a cookie */
	struct inode *inode;             /* owned reference (NULL for pipes etc.) */
	const struct file_ops *ops;
	void *priv;                      /* the file's owner (fs, pipe, socket) */
	/* Where vfs_open found it, for /proc/self/fd/N (vfs_file_path): the
	 * directory (owned reference) and the final name (kmalloc'ed, at most
	 * VFS_NAME_MAX bytes + NUL). Both NULL when unknown (pipes, ...). */
	struct inode *path_dir;
	char *path_name;
	/* Pipe readers: POLLHUP only once a writer opened after this count
	 * of writer opens (a FIFO opened O_RDONLY|O_NONBLOCK with no writer
	 * waits for one in poll, as on Linux). 0 for every other file. */
	u32 pipe_writers_seen;
	/* epoll interests watching this open file (proc/epoll.c), dropped
	 * when the last reference goes, as on Linux. */
	struct list_node epoll_links;
};

/* ---- references ---- */

struct inode *inode_get(struct inode *inode);
void inode_put(struct inode *inode);
/* A fresh inode with refcount 1 (filesystems use this). */
struct inode *inode_alloc(struct fs_super *sb, u64 ino, u32 mode);

struct file *file_get(struct file *file);
void file_put(struct file *file);
/* Called by file_put for a file that epoll still watches, before its
 * close (proc/epoll.c registers it with the first epoll instance). */
void vfs_set_file_release_hook(void (*hook)(struct file *file));
/* A new file with refcount 1 (pipes, eventfd ... and vfs_open). inode may
 * be NULL; otherwise the file takes over one reference the caller owned
 * (file_put drops it). */
struct file *file_alloc(const struct file_ops *ops, struct inode *inode, u32 flags,
                        void *priv);

/* ---- mounts and boot ---- */

/* Make root_sb the root filesystem "/" (once). Called by fs_mount_all. */
int vfs_mount_root(struct fs_super *root_sb);
/* Mount sb on the directory at path (absolute). The directory need not
 * exist in the parent filesystem, but its parent must. */
int vfs_mount(const char *path, struct fs_super *sb);
/* Mount sb, whose root is a file, over the file at path (or where its
 * name would be), like docker's bind mount of /etc/resolv.conf. The
 * parent directory must exist; a directory there is -EISDIR. */
int vfs_mount_file(const char *path, struct fs_super *sb);

/* Per-mount flags, as Linux's MNT_NOSUID/NODEV/NOEXEC (shown in
 * /proc/mounts). Read-only is the filesystem's own (sb->read_only). */
#define VFS_MOUNT_NOSUID 0x1   /* execve ignores set-id bits */
#define VFS_MOUNT_NODEV 0x2    /* recorded: none of ours hold device nodes */
#define VFS_MOUNT_NOEXEC 0x4   /* execve -EACCES, mmap PROT_EXEC -EPERM */
/* Set the flags of the mount sb is mounted at (-EINVAL: not mounted). */
int vfs_set_mount_flags(struct fs_super *sb, u32 flags);
/* The flags of the mount inode lives on; 0 for unmounted filesystems
 * (pipes, memfds, shared anonymous memory). */
u32 vfs_mount_flags(const struct inode *inode);

/* The whole boot step (main.c): find the virtio-blk root disk, open it as
 * cvmfs with disk_key, refuse it unless its root equals expected_root
 * (-EACCES), mount the root overlay on it at / (writable in memory, or
 * read-only when read_only_root: docs/kernel-memory.md), then devfs on
 * /dev, tmpfs on /dev/shm, procfs on /proc, tmpfs on /tmp and on each
 * extra tmpfs path (whose parent directory must exist). Returns 0 or
 * -errno; main.c panics on failure (fail closed). */
/* Check that the root disk's root (superblock and tag table) equals
 * expected_root, without any key: a changed disk is refused before a key
 * is asked for. 0, -EACCES (mismatch) or another -errno. */
int fs_root_disk_check(const u8 expected_root[48]);

int fs_mount_all(const u8 disk_key[32], const u8 expected_root[48],
                 const char *const *tmpfs_paths, size_t tmpfs_count, bool read_only_root);

/* Log the root disk's cache and decryption statistics (at the app's end). */
void fs_log_stats(void);

/* A new reference to the root directory (the start for absolute paths). */
struct inode *vfs_root(void);

/* ---- path resolution ---- */

/* Lookup flags. */
#define LOOKUP_FOLLOW 0x1     /* follow a symlink in the last component */
#define LOOKUP_DIRECTORY 0x2  /* the result must be a directory (-ENOTDIR) */

/* Resolve path relative to start (a directory; absolute paths ignore it).
 * Follows symlinks in the middle always, in the last component only with
 * LOOKUP_FOLLOW. Handles "." and ".." (also across mount points; ".." of
 * the root is the root). Every directory a name is looked up in needs
 * search (x) permission for the current credentials (fs/perm.c).
 * Errors: -ENOENT, -ENOTDIR, -EACCES, -ELOOP (more than
 * VFS_SYMLINK_HOPS symlinks), -ENAMETOOLONG (path >= VFS_PATH_MAX or a
 * component > VFS_NAME_MAX), -EIO (the root disk failed a check). An empty
 * path is -ENOENT (AT_EMPTY_PATH is the syscall layer's job). */
int vfs_lookup(struct inode *start, const char *path, u32 flags, struct inode **out);

/* The absolute path of a directory inode into buf (NUL-terminated);
 * returns its length (without NUL) or -ERANGE / -ENOENT. For getcwd. */
long vfs_getcwd(struct inode *dir, char *buf, size_t size);

/* ---- open and file I/O ---- */

/* Open path relative to start with Linux o_flags (O_CREAT, O_EXCL, O_TRUNC,
 * O_DIRECTORY, O_NOFOLLOW, O_APPEND, O_PATH ...; O_CLOEXEC is the fd
 * table's business and ignored here). mode: for O_CREAT, after the caller
 * applied its umask. Write access to a read-only fs is -EROFS, to a
 * directory -EISDIR. The file's mode bits must allow the access mode
 * (O_TRUNC counts as a write) for the current credentials, -EACCES; a
 * file this call creates is not checked, its directory needs write and
 * search. O_PATH checks only the walk. */
int vfs_open(struct inode *start, const char *path, u32 o_flags, u32 mode,
             struct file **out);
/* Opening a FIFO inode of any filesystem uses these file_ops (the
 * process layer's, proc/fifo.c) instead of the inode's own. Without
 * them (host tests) such an open is -ENXIO. */
void vfs_set_fifo_fops(const struct file_ops *fops);

/* Open an inode already looked up, with the same checks as vfs_open
 * (the file has no path: vfs_file_path says -ENOENT). */
int vfs_open_inode(struct inode *inode, u32 o_flags, struct file **out);

/* Open a program for execve: it must be a regular file (-EISDIR for a
 * directory, else -EACCES) that the caller may execute (x, not r: the
 * kernel reads it on the caller's behalf, as Linux does). O_RDONLY. */
int vfs_open_exec(struct inode *start, const char *path, struct file **out);

/* The absolute path of an open file (symlinks resolved, as the walk found
 * it), like Linux's /proc/self/fd/N: at most size bytes, no NUL, returns
 * the length written. A directory's path is its current one. -ENOENT when
 * the file has no path (pipes) or it is gone. */
long vfs_file_path(struct file *file, char *buf, size_t size);

/* read/write at file->offset and advance it (write honours O_APPEND). */
long vfs_read(struct file *file, void *buf, size_t size);
long vfs_write(struct file *file, const void *buf, size_t size);
/* pread/pwrite: explicit offset, file->offset unchanged; -ESPIPE on
 * streams (ttys, pipes), -EINVAL on a negative offset. */
/* A tty, pipe or socket: no offsets, so pread/pwrite are ESPIPE (Linux:
 * no FMODE_PREAD), before the access mode is checked. */
bool vfs_is_stream(const struct file *file);
long vfs_pread(struct file *file, void *buf, size_t size, s64 offset);
long vfs_pwrite(struct file *file, const void *buf, size_t size, s64 offset);
/* The direct forms (file_ops.read_direct/write_direct): at *offset,
 * advanced by what moved, or at file->offset when offset is NULL (as
 * vfs_read/vfs_write, O_APPEND included). -EOPNOTSUPP when the file has
 * no direct form: the caller uses a buffer and vfs_read/vfs_write. */
long vfs_read_direct(struct file *file, struct vfs_copier *c, size_t size, s64 *offset);
long vfs_write_direct(struct file *file, struct vfs_copier *c, size_t size, s64 *offset);

/* lseek with SEEK_SET/CUR/END; returns the new offset. */
s64 vfs_lseek(struct file *file, s64 offset, int whence);

/* Fill buf with struct linux_dirent64 records (Linux layout: u64 d_ino,
 * s64 d_off, u16 d_reclen, u8 d_type, name, NUL, padded to 8) starting at
 * file->offset; returns bytes written, 0 at the end, -EINVAL if not even
 * one record fits, -ENOTDIR if not a directory. Ready to copy out. */
long vfs_getdents64(struct file *file, void *buf, size_t size);

/* How the syscall layer must move an ioctl argument: size bytes copied in
 * from arg before the call if copy_in, copied out after if copy_out.
 * size 0: arg is a plain value. Returns -ENOTTY for unknown commands. */
struct vfs_ioctl_layout {
	u32 size;
	bool copy_in;
	bool copy_out;
};
int vfs_ioctl_layout(u32 cmd, struct vfs_ioctl_layout *out);
long vfs_ioctl(struct file *file, u32 cmd, void *karg, u64 arg);

/* Readiness of file (file_ops.poll, proc/poll.h); pt may be NULL. */
u32 vfs_poll(struct file *file, u32 events, struct poll_table *pt);

/* mmap support: a reference to the page of the file at a page-aligned
 * offset (file_ops.get_page). -ENODEV if the file cannot be mapped,
 * -EACCES if it was opened with O_PATH or O_WRONLY (or, for write, not
 * O_RDWR). */
int vfs_get_page(struct file *file, u64 offset, bool write, void **page);

/* ---- durability (fs/sync.c) ---- */

/* fsync(2)/fdatasync(2): the file's filesystem commits (a volume commits
 * all its changes, not only this file's). syncfs(2) for inode's
 * filesystem; sync(2) and the app's exit for every one. */
int vfs_fsync(struct file *file);
int vfs_syncfs(struct inode *inode);
int vfs_sync_all(void);

/* ---- metadata ---- */

void vfs_stat(struct inode *inode, struct kstat *out);
/* Target of the symlink at path (not followed); returns its length. */
long vfs_readlink(struct inode *start, const char *path, char *buf, size_t size);
int vfs_truncate(struct inode *inode, u64 size);
int vfs_ftruncate(struct file *file, u64 size);
/* fallocate(2): mode 0, FALLOC_FL_KEEP_SIZE, or FALLOC_FL_PUNCH_HOLE |
 * FALLOC_FL_KEEP_SIZE (others -EOPNOTSUPP); offset >= 0, len > 0. */
int vfs_fallocate(struct file *file, u32 mode, s64 offset, s64 len);
int vfs_chmod(struct inode *inode, u32 mode);
/* chown/utimensat: change the in-memory inode (tmpfs keeps it; -EROFS on
 * a read-only fs). uid/gid (u32)-1 = unchanged; atime/mtime NULL = unchanged. */
int vfs_chown(struct inode *inode, u32 uid, u32 gid);
int vfs_set_times(struct inode *inode, const struct ktimespec *atime,
                  const struct ktimespec *mtime);

/* What statfs() reports; the syscall layer converts it to struct statfs. */
struct kstatfs {
	u64 type;        /* f_type magic */
	u64 block_size;
	u64 blocks;      /* total, in block_size units */
	u64 blocks_free;
	u64 files;
	u64 files_free;
	u64 name_max;
	bool read_only;  /* ST_RDONLY in f_flags */
	u32 mount_flags; /* VFS_MOUNT_*: ST_NOSUID, ST_NODEV, ST_NOEXEC */
};
void vfs_statfs(struct inode *inode, struct kstatfs *out);

/* ---- namespace changes (tmpfs; -EROFS on the root fs) ---- */

int vfs_mkdir(struct inode *start, const char *path, u32 mode);
/* A socket node (mode S_IFSOCK | permissions) for a bound AF_UNIX
 * socket, or a named FIFO (S_IFIFO); same checks as mkdir. Other
 * types: -EPERM. */
int vfs_mknod(struct inode *start, const char *path, u32 mode);
int vfs_rmdir(struct inode *start, const char *path);
int vfs_unlink(struct inode *start, const char *path);
int vfs_symlink(const char *target, struct inode *start, const char *linkpath);
/* link(2): a new name newpath for the file at oldpath (LOOKUP_FOLLOW in
 * flags follows a final symlink of oldpath). -EXDEV across filesystems,
 * -EPERM for directories. */
int vfs_link(struct inode *old_start, const char *old_path, struct inode *new_start,
             const char *new_path, u32 flags);
/* flags: 0, RENAME_NOREPLACE. Across filesystems: -EXDEV. */
int vfs_rename(struct inode *old_start, const char *old_path,
               struct inode *new_start, const char *new_path, u32 flags);

/* ---- credentials and permissions (fs/perm.c) ---- */

/* Who is asking: Linux checks files with the fs ids, the supplementary
 * groups and the effective capabilities (bits as in linux_abi/
 * capability.h: CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER,
 * CAP_CHOWN, CAP_FSETID count here). */
struct vfs_cred {
	u32 uid;
	u32 gid;
	const u32 *groups;    /* borrowed from the task for the call */
	u32 group_count;
	u64 caps;
};

/* The process layer registers a hook that reports the current task's
 * credentials (new tmpfs files belong to them, every check uses them).
 * Without a hook (boot, host tests) the caller is root with every
 * capability. */
void vfs_set_cred_hook(void (*hook)(struct vfs_cred *out));

/* The memory layer's hook for file pages that changed under mappings:
 * unmap the file's pages for offsets [start, end) from every address
 * space, from private mappings too when private_too (truncation and
 * punched holes, where Linux drops even private copies; a copy-up only
 * concerns shared mappings). None in host tests. */
void vfs_set_unmap_hook(void (*hook)(struct inode *inode, u64 start, u64 end,
                                     bool private_too));
/* Called by filesystems when pages of inode go or move (see above). */
void vfs_unmap_file_range(struct inode *inode, u64 start, u64 end, bool private_too);
void vfs_current_cred(struct vfs_cred *out);

/* The Unix check, once for the whole VFS: mask of R_OK/W_OK/X_OK against
 * the owner, group (primary or supplementary) or other bits, whichever
 * class cred falls in first. CAP_DAC_OVERRIDE passes read and write
 * always, directory search always, exec of a non-directory only if some
 * x bit is set; CAP_DAC_READ_SEARCH passes reads and directory search.
 * -EACCES or 0. */
int vfs_permission(struct inode *inode, u32 mask, const struct vfs_cred *cred);

/* The same, plus -EROFS for W_OK on a read-only filesystem (devices
 * excepted): what access() and open() report first. */
int vfs_access(struct inode *inode, u32 mask, const struct vfs_cred *cred);

/* May cred remove or rename away victim from dir? Needs write and search
 * on dir and, if dir is sticky (/tmp), to own dir or victim (or be root). */
int vfs_may_delete(struct inode *dir, struct inode *victim, const struct vfs_cred *cred);

/* chmod, chown and utimes: -EPERM unless cred owns the inode (or has
 * CAP_FOWNER). */
bool vfs_is_owner(const struct inode *inode, const struct vfs_cred *cred);
bool vfs_cred_in_group(const struct vfs_cred *cred, u32 gid);

/* ---- small helpers ---- */

static inline bool inode_is_dir(const struct inode *inode)
{
	return (inode->mode & S_IFMT) == S_IFDIR;
}

static inline bool inode_is_reg(const struct inode *inode)
{
	return (inode->mode & S_IFMT) == S_IFREG;
}

static inline bool inode_is_link(const struct inode *inode)
{
	return (inode->mode & S_IFMT) == S_IFLNK;
}

#endif
