/*
 * hostname.h: the guest's host name: the measured HOSTNAME record, else
 * "cvmify-" and 12 hex digits of the disk root (docs/boot-config.md).
 */
#ifndef CVMIFY_NET_HOSTNAME_H
#define CVMIFY_NET_HOSTNAME_H

#include "config/config.h"

void hostname_init(const struct boot_config *cfg);

/* NUL-terminated, at most 64 bytes; "cvmify" before hostname_init. */
const char *hostname_get(void);

#endif
