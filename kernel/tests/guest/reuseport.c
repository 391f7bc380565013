/* reuseport.c: SO_REUSEPORT over loopback. TCP: listeners on one port in
 * two processes and in two threads, connections reaching both, one
 * closing while the other keeps serving, connections queued on a closed
 * listener reset, EADDRINUSE without the option. UDP: two sockets on one
 * port, datagrams spread by source, one source staying on one socket.
 * Both: SO_REUSEADDR and SO_REUSEPORT mixed on one port. Passes on Linux and on cvmify. */
#define _GNU_SOURCE
#include "check.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>

#define CONNECTS 24
#define QUEUED 16   /* within both listeners' backlogs */

static struct sockaddr_in loopback(unsigned short port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* A socket bound to 127.0.0.1:port (0: any free one) with SO_REUSEPORT
 * if asked; -1 when bind fails (errno kept). */
static int bound(int type, unsigned short port, int reuseport)
{
	int fd = socket(AF_INET, type, 0);
	int one = 1;
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	struct sockaddr_in a = loopback(port);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static unsigned short port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &len);
	return ntohs(a.sin_port);
}

static int listener(unsigned short port)
{
	int fd = bound(SOCK_STREAM, port, 1);
	if (fd >= 0 && listen(fd, 16) != 0)
		return -1;
	return fd;
}

/* Connect, read the one byte the server answers: its name, or 0. */
static char ask(unsigned short port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = loopback(port);
	char c = 0;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c;
}

static void serve_forever(int lfd, char name)
{
	for (;;) {
		int c = accept(lfd, NULL, NULL);
		if (c < 0)
			_exit(1);
		if (write(c, &name, 1) != 1)
			_exit(2);
		close(c);
	}
}

/* Ask n times; count the answers from a and b. */
static void tally(unsigned short port, int n, char a, char b, int *na, int *nb, int *other)
{
	*na = *nb = *other = 0;
	for (int i = 0; i < n; i++) {
		char c = ask(port);
		if (c == a)
			(*na)++;
		else if (c == b)
			(*nb)++;
		else
			(*other)++;
	}
}

static void tcp_processes(void)
{
	int la = listener(0);
	check(la >= 0, "tcp: first SO_REUSEPORT listener");
	unsigned short port = port_of(la);
	pid_t pa = fork();
	if (pa == 0)
		serve_forever(la, 'A');
	close(la);
	int lb = listener(port);
	check(lb >= 0, "tcp: a second process binds and listens on the same port");
	pid_t pb = fork();
	if (pb == 0)
		serve_forever(lb, 'B');
	close(lb);

	int na, nb, other;
	tally(port, CONNECTS, 'A', 'B', &na, &nb, &other);
	printf("  processes: A %d, B %d, failed %d\n", na, nb, other);
	check(na > 0 && nb > 0 && other == 0, "tcp: connections reach both processes' listeners");

	kill(pa, SIGKILL);
	waitpid(pa, NULL, 0);
	tally(port, 8, 'A', 'B', &na, &nb, &other);
	check(nb == 8, "tcp: the other listener keeps serving after one closes");
	kill(pb, SIGKILL);
	waitpid(pb, NULL, 0);
	errno = 0;
	check(ask(port) == 0, "tcp: nobody answers once both are gone");
}

struct server {
	int fd;
	char name;
	atomic_int stop;
	pthread_t thread;
};

/* Polls with a short timeout so that the main thread can stop it. */
static void *serve_until_stopped(void *arg)
{
	struct server *sv = arg;
	while (!atomic_load(&sv->stop)) {
		struct pollfd p = {.fd = sv->fd, .events = POLLIN};
		if (poll(&p, 1, 20) != 1)
			continue;
		int c = accept(sv->fd, NULL, NULL);
		if (c < 0)
			continue;
		if (write(c, &sv->name, 1) != 1)
			break;
		close(c);
	}
	close(sv->fd);
	return NULL;
}

static void tcp_threads(void)
{
	static struct server a = {.name = 'a'}, b = {.name = 'b'};
	a.fd = listener(0);
	unsigned short port = port_of(a.fd);
	b.fd = listener(port);
	check(a.fd >= 0 && b.fd >= 0, "tcp: two listeners on one port in one process");
	pthread_create(&a.thread, NULL, serve_until_stopped, &a);
	pthread_create(&b.thread, NULL, serve_until_stopped, &b);
	int na, nb, other;
	tally(port, CONNECTS, 'a', 'b', &na, &nb, &other);
	printf("  threads: a %d, b %d, failed %d\n", na, nb, other);
	check(na > 0 && nb > 0 && other == 0, "tcp: connections reach both threads' listeners");
	atomic_store(&a.stop, 1);
	pthread_join(a.thread, NULL);
	tally(port, 8, 'a', 'b', &na, &nb, &other);
	check(nb == 8, "tcp: the other thread keeps serving after one listener closes");
	atomic_store(&b.stop, 1);
	pthread_join(b.thread, NULL);
}

/* Connections waiting in a listener's queue when it closes are reset;
 * the rest stay with the other listener. */
static void tcp_queued_reset(void)
{
	int l1 = listener(0);
	unsigned short port = port_of(l1);
	int l2 = listener(port);
	int clients[QUEUED];
	for (int i = 0; i < QUEUED; i++) {
		clients[i] = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = loopback(port);
		connect(clients[i], (struct sockaddr *)&a, sizeof(a));
	}
	close(l1);
	fcntl(l2, F_SETFL, O_NONBLOCK);
	int accepted = 0, reset = 0;
	for (int c; (c = accept(l2, NULL, NULL)) >= 0; accepted++)
		close(c);
	for (int i = 0; i < QUEUED; i++) {
		struct pollfd p = {.fd = clients[i], .events = POLLIN};
		char byte;
		if (poll(&p, 1, 500) == 1 && read(clients[i], &byte, 1) < 0 && errno == ECONNRESET)
			reset++;
		close(clients[i]);
	}
	close(l2);
	printf("  queued: accepted %d, reset %d\n", accepted, reset);
	check(accepted > 0 && reset > 0 && accepted + reset == QUEUED,
	      "tcp: connections queued on a closed listener are reset, the others accepted");
}

static void tcp_refusals(void)
{
	int la = listener(0);
	unsigned short port = port_of(la);
	int plain = bound(SOCK_STREAM, port, 0);
	check(plain < 0 && errno == EADDRINUSE, "tcp: without SO_REUSEPORT the port is in use");
	close(la);

	int first = bound(SOCK_STREAM, 0, 0);
	listen(first, 4);
	int late = bound(SOCK_STREAM, port_of(first), 1);
	check(late < 0 && errno == EADDRINUSE,
	      "tcp: SO_REUSEPORT does not join a listener that did not set it");
	close(first);
}

/* A client that sets the option and binds before connecting, as some
 * libraries do, still connects. */
static void tcp_client(void)
{
	int l = listener(0);
	int c = bound(SOCK_STREAM, 0, 1);
	struct sockaddr_in a = loopback(port_of(l));
	check(c >= 0 && connect(c, (struct sockaddr *)&a, sizeof(a)) == 0,
	      "tcp: a SO_REUSEPORT client bound to port 0 connects");
	int s = accept(l, NULL, NULL);
	check(s >= 0 && write(c, "k", 1) == 1 && read(s, &a, 1) == 1, "tcp: and talks");
	close(s);
	close(c);
	close(l);
}

/* Another effective uid may not join a group (root only; else skipped). */
static int other_uid_refused(void)
{
	int l = listener(0);
	STEP(1, l >= 0);
	unsigned short port = port_of(l);
	STEP(2, setresuid(4321, 4321, 4321) == 0);
	int other = bound(SOCK_STREAM, port, 1);
	STEP(3, other < 0 && errno == EADDRINUSE);
	return 0;
}

/* AF_INET6 wildcard listeners (dual stack) form a group too; clients
 * over ::1 and 127.0.0.1 land on both. */
static void tcp6_group(void)
{
	int one = 1, l[2];
	unsigned short port = 0;
	for (int i = 0; i < 2; i++) {
		l[i] = socket(AF_INET6, SOCK_STREAM, 0);
		setsockopt(l[i], SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
		struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port),
		                         .sin6_addr = in6addr_any};
		if (bind(l[i], (struct sockaddr *)&a, sizeof(a)) != 0 || listen(l[i], 16) != 0)
			break;
		struct sockaddr_in6 got;
		socklen_t len = sizeof(got);
		getsockname(l[i], (struct sockaddr *)&got, &len);
		port = ntohs(got.sin6_port);
		fcntl(l[i], F_SETFL, O_NONBLOCK);
	}
	int clients[16], n = 0;
	for (int i = 0; i < 16; i++) {
		clients[i] = socket(i % 2 ? AF_INET : AF_INET6, SOCK_STREAM, 0);
		struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(port),
		                          .sin6_addr = in6addr_loopback};
		struct sockaddr_in a4 = loopback(port);
		if (i % 2 ? connect(clients[i], (struct sockaddr *)&a4, sizeof(a4)) == 0
		          : connect(clients[i], (struct sockaddr *)&a6, sizeof(a6)) == 0)
			n++;
	}
	int got[2] = {0, 0};
	for (int i = 0; i < 2; i++) {
		struct pollfd p = {.fd = l[i], .events = POLLIN};
		while (got[0] + got[1] < n && poll(&p, 1, 200) == 1) {
			int c = accept(l[i], NULL, NULL);
			if (c < 0)
				break;
			got[i]++;
			close(c);
		}
	}
	printf("  tcp6: connected %d, first %d, second %d\n", n, got[0], got[1]);
	check(n == 16 && got[0] > 0 && got[1] > 0 && got[0] + got[1] == 16,
	      "tcp6: dual-stack listeners on [::] share a port");
	for (int i = 0; i < 16; i++)
		close(clients[i]);
	close(l[0]);
	close(l[1]);
}

/* Datagrams from n sources, one each: counts per receiver. */
static void udp_spread(void)
{
	int u1 = bound(SOCK_DGRAM, 0, 1);
	unsigned short port = port_of(u1);
	int u2 = bound(SOCK_DGRAM, port, 1);
	check(u1 >= 0 && u2 >= 0, "udp: two SO_REUSEPORT sockets bind one port");
	int plain = bound(SOCK_DGRAM, port, 0);
	check(plain < 0 && errno == EADDRINUSE, "udp: without SO_REUSEPORT the port is in use");

	struct sockaddr_in to = loopback(port);
	for (int i = 0; i < CONNECTS; i++) {
		int c = socket(AF_INET, SOCK_DGRAM, 0);
		sendto(c, "x", 1, 0, (struct sockaddr *)&to, sizeof(to));
		close(c);
	}
	int n1 = 0, n2 = 0;
	struct pollfd p[2] = {{.fd = u1, .events = POLLIN}, {.fd = u2, .events = POLLIN}};
	char buf[8];
	while (n1 + n2 < CONNECTS && poll(p, 2, 1000) > 0) {
		if ((p[0].revents & POLLIN) && recv(u1, buf, sizeof(buf), 0) == 1)
			n1++;
		if ((p[1].revents & POLLIN) && recv(u2, buf, sizeof(buf), 0) == 1)
			n2++;
	}
	printf("  udp: first %d, second %d\n", n1, n2);
	check(n1 > 0 && n2 > 0 && n1 + n2 == CONNECTS, "udp: datagrams from many sources reach both");

	int c = socket(AF_INET, SOCK_DGRAM, 0);
	for (int i = 0; i < 6; i++)
		sendto(c, "y", 1, 0, (struct sockaddr *)&to, sizeof(to));
	n1 = n2 = 0;
	while (n1 + n2 < 6 && poll(p, 2, 1000) > 0) {
		if ((p[0].revents & POLLIN) && recv(u1, buf, sizeof(buf), 0) == 1)
			n1++;
		if ((p[1].revents & POLLIN) && recv(u2, buf, sizeof(buf), 0) == 1)
			n2++;
	}
	check((n1 == 6 && n2 == 0) || (n1 == 0 && n2 == 6), "udp: one source stays on one socket");
	close(c);
	close(u1);

	int d = socket(AF_INET, SOCK_DGRAM, 0);
	sendto(d, "z", 1, 0, (struct sockaddr *)&to, sizeof(to));
	p[1].revents = 0;
	check(poll(&p[1], 1, 1000) == 1 && recv(u2, buf, sizeof(buf), 0) == 1,
	      "udp: the remaining socket gets everything after the other closes");
	close(d);
	close(u2);
}

/* A socket of type on 127.0.0.1:port with SO_REUSEADDR (opts bit 0)
 * and SO_REUSEPORT (bit 1); -1 when bind fails (errno kept). */
static int bound_with(int type, unsigned short port, int opts)
{
	int fd = socket(AF_INET, type, 0), one = 1;
	if (opts & 1)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (opts & 2)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	struct sockaddr_in a = loopback(port);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Linux: two sockets share a port when both set SO_REUSEADDR, or both
 * set SO_REUSEPORT (same uid); one with only SO_REUSEADDR and one with
 * only SO_REUSEPORT do not, in either order. */
static void mixed_options(int type, const char *tag)
{
	char what[112];
	int ra = bound_with(type, 0, 1);
	unsigned short port = port_of(ra);
	int rp = bound_with(type, port, 2);
	snprintf(what, sizeof(what), "%s: SO_REUSEPORT alone next to SO_REUSEADDR alone: EADDRINUSE",
	         tag);
	check(ra >= 0 && rp < 0 && errno == EADDRINUSE, what);
	int both = bound_with(type, port, 3);
	snprintf(what, sizeof(what), "%s: both options next to SO_REUSEADDR alone: shared", tag);
	check(both >= 0, what);
	close(both);
	close(ra);
	rp = bound_with(type, 0, 2);
	port = port_of(rp);
	ra = bound_with(type, port, 1);
	snprintf(what, sizeof(what), "%s: SO_REUSEADDR alone next to SO_REUSEPORT alone: EADDRINUSE",
	         tag);
	check(rp >= 0 && ra < 0 && errno == EADDRINUSE, what);
	close(rp);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	tcp_refusals();
	tcp_processes();
	tcp_threads();
	tcp_queued_reset();
	tcp6_group();
	tcp_client();
	if (geteuid() == 0)
		check_in_child("tcp: another effective uid may not join", other_uid_refused);
	else
		printf("skip tcp: another effective uid (not root)\n");
	udp_spread();
	mixed_options(SOCK_DGRAM, "udp");
	mixed_options(SOCK_STREAM, "tcp");
	return check_done("reuseport");
}
