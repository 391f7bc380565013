/*
 * tdcall.h: the two TDCALL calling conventions, as tiny asm functions
 * (tdcall.S). Facts from Intel's "TDX Module v1.5 ABI Specification"
 * (TDCALL leaf numbers table, "TDCALL Instruction Leaf Numbers") and the
 * "Guest-Hypervisor Communication Interface (GHCI) for TDX 1.5" spec,
 * section 2.4 "TDG.VP.VMCALL Interface" and chapter 3 (sub-functions).
 * The section numbers quoted in platform/tdx/ were not re-checked against
 * the latest spec revision; the names (TDG.*, sub-function names) are
 * what to search for. docs/tdx.md lists them.
 *
 * Trust: everything tdx_vmcall() hands back was written by the host
 * (VMM); only vmcall.c looks at it. tdx_tdcall() talks to the TDX module
 * itself, which is trusted, but its status is still checked by callers.
 */
#ifndef CVMIFY_PLATFORM_TDX_TDCALL_H
#define CVMIFY_PLATFORM_TDX_TDCALL_H

#include "lib/types.h"

/* TDCALL leaves (ABI spec, leaf numbers table). */
#define TDG_VP_VMCALL 0
#define TDG_VP_INFO 1
#define TDG_MR_RTMR_EXTEND 2
#define TDG_VP_VEINFO_GET 3
#define TDG_MR_REPORT 4
#define TDG_MEM_PAGE_ACCEPT 6

/* TDCALL completion status (RAX): 0 is success; bit 63 set means error. */
#define TDX_SUCCESS 0ULL
#define TDX_STATUS_ERROR_BIT (1ULL << 63)

/* TDG.VP.VMCALL register exposure mask in RCX (GHCI 2.4.1): bit n
 * exposes GPR n to the VMM. We expose exactly R10..R15 and nothing
 * else, so no other guest register value ever reaches the host. */
#define TDX_VMCALL_EXPOSE_R10_R15 0xfc00ULL

/* Registers in and out of a TDCALL. tdx_tdcall passes rcx..r11 and reads
 * them back; tdx_vmcall passes rcx and r10..r15 and reads back r10..r15. */
struct tdx_regs {
    u64 rcx;
    u64 rdx;
    u64 r8;
    u64 r9;
    u64 r10;
    u64 r11;
    u64 r12;
    u64 r13;
    u64 r14;
    u64 r15;
};

/* TDCALL with RAX = leaf (any leaf but TDG.VP.VMCALL). Returns RAX, the
 * TDX module's completion status. */
u64 tdx_tdcall(u64 leaf, struct tdx_regs *regs);

/* TDCALL[TDG.VP.VMCALL]: RAX = 0, RCX = regs->rcx (the exposure mask),
 * R10..R15 from regs. Returns RAX (the TDCALL status, 0 unless the mask
 * was refused); R10 (VMCALL status) and R11 (data) come back in regs. */
u64 tdx_vmcall(struct tdx_regs *regs);

#endif
