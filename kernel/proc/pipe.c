/*
 * pipe.c: a pipe is a 64 KiB ring buffer shared by a read-end file and a
 * write-end file. Readers sleep while it is empty and a writer exists
 * (none left: end of file); writers sleep while it is full and a reader
 * exists (none left: SIGPIPE and -EPIPE), as on Linux.
 *
 * Ownership: the pipe lives until both end files are closed (their
 * file_ops.close runs on the last reference).
 */
#include "proc/pipe.h"

#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "proc/poll.h"
#include "proc/wait.h"
#include "proc/signal.h"
#include "proc/task.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"
#include "syscalls/linux_abi/signal.h"

struct pipe {
	struct waitq wait;   /* readers and writers waiting for a change */
	u8 *buf;          /* PIPE_SIZE bytes */
	u32 head;         /* index of the oldest byte */
	u32 count;        /* bytes buffered */
	u32 readers;      /* open read-end files */
	u32 writers;      /* open write-end files */
};

/* Data to read, or no writer left (end of file). */
static bool can_read(void *arg)
{
	struct pipe *p = arg;
	return p->count > 0 || p->writers == 0;
}

/* Room to write, or no reader left (EPIPE). */
static bool can_write(void *arg)
{
	struct pipe *p = arg;
	return p->count < PIPE_SIZE || p->readers == 0;
}

static long pipe_read(struct file *file, void *buf, size_t size, u64 offset)
{
	(void)offset;
	struct pipe *p = file->priv;
	if (size == 0)
		return 0;
	int err = wait_event(&p->wait, can_read, p, file->flags & O_NONBLOCK);
	if (err)
		return err;
	if (p->count == 0)
		return 0; /* no writer left: end of file */
	size_t n = MIN(size, (size_t)p->count);
	size_t first = MIN(n, (size_t)(PIPE_SIZE - p->head));
	memcpy(buf, p->buf + p->head, first);
	memcpy((u8 *)buf + first, p->buf, n - first);
	p->head = (u32)((p->head + n) % PIPE_SIZE);
	p->count -= (u32)n;
	waitq_wake(&p->wait, VFS_POLLOUT);
	return (long)n;
}

static long pipe_write(struct file *file, const void *buf, size_t size, u64 offset)
{
	(void)offset;
	struct pipe *p = file->priv;
	size_t done = 0;
	while (done < size) {
		if (p->readers == 0) {
			signal_post(current_task(), SIGPIPE, 0);
			return done ? (long)done : -EPIPE;
		}
		if (p->count == PIPE_SIZE) {
			if (file->flags & O_NONBLOCK)
				return done ? (long)done : -EAGAIN;
			int err = wait_event(&p->wait, can_write, p, false);
			if (err)
				return done ? (long)done : err;
			continue;
		}
		size_t n = MIN(size - done, (size_t)(PIPE_SIZE - p->count));
		u32 tail = (p->head + p->count) % PIPE_SIZE;
		size_t first = MIN(n, (size_t)(PIPE_SIZE - tail));
		memcpy(p->buf + tail, (const u8 *)buf + done, first);
		memcpy(p->buf, (const u8 *)buf + done + first, n - first);
		p->count += (u32)n;
		done += n;
		waitq_wake(&p->wait, VFS_POLLIN);
	}
	return (long)done;
}

static u32 pipe_poll_read(struct file *file, u32 events, struct poll_table *pt)
{
	struct pipe *p = file->priv;
	poll_wait(pt, &p->wait);
	u32 ready = 0;
	if (p->count > 0)
		ready |= VFS_POLLIN;
	if (p->writers == 0)
		ready |= VFS_POLLHUP;
	return (events | VFS_POLLHUP) & ready;
}

static u32 pipe_poll_write(struct file *file, u32 events, struct poll_table *pt)
{
	struct pipe *p = file->priv;
	poll_wait(pt, &p->wait);
	u32 ready = 0;
	if (p->count < PIPE_SIZE)
		ready |= VFS_POLLOUT;
	if (p->readers == 0)
		ready |= VFS_POLLERR;
	return (events | VFS_POLLERR) & ready;
}

static void pipe_release(struct pipe *p)
{
	waitq_wake(&p->wait, 0);
	if (p->readers == 0 && p->writers == 0) {
		kfree(p->buf);
		kfree(p);
	}
}

static void pipe_close_read(struct file *file)
{
	struct pipe *p = file->priv;
	p->readers--;
	pipe_release(p);
}

static void pipe_close_write(struct file *file)
{
	struct pipe *p = file->priv;
	p->writers--;
	pipe_release(p);
}

static const struct file_ops g_pipe_read_ops = {
	.read = pipe_read,
	.poll = pipe_poll_read,
	.close = pipe_close_read,
	.stream = true,
};

static const struct file_ops g_pipe_write_ops = {
	.write = pipe_write,
	.poll = pipe_poll_write,
	.close = pipe_close_write,
	.stream = true,
};

bool pipe_is(const struct file *file)
{
	return file->ops == &g_pipe_read_ops || file->ops == &g_pipe_write_ops;
}

int pipe_create(u32 flags, struct file **read_end, struct file **write_end)
{
	struct pipe *p = kzalloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	waitq_init(&p->wait);
	p->buf = kmalloc(PIPE_SIZE);
	if (!p->buf) {
		kfree(p);
		return -ENOMEM;
	}
	u32 nonblock = flags & O_NONBLOCK;
	*read_end = file_alloc(&g_pipe_read_ops, NULL, O_RDONLY | nonblock, p);
	if (!*read_end) {
		kfree(p->buf);
		kfree(p);
		return -ENOMEM;
	}
	p->readers = 1;
	*write_end = file_alloc(&g_pipe_write_ops, NULL, O_WRONLY | nonblock, p);
	if (!*write_end) {
		file_put(*read_end); /* frees the pipe through pipe_close_read */
		return -ENOMEM;
	}
	p->writers = 1;
	return 0;
}
