/*
 * info.c: TDG.VP.INFO (TDX Module ABI spec, TDG.VP.INFO leaf): the guest
 * physical address width, from which the shared bit follows (GPAW 48 ->
 * bit 47, GPAW 52 -> bit 51; ABI spec "GPA shared bit"), and the number
 * of vCPUs (R8[31:0] NUM_VCPUS, R8[63:32] MAX_VCPUS; the layout EDK2's
 * TDCALL_INFO_RETURN_DATA gives). The answers come from the TDX module,
 * not the host (which only chose how many vCPUs to create), but are
 * still checked.
 */
#include "platform/tdx/tdx.h"
#include "platform/tdx/tdcall.h"
#include "lib/kprintf.h"
#include "panic.h"

#define VP_INFO_GPAW_MASK 0x3fULL /* RCX[5:0] */

static u64 g_shared_bit;

void tdx_info_init(void)
{
    struct tdx_regs regs = {0};
    u64 status = tdx_tdcall(TDG_VP_INFO, &regs);
    if (status != TDX_SUCCESS)
        panic("tdx: TDG.VP.INFO failed: %lx", status);
    u64 gpaw = regs.rcx & VP_INFO_GPAW_MASK;
    if (gpaw != 48 && gpaw != 52)
        panic("tdx: unexpected GPAW %lu", gpaw);
    g_shared_bit = 1ULL << (gpaw - 1);
}

/* Asked lazily on first use, so boot code (main.c) needs no TDX step. */
u64 tdx_shared_bit(void)
{
    if (g_shared_bit == 0)
        tdx_info_init();
    return g_shared_bit;
}

u32 tdx_vcpu_count(void)
{
    struct tdx_regs regs = {0};
    u64 status = tdx_tdcall(TDG_VP_INFO, &regs);
    u32 num = (u32)regs.r8, max = (u32)(regs.r8 >> 32);
    if (status != TDX_SUCCESS || num == 0 || num > max) {
        kprintf("tdx: TDG.VP.INFO gives %u of at most %u vCPUs (status %lx): using one\n",
                num, max, status);
        return 0;
    }
    return num;
}
