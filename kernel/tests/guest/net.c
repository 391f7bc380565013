/* net.c: AF_INET and AF_INET6 sockets over loopback: TCP (blocking and
 * not, shutdown, resets, options, dual stack), UDP (datagrams, peek,
 * truncation, connect, mmsg), readiness, FIONREAD and sendfile. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define BIG (300 * 1024)

static int listener4(struct sockaddr_in *addr)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(*addr);
	if (bind(s, (struct sockaddr *)addr, sizeof(*addr)) != 0 || listen(s, 8) != 0 ||
	    getsockname(s, (struct sockaddr *)addr, &len) != 0)
		return -1;
	return s;
}

static int connect4(const struct sockaddr_in *addr)
{
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (const struct sockaddr *)addr, sizeof(*addr)) != 0)
		return -1;
	return c;
}

static void tcp_basics(void)
{
	struct sockaddr_in addr;
	int l = listener4(&addr);
	check(l >= 0 && addr.sin_port != 0, "tcp: bind 127.0.0.1:0, listen, getsockname");
	int c = connect4(&addr);
	check(c >= 0, "tcp: connect");
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	int a = accept(l, (struct sockaddr *)&peer, &plen);
	check(a >= 0 && plen == sizeof(peer) && peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
	      "tcp: accept gives the peer address");
	struct sockaddr_in cname;
	socklen_t clen = sizeof(cname);
	check(getsockname(c, (struct sockaddr *)&cname, &clen) == 0 &&
	      cname.sin_port == peer.sin_port, "tcp: client name = accepted peer");
	check(getpeername(c, (struct sockaddr *)&cname, &clen) == 0 &&
	      cname.sin_port == addr.sin_port, "tcp: getpeername");

	check(send(c, "hello", 5, 0) == 5, "tcp: send");
	char buf[64] = {0};
	int avail = -1;
	struct pollfd pfd = {a, POLLIN, 0};
	check(poll(&pfd, 1, 5000) == 1 && (pfd.revents & POLLIN), "tcp: poll POLLIN");
	check(ioctl(a, FIONREAD, &avail) == 0 && avail == 5, "tcp: FIONREAD");
	check(recv(a, buf, sizeof(buf), MSG_PEEK) == 5 && memcmp(buf, "hello", 5) == 0,
	      "tcp: MSG_PEEK");
	check(read(a, buf, 2) == 2 && memcmp(buf, "he", 2) == 0, "tcp: read part");
	check(recv(a, buf, sizeof(buf), 0) == 3 && memcmp(buf, "llo", 3) == 0, "tcp: recv rest");
	check(recv(a, buf, sizeof(buf), MSG_DONTWAIT) == -1 && errno == EAGAIN,
	      "tcp: MSG_DONTWAIT on empty gives EAGAIN");

	check(shutdown(c, SHUT_WR) == 0, "tcp: shutdown SHUT_WR");
	check(recv(a, buf, sizeof(buf), 0) == 0, "tcp: EOF after peer shutdown");
	check(write(a, "back", 4) == 4, "tcp: half-closed peer still writes");
	check(read(c, buf, sizeof(buf)) == 4, "tcp: and the other side reads");
	close(a);
	check(read(c, buf, sizeof(buf)) == 0, "tcp: EOF after close");
	close(c);
	close(l);
}

static void tcp_bulk(void)
{
	struct sockaddr_in addr;
	int l = listener4(&addr);
	pid_t pid = fork();
	if (pid == 0) {
		int c = connect4(&addr);
		char *data = malloc(BIG);
		for (int i = 0; i < BIG; i++)
			data[i] = (char)(i * 31);
		size_t off = 0;
		while (off < BIG) {
			ssize_t n = write(c, data + off, BIG - off);
			if (n <= 0)
				_exit(1);
			off += (size_t)n;
		}
		close(c);
		_exit(0);
	}
	int a = accept(l, NULL, NULL);
	char *got = malloc(BIG + 1);
	size_t off = 0;
	ssize_t n;
	while ((n = read(a, got + off, BIG + 1 - off)) > 0)
		off += (size_t)n;
	int same = off == BIG;
	for (int i = 0; same && i < BIG; i++)
		same = got[i] == (char)(i * 31);
	check(same, "tcp: 300 KB from a child arrive intact, then EOF");
	int status = -1;
	check(waitpid(pid, &status, 0) == pid && status == 0, "tcp: the sender exits 0");
	close(a);
	close(l);
	free(got);
}

static void tcp_errors(void)
{
	struct sockaddr_in addr;
	int l = listener4(&addr);
	close(l);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	check(connect(c, (struct sockaddr *)&addr, sizeof(addr)) == -1 && errno == ECONNREFUSED,
	      "tcp: connect to a closed port: ECONNREFUSED");
	close(c);

	l = listener4(&addr);
	int fl = fcntl(l, F_GETFL);
	fcntl(l, F_SETFL, fl | O_NONBLOCK);
	check(accept(l, NULL, NULL) == -1 && errno == EAGAIN, "tcp: non-blocking accept: EAGAIN");
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int r = connect(c, (struct sockaddr *)&addr, sizeof(addr));
	check(r == 0 || errno == EINPROGRESS, "tcp: non-blocking connect: EINPROGRESS");
	struct pollfd pfd = {c, POLLOUT, 0};
	int err = -1;
	socklen_t elen = sizeof(err);
	check(poll(&pfd, 1, 5000) == 1 && (pfd.revents & POLLOUT) &&
	      getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 && err == 0,
	      "tcp: POLLOUT then SO_ERROR 0");
	pfd.fd = l;
	pfd.events = POLLIN;
	check(poll(&pfd, 1, 5000) == 1, "tcp: listener polls readable");
	int a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	check(a >= 0 && fcntl(a, F_GETFD) == FD_CLOEXEC, "tcp: accept4 SOCK_CLOEXEC");
	close(a);
	usleep(100000);
	char buf[8];
	ssize_t n = -2;
	for (int i = 0; i < 50 && n == -2; i++) {
		n = recv(c, buf, sizeof(buf), 0);
		if (n < 0 && errno == EAGAIN) {
			n = -2;
			usleep(20000);
		}
	}
	check(n == 0, "tcp: peer closed: EOF");
	signal(SIGPIPE, SIG_IGN);
	ssize_t w = 0;
	for (int i = 0; i < 100 && w >= 0; i++) {
		w = send(c, "x", 1, MSG_NOSIGNAL);
		usleep(10000);
	}
	check(w == -1 && (errno == EPIPE || errno == ECONNRESET), "tcp: send to a closed peer fails");
	close(c);
	close(l);
}

static void tcp_options(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1, v = 0;
	socklen_t len = sizeof(v);
	check(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0 &&
	      getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0 && v == 1, "opt: TCP_NODELAY");
	check(setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) == 0, "opt: SO_KEEPALIVE");
	int idle = 60;
	check(setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) == 0, "opt: TCP_KEEPIDLE");
	int size = 65536;
	len = sizeof(v);
	check(setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) == 0 &&
	      getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0 && v >= size, "opt: SO_RCVBUF");
	len = sizeof(v);
	check(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len) == 0 && v == SOCK_STREAM, "opt: SO_TYPE");
	struct linger lg = {1, 0};
	check(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0, "opt: SO_LINGER");
	struct timeval tv = {0, 200000};
	check(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0, "opt: SO_RCVTIMEO");
	check(setsockopt(s, 12345, 1, &one, sizeof(one)) == -1, "opt: unknown level refused");
	close(s);
}

static void tcp_dual_stack(void)
{
	int l = socket(AF_INET6, SOCK_STREAM, 0);
	int zero = 0, one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	check(setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) == 0, "v6: V6ONLY 0");
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = in6addr_any};
	socklen_t len = sizeof(a6);
	check(bind(l, (struct sockaddr *)&a6, sizeof(a6)) == 0 && listen(l, 4) == 0 &&
	      getsockname(l, (struct sockaddr *)&a6, &len) == 0, "v6: listen on [::]:0");
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = a6.sin6_port,
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int c4 = connect4(&a4);
	struct sockaddr_in6 peer;
	len = sizeof(peer);
	int a = accept(l, (struct sockaddr *)&peer, &len);
	check(c4 >= 0 && a >= 0 && IN6_IS_ADDR_V4MAPPED(&peer.sin6_addr),
	      "v6: an IPv4 client appears as ::ffff:127.0.0.1");
	close(a);
	close(c4);
	int c6 = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 lo = {.sin6_family = AF_INET6, .sin6_port = a6.sin6_port,
	                          .sin6_addr = in6addr_loopback};
	check(connect(c6, (struct sockaddr *)&lo, sizeof(lo)) == 0, "v6: connect to [::1]");
	a = accept(l, (struct sockaddr *)&peer, &len);
	check(a >= 0 && IN6_IS_ADDR_LOOPBACK(&peer.sin6_addr), "v6: peer is ::1");
	check(write(c6, "6", 1) == 1 && read(a, &one, 1) == 1, "v6: data over ::1");
	close(a);
	close(c6);
	close(l);
}

static int udp4(struct sockaddr_in *addr)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(*addr);
	bind(s, (struct sockaddr *)addr, sizeof(*addr));
	getsockname(s, (struct sockaddr *)addr, &len);
	return s;
}

static void udp(void)
{
	struct sockaddr_in aa, ba, from;
	int a = udp4(&aa), b = udp4(&ba);
	check(a >= 0 && b >= 0 && aa.sin_port != ba.sin_port, "udp: two bound sockets");
	check(sendto(a, "ping", 4, 0, (struct sockaddr *)&ba, sizeof(ba)) == 4, "udp: sendto");
	char buf[16];
	int avail = -1;
	struct pollfd pfd = {b, POLLIN, 0};
	check(poll(&pfd, 1, 5000) == 1 && ioctl(b, FIONREAD, &avail) == 0 && avail == 4,
	      "udp: poll + FIONREAD");
	check(recv(b, buf, 2, MSG_PEEK | MSG_TRUNC) == 4, "udp: MSG_PEEK|MSG_TRUNC gives full size");
	socklen_t flen = sizeof(from);
	check(recvfrom(b, buf, 2, 0, (struct sockaddr *)&from, &flen) == 2 &&
	      from.sin_port == aa.sin_port, "udp: truncated datagram, source address");
	check(recv(b, buf, sizeof(buf), MSG_DONTWAIT) == -1 && errno == EAGAIN,
	      "udp: the rest of a datagram is gone");
	check(connect(a, (struct sockaddr *)&ba, sizeof(ba)) == 0 && send(a, "pong", 4, 0) == 4 &&
	      recv(b, buf, sizeof(buf), 0) == 4, "udp: connect + send");
	struct msghdr m = {0};
	struct iovec iov = {buf, sizeof(buf)};
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	char big[3000];
	memset(big, 'u', sizeof(big));
	check(send(a, big, sizeof(big), 0) == sizeof(big), "udp: 3000-byte datagram");
	check(recvmsg(b, &m, 0) == sizeof(buf) && (m.msg_flags & MSG_TRUNC),
	      "udp: recvmsg reports MSG_TRUNC");
	struct mmsghdr mm[3];
	struct iovec iovs[3];
	char bufs[3][8];
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < 3; i++) {
		iovs[i].iov_base = bufs[i];
		iovs[i].iov_len = sizeof(bufs[i]);
		mm[i].msg_hdr.msg_iov = &iovs[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	check(sendmmsg(a, mm, 3, 0) == 3, "udp: sendmmsg 3");
	usleep(50000);
	check(recvmmsg(b, mm, 3, MSG_DONTWAIT, NULL) == 3 && mm[2].msg_len == 8,
	      "udp: recvmmsg 3");
	close(a);
	close(b);
}

static void files_and_sendfile(void)
{
	int f = open("/tmp/sf", O_CREAT | O_RDWR | O_TRUNC, 0644);
	char data[10000];
	for (int i = 0; i < (int)sizeof(data); i++)
		data[i] = (char)i;
	write(f, data, sizeof(data));
	int g = open("/tmp/sf2", O_CREAT | O_RDWR | O_TRUNC, 0644);
	off_t off = 100;
	check(sendfile(g, f, &off, 5000) == 5000 && off == 5100, "sendfile: file to file");
	char back[5000];
	check(pread(g, back, sizeof(back), 0) == 5000 && memcmp(back, data + 100, 5000) == 0,
	      "sendfile: bytes landed");
	struct sockaddr_in addr;
	int l = listener4(&addr);
	int c = connect4(&addr);
	int a = accept(l, NULL, NULL);
	lseek(f, 0, SEEK_SET);
	check(sendfile(a, f, NULL, sizeof(data)) == (ssize_t)sizeof(data) &&
	      lseek(f, 0, SEEK_CUR) == (off_t)sizeof(data), "sendfile: file to socket");
	size_t got = 0;
	char in[10000];
	while (got < sizeof(in)) {
		ssize_t n = read(c, in + got, sizeof(in) - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	check(got == sizeof(data) && memcmp(in, data, sizeof(data)) == 0, "sendfile: the socket got it");
	struct stat st;
	check(fstat(a, &st) == 0 && S_ISSOCK(st.st_mode), "fstat: S_IFSOCK");
	close(a);
	close(c);
	close(l);
	close(f);
	close(g);
}

/* Bad arguments get Linux's errors, never a crash. */
static void abuse(void)
{
	signal(SIGPIPE, SIG_IGN);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	char big[200] = {0};
	check(bind(s, (struct sockaddr *)big, sizeof(big)) == -1 && errno == EINVAL,
	      "abuse: a 200-byte address: EINVAL");
	check(bind(s, (struct sockaddr *)&a, 4) == -1 && errno == EINVAL,
	      "abuse: a short address: EINVAL");
	check(connect(s, (struct sockaddr *)8, sizeof(a)) == -1 && errno == EFAULT,
	      "abuse: an address at a bad pointer: EFAULT");
	struct msghdr m = {0};
	struct iovec iov = {big, 1};
	m.msg_iov = &iov;
	m.msg_iovlen = 5000;
	check(sendmsg(s, &m, 0) == -1 && errno == EMSGSIZE, "abuse: 5000 iovecs: EMSGSIZE");
	int v = 0;
	socklen_t bad = (socklen_t)-1;
	check(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &bad) == -1 && errno == EINVAL,
	      "abuse: negative optlen: EINVAL");
	check(send(0, "x", 1, 0) == -1 && errno == ENOTSOCK, "abuse: send on a non-socket: ENOTSOCK");
	check(socket(AF_INET, 99, 0) == -1, "abuse: an unknown socket type");
	check(socket(12345, SOCK_STREAM, 0) == -1 && errno == EAFNOSUPPORT,
	      "abuse: an unknown family: EAFNOSUPPORT");
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	check(listen(u, 1) == -1 && errno == EOPNOTSUPP, "abuse: listen on UDP: EOPNOTSUPP");
	check(send(s, "x", 1, 0) == -1 && (errno == ENOTCONN || errno == EPIPE),
	      "abuse: send on an unconnected TCP socket");
	check(recv(u, big, sizeof(big), MSG_DONTWAIT) == -1 && errno == EAGAIN,
	      "abuse: recv on an empty UDP socket: EAGAIN");
	check(shutdown(s, 7) == -1 && errno == EINVAL, "abuse: shutdown how=7: EINVAL");
	close(u);
	close(s);
}

int main(void)
{
	abuse();
	tcp_basics();
	tcp_bulk();
	tcp_errors();
	tcp_options();
	tcp_dual_stack();
	udp();
	files_and_sendfile();
	return check_done("net");
}
