/*
 * fifo.h: named FIFOs (proc/fifo.c).
 */
#ifndef CVMIFY_PROC_FIFO_H
#define CVMIFY_PROC_FIFO_H

/* Let the VFS open FIFO inodes (vfs_set_fifo_fops); once at boot. */
void fifo_init(void);

#endif
