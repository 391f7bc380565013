/* Sockets: address families, types, options, message flags and the
 * structs user space passes (sockaddr_*, msghdr, mmsghdr, cmsghdr,
 * linger, ucred). */
#ifndef LINUX_ABI_SOCKET_H
#define LINUX_ABI_SOCKET_H

#include "lib/types.h"

#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define AF_NETLINK 16

#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_SEQPACKET 5
#define SOCK_TYPE_MASK 0xf
#define SOCK_NONBLOCK 00004000
#define SOCK_CLOEXEC 02000000

#define IPPROTO_IP 0
#define IPPROTO_ICMP 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_IPV6 41
#define IPPROTO_ICMPV6 58

#define SHUT_RD 0
#define SHUT_WR 1
#define SHUT_RDWR 2

/* send/recv flags */
#define MSG_OOB 0x1
#define MSG_PEEK 0x2
#define MSG_DONTROUTE 0x4
#define MSG_CTRUNC 0x8
#define MSG_TRUNC 0x20
#define MSG_DONTWAIT 0x40
#define MSG_EOR 0x80
#define MSG_WAITALL 0x100
#define MSG_NOSIGNAL 0x4000
#define MSG_MORE 0x8000
#define MSG_WAITFORONE 0x10000
#define MSG_CMSG_CLOEXEC 0x40000000

/* levels */
#define SOL_SOCKET 1
#define SOL_TCP IPPROTO_TCP
#define SOL_IP IPPROTO_IP
#define SOL_IPV6 IPPROTO_IPV6

/* SOL_SOCKET options */
#define SO_DEBUG 1
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_DONTROUTE 5
#define SO_BROADCAST 6
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_OOBINLINE 10
#define SO_LINGER 13
#define SO_REUSEPORT 15
#define SO_PASSCRED 16
#define SO_PEERCRED 17
#define SO_RCVLOWAT 18
#define SO_SNDLOWAT 19
#define SO_RCVTIMEO 20
#define SO_SNDTIMEO 21
#define SO_ACCEPTCONN 30
#define SO_SNDBUFFORCE 32
#define SO_RCVBUFFORCE 33
#define SO_PROTOCOL 38
#define SO_DOMAIN 39

/* SOL_TCP options */
#define TCP_NODELAY 1
#define TCP_MAXSEG 2
#define TCP_CORK 3
#define TCP_KEEPIDLE 4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT 6
#define TCP_DEFER_ACCEPT 9
#define TCP_INFO 11
#define TCP_QUICKACK 12
#define TCP_FASTOPEN 23

/* SOL_IP / SOL_IPV6 options */
#define IP_TOS 1
#define IP_TTL 2
#define IPV6_V6ONLY 26

/* ancillary data */
#define SCM_RIGHTS 1
#define SCM_CREDENTIALS 2

struct linux_sockaddr_in {
	u16 sin_family;
	u16 sin_port;      /* network order */
	u8 sin_addr[4];
	u8 sin_zero[8];
};
_Static_assert(sizeof(struct linux_sockaddr_in) == 16, "sockaddr_in layout");

struct linux_sockaddr_in6 {
	u16 sin6_family;
	u16 sin6_port;     /* network order */
	u32 sin6_flowinfo;
	u8 sin6_addr[16];
	u32 sin6_scope_id;
};
_Static_assert(sizeof(struct linux_sockaddr_in6) == 28, "sockaddr_in6 layout");

#define UNIX_PATH_MAX 108
struct linux_sockaddr_un {
	u16 sun_family;
	char sun_path[UNIX_PATH_MAX];
};
_Static_assert(sizeof(struct linux_sockaddr_un) == 110, "sockaddr_un layout");

/* The largest address any family uses (sockaddr_storage is 128). */
#define SOCKADDR_MAX 128

struct linux_msghdr {
	u64 msg_name;
	u32 msg_namelen;
	u32 pad0;
	u64 msg_iov;
	u64 msg_iovlen;
	u64 msg_control;
	u64 msg_controllen;
	u32 msg_flags;
	u32 pad1;
};
_Static_assert(sizeof(struct linux_msghdr) == 56, "msghdr layout");

struct linux_mmsghdr {
	struct linux_msghdr msg_hdr;
	u32 msg_len;
	u32 pad;
};
_Static_assert(sizeof(struct linux_mmsghdr) == 64, "mmsghdr layout");

struct linux_cmsghdr {
	u64 cmsg_len;
	s32 cmsg_level;
	s32 cmsg_type;
};
_Static_assert(sizeof(struct linux_cmsghdr) == 16, "cmsghdr layout");
#define CMSG_ALIGN_LEN(len) (((len) + 7) & ~(u64)7)

struct linux_linger {
	s32 l_onoff;
	s32 l_linger;
};

struct linux_ucred {
	u32 pid;
	u32 uid;
	u32 gid;
};

#endif
