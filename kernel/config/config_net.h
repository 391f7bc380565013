/*
 * config_net.h: the NET and HOSTNAME records of config.bin
 * (docs/boot-config.md): value checks, decoding and the defaults (QEMU
 * user networking's addresses) used when a record is absent. Called by
 * config.c; built on the host for tests/host/test_config.c.
 */
#ifndef CVMIFY_CONFIG_NET_H
#define CVMIFY_CONFIG_NET_H

#include "config/config.h"

#define CONFIG_NET_RECORD_SIZE 96
#define CONFIG_HOSTNAME_MAX 64

/* NULL when the NET value is acceptable, else the reason. */
const char *config_net_check(const u8 *value, u32 length);
/* Decode a NET value config_net_check accepted. */
void config_net_decode(const u8 *value, struct config_net *out);
/* QEMU user networking: 10.0.2.15/24 via 10.0.2.2, fec0::15/64 via
 * fec0::2, DNS 10.0.2.3 and fec0::3, /etc files served. */
void config_net_defaults(struct config_net *out);

/* NULL when the HOSTNAME value is an acceptable host name (RFC 1123
 * labels: letters, digits, '-' inside, '.' between; 1..64 bytes). */
const char *config_hostname_check(const u8 *value, u32 length);

#endif
