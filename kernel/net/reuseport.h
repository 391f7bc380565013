/*
 * reuseport.h: SO_REUSEPORT groups (internal to net/). Sockets of one
 * protocol that bound the same address and port, each with SO_REUSEPORT
 * set before bind and the same effective uid, form a group.
 *
 * TCP: the group owns the one lwIP pcb bound to the port (lwIP allows
 * one listener per port); once a member listens it becomes the group's
 * listener, and each connection lwIP completes goes to the next
 * listening member in turn (round robin), into that member's accept
 * queue. UDP: every member has its own bound pcb (for sending); a
 * datagram lwIP hands to any of them goes to the member picked by a hash
 * of its source address and port. Everything here runs under net_lock.
 */
#ifndef CVMIFY_NET_REUSEPORT_H
#define CVMIFY_NET_REUSEPORT_H

#include "lwip/ip_addr.h"
#include "net/socket.h"

struct reuseport_group;
struct tcp_sock;

/* Before binding s (protocol IPPROTO_TCP or IPPROTO_UDP) to ip:port:
 * 0 with *join set to the group s may join, 0 with *join NULL when no
 * group is in the way (bind as usual), -EADDRINUSE when a group holds
 * the port and s may not join it, or (UDP) s would found a group next to
 * a socket it may not share the port with. */
int reuseport_lookup(int proto, const struct socket *s, const ip_addr_t *ip, u16 port,
                     struct reuseport_group **join);

/* TCP (reuseport.c). found: t has just bound its pcb with SO_REUSEPORT;
 * a new group takes the pcb. join: t joins g at g's address (t's unbound
 * pcb is freed). 0 or -ENOMEM/-EADDRINUSE (the group is full). */
int reuseport_tcp_found(struct tcp_sock *t);
int reuseport_tcp_join(struct reuseport_group *g, struct tcp_sock *t);
/* listen() on a member: 0 or -errno. */
int reuseport_tcp_listen(struct tcp_sock *t, u8 backlog);
/* connect() on a member: the sole, never listening member takes the
 * pcb back and leaves; otherwise -EADDRINUSE. */
int reuseport_tcp_reclaim(struct tcp_sock *t);
/* t closes: it leaves its group; the last member closes the pcb. */
void reuseport_tcp_leave(struct tcp_sock *t);

/* UDP (reuseport.c). add: s, bound with its own pcb, joins g or (g
 * NULL) founds a group at ip:port. The group, or NULL (no memory). */
struct reuseport_group *reuseport_udp_add(struct reuseport_group *g, struct socket *s,
                                          const ip_addr_t *ip, u16 port);
void reuseport_udp_leave(struct reuseport_group *g, struct socket *s);
/* The member that gets a datagram from addr:port; eligible says which
 * members take datagrams from any peer (not connected ones). NULL: none. */
struct socket *reuseport_udp_pick(struct reuseport_group *g, const ip_addr_t *addr, u16 port,
                                  bool (*eligible)(struct socket *s));

#endif
