/*
 * socket_user.h: helpers the socket syscall files share (socket.c):
 * fd to socket, and socket addresses to and from user memory.
 */
#ifndef CVMIFY_SYSCALLS_SOCKET_USER_H
#define CVMIFY_SYSCALLS_SOCKET_USER_H

#include "net/socket.h"

/* The socket open at fd (borrowed): -EBADF, -ENOTSOCK. */
int sock_of_fd(int fd, struct socket **out);
/* len bytes of address at uaddr (len <= 128, else -EINVAL). */
int sockaddr_copyin(u64 uaddr, u64 len, struct sockaddr_any *out);
/* Linux's value-result address: copy at most *ulen bytes to uaddr and
 * store the real length in *ulen. Nothing when uaddr is 0. */
int sockaddr_copyout(const struct sockaddr_any *sa, u64 uaddr, u64 ulen);
/* A file and an fd for s (SOCK_NONBLOCK, SOCK_CLOEXEC in flags). */
int sock_install(struct socket *s, int flags);

#endif
