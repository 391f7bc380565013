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

/* The app has a terminal (`cvmify run -t`): the console tty takes a
 * terminal's defaults (echo, NL to CR NL on output) and this size.
 * Without this call /dev/tty has no terminal behind it (ENXIO). */
void devtty_make_terminal(u16 rows, u16 cols);
/* The host's terminal changed size; true if the console's size changed. */
bool devtty_resize(u16 rows, u16 cols);
/* Whether devtty_make_terminal was called. */
bool devtty_is_terminal(void);

#define ATTEST_REPORT_SIZE 272
#define ATTEST_USER_DATA_SIZE 64

#endif
