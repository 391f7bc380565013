/*
 * fuzz_net_frames.c: the frame path, from the device to lwIP: each input
 * is a script of frames the (hostile) device hands over and of clock
 * steps. Frames go through the virtio-net driver's receive checks
 * (drivers/virtio/net.c) and the lwIP link layer (net/netif_vnet.c) into
 * lwIP, whose TCP listener on port 80 echoes and whose UDP socket on 53
 * answers, with IPv4, IPv6, ARP, ND, ICMP and reassembly live. Replies
 * leave through the transmit ring. lwIP's state lives across inputs, as
 * it does in the kernel. Checksums are not checked in this build
 * (lwipopts.h, CVMIFY_FUZZ) so mutations reach the protocols.
 *
 * Script: repeated  u8 op;  op 0..191: a frame of u16 length + bytes;
 * op >= 192: the clock moves (op - 191) * 50 ms and lwIP's timers run.
 */
#include <string.h>

#include "fuzz_net.h"
#include "net/netif_vnet.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/stats.h"
#include "lwip/udp.h"

#define MAX_FRAME 2048
#define NS_PER_MS 1000000ULL
/* State inputs may add for good: IPv6 addresses from router
 * advertisements (at most LWIP_IPV6_NUM_ADDRESSES) and their multicast
 * groups, prefixes, routers. A leak grows past this within minutes. */
#define LEAK_SLACK 16

extern u64 g_shim_wallclock_ns;  /* the shim's clock (tests/host/shim.c) */
extern long g_shim_live_blocks;  /* the shim's heap blocks in use */
static long g_baseline_blocks = -1; /* after the first clean-up: what lwIP keeps */

static struct fake_dev g_fake;
static struct vnet *g_vnet;
static struct netif g_netif;
static u16 g_rx_seen, g_tx_seen;

static err_t echo_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	(void)arg;
	(void)err;
	if (p == NULL) {  /* FIN: close our side too */
		tcp_recv(pcb, NULL);
		if (tcp_close(pcb) == ERR_OK)
			return ERR_OK;
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	tcp_recved(pcb, p->tot_len);
	u8 copy[512];
	u16 n = pbuf_copy_partial(p, copy, sizeof(copy), 0);
	pbuf_free(p);
	if (n > 0 && tcp_sndbuf(pcb) >= n)
		tcp_write(pcb, copy, n, TCP_WRITE_FLAG_COPY);
	return ERR_OK;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)arg;
	if (err != ERR_OK || pcb == NULL)
		return ERR_VAL;
	tcp_recv(pcb, echo_recv);
	/* Peers that never answer die by keepalive when the clock jumps
	 * (clean_up), so lwIP's state stays bounded over millions of inputs. */
	ip_set_option(pcb, SOF_KEEPALIVE);
	pcb->keep_idle = 1000;
	pcb->keep_intvl = 1000;
	pcb->keep_cnt = 1;
	return ERR_OK;
}

/* Every few hundred inputs: ten simulated minutes of timers, which end
 * every connection (peers never answer), reassembly, neighbour and ARP
 * entry the inputs left; then the heap must be back to what the first
 * clean-up left (the listener, the UDP socket, lwIP's fixed state), up
 * to LEAK_SLACK blocks of state inputs may legitimately add.
 * This is the leak check: LeakSanitizer is off here (net.mk) because
 * lwIP keeps reassembly pointers at unaligned places in headers. */
static void run_timers(int seconds)
{
	for (int i = 0; i < seconds; i++) {
		g_shim_wallclock_ns += 1000 * NS_PER_MS;
		sys_check_timeouts();
		fuzz_device_tx_done(g_fake.dev.queues[1], &g_tx_seen);
		vnet_flush(g_vnet);
	}
}

static void clean_up(void)
{
	static mem_size_t baseline_used[MEMP_MAX];

	/* Connections may retransmit for longer than any wait here: end them. */
	while (tcp_active_pcbs != NULL)
		tcp_abort(tcp_active_pcbs);
	while (tcp_tw_pcbs != NULL)
		tcp_abort(tcp_tw_pcbs);
	run_timers(600);
	if (g_baseline_blocks < 0) {
		g_baseline_blocks = g_shim_live_blocks;
		for (int i = 0; i < MEMP_MAX; i++)
			baseline_used[i] = lwip_stats.memp[i]->used;
	}
	if (g_shim_live_blocks <= g_baseline_blocks + LEAK_SLACK)
		return;
	fprintf(stderr, "leak: %ld heap blocks in use, %ld after the first clean-up\n",
	        g_shim_live_blocks, g_baseline_blocks);
	for (int i = 0; i < MEMP_MAX; i++)
		if (lwip_stats.memp[i]->used != baseline_used[i])
			fprintf(stderr, "  lwIP pool %s: %lu in use, %lu then\n", lwip_stats.memp[i]->name,
			        (unsigned long)lwip_stats.memp[i]->used, (unsigned long)baseline_used[i]);
	fprintf(stderr, "  lwIP heap: %lu bytes in use\n", (unsigned long)lwip_stats.mem.used);
	FUZZ_CHECK(0);
}

static void udp_echo(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                     u16_t port)
{
	(void)arg;
	udp_sendto(pcb, p, addr, port);
	pbuf_free(p);
}

static void setup(void)
{
	lwip_init();
	fake_virtio_init(&g_fake, VIRTIO_DEVICE_NET, 5);
	g_fake.queue_max[0] = g_fake.queue_max[1] = 64;
	static const u8 mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }; /* net_seeds.py's */
	g_fake.offered |= 1ULL << 5;  /* VIRTIO_NET_F_MAC */
	memcpy(g_fake.config, mac, sizeof(mac));
	FUZZ_CHECK(vnet_attach(&g_fake.dev, &g_vnet) == 0);
	FUZZ_CHECK(netif_vnet_add(&g_netif, g_vnet) == 0);
	ip4_addr_t addr, mask, gw;
	IP4_ADDR(&addr, 10, 0, 2, 15);
	IP4_ADDR(&mask, 255, 255, 255, 0);
	IP4_ADDR(&gw, 10, 0, 2, 2);
	netif_set_addr(&g_netif, &addr, &mask, &gw);
	netif_create_ip6_linklocal_address(&g_netif, 1);
	g_netif.ip6_autoconfig_enabled = 1;
	netif_set_default(&g_netif);
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_ANY);
	FUZZ_CHECK(pcb != NULL && tcp_bind(pcb, IP_ANY_TYPE, 80) == ERR_OK);
	pcb = tcp_listen_with_backlog(pcb, 8);
	FUZZ_CHECK(pcb != NULL);
	tcp_accept(pcb, on_accept);
	struct udp_pcb *u = udp_new_ip_type(IPADDR_TYPE_ANY);
	FUZZ_CHECK(u != NULL && udp_bind(u, IP_ANY_TYPE, 53) == ERR_OK);
	udp_recv(u, udp_echo, NULL);
	run_timers(600);  /* start-up traffic (DAD, MLD, router solicitations) ends */
}

static void frame(struct fuzz_in *in)
{
	static const u8 hdr[VNET_HDR_SIZE];
	u8 buf[MAX_FRAME];
	u32 len = fuzz_take(in, 2) % MAX_FRAME;
	for (u32 i = 0; i < len; i++)
		buf[i] = (u8)fuzz_take(in, 1);
	FUZZ_CHECK(fuzz_device_rx(g_fake.dev.queues[0], &g_rx_seen, hdr, buf, len, 0));
	netif_vnet_input(&g_netif, 64);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static bool ready;
	static unsigned runs;
	if (!ready) {
		setup();
		ready = true;
	}
	if (++runs % 256 == 0)
		clean_up();
	struct fuzz_in in = { data, size, 0 };
	for (int step = 0; step < 64 && fuzz_left(&in); step++) {
		u8 op = (u8)fuzz_take(&in, 1);
		if (op < 192) {
			frame(&in);
		} else {
			g_shim_wallclock_ns += (u64)(op - 191) * 50 * NS_PER_MS;
			sys_check_timeouts();
		}
		netif_poll_all();
		fuzz_device_tx_done(g_fake.dev.queues[1], &g_tx_seen);
		vnet_flush(g_vnet);
		FUZZ_CHECK(!vnet_is_broken(g_vnet)); /* honest headers: never broken */
	}
	return 0;
}
