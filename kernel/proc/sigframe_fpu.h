/*
 * sigframe_fpu.h: the FPU/SIMD part of a signal frame, in Linux's
 * x86-64 layout (sigframe_fpu.c).
 */
#ifndef CVMIFY_PROC_SIGFRAME_FPU_H
#define CVMIFY_PROC_SIGFRAME_FPU_H

#include "lib/types.h"

struct task;

/* uc_flags bits (Linux's asm/ucontext.h). */
#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4

/* Bytes the FPU state takes in a frame (64-byte aligned start). */
u64 sigframe_fpu_size(void);
/* uc_flags for a frame built now. */
u64 sigframe_uc_flags(void);
/* The most a frame can take on an alternate stack: AT_MINSIGSTKSZ. */
u64 sigframe_min_stack(void);

/* Save the live FPU state (through the task's buffer) to user memory at
 * fp_addr, with Linux's software-reserved words when XSAVE is on; then
 * give the handler a clean FPU state. false: the stack cannot hold it. */
bool sigframe_fpu_save(struct task *task, u64 fp_addr);

/* rt_sigreturn: load the image at fp_addr (0: a clean state) after
 * checking it. Whatever the app wrote, the restore cannot fault: an
 * unknown or inconsistent XSAVE image loads only its FXSAVE part.
 * false: the memory is unreadable. */
bool sigframe_fpu_restore(struct task *task, u64 fp_addr);

#endif
