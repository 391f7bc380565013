/*
 * volume_record.h: the VOLUME record of the host overrides and the
 * ALLOW_HOST_VOLUME record of config.bin (docs/boot-config.md): which
 * persistent volume the host attaches where, in which state.
 *
 * Trust: the VOLUME value is host input. It is decoded only into the
 * fixed struct below after every length and value is checked; whether
 * its target is allowed is the measured config's ALLOW_HOST_VOLUME list
 * (config_volume_allowed). The volume's content is checked by volfs
 * against the state named here.
 */
#ifndef CVMIFY_CONFIG_VOLUME_RECORD_H
#define CVMIFY_CONFIG_VOLUME_RECORD_H

#include "lib/types.h"

#define CONFIG_MAX_VOLUMES 16
#define CONFIG_VOLUME_FIXED 80          /* bytes before the target path */
#define CONFIG_VOLUME_READ_ONLY 1u

struct config_volume {
	u32 flags;                      /* CONFIG_VOLUME_READ_ONLY */
	u8 uuid[16];
	u64 generation;                 /* the state the volume must be in */
	u8 root[48];
	char path[4096];                /* absolute, normalized, NUL-terminated */
};

/* Decode and check one VOLUME value; NULL, or why it is refused. */
const char *config_volume_decode(const u8 *value, u32 length, struct config_volume *out);

/* A mount point: absolute, no empty, "." or ".." component, no name
 * over 255 bytes, no trailing slash, not "/" (len bytes at p). */
bool config_path_normal(const char *p, size_t len);

/* May a volume go at path? (An ALLOW_HOST_VOLUME record names it.) */
bool config_volume_allowed(const char *path, char *const *allowed, size_t count);

#endif
