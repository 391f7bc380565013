/*
 * pipe.c: a pipe is a 64 KiB ring buffer behind an inode of the internal
 * "pipefs" (S_IFIFO, a unique inode number, owned by its creator), as on
 * Linux. pipe() opens it twice, a read end and a write end; opening the
 * inode again (through /proc/self/fd/N or /dev/fd/N) adds another reader
 * or writer of the same pipe. Readers sleep while it is empty and a
 * writer exists (none left: end of file); writers sleep while it is full
 * and a reader exists (none left: SIGPIPE and -EPIPE), as on Linux.
 *
 * Ownership: the inode owns the pipe; every end file holds one inode
 * reference, so the buffer goes with the last end (inode release). A
 * named FIFO's pipe belongs to its opens instead (proc/fifo.c, unused()).
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
#include "syscalls/linux_abi/termios.h"

#define PIPEFS_MAGIC 0x50495045
#define PIPEFS_DEV 0xc

static struct fs_super g_pipefs = {
	.type = "pipefs",
	.magic = PIPEFS_MAGIC,
	.dev = PIPEFS_DEV,
	.anon_link = "pipe",
};
static u64 g_next_ino = 1;

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
	if (p->writers == 0 && p->writer_opens != file->pipe_writers_seen)
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

static long pipe_ioctl(struct file *file, u32 cmd, void *karg, u64 arg)
{
	(void)arg;
	struct pipe *p = file->priv;
	if (cmd != FIONREAD)
		return -ENOTTY;
	int ready = (int)p->count;
	memcpy(karg, &ready, sizeof(ready));
	return 0;
}

static u32 pipe_poll_both(struct file *file, u32 events, struct poll_table *pt)
{
	return pipe_poll_read(file, events, pt) | pipe_poll_write(file, events, NULL);
}

/* The last end of a FIFO's pipe went: its owner frees it. */
static void check_unused(struct pipe *p)
{
	if (p->readers == 0 && p->writers == 0 && p->unused != NULL)
		p->unused(p);
}

/* A reader or writer left: sleepers re-check (EOF, EPIPE, poll). */
static void pipe_close_read(struct file *file)
{
	struct pipe *p = file->priv;
	p->readers--;
	waitq_wake(&p->wait, 0);
	check_unused(p);
}

static void pipe_close_write(struct file *file)
{
	struct pipe *p = file->priv;
	p->writers--;
	waitq_wake(&p->wait, 0);
	check_unused(p);
}

static void pipe_close_both(struct file *file)
{
	struct pipe *p = file->priv;
	p->readers--;
	p->writers--;
	waitq_wake(&p->wait, 0);
	check_unused(p);
}

static const struct file_ops g_pipe_read_ops = {
	.read = pipe_read,
	.ioctl = pipe_ioctl,
	.poll = pipe_poll_read,
	.close = pipe_close_read,
	.stream = true,
	.fasync = true,
};

static const struct file_ops g_pipe_write_ops = {
	.write = pipe_write,
	.ioctl = pipe_ioctl,
	.poll = pipe_poll_write,
	.close = pipe_close_write,
	.stream = true,
	.fasync = true,
};

/* O_RDWR, only by reopening (Linux allows it on a FIFO). */
static const struct file_ops g_pipe_rdwr_ops = {
	.read = pipe_read,
	.write = pipe_write,
	.ioctl = pipe_ioctl,
	.poll = pipe_poll_both,
	.close = pipe_close_both,
	.stream = true,
	.fasync = true,
};

void pipe_attach(struct pipe *p, struct file *file)
{
	file->priv = p;
	switch (file->flags & O_ACCMODE) {
	case O_RDONLY:
		file->ops = &g_pipe_read_ops;
		p->readers++;
		p->reader_opens++;
		break;
	case O_WRONLY:
		file->ops = &g_pipe_write_ops;
		p->writers++;
		p->writer_opens++;
		break;
	default:
		file->ops = &g_pipe_rdwr_ops;
		p->readers++;
		p->writers++;
		p->reader_opens++;
		p->writer_opens++;
		break;
	}
	waitq_wake(&p->wait, 0);
}

/* Opening the pipe's inode (a reopen through /proc/self/fd/N): one more
 * end of the same pipe, by access mode. Anonymous pipes never wait for a
 * partner, unlike named FIFOs. */
static int pipe_open(struct inode *inode, struct file *file)
{
	pipe_attach(inode->priv, file);
	return 0;
}

static const struct file_ops g_pipe_inode_ops = {
	.open = pipe_open,
	.stream = true,
};

void pipe_free(struct pipe *p)
{
	kfree(p->buf);
	kfree(p);
}

static void pipe_inode_release(struct inode *inode)
{
	pipe_free(inode->priv);
	kfree(inode);
}

static const struct inode_ops g_pipe_iops = {
	.release = pipe_inode_release,
};

bool pipe_is(const struct file *file)
{
	return file->ops == &g_pipe_read_ops || file->ops == &g_pipe_write_ops ||
	       file->ops == &g_pipe_rdwr_ops;
}

long pipe_fcntl_size(struct file *file, bool set, u64 size)
{
	if (!pipe_is(file))
		return -EBADF;
	if (set && size > PIPE_SIZE)
		return -EPERM;
	return PIPE_SIZE;
}

struct pipe *pipe_alloc(void)
{
	struct pipe *p = kzalloc(sizeof(*p));
	if (!p)
		return NULL;
	waitq_init(&p->wait);
	p->buf = kmalloc(PIPE_SIZE);
	if (!p->buf) {
		kfree(p);
		return NULL;
	}
	return p;
}

struct inode *pipe_fs_inode(const struct file_ops *fops, void *priv)
{
	struct inode *inode = inode_alloc(&g_pipefs, g_next_ino, S_IFIFO | 0600);
	if (!inode)
		return NULL;
	g_next_ino++;
	struct vfs_cred cred;
	vfs_current_cred(&cred);
	inode->uid = cred.uid;
	inode->gid = cred.gid;
	inode->fops = fops;
	inode->priv = priv;
	return inode;
}

/* The pipe and its inode (one reference), owned by the caller's euid. */
static struct inode *pipe_inode_create(void)
{
	struct pipe *p = pipe_alloc();
	if (!p)
		return NULL;
	struct inode *inode = pipe_fs_inode(&g_pipe_inode_ops, p);
	if (!inode) {
		pipe_free(p);
		return NULL;
	}
	inode->iops = &g_pipe_iops;
	return inode;
}

/* One end: a new file on the inode (taking a new reference). */
static struct file *pipe_end(struct inode *inode, u32 flags)
{
	struct file *file = file_alloc(&g_pipe_inode_ops, inode_get(inode), flags, NULL);
	if (!file) {
		inode_put(inode);
		return NULL;
	}
	pipe_open(inode, file);
	return file;
}

int pipe_create(u32 flags, struct file **read_end, struct file **write_end)
{
	struct inode *inode = pipe_inode_create();
	if (!inode)
		return -ENOMEM;
	u32 nonblock = flags & O_NONBLOCK;
	*read_end = pipe_end(inode, O_RDONLY | nonblock);
	*write_end = *read_end ? pipe_end(inode, O_WRONLY | nonblock) : NULL;
	inode_put(inode); /* the ends hold it now */
	if (!*write_end) {
		if (*read_end)
			file_put(*read_end);
		return -ENOMEM;
	}
	return 0;
}
