/*
 * ve.c: the virtualization exception (#VE, vector 20) of a TD. The TDX
 * module turns some instructions into a #VE instead of exiting to the
 * host; the guest asks TDG.VP.VEINFO.GET what happened and does the
 * work itself through TDG.VP.VMCALL (GHCI):
 *
 *   CPUID (exit reason 10)  leaves 0x40000000-0x4fffffff (the range kept
 *                           for hypervisors) from the host; any other
 *                           leaf reads as zeros, as an unsupported leaf
 *                           does on real hardware: feature bits never
 *                           come from the host
 *   HLT (12)                Instruction.HLT, telling whether interrupts
 *                           were blocked
 *   IN/OUT (30)             Instruction.IO through vmcall.c (widths
 *                           masked there); string and REP forms refused
 *   RDMSR/WRMSR (31/32)     Instruction.RDMSR/WRMSR
 *
 * Anything else (an EPT violation: the kernel never does MMIO by plain
 * loads and stores in a TD, and pending private pages never #VE with
 * SEPT_VE_DISABLE) is not handled: the trap path then panics (kernel) or
 * signals (app). The instruction length from VEINFO must be 1..15;
 * every value the host returns is cut to its register width.
 */
#include "platform/platform.h"
#include "platform/tdx/tdx.h"
#include "platform/tdx/tdcall.h"
#include "arch/x86_64/trapframe.h"
#include "lib/kprintf.h"
#include "panic.h"

#define EXIT_CPUID 10
#define EXIT_HLT 12
#define EXIT_IO 30
#define EXIT_RDMSR 31
#define EXIT_WRMSR 32
#define HYPERVISOR_LEAVES_FIRST 0x40000000u
#define HYPERVISOR_LEAVES_LAST 0x4fffffffu
#define IO_SIZE_MASK 0x7
#define IO_DIRECTION_IN (1u << 3)
#define IO_STRING (1u << 4)
#define IO_REP (1u << 5)
#define MAX_INSTRUCTION 15
#define LOW32 0xffffffffULL

struct ve_info {
    u32 exit_reason;
    u64 qualification;
    u32 length;
};

static void ve_info_get(struct ve_info *ve)
{
    struct tdx_regs regs = {0};
    u64 status = tdx_tdcall(TDG_VP_VEINFO_GET, &regs);
    if (status != TDX_SUCCESS)
        panic("tdx: #VE but TDG.VP.VEINFO.GET failed: %lx", status);
    ve->exit_reason = (u32)regs.rcx;
    ve->qualification = regs.rdx;
    ve->length = (u32)regs.r10;
}

static bool handle_cpuid(struct trapframe *tf)
{
    u32 leaf = (u32)tf->rax, subleaf = (u32)tf->rcx;
    u32 out[4] = {0, 0, 0, 0};
    if (leaf >= HYPERVISOR_LEAVES_FIRST && leaf <= HYPERVISOR_LEAVES_LAST &&
        tdx_cpuid_vmcall(leaf, subleaf, out) != 0)
        return false;
    tf->rax = out[0];
    tf->rbx = out[1];
    tf->rcx = out[2];
    tf->rdx = out[3];
    return true;
}

static bool handle_io(struct trapframe *tf, u64 qualification)
{
    unsigned size = (unsigned)(qualification & IO_SIZE_MASK) + 1;
    u16 port = (u16)(qualification >> 16);
    if ((qualification & (IO_STRING | IO_REP)) || (size != 1 && size != 2 && size != 4))
        return false;
    if (!(qualification & IO_DIRECTION_IN)) {
        tdx_io_write(port, size, (u32)tf->rax); /* a refused write is dropped */
        return true;
    }
    u32 value;
    tdx_io_read(port, size, &value); /* all ones when refused */
    if (size == 4)
        tf->rax = value; /* a 32-bit write clears the upper half */
    else {
        u64 mask = size == 1 ? 0xffULL : 0xffffULL;
        tf->rax = (tf->rax & ~mask) | (value & mask);
    }
    return true;
}

static bool handle_rdmsr(struct trapframe *tf)
{
    u64 value;
    if (tdx_rdmsr_vmcall((u32)tf->rcx, &value) != 0)
        return false; /* the host refused: like a #GP on real hardware */
    tf->rax = value & LOW32;
    tf->rdx = value >> 32;
    return true;
}

static bool handle_wrmsr(struct trapframe *tf)
{
    u64 value = (tf->rdx & LOW32) << 32 | (tf->rax & LOW32);
    return tdx_wrmsr_vmcall((u32)tf->rcx, value) == 0;
}

bool platform_virt_exception(struct trapframe *tf)
{
    if (!tdx_active())
        return false;
    struct ve_info ve;
    ve_info_get(&ve);
    if (ve.length == 0 || ve.length > MAX_INSTRUCTION) {
        kprintf("tdx: #VE with instruction length %u\n", ve.length);
        return false;
    }
    bool handled;
    switch (ve.exit_reason) {
    case EXIT_CPUID: handled = handle_cpuid(tf); break;
    case EXIT_HLT: handled = tdx_hlt_vmcall(!(tf->rflags & RFLAGS_IF)) == 0; break;
    case EXIT_IO: handled = handle_io(tf, ve.qualification); break;
    case EXIT_RDMSR: handled = handle_rdmsr(tf); break;
    case EXIT_WRMSR: handled = handle_wrmsr(tf); break;
    default:
        kprintf("tdx: #VE exit reason %u at %lx not handled\n", ve.exit_reason, tf->rip);
        handled = false;
    }
    if (handled)
        tf->rip += ve.length;
    return handled;
}
