/*
 * epoll.h: epoll instances (epoll_create1, epoll_ctl, epoll_wait).
 *
 * An interest is a (file, fd) pair with an event mask and the user's
 * 64-bit data. Adding one registers a wait entry with a callback on each
 * wait queue the file's poll names (proc/poll.h); the callback puts the
 * interest on the instance's ready list and wakes epoll_wait. epoll_wait
 * then asks each ready file for its current state: level-triggered
 * interests stay on the list while they are ready, EPOLLET ones leave
 * it until the next wake-up, EPOLLONESHOT ones are disabled until
 * EPOLL_CTL_MOD. An interest disappears when the last reference to its
 * open file goes (close of the last dup), as on Linux.
 */
#ifndef CVMIFY_PROC_EPOLL_H
#define CVMIFY_PROC_EPOLL_H

#include "lib/types.h"

struct file;

#define EPOLLIN 0x001
#define EPOLLPRI 0x002
#define EPOLLOUT 0x004
#define EPOLLERR 0x008
#define EPOLLHUP 0x010
#define EPOLLRDNORM 0x040
#define EPOLLRDBAND 0x080
#define EPOLLWRNORM 0x100
#define EPOLLWRBAND 0x200
#define EPOLLMSG 0x400
#define EPOLLRDHUP 0x2000
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP (1u << 29)
#define EPOLLONESHOT (1u << 30)
#define EPOLLET (1u << 31)

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3

/* struct epoll_event: packed on x86-64. */
struct linux_epoll_event {
	u32 events;
	u64 data;
} __attribute__((packed));
_Static_assert(sizeof(struct linux_epoll_event) == 12, "epoll_event layout");

int epoll_create(u32 o_flags, struct file **out);
bool epoll_is(const struct file *file);
/* op on (target, fd); event is NULL for EPOLL_CTL_DEL. */
int epoll_ctl(struct file *ep_file, int op, int fd, struct file *target,
              const struct linux_epoll_event *event);
/* Up to max ready events into out (kernel memory), sleeping until one,
 * a signal (-EINTR) or deadline_ns (monotonic; then 0). */
long epoll_wait(struct file *ep_file, struct linux_epoll_event *out, u32 max, u64 deadline_ns);

#endif
