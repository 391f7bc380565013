/*
 * vmcall.c: every TDG.VP.VMCALL the kernel makes, and the one place that
 * checks what the host (VMM) answers (GHCI 1.5 section 2.4).
 *
 * Trust: R10 (status) and R11 (data) are host-written. The TDCALL status
 * in RAX comes from the TDX module: non-zero means our own call was
 * malformed (a kernel bug), so it panics. A VMCALL status other than
 * SUCCESS (or RETRY where the spec allows it) is a refusal: the caller
 * gets -EIO and the count goes up. Data is masked to the width asked for,
 * so a host cannot smuggle high bits into a byte read.
 */
#include "platform/tdx/tdx.h"
#include "platform/tdx/tdcall.h"
#include "mm/page.h"
#include "syscalls/linux_abi/errno.h"
#include "lib/kprintf.h"
#include "panic.h"

#define MAP_GPA_MAX_RETRIES 4096 /* a host answering RETRY forever must not hang us */

static u64 g_refused;

u64 tdx_vmcall_refused_count(void)
{
    return g_refused;
}

static u64 width_mask(unsigned size)
{
    return size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

/* Issue sub-function fn with R12..R15 = a..d; *out gets the registers
 * the host wrote (R10..R15). Returns the VMCALL status, checked against
 * the codes the spec defines; anything else becomes INVALID_OPERAND (a
 * refusal). */
static u64 vmcall_out(u64 fn, u64 a, u64 b, u64 c, u64 d, struct tdx_regs *out)
{
    *out = (struct tdx_regs){
        .rcx = TDX_VMCALL_EXPOSE_R10_R15,
        .r10 = 0, /* 0: a GHCI-standard sub-function */
        .r11 = fn,
        .r12 = a,
        .r13 = b,
        .r14 = c,
        .r15 = d,
    };
    u64 rax = tdx_vmcall(out);
    if (rax != TDX_SUCCESS)
        panic("tdx: TDG.VP.VMCALL %lx refused by the TDX module: %lx", fn, rax);

    u64 status = out->r10;
    switch (status) {
    case TDVMCALL_STATUS_SUCCESS:
    case TDVMCALL_STATUS_RETRY:
    case TDVMCALL_STATUS_INVALID_OPERAND:
    case TDVMCALL_STATUS_GPA_INUSE:
    case TDVMCALL_STATUS_ALIGN_ERROR:
        break;
    default:
        status = TDVMCALL_STATUS_INVALID_OPERAND; /* not a code the spec knows */
        break;
    }
    if (status != TDVMCALL_STATUS_SUCCESS)
        g_refused++;
    return status;
}

/* The common case: on success *data (if not NULL) gets R11 masked by
 * data_mask. */
static u64 vmcall(u64 fn, u64 a, u64 b, u64 c, u64 d, u64 *data, u64 data_mask)
{
    struct tdx_regs regs;
    u64 status = vmcall_out(fn, a, b, c, d, &regs);
    if (data)
        *data = regs.r11 & data_mask;
    return status;
}

static bool io_size_ok(unsigned size)
{
    return size == 1 || size == 2 || size == 4;
}

/* One read through the host (port I/O or MMIO): the data comes back in R11,
 * already cut to the access width by vmcall(). On failure the caller sees
 * all ones, like a read from a bus with no device behind it. */
static int host_read(u64 leaf, unsigned size, u64 addr, u64 *value)
{
    u64 data;
    u64 status = vmcall(leaf, size, TDVMCALL_DIR_READ, addr, 0, &data, width_mask(size));
    if (status != TDVMCALL_STATUS_SUCCESS) {
        *value = width_mask(size);
        return -EIO;
    }
    *value = data;
    return 0;
}

static int host_write(u64 leaf, unsigned size, u64 addr, u64 value)
{
    u64 status = vmcall(leaf, size, TDVMCALL_DIR_WRITE, addr, value & width_mask(size), NULL, 0);
    return status == TDVMCALL_STATUS_SUCCESS ? 0 : -EIO;
}

int tdx_io_read(u16 port, unsigned size, u32 *value)
{
    if (!io_size_ok(size))
        panic("tdx: port read of %u bytes", size);
    u64 data;
    int err = host_read(TDVMCALL_INSTRUCTION_IO, size, port, &data);
    *value = (u32)data;
    return err;
}

int tdx_io_write(u16 port, unsigned size, u32 value)
{
    if (!io_size_ok(size))
        panic("tdx: port write of %u bytes", size);
    return host_write(TDVMCALL_INSTRUCTION_IO, size, port, value);
}

static bool mmio_size_ok(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

int tdx_mmio_read(u64 gpa, unsigned size, u64 *value)
{
    if (!mmio_size_ok(size))
        panic("tdx: mmio read of %u bytes", size);
    return host_read(TDVMCALL_REQUEST_MMIO, size, gpa, value);
}

int tdx_mmio_write(u64 gpa, unsigned size, u64 value)
{
    if (!mmio_size_ok(size))
        panic("tdx: mmio write of %u bytes", size);
    return host_write(TDVMCALL_REQUEST_MMIO, size, gpa, value);
}

/* MapGPA (GHCI 3.2): R12 = start GPA, R13 = size, both 4 KiB aligned.
 * On RETRY, R11 is the GPA to continue from; it must lie strictly after
 * the current start, inside the range, and be page aligned, otherwise
 * the host is lying and the conversion fails. */
int tdx_map_gpa(u64 gpa, u64 size)
{
    if (gpa % PAGE_SIZE != 0 || size % PAGE_SIZE != 0 || size == 0 || gpa + size < gpa)
        panic("tdx: MapGPA of unaligned range %lx+%lx", gpa, size);
    u64 end = gpa + size;
    u64 start = gpa;
    for (int i = 0; i < MAP_GPA_MAX_RETRIES; i++) {
        u64 next;
        u64 status = vmcall(TDVMCALL_MAP_GPA, start, end - start, 0, 0, &next, ~0ULL);
        if (status == TDVMCALL_STATUS_SUCCESS)
            return 0;
        if (status != TDVMCALL_STATUS_RETRY)
            return -EIO;
        if (next <= start || next >= end || next % PAGE_SIZE != 0) {
            g_refused++;
            kprintf("tdx: MapGPA retry address %lx outside %lx..%lx\n", next, start, end);
            return -EIO;
        }
        start = next;
    }
    kprintf("tdx: MapGPA of %lx+%lx still retrying, giving up\n", gpa, size);
    return -EIO;
}

/* ReportFatalError (GHCI 3.4): R12[31:0] = TD-specific code, R12[63]
 * clear = no extra data page in R13. */
void tdx_report_fatal_error(u32 code)
{
    vmcall(TDVMCALL_REPORT_FATAL_ERROR, code, 0, 0, 0, NULL, 0);
}

/* GetQuote (GHCI 3.3): R12 = shared GPA of the buffer, R13 = its size
 * (4 KiB aligned). Only the status matters here; the buffer is read by
 * quote.c. */
int tdx_get_quote_vmcall(u64 gpa, u64 size)
{
    if (gpa % PAGE_SIZE != 0 || size % PAGE_SIZE != 0 || size == 0)
        panic("tdx: GetQuote buffer %lx+%lx not page aligned", gpa, size);
    return vmcall(TDVMCALL_GET_QUOTE, gpa, size, 0, 0, NULL, 0) == TDVMCALL_STATUS_SUCCESS ? 0 : -EIO;
}

/* Instruction.CPUID (GHCI): R12 = leaf, R13 = subleaf in; R12..R15 =
 * EAX..EDX out, cut to 32 bits. */
int tdx_cpuid_vmcall(u32 leaf, u32 subleaf, u32 out[4])
{
    struct tdx_regs regs;
    if (vmcall_out(TDVMCALL_INSTRUCTION_CPUID, leaf, subleaf, 0, 0, &regs) != TDVMCALL_STATUS_SUCCESS)
        return -EIO;
    out[0] = (u32)regs.r12;
    out[1] = (u32)regs.r13;
    out[2] = (u32)regs.r14;
    out[3] = (u32)regs.r15;
    return 0;
}

/* Instruction.HLT (GHCI): R12 = interrupt blocked flag. */
int tdx_hlt_vmcall(bool interrupts_blocked)
{
    return vmcall(TDVMCALL_INSTRUCTION_HLT, interrupts_blocked, 0, 0, 0, NULL, 0) ==
                   TDVMCALL_STATUS_SUCCESS ? 0 : -EIO;
}

/* Instruction.RDMSR (GHCI): R12 = index; the value in R11. */
int tdx_rdmsr_vmcall(u32 msr, u64 *value)
{
    return vmcall(TDVMCALL_INSTRUCTION_RDMSR, msr, 0, 0, 0, value, ~0ULL) ==
                   TDVMCALL_STATUS_SUCCESS ? 0 : -EIO;
}

/* Instruction.WRMSR (GHCI): R12 = index, R13 = value. */
int tdx_wrmsr_vmcall(u32 msr, u64 value)
{
    return vmcall(TDVMCALL_INSTRUCTION_WRMSR, msr, value, 0, 0, NULL, 0) ==
                   TDVMCALL_STATUS_SUCCESS ? 0 : -EIO;
}
