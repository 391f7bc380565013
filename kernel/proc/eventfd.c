/*
 * eventfd.c: the eventfd counter (eventfd.h). A read takes the whole
 * count (or 1 with EFD_SEMAPHORE) and sleeps while it is 0; a write adds
 * and sleeps while the sum would pass 2^64 - 2; both are 8-byte values,
 * as on Linux.
 */
#include "proc/eventfd.h"

#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "proc/poll.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"

#define COUNT_MAX (~0ULL - 1)

struct eventfd {
	u64 count;
	bool semaphore;
	u64 adding;           /* what the writer now waiting wants to add */
	struct waitq wait;    /* readers, writers, pollers */
};

static bool has_count(void *arg)
{
	struct eventfd *efd = arg;
	return efd->count > 0;
}

/* A write of efd->adding fits. */
static bool has_room(void *arg)
{
	struct eventfd *efd = arg;
	return efd->adding <= COUNT_MAX - efd->count;
}

static long eventfd_read(struct file *file, void *buf, size_t size, u64 offset)
{
	(void)offset;
	struct eventfd *efd = file->priv;
	if (size < sizeof(u64))
		return -EINVAL;
	int err = wait_event(&efd->wait, has_count, efd, file->flags & O_NONBLOCK);
	if (err)
		return err;
	u64 value = efd->semaphore ? 1 : efd->count;
	efd->count -= value;
	memcpy(buf, &value, sizeof(value));
	waitq_wake(&efd->wait, VFS_POLLOUT);
	return sizeof(value);
}

static long eventfd_write(struct file *file, const void *buf, size_t size, u64 offset)
{
	(void)offset;
	struct eventfd *efd = file->priv;
	u64 value;
	if (size < sizeof(value))
		return -EINVAL;
	memcpy(&value, buf, sizeof(value));
	if (value == ~0ULL)
		return -EINVAL;
	/* Writers that wait for room share efd->adding: set it again and
	 * re-check after every wake-up (the big kernel lock is held from
	 * the check to the add). */
	for (;;) {
		efd->adding = value;
		if (has_room(efd))
			break;
		int err = wait_event(&efd->wait, has_room, efd, file->flags & O_NONBLOCK);
		if (err)
			return err;
	}
	efd->count += value;
	if (value)
		waitq_wake(&efd->wait, VFS_POLLIN);
	return sizeof(value);
}

static u32 eventfd_poll(struct file *file, u32 events, struct poll_table *pt)
{
	(void)events;
	struct eventfd *efd = file->priv;
	poll_wait(pt, &efd->wait);
	u32 ready = 0;
	if (efd->count > 0)
		ready |= VFS_POLLIN;
	if (efd->count < COUNT_MAX)
		ready |= VFS_POLLOUT;
	return ready;
}

static void eventfd_close(struct file *file)
{
	kfree(file->priv);
}

static const struct file_ops g_eventfd_ops = {
	.stream = true,
	.read = eventfd_read,
	.write = eventfd_write,
	.poll = eventfd_poll,
	.close = eventfd_close,
};

int eventfd_create(u64 initval, bool semaphore, u32 o_flags, struct file **out)
{
	struct eventfd *efd = kzalloc(sizeof(*efd));
	if (!efd)
		return -ENOMEM;
	efd->count = initval;
	efd->semaphore = semaphore;
	waitq_init(&efd->wait);
	*out = file_alloc(&g_eventfd_ops, NULL, O_RDWR | (o_flags & O_NONBLOCK), efd);
	if (!*out) {
		kfree(efd);
		return -ENOMEM;
	}
	return 0;
}
