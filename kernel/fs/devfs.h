/*
 * devfs.h: /dev: null, zero, random, urandom, console, tty, the
 * stdin/stdout/stderr and fd links into /proc/self/fd, and
 * /dev/attestation (docs/measurements.md).
 */
#ifndef CVMIFY_FS_DEVFS_H
#define CVMIFY_FS_DEVFS_H

#include "fs/vfs.h"

struct fs_super *devfs_create(void);

/* Pieces devfs.c gathers from its neighbours (devtty.c, devattest.c). */
extern const struct file_ops g_devtty_fops;
extern const struct file_ops g_attest_report_data_fops;
long attest_type_generate(struct inode *inode, char *buf, size_t size);
long attest_report_generate(struct inode *inode, char *buf, size_t size);
long attest_eventlog_generate(struct inode *inode, char *buf, size_t size);
long attest_measurement_generate(struct inode *inode, char *buf, size_t size);

#define ATTEST_REPORT_SIZE 272
#define ATTEST_USER_DATA_SIZE 64

#endif
