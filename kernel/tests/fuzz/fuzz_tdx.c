/*
 * fuzz_tdx.c: the TDX backend's checks of what the VMM answers
 * (platform/tdx/): every status, R11 and output register of a
 * TDG.VP.VMCALL comes from the input, through the TDX module + VMM model
 * (tests/host/tdx_model.c), for port and MMIO reads, MapGPA, CPUID,
 * RDMSR, and the #VE handler with the exit reason, qualification and
 * instruction length a host-influenced #VE would carry. The kernel must
 * mask values to the width asked, refuse error statuses (all-ones
 * reads), keep the GHCI register conventions, and never touch memory
 * outside what it owns.
 */
#include <stdio.h>

#include "arch/x86_64/trapframe.h"
#include "fuzz_input.h"
#include "mm/kpt.h"
#include "mm/page.h"
#include "platform/platform.h"
#include "platform/tdx/tdcall.h"
#include "platform/tdx/tdx.h"
#include "tdx_mem.h"
#include "tdx_model.h"

static u8 *g_arena;

static void setup(struct fuzz_input *in)
{
	model_reset();
	free(g_mem.pool);
	free(g_arena);
	memset(&g_mem, 0, sizeof(g_mem));
	g_mem.fail_map_at = -1;
	g_mem.pool = aligned_alloc(4096, MEM_POOL_PAGES * 4096);
	g_arena = aligned_alloc(4096, MEM_POOL_PAGES * 4096);
	memset(g_arena, 0xaa, MEM_POOL_PAGES * 4096);
	g_tdx_shared_window = (u64)(uptr)g_arena - virt_to_phys(g_mem.pool);
	g_model.gpaw = fuzz_u8(in) % 2 ? 52 : 48;
	tdx_info_init();
	g_model.ncalls = 0;
}

static const u64 g_statuses[] = {
	0, TDVMCALL_STATUS_RETRY, TDVMCALL_STATUS_INVALID_OPERAND, TDVMCALL_STATUS_GPA_INUSE,
	TDVMCALL_STATUS_ALIGN_ERROR,
};

static void hostile_answers(struct fuzz_input *in)
{
	u8 pick = fuzz_u8(in);
	g_model.vmcall_status = pick < 200 ? g_statuses[pick % 5] : fuzz_u64(in);
	g_model.vmcall_r11 = fuzz_u64(in);
	for (int i = 0; i < 4; i++)
		g_model.vmcall_out[i] = fuzz_u64(in);
	g_model.retry_count = fuzz_u8(in) % (MODEL_MAX_RETRIES + 1);
	for (int i = 0; i < MODEL_MAX_RETRIES; i++)
		g_model.retry_gpa[i] = fuzz_u64(in);
	g_model.ncalls = 0;
}

static void one_call(struct fuzz_input *in)
{
	static const unsigned widths[3] = {1, 2, 4};
	unsigned w = widths[fuzz_u8(in) % 3];
	u64 all = w == 4 ? 0xffffffffull : (1ull << (8 * w)) - 1;
	switch (fuzz_u8(in) % 6) {
	case 0: {
		u32 v = 0;
		int err = tdx_io_read(fuzz_u16(in), w, &v);
		FUZZ_ASSERT(v <= all);
		if (err)
			FUZZ_ASSERT(v == all);
		break;
	}
	case 1: {
		u64 v = 0;
		u64 gpa = (0xfeb00000ull + (fuzz_u16(in) & ~7u)) | tdx_shared_bit();
		int err = tdx_mmio_read(gpa, w, &v);
		FUZZ_ASSERT(v <= all);
		if (err)
			FUZZ_ASSERT(v == all);
		break;
	}
	case 2:
		(void)tdx_map_gpa(((u64)fuzz_u16(in) << 12), (u64)(1 + fuzz_u8(in) % 8) << 12);
		break;
	case 3: {
		u32 out[4] = {0};
		(void)tdx_cpuid_vmcall(0x40000000u + fuzz_u8(in) % 4, 0, out);
		break;
	}
	case 4: {
		u64 v = 0;
		(void)tdx_rdmsr_vmcall(fuzz_u32(in), &v);
		break;
	}
	default: {
		/* A #VE: reason, qualification and length from the input. */
		g_model.ve_exit_reason = fuzz_u8(in) % 64;
		g_model.ve_qualification = fuzz_u64(in);
		g_model.ve_length = fuzz_u8(in) % 20;
		struct trapframe tf;
		memset(&tf, 0, sizeof(tf));
		tf.rax = fuzz_u32(in);
		tf.rcx = fuzz_u32(in);
		tf.rdx = fuzz_u16(in);
		tf.rip = 0x401000;
		tf.rflags = RFLAGS_IF;
		tf.trapno = TRAP_VE;
		u64 rip = tf.rip;
		if (platform_virt_exception(&tf))
			FUZZ_ASSERT(tf.rip > rip && tf.rip - rip < 16); /* stepped over it */
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = {data, size, 0};
	setup(&in);
	for (int round = 0; round < 8 && !fuzz_done(&in); round++) {
		hostile_answers(&in);
		one_call(&in);
		FUZZ_ASSERT(g_model.convention_errors == 0);
	}
	return 0;
}
