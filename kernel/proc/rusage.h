/*
 * rusage.h: the getrusage/wait4 figures beyond CPU time, as Linux counts
 * them: page faults (minor: served without reading the disk; major: had
 * to read and decrypt blocks), context switches (voluntary: the task
 * slept; involuntary: it was preempted or yielded) and the peak resident
 * set.
 *
 * Ownership: a thread's fault counts and a process's totals belong to
 * the big kernel lock (faults are handled under it); the switch counts
 * are written in context_switch (scheduler lock) by the CPU that ran
 * the task, a thread's as plain stores, the process's as atomic adds,
 * and read with single loads. The peak of an address space is mm's
 * (big kernel lock); the process keeps the peaks of the address spaces
 * it left (exec, exit), Linux's maxrss.
 */
#ifndef CVMIFY_PROC_RUSAGE_H
#define CVMIFY_PROC_RUSAGE_H

#include "lib/types.h"

struct task;
struct thread_group;
struct mm;

struct rusage_counts {
	u64 minflt, majflt;
	u64 nvcsw, nivcsw;
};

/* In struct task. */
struct rusage_task {
	struct rusage_counts counts;
	u64 blocks_read;        /* disk blocks its reads decrypted: tells a major fault */
};

/* In struct thread_group. */
struct rusage_group {
	struct rusage_counts counts;    /* every thread's, exited ones too */
	u64 maxrss_pages;               /* the largest address space it left */
	struct rusage_counts children;  /* reaped children (and theirs) */
	u64 children_maxrss_pages;      /* the largest of them */
};

/* A fault was resolved in the current task's own address space;
 * blocks_before is its blocks_read when the fault began. */
void rusage_fault(u64 blocks_before);
/* The current task's read decrypted one disk block. */
void rusage_block_read(void);
/* context_switch, scheduler lock: prev leaves its CPU. */
void rusage_switch_locked(struct task *prev);
/* The process leaves mm (exec, exit): remember its peak. */
void rusage_leave_mm(struct thread_group *group, const struct mm *mm);

/* Figures for getrusage and wait4. */
struct rusage_counts rusage_thread(const struct task *task);
struct rusage_counts rusage_process(const struct thread_group *group);
struct rusage_counts rusage_children(const struct thread_group *group);
struct rusage_counts rusage_sum(struct rusage_counts a, struct rusage_counts b);
/* Peak resident set in pages: the process's own (its address space now
 * included, if it has one) and its reaped children's largest. */
u64 rusage_maxrss(const struct thread_group *group, const struct mm *mm);
u64 rusage_children_maxrss(const struct thread_group *group);

/* wait4 reaped child: its counts and peak join the parent's children's. */
void rusage_reap(struct thread_group *parent, const struct thread_group *child);

#endif
