/*
 * net.c: bring-up of the network stack and its pending work (net.h).
 *
 * Work reaches lwIP three ways, all in process context with the big
 * kernel lock (docs/kernel-locking.md): the device's interrupt handler
 * (frames in), a kernel timer for lwIP's next timeout (queued as
 * deferred work), and net_unlock after every socket call (frames on the
 * loopback interface, the device's notification). Nothing spins.
 */
#include "net/net.h"
#include "arch/x86_64/irq.h"
#include "drivers/virtio/net.h"
#include "drivers/virtio/virtio.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "net/etc_files.h"
#include "net/hostname.h"
#include "net/netif_vnet.h"
#include "panic.h"
#include "platform/platform.h"
#include "proc/timer.h"
#include "proc/work.h"
#include "syscalls/linux_abi/errno.h"

#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/ip6_addr.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"

#define RX_BUDGET 64
#define NS_PER_MS 1000000ULL
#define POLL_NO_IRQ_NS (1 * NS_PER_MS) /* a device without an interrupt line */

static bool g_locked;
static bool g_up;
static bool g_polled;           /* no interrupt line: the timer polls the device */
static struct vnet *g_vnet;
static struct netif g_netif;
static struct ktimer g_timer;   /* lwIP's next timeout */
static struct kwork g_work;     /* net_poll, queued by the timer */
static u64 g_timer_deadline;

void net_lock(void)
{
	ASSERT(!g_locked);
	g_locked = true;
}

/* Arm the kernel timer for lwIP's next timeout (and the device poll). */
static void arm_timer(void)
{
	u32 ms = sys_timeouts_sleeptime();
	u64 now = platform_time_ns();
	u64 deadline = ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? 0 : now + (u64)ms * NS_PER_MS;
	if (g_polled && (deadline == 0 || deadline > now + POLL_NO_IRQ_NS))
		deadline = now + POLL_NO_IRQ_NS;
	if (deadline == 0) {
		timer_cancel(&g_timer);
		g_timer_deadline = 0;
	} else if (deadline != g_timer_deadline || !timer_armed(&g_timer)) {
		timer_arm(&g_timer, deadline);
		g_timer_deadline = deadline;
	}
}

/* What every visit to lwIP leaves behind: frames sent to ourselves are
 * delivered, the device learns about new frames, the timer follows
 * lwIP's next timeout. */
void net_unlock(void)
{
	ASSERT(g_locked);
	if (g_up) {
		netif_poll_all();          /* loopback */
		if (g_vnet != NULL)
			vnet_flush(g_vnet);
		arm_timer();
	}
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

void net_poll(void)
{
	if (!g_up)
		return;
	net_lock();
	if (g_vnet != NULL) {
		/* Drain, then look once more with interrupts on, so a frame that
		 * came in between is not left for the next interrupt. */
		while (netif_vnet_input(&g_netif, RX_BUDGET) == RX_BUDGET ||
		       vnet_rx_interrupts(g_vnet, true))
			;
	}
	sys_check_timeouts();
	net_unlock();
}

/* The device's interrupt (deferred work, big kernel lock held). */
static void net_irq(void *arg)
{
	(void)arg;
	if (g_vnet != NULL)
		vnet_irq_ack(g_vnet);  /* before draining: a later frame raises it again */
	net_poll();
}

/* Timer callback, interrupt context: only queue the work. */
static void net_timer(struct ktimer *timer)
{
	(void)timer;
	work_queue(&g_work);
}

static void net_work(void *arg)
{
	(void)arg;
	net_poll();
}

/* A line (virtio-mmio), else a message (virtio-pci with MSI-X). */
static int irq_connect(void)
{
	u32 line = vnet_irq(g_vnet);
	if (line != VIRTIO_NO_IRQ)
		return irq_register(line, net_irq, NULL, true);
	u8 vector;
	u32 apic_id;
	int err = irq_register_msi(net_irq, NULL, &vector, &apic_id);
	if (err == 0)
		err = vnet_irq_msi(g_vnet, vector, apic_id);
	if (err == 0)
		kprintf("net: interrupts by MSI-X, vector %u\n", vector);
	return err; /* on -EIO the vector stays ours: if it fires, net_irq only polls */
}

/* Interrupts for received frames, or polling by timer if the device has
 * no interrupt we can route. */
static void irq_init_device(void)
{
	int err = irq_connect();
	if (err) {
		g_polled = true;
		kprintf("net: no interrupt for the device (error %d): polled every millisecond\n",
		        err);
		return;
	}
	vnet_rx_interrupts(g_vnet, true);
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
	lwip_port_set_gateway6(cfg->ipv6_gateway, &g_netif);
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
	irq_init_device();
	netif_set_default(&g_netif);
	if (cfg->flags & CONFIG_NET_IPV4)
		set_ipv4(cfg);
	set_ipv6(cfg);
}

void net_init(const struct boot_config *cfg)
{
	hostname_init(cfg);
	timer_init(&g_timer, net_timer, NULL);
	work_init(&g_work, net_work, NULL);
	net_lock();
	lwip_init(); /* also brings up loopback: 127.0.0.1 and ::1 */
	g_up = true;
	device_init(&cfg->net);
	net_unlock();
	if (cfg->net.flags & CONFIG_NET_ETC_FILES)
		etc_files_init(&cfg->net, hostname_get());
}

