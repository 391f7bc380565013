/*
 * msg_iter.h: the data of one send or receive, as a list of segments in
 * user memory (sendmsg/recvmsg iovecs) or one kernel buffer (read/write
 * and sendfile reach sockets with kernel buffers). Sockets copy through
 * it without caring which; user memory is touched only by copyin and
 * copyout.
 */
#ifndef CVMIFY_NET_MSG_ITER_H
#define CVMIFY_NET_MSG_ITER_H

#include "lib/types.h"
#include "syscalls/linux_abi/misc.h"

#define MSG_ITER_MAX_SEGS 1024  /* UIO_MAXIOV */

struct msg_iter {
	bool user;
	const struct linux_iovec *segs;  /* user segments (a kernel copy) */
	u32 count;
	u32 index;                       /* current segment */
	u64 offset;                      /* bytes used of it */
	u8 *kbuf;                        /* kernel buffer (user == false) */
	u64 left;                        /* bytes not yet copied */
};

/* Over count user segments (already copied in; checked here: each range
 * must be a user range, the total is capped at 0x7ffff000 like Linux).
 * 0 or -EINVAL / -EFAULT. */
int msg_iter_user(struct msg_iter *it, const struct linux_iovec *segs, u32 count);
/* Over one kernel buffer. */
void msg_iter_kernel(struct msg_iter *it, void *buf, size_t size);

/* Copy the next n bytes out of the iterator into dst (send side). */
int msg_iter_take(struct msg_iter *it, void *dst, size_t n);
/* Copy n bytes from src into the iterator's next bytes (receive side). */
int msg_iter_give(struct msg_iter *it, const void *src, size_t n);

static inline u64 msg_iter_left(const struct msg_iter *it)
{
	return it->left;
}

#endif
