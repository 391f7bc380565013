/*
 * inet_addr.c: inet socket addresses (inet_addr.h).
 */
#include "net/inet_addr.h"
#include "lib/string.h"
#include "syscalls/linux_abi/errno.h"

#define SIN6_MIN_LEN 24 /* RFC 2133 layout without sin6_scope_id, as Linux */

static const u8 g_v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int inet_addr_in(int family, bool v6only, const struct sockaddr_any *sa, ip_addr_t *ip,
                 u16 *port, bool *mapped)
{
	*mapped = false;
	if (sa->len < sizeof(u16))
		return -EINVAL;
	if (family == AF_INET) {
		struct linux_sockaddr_in in;
		if (sa->len < sizeof(in))
			return -EINVAL;
		memcpy(&in, sa->bytes, sizeof(in));
		if (in.sin_family != AF_INET)
			return -EAFNOSUPPORT;
		ip_addr_set_zero_ip4(ip);
		memcpy(&ip_2_ip4(ip)->addr, in.sin_addr, 4);
		*port = lwip_ntohs(in.sin_port);
		return 0;
	}
	struct linux_sockaddr_in6 in6;
	if (sa->len < SIN6_MIN_LEN)
		return -EINVAL;
	memset(&in6, 0, sizeof(in6));
	memcpy(&in6, sa->bytes, MIN(sa->len, (u32)sizeof(in6)));
	if (in6.sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	*port = lwip_ntohs(in6.sin6_port);
	if (memcmp(in6.sin6_addr, g_v4_mapped_prefix, 12) == 0) {
		*mapped = true;
		if (v6only)
			return -EINVAL;
		ip_addr_set_zero_ip4(ip);
		memcpy(&ip_2_ip4(ip)->addr, in6.sin6_addr + 12, 4);
		return 0;
	}
	ip_addr_set_zero_ip6(ip);
	memcpy(ip_2_ip6(ip)->addr, in6.sin6_addr, 16);
	ip6_addr_clear_zone(ip_2_ip6(ip));
	if (ip6_addr_has_scope(ip_2_ip6(ip), IP6_UNKNOWN) && in6.sin6_scope_id != 0 &&
	    in6.sin6_scope_id <= 0xff)
		ip6_addr_set_zone(ip_2_ip6(ip), (u8)in6.sin6_scope_id);
	return 0;
}

int inet_sock_addr(const struct socket *s, bool v6only, const struct sockaddr_any *sa,
                   ip_addr_t *ip, u16 *port)
{
	bool mapped;
	return inet_addr_in(s->family, v6only, sa, ip, port, &mapped);
}

void inet_addr_out(int family, const ip_addr_t *ip, u16 port, struct sockaddr_any *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (family == AF_INET) {
		struct linux_sockaddr_in in = { .sin_family = AF_INET, .sin_port = lwip_htons(port) };
		if (IP_IS_V4(ip))
			memcpy(in.sin_addr, &ip_2_ip4(ip)->addr, 4);
		memcpy(sa->bytes, &in, sizeof(in));
		sa->len = sizeof(in);
		return;
	}
	struct linux_sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = lwip_htons(port) };
	if (IP_IS_V4(ip)) {
		if (!ip4_addr_isany(ip_2_ip4(ip))) {
			memcpy(in6.sin6_addr, g_v4_mapped_prefix, 12);
			memcpy(in6.sin6_addr + 12, &ip_2_ip4(ip)->addr, 4);
		}
	} else if (IP_IS_V6(ip)) {
		memcpy(in6.sin6_addr, ip_2_ip6(ip)->addr, 16);
		if (ip6_addr_has_zone(ip_2_ip6(ip)))
			in6.sin6_scope_id = ip6_addr_zone(ip_2_ip6(ip));
	}
	memcpy(sa->bytes, &in6, sizeof(in6));
	sa->len = sizeof(in6);
}

void inet_addr_any(int family, bool v6only, ip_addr_t *ip)
{
	if (family == AF_INET)
		ip_addr_copy(*ip, *IP4_ADDR_ANY);
	else if (v6only)
		ip_addr_copy(*ip, *IP6_ADDR_ANY);
	else
		ip_addr_copy(*ip, *IP_ANY_TYPE);
}
