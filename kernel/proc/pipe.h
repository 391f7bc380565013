/*
 * pipe.h: pipes between tasks: anonymous ones (pipe, pipe2) and the
 * buffer behind a named FIFO (proc/fifo.c).
 */
#ifndef CVMIFY_PROC_PIPE_H
#define CVMIFY_PROC_PIPE_H

#include "lib/types.h"
#include "proc/wait.h"

struct file;
struct file_ops;
struct inode;

#define PIPE_SIZE (64 * 1024)   /* Linux's default capacity */

/* One pipe buffer and who has it open. The counters change only under
 * the big kernel lock; every change wakes `wait`. */
struct pipe {
	struct waitq wait;   /* readers, writers and FIFO openers waiting for a change */
	u8 *buf;          /* PIPE_SIZE bytes */
	u32 head;         /* index of the oldest byte */
	u32 count;        /* bytes buffered */
	u32 readers;      /* open ends that may read */
	u32 writers;      /* open ends that may write */
	u32 reader_opens; /* readers ever attached (a FIFO writer's open waits for a change) */
	u32 writer_opens; /* writers ever attached (a FIFO reader's open waits for a change) */
	/* Called when the last end closes (readers and writers both 0): a
	 * FIFO frees its pipe then. NULL for anonymous pipes, whose pipefs
	 * inode owns them. */
	void (*unused)(struct pipe *p);
	void *owner;      /* the unused() callback's data (the FIFO inode) */
};

/* A pipe with no ends yet (FIFOs), or NULL when out of memory. */
struct pipe *pipe_alloc(void);
/* Free a pipe that no end uses any more. */
void pipe_free(struct pipe *p);
/* Make file an end of p by its access mode (O_RDONLY a reader, O_WRONLY
 * a writer, O_RDWR both): sets file->ops and file->priv, counts the end
 * and wakes sleepers. The end's close undoes the count. */
void pipe_attach(struct pipe *p, struct file *file);

/* A new pipe: *read_end and *write_end each hold one reference.
 * flags: O_NONBLOCK applies to both ends. Returns 0 or -ENOMEM. */
int pipe_create(u32 flags, struct file **read_end, struct file **write_end);

/* A new inode of the pipe file system (S_IFIFO | 0600, the next pipe
 * inode number, owned by the caller's ids; one reference) that opens
 * with fops and carries priv: the app's stdio streams (proc/stdio.c),
 * so that /dev/fd/1 reopens them as Linux reopens docker's pipes. NULL
 * when out of memory. */
struct inode *pipe_fs_inode(const struct file_ops *fops, void *priv);

/* True when file is one end of a pipe (fstat reports S_IFIFO). */
bool pipe_is(const struct file *file);

/* F_GETPIPE_SZ / F_SETPIPE_SZ: the capacity is fixed at PIPE_SIZE, which
 * is also the largest size allowed (like pipe-max-size): a request up to
 * it answers PIPE_SIZE, above it -EPERM; -EBADF when not a pipe. */
long pipe_fcntl_size(struct file *file, bool set, u64 size);

#endif
