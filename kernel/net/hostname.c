/*
 * hostname.c: the guest's host name (hostname.h). Set once at boot from
 * the measured config; the host has no say.
 */
#include "net/hostname.h"
#include "lib/printf.h"
#include "lib/string.h"

#define HOSTNAME_SIZE 65

static char g_hostname[HOSTNAME_SIZE] = "cvmify";

void hostname_init(const struct boot_config *cfg)
{
	if (cfg->hostname != NULL) {
		strlcpy(g_hostname, cfg->hostname, sizeof(g_hostname));
		return;
	}
	const u8 *r = cfg->disk_root;
	snprintf(g_hostname, sizeof(g_hostname), "cvmify-%02x%02x%02x%02x%02x%02x", r[0], r[1],
	         r[2], r[3], r[4], r[5]);
}

const char *hostname_get(void)
{
	return g_hostname;
}
