/*
 * signalfd.c: signalfd files (signalfd.h). Everything runs with the big
 * kernel lock; a queued signal wakes its process's signal_wait, which
 * readers and pollers wait on.
 */
#include "proc/signalfd.h"

#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "proc/poll.h"
#include "proc/signal.h"
#include "proc/task.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"
#include "syscalls/linux_abi/signal.h"

struct signalfd {
	u64 mask;
};

/* struct signalfd_siginfo (include/uapi/linux/signalfd.h). */
struct linux_signalfd_siginfo {
	u32 ssi_signo;
	s32 ssi_errno;
	s32 ssi_code;
	u32 ssi_pid;
	u32 ssi_uid;
	s32 ssi_fd;
	u32 ssi_tid;
	u32 ssi_band;
	u32 ssi_overrun;
	u32 ssi_trapno;
	s32 ssi_status;
	s32 ssi_int;
	u64 ssi_ptr;
	u64 ssi_utime;
	u64 ssi_stime;
	u64 ssi_addr;
	u16 ssi_addr_lsb;
	u16 pad2;
	s32 ssi_syscall;
	u64 ssi_call_addr;
	u32 ssi_arch;
	u8 pad[28];
};
_Static_assert(sizeof(struct linux_signalfd_siginfo) == 128, "signalfd_siginfo layout");

static void fill(struct linux_signalfd_siginfo *out, int signo, const struct ksiginfo *k)
{
	memset(out, 0, sizeof(*out));
	out->ssi_signo = (u32)signo;
	out->ssi_code = k->code;
	out->ssi_pid = (u32)k->pid;
	out->ssi_uid = k->uid;
	out->ssi_tid = (u32)k->timerid;
	out->ssi_overrun = (u32)k->overrun;
	out->ssi_status = k->status;
	out->ssi_int = (s32)k->value;
	out->ssi_ptr = k->value;
	out->ssi_addr = k->addr;
}

static long signalfd_read(struct file *file, void *buf, size_t size, u64 offset)
{
	(void)offset;
	struct signalfd *sfd = file->priv;
	struct task *task = current_task();
	const size_t rec = sizeof(struct linux_signalfd_siginfo);
	if (size < rec)
		return -EINVAL;
	size_t done = 0;
	while (done + rec <= size) {
		struct ksiginfo k;
		int signo = signal_dequeue(task, sfd->mask, &k);
		if (!signo) {
			if (done)
				break;
			if (file->flags & O_NONBLOCK)
				return -EAGAIN;
			signo = signal_wait_for(task, sfd->mask, WAIT_FOREVER, &k);
			if (signo < 0)
				return -ERESTARTSYS;
		}
		struct linux_signalfd_siginfo info;
		fill(&info, signo, &k);
		memcpy((u8 *)buf + done, &info, rec);
		done += rec;
	}
	return (long)done;
}

static u32 signalfd_poll(struct file *file, u32 events, struct poll_table *pt)
{
	(void)events;
	struct signalfd *sfd = file->priv;
	struct task *task = current_task();
	poll_wait(pt, &task->group->signal_wait);
	return (signal_pending_set(task) & sfd->mask) ? VFS_POLLIN : 0;
}

static void signalfd_close(struct file *file)
{
	kfree(file->priv);
}

static const struct file_ops g_signalfd_ops = {
	.stream = true,
	.read = signalfd_read,
	.poll = signalfd_poll,
	.close = signalfd_close,
};

bool signalfd_is(const struct file *file)
{
	return file->ops == &g_signalfd_ops;
}

void signalfd_set_mask(struct file *file, u64 mask)
{
	((struct signalfd *)file->priv)->mask = mask;
}

int signalfd_create(u64 mask, u32 o_flags, struct file **out)
{
	struct signalfd *sfd = kzalloc(sizeof(*sfd));
	if (!sfd)
		return -ENOMEM;
	sfd->mask = mask;
	*out = file_alloc(&g_signalfd_ops, NULL, O_RDWR | (o_flags & O_NONBLOCK), sfd);
	if (!*out) {
		kfree(sfd);
		return -ENOMEM;
	}
	return 0;
}
