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

/* "", "." or "..". */
bool path_name_is_dot(const char *name, size_t len);

#endif
