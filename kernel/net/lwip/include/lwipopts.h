/*
 * lwipopts.h: how the kernel builds lwIP (Debian's lwip 2.1.3 source,
 * kernel/deps.lock). Raw API only, without lwIP's OS layer (NO_SYS): the
 * socket layer in kernel/net/ calls it under one lock (net_lock) and
 * drives its timers from the kernel clock (net_poll). Heap and pools come
 * from kmalloc. IPv4 and IPv6, TCP, UDP, ICMP echo, ARP, ND, SLAAC,
 * reassembly, loopback (127.0.0.1 and ::1).
 */
#ifndef CVMIFY_LWIPOPTS_H
#define CVMIFY_LWIPOPTS_H

#include "lwip_port.h"

/* ---- infrastructure ---- */
#define NO_SYS 1
#define LWIP_TIMERS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_NETIF_API 0
#define LWIP_CALLBACK_API 1
#define LWIP_STATS 0
#define LWIP_DNS 0
#define LWIP_DHCP 0
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_RAW 0

/* ---- memory: the kernel heap, no fixed pools ---- */
#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#define MEM_ALIGNMENT 8
#define mem_clib_malloc kmalloc
#define mem_clib_free kfree
#define mem_clib_calloc lwip_port_calloc
#define MEMP_NUM_TCP_PCB 4096
#define MEMP_NUM_TCP_PCB_LISTEN 256
#define MEMP_NUM_UDP_PCB 1024
#define MEMP_NUM_TCP_SEG 8192
#define MEMP_NUM_PBUF 8192
#define MEMP_NUM_REASSDATA 64
#define MEMP_NUM_FRAG_PBUF 64
#define MEMP_NUM_ARP_QUEUE 64
#define PBUF_POOL_SIZE 1024

/* ---- link ---- */
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
/* Two bytes before each Ethernet header put the IP header on an 8-byte
 * boundary (netif_vnet.c adds and drops them): aligned header access,
 * and pointers lwIP keeps inside headers (IP reassembly) aligned too. */
#define ETH_PAD_SIZE 2
#define ARP_TABLE_SIZE 32
#define ARP_QUEUEING 1
#define ARP_QUEUE_LEN 3
#define ETHARP_SUPPORT_VLAN 0
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_HAVE_LOOPIF 1
#define LWIP_LOOPBACK_MAX_PBUFS 0
#define LWIP_NETIF_HOSTNAME 0
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK 0
#define LWIP_SINGLE_NETIF 0
#define LWIP_NUM_NETIF_CLIENT_DATA 0

/* ---- IPv4 ---- */
#define LWIP_IPV4 1
#define IP_FORWARD 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define IP_REASS_MAX_PBUFS 64
#define IP_DEFAULT_TTL 64
#define LWIP_ICMP 1
#define LWIP_BROADCAST_PING 0
#define LWIP_MULTICAST_PING 0

/* ---- IPv6 ---- */
#define LWIP_IPV6 1
#define LWIP_IPV6_NUM_ADDRESSES 3
#define LWIP_IPV6_FORWARD 0
#define LWIP_IPV6_FRAG 1
#define LWIP_IPV6_REASS 1
#define LWIP_IPV6_AUTOCONFIG 1
#define LWIP_IPV6_SEND_ROUTER_SOLICIT 1
#define LWIP_IPV6_MLD 1
#define LWIP_IPV6_DHCP6 0
#define LWIP_ICMP6 1
#define LWIP_ND6_ALLOW_RA_UPDATES 1
/* One packet waits per neighbour being resolved (RFC 4861 7.2.2's
 * minimum). lwIP's multi-packet queue has no length limit once pools come
 * from the heap: a router a frame invents, which never answers, kept
 * every packet routed through it for the router's lifetime (up to 18 h)
 * -- the frame fuzzer found the heap growing. (ARP's queue is bounded by
 * ARP_QUEUE_LEN and its entries give up after 5 s.) */
#define LWIP_ND6_QUEUEING 0
#define LWIP_IPV6_SCOPES 1
/* Pointers are 8 bytes: reassembly's helper does not fit in the 8-byte
 * fragment header and borrows from the header before it. Without this,
 * lwIP's assertion stops the kernel at the first IPv6 fragment. */
#define IPV6_FRAG_COPYHEADER 1
/* The configured gateway (NET record) for off-link destinations; lwIP
 * selects routers from advertisements only when there is none. */
#define LWIP_HOOK_ND6_GET_GW(netif, dest) lwip_port_nd6_gateway(netif, dest)

/* ---- UDP ---- */
#define LWIP_UDP 1
#define LWIP_UDPLITE 0

/* ---- TCP: windows sized for throughput, scaled ---- */
#define LWIP_TCP 1
#define TCP_MSS 1460
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 2
#define TCP_WND (128 * 1024)
#define TCP_SND_BUF (128 * 1024)
#define TCP_SND_QUEUELEN ((4 * TCP_SND_BUF + TCP_MSS - 1) / TCP_MSS)
#define TCP_SNDLOWAT (TCP_SND_BUF / 4)
#define TCP_SNDQUEUELOWAT (TCP_SND_QUEUELEN / 4)
#define TCP_QUEUE_OOSEQ 1
#define TCP_OOSEQ_MAX_BYTES (TCP_WND)
#define TCP_OOSEQ_MAX_PBUFS 256
#define TCP_LISTEN_BACKLOG 1
#define TCP_DEFAULT_LISTEN_BACKLOG 0xff
#define TCP_OVERSIZE TCP_MSS
#define LWIP_TCP_KEEPALIVE 1
#define LWIP_TCP_TIMESTAMPS 0
#define LWIP_TCP_SACK_OUT 1
#define LWIP_TCP_MAX_SACK_NUM 4
#define TCP_TTL 64
#define SO_REUSE 1
#define LWIP_TCP_PCB_NUM_EXT_ARGS 0
#define LWIP_HOOK_TCP_ISN(local_ip, local_port, remote_ip, remote_port) \
	lwip_port_tcp_isn(local_ip, local_port, remote_ip, remote_port)

/* ---- checksums: computed in software, both ways ---- */
#define LWIP_CHECKSUM_CTRL_PER_NETIF 0
#define LWIP_CHECKSUM_ON_COPY 0

/* The frame fuzzer (kernel/tests/fuzz) builds lwIP on the host with
 * CVMIFY_FUZZ: checksums are not checked there, so mutated frames reach
 * the protocols instead of dying at the checksum. Never in the kernel. */
#ifdef CVMIFY_FUZZ
#define CHECKSUM_CHECK_IP 0
#define CHECKSUM_CHECK_UDP 0
#define CHECKSUM_CHECK_TCP 0
#define CHECKSUM_CHECK_ICMP 0
#define CHECKSUM_CHECK_ICMP6 0
/* Per-pool counts, for the fuzzer's leak report. */
#undef LWIP_STATS
#define LWIP_STATS 1
#define MEMP_STATS 1
#define MEM_STATS 1
#define LWIP_STATS_DISPLAY 1
#endif

/* ---- no debug output (LWIP_DEBUG stays undefined); lwIP's assertions
 * stay on (LWIP_NOASSERT undefined): a failed one is a clean kernel
 * panic, never memory corruption ---- */

#endif
