/* unix.c: AF_UNIX sockets: socketpair (stream and datagram), names in
 * /tmp and abstract names, autobind (bind with the family only; connect
 * and sendmsg with SO_PASSCRED), listen/connect/accept across processes,
 * SO_PEERCRED, SCM_RIGHTS (a file and a pipe passed between two
 * processes), SCM_CREDENTIALS, EOF and EPIPE; SOCK_SEQPACKET (message
 * boundaries, MSG_TRUNC, empty messages, EOF, EPIPE, files and
 * credentials, poll, the type flags, a listener across processes);
 * recvfrom's sender address and zero-length reads (seqpacket, dgram). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static void pair_stream(void)
{
	int sv[2];
	char buf[32];
	check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "pair: socketpair stream");
	check(write(sv[0], "abc", 3) == 3 && read(sv[1], buf, sizeof(buf)) == 3 &&
	      memcmp(buf, "abc", 3) == 0, "pair: one way");
	check(send(sv[1], "xy", 2, 0) == 2 && recv(sv[0], buf, sizeof(buf), 0) == 2, "pair: back");
	check(recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT) == -1 && errno == EAGAIN,
	      "pair: MSG_DONTWAIT: EAGAIN");
	close(sv[1]);
	check(read(sv[0], buf, sizeof(buf)) == 0, "pair: EOF when the peer closes");
	signal(SIGPIPE, SIG_IGN);
	check(write(sv[0], "z", 1) == -1 && errno == EPIPE, "pair: EPIPE when it is gone");
	close(sv[0]);
}

static void pair_dgram(void)
{
	int sv[2];
	char buf[8];
	check(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0, "pair: socketpair dgram");
	send(sv[0], "one", 3, 0);
	send(sv[0], "twotwo", 6, 0);
	check(recv(sv[1], buf, sizeof(buf), 0) == 3, "dgram: boundaries kept (1)");
	check(recv(sv[1], buf, 3, 0) == 3, "dgram: truncated read");
	check(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) == -1 && errno == EAGAIN,
	      "dgram: the truncated rest is dropped");
	close(sv[0]);
	close(sv[1]);
}

static socklen_t path_addr(struct sockaddr_un *a, const char *path, int abstract)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	size_t n = strlen(path);
	memcpy(a->sun_path + (abstract ? 1 : 0), path, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (abstract ? 1 : 1));
}

static void named(int abstract)
{
	const char *path = abstract ? "cvmify-unix-test" : "/tmp/unix.sock";
	const char *tag = abstract ? "abstract" : "path";
	char what[96];
	struct sockaddr_un a;
	socklen_t alen = path_addr(&a, path, abstract);
	if (!abstract)
		unlink(path);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(what, sizeof(what), "%s: bind and listen", tag);
	check(bind(l, (struct sockaddr *)&a, alen) == 0 && listen(l, 4) == 0, what);
	if (!abstract) {
		struct stat st;
		check(stat(path, &st) == 0 && S_ISSOCK(st.st_mode), "path: the name is a socket node");
		check(open(path, O_RDONLY) == -1 && errno == ENXIO, "path: open() gives ENXIO");
		int again = socket(AF_UNIX, SOCK_STREAM, 0);
		check(bind(again, (struct sockaddr *)&a, alen) == -1 && errno == EADDRINUSE,
		      "path: a second bind: EADDRINUSE");
		close(again);
	}
	pid_t pid = fork();
	if (pid == 0) {
		int c = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(c, (struct sockaddr *)&a, alen) != 0)
			_exit(1);
		char buf[8];
		if (write(c, "hi", 2) != 2 || read(c, buf, sizeof(buf)) != 3)
			_exit(2);
		_exit(0);
	}
	int s = accept(l, NULL, NULL);
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	snprintf(what, sizeof(what), "%s: accept, SO_PEERCRED is the child", tag);
	check(s >= 0 && getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0 &&
	      cred.pid == pid, what);
	struct sockaddr_un name;
	socklen_t nlen = sizeof(name);
	snprintf(what, sizeof(what), "%s: getsockname on the accepted socket", tag);
	check(getsockname(s, (struct sockaddr *)&name, &nlen) == 0 &&
	      memcmp(name.sun_path + (abstract ? 1 : 0), path, strlen(path)) == 0, what);
	char buf[8];
	snprintf(what, sizeof(what), "%s: data both ways with the child", tag);
	check(read(s, buf, sizeof(buf)) == 2 && write(s, "bye", 3) == 3, what);
	int status = -1;
	waitpid(pid, &status, 0);
	snprintf(what, sizeof(what), "%s: the child connected and exited 0", tag);
	check(status == 0, what);
	close(s);
	close(l);
	if (!abstract)
		check(unlink(path) == 0, "path: unlink the name");
}

static void dgram_named(void)
{
	struct sockaddr_un a, b, from;
	socklen_t alen = path_addr(&a, "/tmp/dg-a", 0), blen = path_addr(&b, "/tmp/dg-b", 0);
	unlink("/tmp/dg-a");
	unlink("/tmp/dg-b");
	int sa = socket(AF_UNIX, SOCK_DGRAM, 0), sb = socket(AF_UNIX, SOCK_DGRAM, 0);
	check(bind(sa, (struct sockaddr *)&a, alen) == 0 && bind(sb, (struct sockaddr *)&b, blen) == 0,
	      "dgram: two named sockets");
	check(sendto(sa, "m", 1, 0, (struct sockaddr *)&b, blen) == 1, "dgram: sendto a path");
	char buf[4];
	socklen_t flen = sizeof(from);
	check(recvfrom(sb, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen) == 1 &&
	      strcmp(from.sun_path, "/tmp/dg-a") == 0, "dgram: recvfrom names the sender");
	close(sa);
	close(sb);
}

static int send_fd(int sock, int fd)
{
	char byte = 'F';
	struct iovec iov = {&byte, 1};
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.space,
	                   .msg_controllen = sizeof(ctl.space)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char byte;
	struct iovec iov = {&byte, 1};
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.space,
	                   .msg_controllen = sizeof(ctl.space)};
	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	if (c == NULL || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static void rights(void)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		int f = open("/tmp/passed", O_CREAT | O_RDWR | O_TRUNC, 0600);
		if (write(f, "secret", 6) != 6 || lseek(f, 0, SEEK_SET) != 0)
			_exit(1);
		int p[2];
		if (pipe(p) != 0 || send_fd(sv[1], f) != 0 || send_fd(sv[1], p[1]) != 0)
			_exit(2);
		close(f);
		close(p[1]);
		char buf[8];
		_exit(read(p[0], buf, sizeof(buf)) == 4 && memcmp(buf, "pipe", 4) == 0 ? 0 : 3);
	}
	close(sv[1]);
	int f = recv_fd(sv[0]);
	char buf[8] = {0};
	check(f >= 0 && fcntl(f, F_GETFD) == FD_CLOEXEC, "rights: a file arrives (MSG_CMSG_CLOEXEC)");
	check(read(f, buf, sizeof(buf)) == 6 && memcmp(buf, "secret", 6) == 0,
	      "rights: it is the child's open file, offset and all");
	int w = recv_fd(sv[0]);
	check(w >= 0 && write(w, "pipe", 4) == 4, "rights: a pipe's write end arrives and works");
	int status = -1;
	waitpid(pid, &status, 0);
	check(status == 0, "rights: the child read what we wrote to its pipe");
	close(f);
	close(w);
	close(sv[0]);
}

static void credentials(void)
{
	int sv[2], one = 1;
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	check(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) == 0, "creds: SO_PASSCRED");
	send(sv[0], "c", 1, 0);
	char byte;
	struct iovec iov = {&byte, 1};
	char space[CMSG_SPACE(sizeof(struct ucred))];
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = space,
	                   .msg_controllen = sizeof(space)};
	struct cmsghdr *c = NULL;
	if (recvmsg(sv[1], &m, 0) == 1)
		c = CMSG_FIRSTHDR(&m);
	struct ucred cred = {0};
	if (c != NULL && c->cmsg_type == SCM_CREDENTIALS)
		memcpy(&cred, CMSG_DATA(c), sizeof(cred));
	check(cred.pid == getpid() && cred.uid == geteuid(), "creds: SCM_CREDENTIALS is ours");
	close(sv[0]);
	close(sv[1]);
}

/* bind() with the family only: Linux picks an abstract name (a NUL and
 * five hex digits) that a client can connect to. */
static void autobind(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX }, name, second;
	socklen_t family_only = sizeof(sa_family_t);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	check(bind(l, (struct sockaddr *)&a, family_only) == 0 && listen(l, 1) == 0,
	      "autobind: bind with the family only, then listen");
	memset(&name, 0, sizeof(name));
	socklen_t nlen = sizeof(name);
	check(getsockname(l, (struct sockaddr *)&name, &nlen) == 0 &&
	      nlen == offsetof(struct sockaddr_un, sun_path) + 6 && name.sun_path[0] == 0 &&
	      strspn(name.sun_path + 1, "0123456789abcdef") == 5,
	      "autobind: the name is a NUL and five hex digits");
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	check(connect(c, (struct sockaddr *)&name, nlen) == 0, "autobind: a client connects by it");
	int other = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&second, 0, sizeof(second));
	socklen_t slen = sizeof(second);
	check(bind(other, (struct sockaddr *)&a, family_only) == 0 &&
	      getsockname(other, (struct sockaddr *)&second, &slen) == 0 &&
	      memcmp(second.sun_path, name.sun_path, 6) != 0, "autobind: another socket, another name");
	struct sockaddr_un again;
	memset(&again, 0, sizeof(again));
	socklen_t alen = sizeof(again);
	check(bind(l, (struct sockaddr *)&a, family_only) == 0 &&
	      getsockname(l, (struct sockaddr *)&again, &alen) == 0 &&
	      memcmp(again.sun_path, name.sun_path, 6) == 0,
	      "autobind: on a bound socket, a no-op (as Linux)");
	close(other);
	close(c);
	close(l);
}

/* An abstract name of a NUL and five hex digits: Linux's autobind. */
static int is_autobound(int fd)
{
	struct sockaddr_un name;
	memset(&name, 0, sizeof(name));
	socklen_t nlen = sizeof(name);
	return getsockname(fd, (struct sockaddr *)&name, &nlen) == 0 &&
	       nlen == offsetof(struct sockaddr_un, sun_path) + 6 && name.sun_path[0] == 0 &&
	       strspn(name.sun_path + 1, "0123456789abcdef") == 5;
}

/* unix(7): an unbound socket with SO_PASSCRED set is autobound by
 * connect (stream, seqpacket) and by sendmsg (datagram); without the
 * option it stays nameless. */
static void passcred_autobind(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t family_only = sizeof(sa_family_t), nlen;
	int one = 1;
	int types[2] = {SOCK_STREAM, SOCK_SEQPACKET};
	for (int i = 0; i < 2; i++) {
		char what[96];
		const char *tag = types[i] == SOCK_STREAM ? "stream" : "seqpacket";
		struct sockaddr_un name, peer;
		int l = socket(AF_UNIX, types[i], 0);
		memset(&name, 0, sizeof(name));
		nlen = sizeof(name);
		bind(l, (struct sockaddr *)&a, family_only);
		listen(l, 2);
		getsockname(l, (struct sockaddr *)&name, &nlen);
		int plain = socket(AF_UNIX, types[i], 0);
		int c = socket(AF_UNIX, types[i], 0);
		setsockopt(c, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
		snprintf(what, sizeof(what), "passcred autobind: %s connect without it: no name", tag);
		struct sockaddr_un none;
		socklen_t none_len = sizeof(none);
		check(connect(plain, (struct sockaddr *)&name, nlen) == 0 &&
		      getsockname(plain, (struct sockaddr *)&none, &none_len) == 0 &&
		      none_len == sizeof(sa_family_t), what);
		snprintf(what, sizeof(what), "passcred autobind: %s connect with it: a name", tag);
		check(connect(c, (struct sockaddr *)&name, nlen) == 0 && is_autobound(c), what);
		int s1 = accept(l, NULL, NULL);
		memset(&peer, 0, sizeof(peer));
		socklen_t plen = sizeof(peer);
		int s2 = accept(l, (struct sockaddr *)&peer, &plen);
		snprintf(what, sizeof(what), "passcred autobind: %s accept sees that name", tag);
		check(s1 >= 0 && s2 >= 0 && plen == offsetof(struct sockaddr_un, sun_path) + 6 &&
		      peer.sun_path[0] == 0, what);
		close(s1);
		close(s2);
		close(c);
		close(plain);
		close(l);
	}
	struct sockaddr_un r, from;
	socklen_t rlen = path_addr(&r, "cvmify-passcred-dgram", 1);
	int rs = socket(AF_UNIX, SOCK_DGRAM, 0), ds = socket(AF_UNIX, SOCK_DGRAM, 0);
	bind(rs, (struct sockaddr *)&r, rlen);
	setsockopt(ds, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	check(!is_autobound(ds), "passcred autobind: dgram: no name before sending");
	check(sendto(ds, "d", 1, 0, (struct sockaddr *)&r, rlen) == 1 && is_autobound(ds),
	      "passcred autobind: dgram sendto with it: a name");
	char buf[4];
	memset(&from, 0, sizeof(from));
	socklen_t flen = sizeof(from);
	check(recvfrom(rs, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen) == 1 &&
	      flen == offsetof(struct sockaddr_un, sun_path) + 6 && from.sun_path[0] == 0,
	      "passcred autobind: the receiver sees the sender's name");
	close(ds);
	close(rs);
}

/* One recvmsg into a buffer of size; returns its result, *flags gets
 * msg_flags. */
static ssize_t recv_flags(int fd, char *buf, size_t size, int in, int *flags)
{
	struct iovec iov = {buf, size};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n = recvmsg(fd, &m, in);
	*flags = m.msg_flags;
	return n;
}

static void seqpacket_pair(void)
{
	int sv[2], flags = 0;
	char buf[16];
	check(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0 &&
	      (fcntl(sv[0], F_GETFL) & O_NONBLOCK) && fcntl(sv[1], F_GETFD) == FD_CLOEXEC,
	      "seqpacket: socketpair with SOCK_NONBLOCK | SOCK_CLOEXEC");
	int type = 0;
	socklen_t tlen = sizeof(type);
	check(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &tlen) == 0 && type == SOCK_SEQPACKET,
	      "seqpacket: SO_TYPE");
	struct pollfd p = {sv[1], POLLIN | POLLOUT, 0};
	check(poll(&p, 1, 0) == 1 && p.revents == POLLOUT, "seqpacket: poll: writable, not readable");
	check(recv(sv[1], buf, sizeof(buf), 0) == -1 && errno == EAGAIN, "seqpacket: empty: EAGAIN");
	check(send(sv[0], "one", 3, 0) == 3 && send(sv[0], "twotwo", 6, 0) == 6 &&
	      send(sv[0], "", 0, 0) == 0 && send(sv[0], "three", 5, 0) == 5,
	      "seqpacket: four messages, one empty");
	p.revents = 0;
	check(poll(&p, 1, 0) == 1 && p.revents == (POLLIN | POLLOUT), "seqpacket: poll: readable");
	int queued = -1;
	check(ioctl(sv[1], FIONREAD, &queued) == 0 && queued >= 3, "seqpacket: FIONREAD");
	check(recv(sv[1], buf, sizeof(buf), MSG_PEEK) == 3 && recv(sv[1], buf, sizeof(buf), 0) == 3 &&
	      memcmp(buf, "one", 3) == 0, "seqpacket: one message per read (peek, then read)");
	check(recv_flags(sv[1], buf, 3, 0, &flags) == 3 && (flags & MSG_TRUNC) &&
	      memcmp(buf, "two", 3) == 0, "seqpacket: a short read: MSG_TRUNC");
	check(recv_flags(sv[1], buf, sizeof(buf), 0, &flags) == 0 && !(flags & MSG_TRUNC),
	      "seqpacket: the rest was dropped; the empty message reads as 0");
	check(recv(sv[1], buf, 2, MSG_TRUNC) == 5 && memcmp(buf, "th", 2) == 0,
	      "seqpacket: MSG_TRUNC in: the real length");
	check(send(sv[1], "back", 4, 0) == 4 && recv(sv[0], buf, sizeof(buf), 0) == 4,
	      "seqpacket: the other way");
	check(shutdown(sv[0], SHUT_WR) == 0 && recv(sv[1], buf, sizeof(buf), 0) == 0,
	      "seqpacket: shutdown(SHUT_WR): EOF at the peer");
	check(send(sv[0], "x", 1, MSG_NOSIGNAL) == -1 && errno == EPIPE,
	      "seqpacket: a send after SHUT_WR: EPIPE");
	send(sv[1], "last", 4, 0);
	close(sv[1]);
	check(recv(sv[0], buf, sizeof(buf), 0) == 4 && recv(sv[0], buf, sizeof(buf), 0) == 0,
	      "seqpacket: queued data, then EOF after the peer closes");
	p.fd = sv[0];
	p.events = POLLIN;
	p.revents = 0;
	check(poll(&p, 1, 0) == 1 && (p.revents & POLLHUP), "seqpacket: poll: POLLHUP");
	close(sv[0]);
}

/* A full receiver: a non-blocking send gets EAGAIN; a blocked sender
 * in another process goes on once messages are read. */
static void seqpacket_full(void)
{
	int sv[2];
	char msg[1000] = {0};
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	int sent = 0;
	while (sent < 100000 && send(sv[0], msg, sizeof(msg), 0) == sizeof(msg))
		sent++;
	check(sent > 0 && sent < 100000 && errno == EAGAIN, "seqpacket: a full receiver: EAGAIN");
	struct pollfd p = {sv[0], POLLOUT, 0};
	check(poll(&p, 1, 0) == 0, "seqpacket: poll: not writable while full");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		fcntl(sv[0], F_SETFL, 0);
		_exit(send(sv[0], "last", 4, 0) == 4 ? 0 : 1);  /* blocks until we read */
	}
	char buf[sizeof(msg)];
	int got = 0;
	ssize_t n;
	while ((n = recv(sv[1], buf, sizeof(buf), 0)) == sizeof(msg))
		got++;
	check(got == sent && n == 4 && memcmp(buf, "last", 4) == 0,
	      "seqpacket: a blocked sender goes on once we read, in order");
	int status = -1;
	waitpid(pid, &status, 0);
	check(status == 0, "seqpacket: the blocked sender's send succeeded");
	close(sv[0]);
	close(sv[1]);
}

/* SCM_RIGHTS and SCM_CREDENTIALS travel with their message. */
static void seqpacket_ancillary(void)
{
	int sv[2], one = 1, pipefd[2];
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	check(pipe(pipefd) == 0 && send_fd(sv[0], pipefd[1]) == 0, "seqpacket: send a file");
	send(sv[0], "after", 5, 0);
	char byte;
	struct iovec iov = {&byte, 1};
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.space,
	                   .msg_controllen = sizeof(ctl.space)};
	int fd = -1;
	struct ucred cred = {0};
	if (recvmsg(sv[1], &m, 0) == 1) {
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
			if (c->cmsg_type == SCM_RIGHTS)
				memcpy(&fd, CMSG_DATA(c), sizeof(int));
			if (c->cmsg_type == SCM_CREDENTIALS)
				memcpy(&cred, CMSG_DATA(c), sizeof(cred));
		}
	}
	char buf[8];
	check(fd >= 0 && write(fd, "p", 1) == 1 && read(pipefd[0], buf, 1) == 1,
	      "seqpacket: SCM_RIGHTS: the pipe arrives and works");
	check(cred.pid == getpid() && cred.uid == geteuid(), "seqpacket: SCM_CREDENTIALS");
	check(recv(sv[1], buf, sizeof(buf), 0) == 5, "seqpacket: the next message after it");
	close(fd);
	close(pipefd[0]);
	close(pipefd[1]);
	close(sv[0]);
	close(sv[1]);
}

/* A named listener, a client in another process, epoll readiness. */
static void seqpacket_named(void)
{
	struct sockaddr_un a;
	socklen_t alen = path_addr(&a, "/tmp/seqpacket.sock", 0);
	unlink("/tmp/seqpacket.sock");
	int l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	check(l >= 0 && bind(l, (struct sockaddr *)&a, alen) == 0 && listen(l, 4) == 0,
	      "seqpacket: bind and listen on a path");
	int st = socket(AF_UNIX, SOCK_STREAM, 0);
	check(connect(st, (struct sockaddr *)&a, alen) == -1 && errno == EPROTOTYPE,
	      "seqpacket: a stream socket may not connect to it (EPROTOTYPE)");
	close(st);
	pid_t pid = fork();
	if (pid == 0) {
		int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		if (connect(c, (struct sockaddr *)&a, alen) != 0)
			_exit(1);
		char big[100000];
		memset(big, 'b', sizeof(big));
		if (send(c, "hello", 5, 0) != 5 || send(c, big, sizeof(big), 0) != sizeof(big))
			_exit(2);
		char buf[8];
		if (recv(c, buf, sizeof(buf), 0) != 3 || memcmp(buf, "bye", 3) != 0)
			_exit(3);
		_exit(0);
	}
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = l}, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
	check(epoll_wait(ep, &out, 1, 10000) == 1 && out.data.fd == l,
	      "seqpacket: epoll: the listener gets ready");
	int s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
	int type = 0;
	socklen_t tlen = sizeof(type);
	check(s >= 0 && getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0 &&
	      type == SOCK_SEQPACKET && (fcntl(s, F_GETFL) & O_NONBLOCK),
	      "seqpacket: accept4 gives a non-blocking seqpacket socket");
	ev.data.fd = s;
	epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
	static char buf[120000];
	check(epoll_wait(ep, &out, 1, 10000) == 1 && out.data.fd == s &&
	      recv(s, buf, sizeof(buf), 0) == 5, "seqpacket: epoll: a message, read whole");
	struct pollfd p = {s, POLLIN, 0};
	check(poll(&p, 1, 10000) == 1 && recv(s, buf, sizeof(buf), 0) == 100000 &&
	      buf[99999] == 'b', "seqpacket: 100,000 bytes in one message");
	check(send(s, "bye", 3, 0) == 3, "seqpacket: the answer");
	int status = -1;
	waitpid(pid, &status, 0);
	check(status == 0, "seqpacket: the child connected, sent and read");
	close(s);
	close(ep);
	close(l);
	unlink("/tmp/seqpacket.sock");
}

/* recvfrom's address: a bound sender's name (an accepted socket has its
 * listener's), none (length 0) for an unbound one. */
static int from_is(int s, const char *path)
{
	struct sockaddr_un from;
	memset(&from, 0x55, sizeof(from));
	socklen_t flen = sizeof(from);
	char buf[8];
	if (recvfrom(s, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &flen) != 1)
		return 0;
	if (path == NULL)
		return flen == 0;
	return flen == offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1 &&
	       strcmp(from.sun_path, path) == 0;
}

/* A zero-length read takes the message (Linux drops what does not fit,
 * all of it here) and returns 0. */
static int zero_read_takes(int s)
{
	char buf[8];
	return recv(s, buf, 0, MSG_DONTWAIT) == 0 && recv(s, buf, sizeof(buf), MSG_DONTWAIT) == -1 &&
	       errno == EAGAIN;
}

static void message_addresses(int type, const char *what)
{
	struct sockaddr_un sa, ca;
	socklen_t slen = path_addr(&sa, "/tmp/addr-s", 0), clen = path_addr(&ca, "/tmp/addr-c", 0);
	unlink("/tmp/addr-s");
	unlink("/tmp/addr-c");
	int s = socket(AF_UNIX, type, 0), c = socket(AF_UNIX, type, 0), u = socket(AF_UNIX, type, 0);
	bind(s, (struct sockaddr *)&sa, slen);
	bind(c, (struct sockaddr *)&ca, clen);
	int a = s, au = s;
	if (type == SOCK_SEQPACKET) {
		listen(s, 2);
		connect(c, (struct sockaddr *)&sa, slen);
		a = accept(s, NULL, NULL);
		connect(u, (struct sockaddr *)&sa, slen);
		au = accept(s, NULL, NULL);
	} else {
		connect(c, (struct sockaddr *)&sa, slen);
		connect(u, (struct sockaddr *)&sa, slen);
	}
	char line[128];
	send(c, "b", 1, 0);
	snprintf(line, sizeof(line), "%s: recvfrom names a bound sender", what);
	check(from_is(a, "/tmp/addr-c"), line);
	send(u, "u", 1, 0);
	snprintf(line, sizeof(line), "%s: an unbound sender: address length 0", what);
	check(from_is(au, NULL), line);
	if (type == SOCK_SEQPACKET) {
		send(a, "r", 1, 0);
		check(from_is(c, "/tmp/addr-s"), "seqpacket: an accepted socket sends as its listener's name");
	}
	send(c, "z", 1, 0);
	snprintf(line, sizeof(line), "%s: a zero-length read returns 0 and takes the message", what);
	check(zero_read_takes(a), line);
	close(u);
	close(c);
	if (a != s)
		close(a);
	if (au != s)
		close(au);
	close(s);
	unlink("/tmp/addr-s");
	unlink("/tmp/addr-c");
}

int main(void)
{
	pair_stream();
	pair_dgram();
	named(0);
	named(1);
	autobind();
	dgram_named();
	rights();
	credentials();
	passcred_autobind();
	seqpacket_pair();
	seqpacket_full();
	seqpacket_ancillary();
	seqpacket_named();
	message_addresses(SOCK_SEQPACKET, "seqpacket");
	message_addresses(SOCK_DGRAM, "dgram");
	return check_done("unix");
}
