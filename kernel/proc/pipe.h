/*
 * pipe.h: anonymous pipes between tasks (pipe, pipe2).
 */
#ifndef CVMIFY_PROC_PIPE_H
#define CVMIFY_PROC_PIPE_H

#include "lib/types.h"

struct file;

#define PIPE_SIZE (64 * 1024)   /* Linux's default capacity */

/* A new pipe: *read_end and *write_end each hold one reference.
 * flags: O_NONBLOCK applies to both ends. Returns 0 or -ENOMEM. */
int pipe_create(u32 flags, struct file **read_end, struct file **write_end);

/* True when file is one end of a pipe (fstat reports S_IFIFO). */
bool pipe_is(const struct file *file);

/* F_GETPIPE_SZ / F_SETPIPE_SZ: the capacity is fixed at PIPE_SIZE, which
 * is also the largest size allowed (like pipe-max-size): a request up to
 * it answers PIPE_SIZE, above it -EPERM; -EBADF when not a pipe. */
long pipe_fcntl_size(struct file *file, bool set, u64 size);

#endif
