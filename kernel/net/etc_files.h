/*
 * etc_files.h: /etc/resolv.conf, /etc/hosts and /etc/hostname served by
 * the kernel over the image's, as docker does (NET flag 0x4).
 */
#ifndef CVMIFY_NET_ETC_FILES_H
#define CVMIFY_NET_ETC_FILES_H

#include "config/config.h"

/* Write the three files from cfg and the host name and mount each over
 * its path. Without an /etc in the image an empty tmpfs is mounted
 * there first. Returns 0 or -errno (logged). */
int etc_files_init(const struct config_net *cfg, const char *hostname);

/* The contents, for tests: 0 or -ENOSPC. */
int etc_resolv_conf(const struct config_net *cfg, char *buf, size_t size);
int etc_hosts(const struct config_net *cfg, const char *hostname, char *buf, size_t size);

#endif
