/*
 * path.h: path helpers internal to fs/ (the public entry is vfs_lookup).
 */
#ifndef CVMIFY_FS_PATH_H
#define CVMIFY_FS_PATH_H

#include "fs/vfs.h"

/* One component in dir: ".", "..", a mount, or the filesystem's lookup. */
int path_lookup_child(struct inode *dir, const char *name, size_t len, struct inode **out);

/* Resolve everything but the last component; *name points into path.
 * The last name may be empty ("/") or "." / ".." (callers decide). */
int path_lookup_parent(struct inode *start, const char *path, struct inode **dir,
                       const char **name, size_t *name_len);

/* Where a walk found its result, for the path an open file remembers:
 * the directory and the last name looked up. dir is NULL when the result
 * was not reached through a name ("/", ".", ".."). */
struct path_found {
	struct inode *dir;              /* owned reference, or NULL */
	char name[VFS_NAME_MAX + 1];
};

/* vfs_lookup, also filling *found (when not NULL; release it with
 * path_found_release unless the walk failed). */
int path_walk(struct inode *start, const char *path, u32 flags, struct inode **out,
              struct path_found *found);
void path_found_release(struct path_found *found);

/* "", "." or "..". */
bool path_name_is_dot(const char *name, size_t len);

#endif
