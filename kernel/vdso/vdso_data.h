/*
 * vdso_data.h: the vvar page, shared by the kernel (mm/vdso.c writes it)
 * and the vDSO (vdso/vdso.c reads it in user mode). The app can read the
 * page but not write it: nothing in it is secret, and nothing the app
 * could change in its own copy affects the kernel.
 *
 * Time is the kernel's own clock (platform/vm/time.c): monotonic ns =
 * ((rdtsc - tsc_base) * ns_mult) >> 32, wall ns = wall_base_ns +
 * monotonic ns. The kernel bumps seq to an odd value before changing the
 * fields and to an even one after, so a reader that sees the same even
 * seq before and after its read has a consistent snapshot.
 */
#ifndef CVMIFY_VDSO_DATA_H
#define CVMIFY_VDSO_DATA_H

#include "lib/types.h"

#define VDSO_GETCPU_ZERO 0     /* one CPU: always 0 */
#define VDSO_GETCPU_RDTSCP 1   /* each CPU's IA32_TSC_AUX holds its number */

struct vdso_data {
	u32 seq;
	u32 enabled;         /* 0: every call falls back to the syscall */
	u64 tsc_base;
	u64 ns_mult;         /* 32.32 fixed point */
	u64 wall_base_ns;
	u32 getcpu_mode;     /* VDSO_GETCPU_* */
	u32 reserved;
};

#endif
