/*
 * lwip_port.c: what lwIP asks of the kernel when built without its OS
 * layer (NO_SYS): the clock (sys_now), random numbers, RFC 6528 initial
 * sequence numbers, calloc for its heap, and atoi for netif_find.
 * Everything here runs under net_lock, like all of lwIP.
 */
#include "crypto/crypto.h"
#include "drivers/random/random.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "platform/platform.h"

#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/sys.h"

#define NS_PER_MS 1000000ULL
#define ISN_KEY_SIZE 32

static u8 g_isn_key[ISN_KEY_SIZE];
static bool g_isn_key_ready;

u32_t sys_now(void)
{
	return (u32_t)(platform_time_ns() / NS_PER_MS);
}

uint32_t lwip_port_rand(void)
{
	u32 value;
	random_bytes(&value, sizeof(value));
	return value;
}

void *lwip_port_calloc(size_t count, size_t size)
{
	if (size != 0 && count > (size_t)-1 / size)
		return NULL;
	return kzalloc(count * size);
}

int atoi(const char *s)
{
	int value = 0;
	while (*s >= '0' && *s <= '9' && value < 100000000)
		value = value * 10 + (*s++ - '0');
	return value;
}

/* RFC 6528: ISN = M + F(4-tuple, key), M a 4 microsecond clock, F a keyed
 * hash, so sequence numbers are unpredictable off-path yet grow for a
 * repeated 4-tuple. */
uint32_t lwip_port_tcp_isn(const struct ip_addr *local_ip, uint16_t local_port,
                           const struct ip_addr *remote_ip, uint16_t remote_port)
{
	if (!g_isn_key_ready) {
		random_bytes(g_isn_key, sizeof(g_isn_key));
		g_isn_key_ready = true;
	}
	struct {
		ip_addr_t local, remote;
		u16 local_port, remote_port;
	} tuple;
	memset(&tuple, 0, sizeof(tuple));
	ip_addr_copy(tuple.local, *local_ip);
	ip_addr_copy(tuple.remote, *remote_ip);
	tuple.local_port = local_port;
	tuple.remote_port = remote_port;

	u8 mac[SHA384_SIZE];
	hmac_sha384(g_isn_key, sizeof(g_isn_key), &tuple, sizeof(tuple), mac);
	u32 f;
	memcpy(&f, mac, sizeof(f));
	return f + (u32)(platform_time_ns() / 4000);
}

/* The configured IPv6 gateway (NET record), for destinations no on-link
 * prefix covers; routers from advertisements when there is none. */
static ip6_addr_t g_gateway6;
static bool g_have_gateway6;

void lwip_port_set_gateway6(const u8 addr[16], struct netif *netif)
{
	memcpy(g_gateway6.addr, addr, 16);
	ip6_addr_clear_zone(&g_gateway6);
	ip6_addr_assign_zone(&g_gateway6, IP6_UNICAST, netif); /* link-local: this link */
	g_have_gateway6 = !ip6_addr_isany(&g_gateway6);
}

const struct ip6_addr *lwip_port_nd6_gateway(struct netif *netif, const struct ip6_addr *dest)
{
	(void)netif;
	(void)dest;
	return g_have_gateway6 ? &g_gateway6 : NULL;
}
