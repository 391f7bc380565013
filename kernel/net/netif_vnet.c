/*
 * netif_vnet.c: lwIP's link layer over drivers/virtio/net.c. Received
 * frames are copied by the driver into a fresh private pbuf before lwIP
 * sees a byte; sent frames are gathered from the pbuf chain into one
 * shared transmit buffer by the driver.
 */
#include "net/netif_vnet.h"
#include "drivers/virtio/net.h"
#include "syscalls/linux_abi/errno.h"

#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"

#define VNET_MTU 1500
#define MAX_SEGS 16

static err_t vnet_linkoutput(struct netif *netif, struct pbuf *p)
{
	struct vnet *v = netif->state;
	struct vnet_seg segs[MAX_SEGS];
	size_t count = 0;
	u16 skip = ETH_PAD_SIZE;  /* the padding before the Ethernet header */
	for (struct pbuf *q = p; q != NULL; q = q->next) {
		if (q->len <= skip) {
			skip = (u16)(skip - q->len);
			continue;
		}
		if (count == MAX_SEGS)
			return ERR_BUF;
		segs[count].data = (const u8 *)q->payload + skip;
		segs[count].size = q->len - skip;
		skip = 0;
		count++;
	}
	int err = vnet_transmit(v, segs, count);
	if (err == -EAGAIN)
		return ERR_MEM;  /* dropped; TCP retransmits */
	if (err < 0)
		return ERR_IF;
	return ERR_OK;
}

static err_t vnet_netif_init(struct netif *netif)
{
	struct vnet *v = netif->state;
	netif->name[0] = 'e';
	netif->name[1] = 'n';
	netif->mtu = VNET_MTU;
	netif->mtu6 = VNET_MTU;
	netif->hwaddr_len = ETH_HWADDR_LEN;
	vnet_mac(v, netif->hwaddr);
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
	               NETIF_FLAG_MLD6;
	netif->output = etharp_output;
	netif->output_ip6 = ethip6_output;
	netif->linkoutput = vnet_linkoutput;
	return ERR_OK;
}

int netif_vnet_add(struct netif *netif, struct vnet *v)
{
	if (netif_add(netif, NULL, NULL, NULL, v, vnet_netif_init, ethernet_input) == NULL)
		return -ENOMEM;
	netif_set_link_up(netif);
	netif_set_up(netif);
	return 0;
}

int netif_vnet_input(struct netif *netif, int budget)
{
	struct vnet *v = netif->state;
	int done = 0;
	while (done < budget) {
		struct pbuf *p = pbuf_alloc(PBUF_RAW, ETH_PAD_SIZE + VNET_FRAME_MAX, PBUF_RAM);
		if (p == NULL)
			break;
		long len = vnet_receive(v, (u8 *)p->payload + ETH_PAD_SIZE, VNET_FRAME_MAX);
		if (len <= 0) {
			pbuf_free(p);
			break;
		}
		pbuf_realloc(p, (u16_t)(ETH_PAD_SIZE + len));
		if (netif->input(p, netif) != ERR_OK)
			pbuf_free(p);
		done++;
	}
	vnet_flush(v);
	return done;
}
