/*
 * config_net.c: NET and HOSTNAME records (config_net.h). The NET value is
 * a fixed 96-byte layout; every byte is checked, unused ones must be 0.
 */
#include "config/config_net.h"
#include "lib/string.h"

#define NET_KNOWN_FLAGS (CONFIG_NET_IPV4 | CONFIG_NET_IPV6 | CONFIG_NET_ETC_FILES)

/* Offsets in the NET value. */
#define OFF_FLAGS 0
#define OFF_IPV4_ADDR 4
#define OFF_IPV4_GW 8
#define OFF_IPV4_PREFIX 12
#define OFF_IPV6_PREFIX 13
#define OFF_DNS_COUNT 14
#define OFF_RESERVED 15
#define OFF_IPV6_ADDR 16
#define OFF_IPV6_GW 32
#define OFF_DNS 48

static u32 get_u32_le(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static bool all_zero(const u8 *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != 0)
			return false;
	}
	return true;
}

const char *config_net_check(const u8 *v, u32 length)
{
	if (length != CONFIG_NET_RECORD_SIZE)
		return "NET is not 96 bytes";
	u32 flags = get_u32_le(v + OFF_FLAGS);
	if (flags & ~NET_KNOWN_FLAGS)
		return "NET has unknown flags";
	if (v[OFF_RESERVED] != 0)
		return "NET reserved byte";
	if (flags & CONFIG_NET_IPV4) {
		if (v[OFF_IPV4_PREFIX] == 0 || v[OFF_IPV4_PREFIX] > 32)
			return "NET IPv4 prefix outside 1..32";
		if (all_zero(v + OFF_IPV4_ADDR, 4))
			return "NET IPv4 address 0.0.0.0";
	} else if (!all_zero(v + OFF_IPV4_ADDR, 9)) {
		return "NET IPv4 fields without the IPv4 flag";
	}
	if (flags & CONFIG_NET_IPV6) {
		if (v[OFF_IPV6_PREFIX] == 0 || v[OFF_IPV6_PREFIX] > 128)
			return "NET IPv6 prefix outside 1..128";
		if (all_zero(v + OFF_IPV6_ADDR, 16))
			return "NET IPv6 address ::";
	} else if (v[OFF_IPV6_PREFIX] != 0 || !all_zero(v + OFF_IPV6_ADDR, 32)) {
		return "NET IPv6 fields without the IPv6 flag";
	}
	u8 dns_count = v[OFF_DNS_COUNT];
	if (dns_count > CONFIG_NET_MAX_DNS)
		return "NET has more than 3 DNS servers";
	for (u32 i = 0; i < CONFIG_NET_MAX_DNS; i++) {
		bool zero = all_zero(v + OFF_DNS + 16 * i, 16);
		if (i < dns_count && zero)
			return "NET DNS server ::";
		if (i >= dns_count && !zero)
			return "NET DNS slot past dns_count";
	}
	return NULL;
}

void config_net_decode(const u8 *v, struct config_net *out)
{
	memset(out, 0, sizeof(*out));
	out->flags = get_u32_le(v + OFF_FLAGS);
	memcpy(out->ipv4_addr, v + OFF_IPV4_ADDR, 4);
	memcpy(out->ipv4_gateway, v + OFF_IPV4_GW, 4);
	out->ipv4_prefix = v[OFF_IPV4_PREFIX];
	out->ipv6_prefix = v[OFF_IPV6_PREFIX];
	out->dns_count = v[OFF_DNS_COUNT];
	memcpy(out->ipv6_addr, v + OFF_IPV6_ADDR, 16);
	memcpy(out->ipv6_gateway, v + OFF_IPV6_GW, 16);
	memcpy(out->dns, v + OFF_DNS, sizeof(out->dns));
}

static void ipv4_mapped(u8 out[16], u8 a, u8 b, u8 c, u8 d)
{
	memset(out, 0, 16);
	out[10] = 0xff;
	out[11] = 0xff;
	out[12] = a;
	out[13] = b;
	out[14] = c;
	out[15] = d;
}

static void fec0(u8 out[16], u8 last)
{
	memset(out, 0, 16);
	out[0] = 0xfe;
	out[1] = 0xc0;
	out[15] = last;
}

void config_net_defaults(struct config_net *out)
{
	static const u8 addr[4] = { 10, 0, 2, 15 }, gw[4] = { 10, 0, 2, 2 };
	memset(out, 0, sizeof(*out));
	out->flags = CONFIG_NET_IPV4 | CONFIG_NET_IPV6 | CONFIG_NET_ETC_FILES;
	memcpy(out->ipv4_addr, addr, 4);
	memcpy(out->ipv4_gateway, gw, 4);
	out->ipv4_prefix = 24;
	fec0(out->ipv6_addr, 0x15);
	fec0(out->ipv6_gateway, 0x02);
	out->ipv6_prefix = 64;
	out->dns_count = 2;
	ipv4_mapped(out->dns[0], 10, 0, 2, 3);
	fec0(out->dns[1], 0x03);
}

static bool label_char(u8 c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

const char *config_hostname_check(const u8 *v, u32 length)
{
	if (length == 0 || length > CONFIG_HOSTNAME_MAX)
		return "HOSTNAME length outside 1..64";
	u32 label = 0;
	for (u32 i = 0; i < length; i++) {
		if (v[i] == '.') {
			if (label == 0 || v[i - 1] == '-')
				return "HOSTNAME has an empty label or one ending in '-'";
			label = 0;
			continue;
		}
		if (!label_char(v[i]))
			return "HOSTNAME has a character outside [A-Za-z0-9.-]";
		if (label == 0 && v[i] == '-')
			return "HOSTNAME label starts with '-'";
		label++;
	}
	if (label == 0 || v[length - 1] == '-')
		return "HOSTNAME ends in '.' or '-'";
	return NULL;
}
