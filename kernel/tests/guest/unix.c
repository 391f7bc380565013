/* unix.c: AF_UNIX sockets: socketpair (stream and datagram), names in
 * /tmp and abstract names, autobind, listen/connect/accept across processes,
 * SO_PEERCRED, SCM_RIGHTS (a file and a pipe passed between two
 * processes), SCM_CREDENTIALS, EOF and EPIPE. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
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
	return check_done("unix");
}
