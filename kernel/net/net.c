/*
 * net.c: bring-up of the network stack and its pending work (net.h).
 *
 * Until interrupts arrive, waiting tasks call net_poll as they spin; it
 * is the one place that moves frames in and out and fires lwIP's timers.
 */
#include "net/net.h"
#include "drivers/virtio/net.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "net/etc_files.h"
#include "net/hostname.h"
#include "net/netif_vnet.h"
#include "panic.h"

#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/ip6_addr.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"

#define RX_BUDGET 64

static bool g_locked;
static bool g_up;
static struct vnet *g_vnet;
static struct netif g_netif;

void net_lock(void)
{
	ASSERT(!g_locked);
	g_locked = true;
}

void net_unlock(void)
{
	ASSERT(g_locked);
	g_locked = false;
}

bool net_locked(void)
{
	return g_locked;
}

bool net_has_device(void)
{
	return g_vnet != NULL && !vnet_is_broken(g_vnet);
}

static void prefix_to_mask(u8 prefix, ip4_addr_t *mask)
{
	u32 bits = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
	ip4_addr_set_u32(mask, lwip_htonl(bits));
}

static void set_ipv4(const struct config_net *cfg)
{
	ip4_addr_t addr, mask, gw;
	memcpy(&addr.addr, cfg->ipv4_addr, 4);
	memcpy(&gw.addr, cfg->ipv4_gateway, 4);
	prefix_to_mask(cfg->ipv4_prefix, &mask);
	netif_set_addr(&g_netif, &addr, &mask, &gw);
	char addr_text[IP4ADDR_STRLEN_MAX], gw_text[IP4ADDR_STRLEN_MAX];
	ip4addr_ntoa_r(&addr, addr_text, sizeof(addr_text));
	ip4addr_ntoa_r(&gw, gw_text, sizeof(gw_text));
	kprintf("net: %s/%u gateway %s\n", addr_text, cfg->ipv4_prefix, gw_text);
}

static void set_ipv6(const struct config_net *cfg)
{
	netif_create_ip6_linklocal_address(&g_netif, 1);
	g_netif.ip6_autoconfig_enabled = 1; /* SLAAC from router advertisements */
	if (!(cfg->flags & CONFIG_NET_IPV6))
		return;
	ip6_addr_t addr;
	memcpy(addr.addr, cfg->ipv6_addr, 16);
	ip6_addr_clear_zone(&addr);
	s8_t index = -1;
	if (netif_add_ip6_address(&g_netif, &addr, &index) == ERR_OK)
		netif_ip6_addr_set_state(&g_netif, index, IP6_ADDR_PREFERRED);
}

static void device_init(const struct config_net *cfg)
{
	int err = vnet_probe(&g_vnet);
	if (err < 0) {
		g_vnet = NULL;
		kprintf("net: no usable virtio-net device (error %d): loopback only\n", err);
		return;
	}
	if (netif_vnet_add(&g_netif, g_vnet) < 0)
		panic("net: cannot add the interface");
	netif_set_default(&g_netif);
	if (cfg->flags & CONFIG_NET_IPV4)
		set_ipv4(cfg);
	set_ipv6(cfg);
}

void net_init(const struct boot_config *cfg)
{
	hostname_init(cfg);
	net_lock();
	lwip_init(); /* also brings up loopback: 127.0.0.1 and ::1 */
	g_up = true;
	device_init(&cfg->net);
	net_unlock();
	if (cfg->net.flags & CONFIG_NET_ETC_FILES)
		etc_files_init(&cfg->net, hostname_get());
}

void net_poll(void)
{
	if (!g_up)
		return;
	net_lock();
	if (g_vnet != NULL)
		netif_vnet_input(&g_netif, RX_BUDGET);
	netif_poll_all();       /* loopback */
	sys_check_timeouts();
	net_unlock();
}
