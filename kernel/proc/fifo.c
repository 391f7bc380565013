/*
 * fifo.c: named FIFOs (mkfifo, mknod S_IFIFO; fifo(7)). The FIFO inode
 * lives in its filesystem (tmpfs, the root overlay); its bytes live in a
 * pipe (proc/pipe.c) that the first open makes and the last close frees,
 * so every open of the inode shares one buffer, and data left in it goes
 * when nobody has the FIFO open, as on Linux.
 *
 * The open rules (open(2), Linux's fifo_open):
 *  - O_RDONLY waits until a writer opens (O_NONBLOCK: at once);
 *  - O_WRONLY waits until a reader opens (O_NONBLOCK: -ENXIO without one);
 *  - O_RDWR never waits.
 * A waiting opener already counts as a reader or writer (so its partner
 * need not wait), and waits for the partner's open counter to change:
 * a partner that opened and closed again still ends the wait. A signal
 * ends it with -ERESTARTSYS (EINTR, or a restart with SA_RESTART).
 *
 * Ownership: inode->pipe points to the pipe while some end is open or
 * an opener waits; every such file holds an inode reference, so the
 * inode outlives its pipe.
 */
#include "proc/fifo.h"

#include "fs/vfs.h"
#include "proc/pipe.h"
#include "proc/wait.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

/* The last end closed (pipe.c): the FIFO has no pipe until the next open. */
static void fifo_unused(struct pipe *p)
{
	struct inode *inode = p->owner;
	inode->pipe = NULL;
	pipe_free(p);
}

/* The inode's pipe, made on the first open. */
static struct pipe *fifo_pipe(struct inode *inode)
{
	if (inode->pipe != NULL)
		return inode->pipe;
	struct pipe *p = pipe_alloc();
	if (p == NULL)
		return NULL;
	p->unused = fifo_unused;
	p->owner = inode;
	inode->pipe = p;
	return p;
}

struct partner_wait {
	const u32 *opens;  /* the partner's open counter in the pipe */
	u32 seen;          /* its value when the wait began */
};

static bool partner_opened(void *arg)
{
	struct partner_wait *w = arg;
	return *w->opens != w->seen;
}

/* Sleep until *opens changes (a partner opened) or a signal comes. */
static int wait_for_partner(struct pipe *p, const u32 *opens)
{
	struct partner_wait w = { opens, *opens };
	return wait_event(&p->wait, partner_opened, &w, false);
}

static int fifo_open(struct inode *inode, struct file *file)
{
	u32 mode = file->flags & O_ACCMODE;
	bool nonblock = file->flags & O_NONBLOCK;
	struct pipe *p = inode->pipe;
	if (mode == O_WRONLY && nonblock && (p == NULL || p->readers == 0))
		return -ENXIO;
	p = fifo_pipe(inode);
	if (p == NULL)
		return -ENOMEM;
	pipe_attach(p, file);
	int err = 0;
	if (mode == O_RDONLY && p->writers == 0) {
		if (nonblock)
			file->pipe_writers_seen = p->writer_opens; /* no POLLHUP yet */
		else
			err = wait_for_partner(p, &p->writer_opens);
	} else if (mode == O_WRONLY && p->readers == 0) {
		err = wait_for_partner(p, &p->reader_opens);
	}
	if (err < 0)
		file->ops->close(file); /* uncount it; may free the pipe */
	return err;
}

static const struct file_ops g_fifo_fops = {
	.open = fifo_open,
	.stream = true,
};

void fifo_init(void)
{
	vfs_set_fifo_fops(&g_fifo_fops);
}
