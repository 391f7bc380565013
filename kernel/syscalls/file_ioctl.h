/*
 * file_ioctl.h: the generic file ioctls (file_ioctl.c).
 */
#ifndef CVMIFY_SYSCALLS_FILE_IOCTL_H
#define CVMIFY_SYSCALLS_FILE_IOCTL_H

#include "lib/types.h"

struct file;

/* Not one of the generic commands: the file's own ioctl decides. */
#define IOCTL_NOT_GENERIC 1

/* Handle cmd if every file answers it the same way: 0 or -errno, else
 * IOCTL_NOT_GENERIC. f is the (non-O_PATH) file open at fd. */
long ioctl_generic(int fd, struct file *f, u32 cmd, u64 arg);

#endif
