/*
 * reuseport.c: SO_REUSEPORT groups (reuseport.h). The groups of all
 * protocols are one short list: binds are rare and groups few.
 *
 * Ownership: a TCP group owns its lwIP pcb (bound, later listening);
 * members never touch it. A member belongs to its socket; it leaves the
 * group when the socket closes, and the last one to leave frees the
 * group and closes the pcb.
 */
#include "net/reuseport.h"
#include "lib/string.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "mm/kmalloc.h"
#include "net/tcp_sock.h"
#include "proc/task.h"
#include "syscalls/linux_abi/errno.h"

#define REUSEPORT_MAX 64  /* members per group */

struct reuseport_member {
	struct socket *sock;
	u8 backlog;       /* TCP: listen()'s, 0 while not listening */
};

struct reuseport_group {
	struct reuseport_group *next;
	int proto, family;
	ip_addr_t ip;
	u16 port;
	u32 uid;                    /* the founder's effective uid */
	struct reuseport_member members[REUSEPORT_MAX];
	u32 count;
	u32 next_listener;          /* TCP round robin */
	struct tcp_pcb *pcb;        /* TCP: bound, then the group's listener */
	bool listening;
};

static struct reuseport_group *g_groups;

static u32 caller_uid(void)
{
	return current_task()->euid;
}

/* Addresses that share a port: either is a wildcard of a compatible
 * version, or they are equal. */
static bool addr_overlaps(const ip_addr_t *a, const ip_addr_t *b)
{
	u8 ta = IP_GET_TYPE(a), tb = IP_GET_TYPE(b);
	if (ta != tb && ta != IPADDR_TYPE_ANY && tb != IPADDR_TYPE_ANY)
		return false;
	return ip_addr_isany(a) || ip_addr_isany(b) || ip_addr_cmp(a, b);
}

/* A UDP pcb already bound to port on an address overlapping ip. */
static bool udp_port_taken(const ip_addr_t *ip, u16 port)
{
	for (struct udp_pcb *p = udp_pcbs; p != NULL; p = p->next)
		if (p->local_port == port && addr_overlaps(&p->local_ip, ip))
			return true;
	return false;
}

int reuseport_lookup(int proto, const struct socket *s, const ip_addr_t *ip, u16 port,
                     struct reuseport_group **join)
{
	*join = NULL;
	if (port == 0)
		return 0;
	for (struct reuseport_group *g = g_groups; g != NULL; g = g->next) {
		if (g->proto != proto || g->port != port || !addr_overlaps(&g->ip, ip))
			continue;
		if (s->reuseport && g->family == s->family && ip_addr_cmp(&g->ip, ip) &&
		    g->uid == caller_uid() && g->count < REUSEPORT_MAX) {
			*join = g;
			return 0;
		}
		return -EADDRINUSE;
	}
	/* No group here. A UDP founder gets SOF_REUSEADDR in lwIP (members
	 * share the port through it), so lwIP would let it in next to a
	 * socket with SO_REUSEADDR alone; Linux wants SO_REUSEADDR on both.
	 * (TCP founders get SOF_REUSEADDR only with SO_REUSEADDR: lwIP
	 * checks that itself.) */
	if (proto == IPPROTO_UDP && s->reuseport && !s->reuseaddr && udp_port_taken(ip, port))
		return -EADDRINUSE;
	return 0;
}

static struct reuseport_group *group_new(int proto, const struct socket *s, const ip_addr_t *ip,
                                         u16 port)
{
	struct reuseport_group *g = kzalloc(sizeof(*g));
	if (g == NULL)
		return NULL;
	g->proto = proto;
	g->family = s->family;
	ip_addr_copy(g->ip, *ip);
	g->port = port;
	g->uid = caller_uid();
	g->next = g_groups;
	g_groups = g;
	return g;
}

static void group_add(struct reuseport_group *g, struct socket *s)
{
	g->members[g->count].sock = s;
	g->members[g->count].backlog = 0;
	g->count++;
}

static struct reuseport_member *member_of(struct reuseport_group *g, const struct socket *s)
{
	for (u32 i = 0; i < g->count; i++)
		if (g->members[i].sock == s)
			return &g->members[i];
	return NULL;
}

/* Remove s; true when the group is now empty and has been unlinked
 * (the caller frees what it owns, then the group). */
static bool group_remove(struct reuseport_group *g, const struct socket *s)
{
	struct reuseport_member *m = member_of(g, s);
	if (m != NULL) {
		u32 i = (u32)(m - g->members);
		memmove(&g->members[i], &g->members[i + 1], (g->count - i - 1) * sizeof(*m));
		g->count--;
	}
	if (g->count > 0)
		return false;
	for (struct reuseport_group **p = &g_groups; *p != NULL; p = &(*p)->next) {
		if (*p == g) {
			*p = g->next;
			break;
		}
	}
	return true;
}

/* ---- TCP ---------------------------------------------------------------- */

/* The next listening member after the last one served. */
static struct tcp_sock *next_listener(struct reuseport_group *g)
{
	for (u32 i = 0; i < g->count; i++) {
		u32 at = (g->next_listener + i) % g->count;
		if (g->members[at].backlog != 0) {
			g->next_listener = at + 1;
			return tcp_of(g->members[at].sock);
		}
	}
	return NULL;
}

static err_t group_on_accept(void *arg, struct tcp_pcb *newpcb, err_t err)
{
	struct reuseport_group *g = arg;
	if (err != ERR_OK || newpcb == NULL)
		return ERR_VAL;
	struct tcp_sock *l = next_listener(g);
	if (l == NULL)
		return ERR_VAL;  /* no member listens (any more): lwIP resets */
	return tcp_sock_accepted(l, newpcb);
}

/* lwIP's backlog is the group's: the members' backlogs together. */
static void set_backlog(struct reuseport_group *g)
{
	u32 sum = 0;
	for (u32 i = 0; i < g->count; i++)
		sum += g->members[i].backlog;
	u8 backlog = (u8)(sum > 255 ? 255 : sum == 0 ? 1 : sum);
	tcp_backlog_set(g->pcb, backlog);
}

int reuseport_tcp_found(struct tcp_sock *t)
{
	struct reuseport_group *g = group_new(IPPROTO_TCP, t->sock, &t->local_ip, t->local_port);
	if (g == NULL)
		return -ENOMEM;
	g->pcb = t->pcb;
	t->pcb = NULL;
	tcp_arg(g->pcb, NULL);  /* a bound pcb: no connection, no callbacks */
	tcp_recv(g->pcb, NULL);
	tcp_sent(g->pcb, NULL);
	tcp_err(g->pcb, NULL);
	group_add(g, t->sock);
	t->group = g;
	return 0;
}

int reuseport_tcp_join(struct reuseport_group *g, struct tcp_sock *t)
{
	struct tcp_pcb *own = t->pcb;
	tcp_arg(own, NULL);
	tcp_err(own, NULL);
	if (tcp_close(own) != ERR_OK)  /* never bound: lwIP just frees it */
		tcp_abort(own);
	t->pcb = NULL;
	ip_addr_copy(t->local_ip, g->ip);
	t->local_port = g->port;
	group_add(g, t->sock);
	t->group = g;
	return 0;
}

int reuseport_tcp_listen(struct tcp_sock *t, u8 backlog)
{
	struct reuseport_group *g = t->group;
	struct reuseport_member *m = member_of(g, t->sock);
	if (m == NULL || (t->state != TCP_SOCK_NEW && t->state != TCP_SOCK_LISTENING))
		return -EINVAL;
	if (!g->listening) {
		err_t e = ERR_OK;
		struct tcp_pcb *lpcb = tcp_listen_with_backlog_and_err(g->pcb, backlog, &e);
		if (lpcb == NULL)
			return -tcp_errno(e);
		g->pcb = lpcb;  /* lwIP freed the bound one */
		g->listening = true;
		tcp_arg(lpcb, g);
		tcp_accept(lpcb, group_on_accept);
	}
	m->backlog = backlog;
	set_backlog(g);
	t->state = TCP_SOCK_LISTENING;
	t->sock->listening = true;
	return 0;
}

int reuseport_tcp_reclaim(struct tcp_sock *t)
{
	struct reuseport_group *g = t->group;
	if (g->count != 1 || g->listening)
		return -EADDRINUSE;
	t->pcb = g->pcb;
	tcp_sock_set_callbacks(t);
	group_remove(g, t->sock);
	kfree(g);
	t->group = NULL;
	return 0;
}

void reuseport_tcp_leave(struct tcp_sock *t)
{
	struct reuseport_group *g = t->group;
	t->group = NULL;
	if (!group_remove(g, t->sock)) {
		if (g->listening)
			set_backlog(g);
		return;
	}
	tcp_arg(g->pcb, NULL);
	if (g->listening)
		tcp_accept(g->pcb, NULL);
	if (tcp_close(g->pcb) != ERR_OK)
		tcp_abort(g->pcb);
	kfree(g);
}

/* ---- UDP ---------------------------------------------------------------- */

struct reuseport_group *reuseport_udp_add(struct reuseport_group *g, struct socket *s,
                                          const ip_addr_t *ip, u16 port)
{
	if (g == NULL)
		g = group_new(IPPROTO_UDP, s, ip, port);
	if (g != NULL)
		group_add(g, s);
	return g;
}

void reuseport_udp_leave(struct reuseport_group *g, struct socket *s)
{
	if (group_remove(g, s))
		kfree(g);
}

/* FNV-1a over the peer's address and port: one peer, one member. */
static u32 peer_hash(const ip_addr_t *addr, u16 port)
{
	u32 h = 2166136261u;
	const u8 *b = IP_IS_V6(addr) ? (const u8 *)ip_2_ip6(addr)->addr
	                             : (const u8 *)&ip_2_ip4(addr)->addr;
	u32 len = IP_IS_V6(addr) ? 16 : 4;  /* the union's other bytes are not the address */
	for (u32 i = 0; i < len; i++)
		h = (h ^ b[i]) * 16777619u;
	h = (h ^ (port & 0xff)) * 16777619u;
	h = (h ^ (port >> 8)) * 16777619u;
	return h;
}

struct socket *reuseport_udp_pick(struct reuseport_group *g, const ip_addr_t *addr, u16 port,
                                  bool (*eligible)(struct socket *s))
{
	u32 n = 0;
	for (u32 i = 0; i < g->count; i++)
		n += eligible(g->members[i].sock);
	if (n == 0)
		return NULL;
	u32 want = peer_hash(addr, port) % n;
	for (u32 i = 0; i < g->count; i++) {
		if (!eligible(g->members[i].sock))
			continue;
		if (want-- == 0)
			return g->members[i].sock;
	}
	return NULL;
}
