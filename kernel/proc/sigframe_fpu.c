/*
 * sigframe_fpu.c: the FPU/SIMD state in signal frames, as Linux x86-64
 * lays it out: uc_mcontext.fpstate points at a 64-byte aligned XSAVE
 * image in the standard format (or a 512-byte FXSAVE image without
 * XSAVE). With XSAVE, bytes 464..511 of its legacy part hold the
 * software-reserved words (struct _fpx_sw_bytes: magic1, extended size,
 * xfeatures, xstate size, zero padding) and FP_XSTATE_MAGIC2 follows the
 * image; uc_flags has UC_FP_XSTATE.
 *
 * Trust: on rt_sigreturn the image is the app's. It is copied into the
 * task's buffer and sanitized (arch fpu_sanitize: MXCSR, header) before
 * XRSTOR, so no value can make the restore fault in the kernel.
 */
#include "proc/sigframe_fpu.h"

#include "arch/x86_64/arch.h"
#include "lib/string.h"
#include "mm/uaccess.h"
#include "proc/task.h"
#include "syscalls/linux_abi/signal.h"

#define FXSAVE_SIZE_BYTES 512
#define SW_BYTES_OFFSET 464
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
#define MAGIC2_SIZE 4
#define XFEATURES_FX (3ull) /* x87 and SSE: what an FXSAVE image holds */

struct fpx_sw_bytes {
	u32 magic1;
	u32 extended_size;
	u64 xfeatures;
	u32 xstate_size;
	u32 padding[7];
};
_Static_assert(sizeof(struct fpx_sw_bytes) == 48, "sw_reserved is 48 bytes");

u64 sigframe_fpu_size(void)
{
	return fpu_xfeatures() ? fpu_area_size() + MAGIC2_SIZE : FXSAVE_SIZE_BYTES;
}

u64 sigframe_uc_flags(void)
{
	return UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | (fpu_xfeatures() ? UC_FP_XSTATE : 0);
}

u64 sigframe_min_stack(void)
{
	/* The frame, the FPU image and their alignment (64 and 16 + 8). */
	return sizeof(struct linux_rt_sigframe) + sigframe_fpu_size() + 64 + 24;
}

bool sigframe_fpu_save(struct task *task, u64 fp_addr)
{
	fpu_save_full(&task->fpu);
	u8 *area = fpu_area(&task->fpu);
	u32 size = fpu_area_size();
	u64 xfeatures = fpu_xfeatures();
	if (xfeatures) {
		struct fpx_sw_bytes sw;
		memset(&sw, 0, sizeof(sw));
		sw.magic1 = FP_XSTATE_MAGIC1;
		sw.extended_size = size + MAGIC2_SIZE;
		sw.xfeatures = xfeatures;
		sw.xstate_size = size;
		memcpy(area + SW_BYTES_OFFSET, &sw, sizeof(sw));
	}
	bool ok = copyout(fp_addr, area, size) == 0;
	u32 magic2 = FP_XSTATE_MAGIC2;
	if (ok && xfeatures)
		ok = copyout(fp_addr + size, &magic2, sizeof(magic2)) == 0;
	if (!ok)
		return false;
	/* The handler starts with a clean FPU state, like on Linux. */
	fpu_state_init(&task->fpu);
	fpu_restore(&task->fpu);
	return true;
}

/* Does the image at fp_addr carry our XSAVE layout (Linux's check)? */
static bool xstate_image(u64 fp_addr, u64 *xfeatures)
{
	u32 size = fpu_area_size();
	struct fpx_sw_bytes sw;
	u32 magic2;
	if (!fpu_xfeatures() || copyin(&sw, fp_addr + SW_BYTES_OFFSET, sizeof(sw)) != 0)
		return false;
	if (sw.magic1 != FP_XSTATE_MAGIC1 || sw.xstate_size != size ||
	    sw.extended_size != size + MAGIC2_SIZE)
		return false;
	if (copyin(&magic2, fp_addr + size, sizeof(magic2)) != 0 || magic2 != FP_XSTATE_MAGIC2)
		return false;
	*xfeatures = sw.xfeatures | XFEATURES_FX;
	return true;
}

bool sigframe_fpu_restore(struct task *task, u64 fp_addr)
{
	if (fp_addr == 0) {
		fpu_state_init(&task->fpu); /* Linux: no image, a clean state */
		fpu_restore(&task->fpu);
		return true;
	}
	u8 *area = fpu_area(&task->fpu);
	u64 xfeatures = XFEATURES_FX;
	u32 size = xstate_image(fp_addr, &xfeatures) ? fpu_area_size() : FXSAVE_SIZE_BYTES;
	memset(area, 0, fpu_area_size());
	if (copyin(area, fp_addr, size) != 0)
		return false;
	if (size == FXSAVE_SIZE_BYTES && fpu_xfeatures()) {
		u64 xstate_bv = XFEATURES_FX; /* the legacy part only; the rest init */
		memcpy(area + 512, &xstate_bv, sizeof(xstate_bv));
	}
	fpu_sanitize(&task->fpu, xfeatures);
	fpu_restore(&task->fpu);
	return true;
}
