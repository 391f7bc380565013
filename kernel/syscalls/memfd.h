/*
 * memfd.h: the seal commands of fcntl (memfd.c), for file_io.c.
 */
#ifndef CVMIFY_SYSCALLS_MEMFD_H
#define CVMIFY_SYSCALLS_MEMFD_H

#include "lib/types.h"

struct file;

/* F_GET_SEALS, or F_ADD_SEALS with the seals in arg. */
long fcntl_seals(struct file *file, int cmd, u64 arg);

#endif
