/*
 * tdx_model.c: the fake TDCALL (see tdx_model.h) and the kernel services
 * platform/tdx/shared.c needs (contiguous pages, page-table calls), which
 * only record what they were asked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdx_model.h"
#include "tdboot/layout.h"
#include "tdx_mem.h"
#include "platform/tdx/tdx.h"
#include "mm/page.h"
#include "mm/kpt.h"

struct tdx_model g_model;

static void violation(const char *what, u64 value)
{
    fprintf(stderr, "  model: convention violated: %s (%llx)\n", what,
            (unsigned long long)value);
    g_model.convention_errors++;
}

/* What td_entry.S provides in the kernel: the copy of td.fd's descriptor
 * area (tests fill it) and, in mode.c, the boot mode. */
u8 g_td_bfv_data[TD_BFV_DATA_SIZE];
u8 g_td_wakeup[40] __attribute__((aligned(8)));
extern u32 g_td_boot_mode;

void model_reset(void)
{
    memset(&g_model, 0, sizeof(g_model));
    g_model.gpaw = 48;
    g_td_boot_mode = TD_BOOT_TDX; /* the model is a TD */
}

static struct model_call *record(u64 leaf, const struct tdx_regs *regs)
{
    if (g_model.ncalls == MODEL_MAX_CALLS) {
        violation("too many calls for the model", g_model.ncalls);
        return &g_model.calls[MODEL_MAX_CALLS - 1];
    }
    struct model_call *c = &g_model.calls[g_model.ncalls++];
    memset(c, 0, sizeof(*c));
    c->leaf = leaf;
    c->in = *regs;
    return c;
}

static u64 shared_bit(void)
{
    return 1ULL << (g_model.gpaw - 1);
}

/* ---- TDG.VP.VMCALL (GHCI 2.4) ---- */

static void check_io(const struct tdx_regs *r)
{
    if (r->r12 != 1 && r->r12 != 2 && r->r12 != 4)
        violation("Instruction.IO size", r->r12);
    if (r->r13 > 1)
        violation("Instruction.IO direction", r->r13);
    if (r->r14 > 0xffff)
        violation("Instruction.IO port", r->r14);
    if (r->r13 == 1 && r->r12 < 8 && (r->r15 >> (8 * r->r12)) != 0)
        violation("Instruction.IO write data wider than size", r->r15);
}

static void check_mmio(const struct tdx_regs *r)
{
    if (r->r12 != 1 && r->r12 != 2 && r->r12 != 4 && r->r12 != 8)
        violation("RequestMMIO size", r->r12);
    if (r->r13 > 1)
        violation("RequestMMIO direction", r->r13);
    if (!(r->r14 & shared_bit()))
        violation("RequestMMIO address without the shared bit", r->r14);
}

static void check_map_gpa(const struct tdx_regs *r)
{
    u64 addr = r->r12 & ~shared_bit();
    if (addr % 4096 != 0 || r->r13 % 4096 != 0 || r->r13 == 0)
        violation("MapGPA range not page aligned", r->r12);
    if (addr >> g_model.gpaw)
        violation("MapGPA address beyond GPAW", r->r12);
}

u64 tdx_vmcall(struct tdx_regs *regs)
{
    record(TDG_VP_VMCALL, regs);
    if (regs->rcx != TDX_VMCALL_EXPOSE_R10_R15)
        violation("VMCALL exposure mask", regs->rcx);
    if (regs->r10 != 0)
        violation("VMCALL R10 must be 0 (GHCI standard)", regs->r10);
    switch (regs->r11) {
    case TDVMCALL_INSTRUCTION_IO:
        check_io(regs);
        break;
    case TDVMCALL_REQUEST_MMIO:
        check_mmio(regs);
        break;
    case TDVMCALL_MAP_GPA:
        check_map_gpa(regs);
        if (g_model.retry_count > 0) {
            int i = --g_model.retry_count;
            regs->r10 = TDVMCALL_STATUS_RETRY;
            regs->r11 = g_model.retry_gpa[i];
            return 0;
        }
        break;
    case TDVMCALL_GET_QUOTE: {
        /* The host answers in the shared buffer: status, out_len, quote. */
        if (!(regs->r12 & shared_bit()) || regs->r12 % 4096 || regs->r13 % 4096)
            violation("GetQuote buffer", regs->r12);
        u8 *buf = (u8 *)(uptr)(g_tdx_shared_window + (regs->r12 & ~shared_bit()));
        u32 in_len;
        memcpy(&in_len, buf + 16, 4);
        if (in_len != 1024)
            violation("GetQuote in_len", in_len);
        memcpy(buf + 8, &g_model.quote_status, 8);
        memcpy(buf + 20, &g_model.quote_out_len, 4);
        u64 room = regs->r13 - 24;
        memset(buf + 24, 0x51, g_model.quote_out_len < room ? g_model.quote_out_len : room);
        break;
    }
    case TDVMCALL_REPORT_FATAL_ERROR:
    case TDVMCALL_INSTRUCTION_HLT:
    case TDVMCALL_INSTRUCTION_RDMSR:
    case TDVMCALL_INSTRUCTION_WRMSR:
        break;
    case TDVMCALL_INSTRUCTION_CPUID:
        regs->r12 = g_model.vmcall_out[0];
        regs->r13 = g_model.vmcall_out[1];
        regs->r14 = g_model.vmcall_out[2];
        regs->r15 = g_model.vmcall_out[3];
        break;
    default:
        violation("unknown VMCALL sub-function", regs->r11);
    }
    regs->r10 = g_model.vmcall_status;
    regs->r11 = g_model.vmcall_r11;
    return 0;
}

/* ---- other TDCALL leaves (TDX Module ABI) ---- */

u64 tdx_tdcall(u64 leaf, struct tdx_regs *regs)
{
    struct model_call *c = record(leaf, regs);
    switch (leaf) {
    case TDG_VP_INFO:
        regs->rcx = g_model.gpaw;
        break;
    case TDG_MR_RTMR_EXTEND:
        if (regs->rcx % 64 != 0)
            violation("RTMR.EXTEND buffer not 64-byte aligned", regs->rcx);
        if (regs->rdx > 3)
            violation("RTMR.EXTEND index", regs->rdx);
        memcpy(c->extend_data, phys_to_virt(regs->rcx), 48);
        break;
    case TDG_MR_REPORT:
        if (regs->rcx % 1024 != 0)
            violation("MR.REPORT TDREPORT not 1024-byte aligned", regs->rcx);
        if (regs->rdx % 64 != 0)
            violation("MR.REPORT REPORTDATA not 64-byte aligned", regs->rdx);
        if (regs->r8 != 0)
            violation("MR.REPORT subtype", regs->r8);
        memcpy(c->reportdata, phys_to_virt(regs->rdx), 64);
        if (g_model.tdcall_status == 0) {
            /* REPORTMACSTRUCT.REPORTDATA sits at offset 128. */
            u8 *report = phys_to_virt(regs->rcx);
            memset(report, 0x5a, 1024);
            memcpy(report + 128, c->reportdata, 64);
        }
        break;
    case TDG_VP_VEINFO_GET:
        regs->rcx = g_model.ve_exit_reason;
        regs->rdx = g_model.ve_qualification;
        regs->r8 = 0;
        regs->r9 = 0;
        regs->r10 = g_model.ve_length;
        break;
    case TDG_MEM_PAGE_ACCEPT: {
        u64 level = regs->rcx & 7, gpa = regs->rcx & ~7ULL;
        if (level > 1 || gpa % (level ? 2ULL << 20 : 4096) != 0)
            violation("PAGE.ACCEPT GPA or level", regs->rcx);
        if (regs->rcx & shared_bit())
            violation("PAGE.ACCEPT of a shared GPA", regs->rcx);
        if ((level == 1 && g_model.refuse_2m) || (level == 0 && gpa == g_model.refuse_accept_gpa))
            return 0xc000000000000000ULL; /* an error status */
        break;
    }
    default:
        violation("unknown TDCALL leaf", leaf);
    }
    return g_model.tdcall_status;
}

const struct model_call *model_find(u64 leaf, u64 subfn, int index)
{
    for (int i = 0; i < g_model.ncalls; i++) {
        const struct model_call *c = &g_model.calls[i];
        if (c->leaf != leaf || (leaf == TDG_VP_VMCALL && c->in.r11 != subfn))
            continue;
        if (index-- == 0)
            return c;
    }
    return NULL;
}

int model_count(u64 leaf, u64 subfn)
{
    int n = 0;
    while (model_find(leaf, subfn, n))
        n++;
    return n;
}

/* ---- memory services for shared.c ---- */

struct tdx_mem g_mem;

void *page_alloc_contig(size_t count)
{
    if (g_mem.pool_used + count > MEM_POOL_PAGES)
        return NULL;
    void *p = g_mem.pool + g_mem.pool_used * 4096;
    g_mem.pool_used += count;
    memset(p, 0, count * 4096);
    return p;
}

void page_free_contig(void *first, size_t count)
{
    g_mem.freed_first = first;
    g_mem.freed_count = count;
}

static u64 g_fake_root[512];

u64 *kpt_kernel_root(void)
{
    return g_fake_root;
}

int pt_map(u64 *root, u64 va, u64 pa, u64 flags)
{
    if (root != g_fake_root || g_mem.nmaps == MEM_MAX_MAPS)
        return -1;
    if (g_mem.fail_map_at >= 0 && g_mem.nmaps == g_mem.fail_map_at)
        return -12;
    g_mem.maps[g_mem.nmaps++] = (struct mem_map){ va, pa, flags };
    return 0;
}

int pt_unmap(u64 *root, u64 va, u64 *pa_out)
{
    (void)root;
    (void)pa_out;
    g_mem.unmaps[g_mem.nunmaps++ % MEM_MAX_MAPS] = va;
    return 0;
}

void tlb_flush_page(u64 va)
{
    (void)va;
}
