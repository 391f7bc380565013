/*
 * probe.h: the accelerator probe (fw_cfg opt/cvmify/probe = "1"):
 * after paging and traps are up, run a tiny built-in ring-3 stub that
 * makes two syscalls (a round trip: the second checks the first's
 * return value), then print "cvmify: probe ok" and power off with 0x10.
 * It needs no config, disk or key.
 */
#ifndef CVMIFY_ARCH_PROBE_H
#define CVMIFY_ARCH_PROBE_H

#include "arch/x86_64/trapframe.h"

/* Never returns: powers off (0x10 on success, panic otherwise). */
void probe_run(void) __attribute__((noreturn));

bool probe_active(void);
u64 probe_syscall(struct trapframe *tf);

#endif
