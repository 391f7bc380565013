/*
 * procfs_task.h: the process layer's side of /proc (procfs_task.c).
 */
#ifndef CVMIFY_PROC_PROCFS_TASK_H
#define CVMIFY_PROC_PROCFS_TASK_H

/* Register the hooks fs/procfs.h asks about tasks (once, at start). */
void procfs_task_register(void);

#endif
