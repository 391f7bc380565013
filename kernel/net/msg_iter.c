/*
 * msg_iter.c: walking the segments of a send or receive (msg_iter.h).
 */
#include "net/msg_iter.h"
#include "lib/string.h"
#include "mm/uaccess.h"
#include "syscalls/linux_abi/errno.h"

#define IO_MAX 0x7ffff000ULL

int msg_iter_user(struct msg_iter *it, const struct linux_iovec *segs, u32 count)
{
	memset(it, 0, sizeof(*it));
	if (count > MSG_ITER_MAX_SEGS)
		return -EINVAL;
	u64 total = 0;
	for (u32 i = 0; i < count; i++) {
		if (segs[i].iov_len > IO_MAX)
			return -EINVAL;
		if (!user_range_ok(segs[i].iov_base, segs[i].iov_len))
			return -EFAULT;
		total += segs[i].iov_len;
		if (total > IO_MAX)
			return -EINVAL;
	}
	it->user = true;
	it->segs = segs;
	it->count = count;
	it->left = total;
	return 0;
}

void msg_iter_kernel(struct msg_iter *it, void *buf, size_t size)
{
	memset(it, 0, sizeof(*it));
	it->kbuf = buf;
	it->left = size;
}

/* Move n bytes between the iterator and buf; to_iter says which way. */
static int move(struct msg_iter *it, void *buf, size_t n, bool to_iter)
{
	if (n > it->left)
		return -EINVAL;
	u8 *p = buf;
	if (!it->user) {
		if (to_iter)
			memcpy(it->kbuf, p, n);
		else
			memcpy(p, it->kbuf, n);
		it->kbuf += n;
		it->left -= n;
		return 0;
	}
	while (n > 0) {
		const struct linux_iovec *seg = &it->segs[it->index];
		u64 room = seg->iov_len - it->offset;
		if (room == 0) {
			it->index++;
			it->offset = 0;
			continue;
		}
		size_t step = (size_t)MIN((u64)n, room);
		u64 addr = seg->iov_base + it->offset;
		int err = to_iter ? copyout(addr, p, step) : copyin(p, addr, step);
		if (err)
			return -EFAULT;
		it->offset += step;
		it->left -= step;
		p += step;
		n -= step;
	}
	return 0;
}

int msg_iter_take(struct msg_iter *it, void *dst, size_t n)
{
	return move(it, dst, n, false);
}

int msg_iter_give(struct msg_iter *it, const void *src, size_t n)
{
	return move(it, (void *)src, n, true);
}
