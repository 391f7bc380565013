/*
 * test_tdx.c: platform/tdx/ against the TDX model (tdx_model.c): a TDX
 * module that checks the ABI/GHCI register conventions and a VMM that
 * answers what each test asks, honest or not. No TDX hardware involved.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tdx_model.h"
#include "tdx_mem.h"
#include "platform/platform.h"
#include "platform/tdx/tdx.h"
#include "platform/tdx/kbs.h"
#include "mm/kpt.h"
#include "mm/page.h"
#include "syscalls/linux_abi/errno.h"

/* GPAW 52 in these tests: a host pointer's "physical address"
 * (virt_to_phys of a user-space pointer) has bit 47 set, which would hide
 * a missing GPAW-48 shared bit. GPAW 48 is checked in gpaw_shared_bit. */
#define SHARED_BIT (1ULL << 51)

static u8 *g_arena; /* where the shared window points in these tests */

static void setup(void)
{
    model_reset();
    free(g_mem.pool);
    free(g_arena);
    memset(&g_mem, 0, sizeof(g_mem));
    g_mem.fail_map_at = -1;
    g_mem.pool = aligned_alloc(4096, MEM_POOL_PAGES * 4096);
    g_arena = aligned_alloc(4096, MEM_POOL_PAGES * 4096);
    memset(g_arena, 0xaa, MEM_POOL_PAGES * 4096); /* what a host leaves in shared pages */
    /* window + pa(pool[i]) == arena[i] */
    g_tdx_shared_window = (u64)(uptr)g_arena - virt_to_phys(g_mem.pool);
    g_model.gpaw = 52;
    tdx_info_init();
    g_model.ncalls = 0; /* forget the TDG.VP.INFO call */
}

static void expect_clean_conventions(void)
{
    CHECK_EQ(g_model.convention_errors, 0);
}

static void test_port_read_masks_width(void)
{
    setup();
    g_model.vmcall_r11 = 0xdeadbeefcafef00dULL; /* a VMM returning junk in high bits */
    CHECK_EQ(platform_inb(0x3fd), 0x0d);
    CHECK_EQ(platform_inw(0x510), 0xf00d);
    CHECK_EQ(platform_inl(0xcf8), 0xcafef00d);
    /* The checked layer itself masks, not just the casts above it. */
    u32 value = 0;
    CHECK_EQ(tdx_io_read(0x3fd, 1, &value), 0);
    CHECK_EQ(value, 0x0d);
    CHECK_EQ(tdx_io_read(0x3fd, 2, &value), 0);
    CHECK_EQ(value, 0xf00d);
    g_model.ncalls = 3; /* keep the three platform_in* calls for below */
    const unsigned sizes[3] = {1, 2, 4};
    const u64 ports[3] = {0x3fd, 0x510, 0xcf8};
    for (int i = 0; i < 3; i++) {
        const struct model_call *c = model_find(TDG_VP_VMCALL, TDVMCALL_INSTRUCTION_IO, i);
        CHECK(c != NULL);
        if (!c)
            continue;
        CHECK_EQ(c->in.r12, sizes[i]);
        CHECK_EQ(c->in.r13, TDVMCALL_DIR_READ);
        CHECK_EQ(c->in.r14, ports[i]);
    }
    CHECK_EQ(tdx_vmcall_refused_count(), 0);
    expect_clean_conventions();
}

static void test_port_write_conventions(void)
{
    setup();
    platform_outb(0x3e8, 0x41);
    platform_outw(0x510, 0x0019);
    platform_outl(0xf4, 0x10);
    const struct model_call *c = model_find(TDG_VP_VMCALL, TDVMCALL_INSTRUCTION_IO, 0);
    CHECK(c && c->in.r12 == 1 && c->in.r13 == TDVMCALL_DIR_WRITE && c->in.r14 == 0x3e8 &&
          c->in.r15 == 0x41);
    c = model_find(TDG_VP_VMCALL, TDVMCALL_INSTRUCTION_IO, 1);
    CHECK(c && c->in.r12 == 2 && c->in.r15 == 0x19);
    c = model_find(TDG_VP_VMCALL, TDVMCALL_INSTRUCTION_IO, 2);
    CHECK(c && c->in.r12 == 4 && c->in.r14 == 0xf4 && c->in.r15 == 0x10);
    expect_clean_conventions();
}

/* A VMM error status: the data it sent along is not used. */
static void test_vmm_error_status_refused(void)
{
    const u64 bad[] = {
        TDVMCALL_STATUS_INVALID_OPERAND,
        TDVMCALL_STATUS_RETRY,        /* not a valid answer to port I/O */
        0x1234,                       /* not a status the spec knows */
        0x8000000000000099ULL,
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setup();
        g_model.vmcall_status = bad[i];
        g_model.vmcall_r11 = 0x42;
        u32 value = 0;
        CHECK_EQ(tdx_io_read(0x3f8, 1, &value), -EIO);
        CHECK_EQ(value, 0xff);
        CHECK_EQ(platform_inb(0x3f8), 0xff);
        CHECK_EQ(platform_inw(0x3f8), 0xffff);
        CHECK_EQ(platform_inl(0x3f8), 0xffffffffu);
        CHECK_EQ(tdx_io_write(0x3f8, 1, 0x41), -EIO);
        u64 mmio = 0;
        CHECK_EQ(tdx_mmio_read(0xfeb00000ULL | SHARED_BIT, 4, &mmio), -EIO);
        CHECK_EQ(mmio, 0xffffffffULL);
        CHECK_EQ(platform_mmio_read32(0xfeb00000ULL), 0xffffffffu);
        CHECK(tdx_vmcall_refused_count() > 0);
        expect_clean_conventions();
    }
}

static void test_mmio_shared_gpa_and_width(void)
{
    setup();
    g_model.vmcall_r11 = 0x1122334455667788ULL;
    CHECK_EQ(platform_mmio_read8(0xfeb00070ULL), 0x88);
    CHECK_EQ(platform_mmio_read16(0xfeb00070ULL), 0x7788);
    CHECK_EQ(platform_mmio_read32(0xfeb00070ULL), 0x55667788u);
    u64 wide = 0;
    CHECK_EQ(tdx_mmio_read(0xfeb00070ULL | SHARED_BIT, 4, &wide), 0);
    CHECK_EQ(wide, 0x55667788ULL);
    g_model.ncalls = 3;
    platform_mmio_write32(0xfeb00050ULL, 0xabcd);
    const struct model_call *c = model_find(TDG_VP_VMCALL, TDVMCALL_REQUEST_MMIO, 3);
    CHECK(c && c->in.r12 == 4 && c->in.r13 == TDVMCALL_DIR_WRITE &&
          c->in.r14 == (0xfeb00050ULL | SHARED_BIT) && c->in.r15 == 0xabcd);
    expect_clean_conventions();
}

static void test_map_gpa_shared_bit(void)
{
    setup();
    u64 dma = 0;
    u8 *va = platform_shared_alloc(5000, &dma);
    CHECK(va != NULL);
    if (!va)
        return;
    u64 pa = virt_to_phys(g_mem.pool);
    CHECK_EQ(dma, pa);
    CHECK_EQ(model_count(TDG_VP_VMCALL, TDVMCALL_MAP_GPA), 1);
    const struct model_call *c = model_find(TDG_VP_VMCALL, TDVMCALL_MAP_GPA, 0);
    CHECK(c && c->in.r12 == (pa | SHARED_BIT) && c->in.r13 == 8192);
    CHECK(c && c->in.r12 % 4096 == 0);
    /* Both pages mapped with the shared bit, writable, NX, not user. */
    CHECK_EQ(g_mem.nmaps, 2);
    for (int i = 0; i < g_mem.nmaps; i++) {
        CHECK_EQ(g_mem.maps[i].pa, (pa + (u64)i * 4096) | SHARED_BIT);
        CHECK_EQ(g_mem.maps[i].va, g_tdx_shared_window + pa + (u64)i * 4096);
        CHECK(g_mem.maps[i].flags & PTE_NX);
        CHECK(g_mem.maps[i].flags & PTE_W);
        CHECK(!(g_mem.maps[i].flags & PTE_U));
    }
    /* The host's leftovers are gone. */
    CHECK(va == g_arena);
    for (size_t i = 0; i < 8192; i++) {
        if (va[i] != 0) {
            CHECK(va[i] == 0);
            break;
        }
    }
    /* Free: unmapped, back to private (no shared bit), accepted, freed. */
    g_model.ncalls = 0;
    platform_shared_free(va, 5000);
    CHECK_EQ(g_mem.nunmaps, 2);
    c = model_find(TDG_VP_VMCALL, TDVMCALL_MAP_GPA, 0);
    CHECK(c && c->in.r12 == pa && c->in.r13 == 8192);
    CHECK_EQ(model_count(TDG_MEM_PAGE_ACCEPT, 0), 2);
    CHECK(g_mem.freed_first == g_mem.pool && g_mem.freed_count == 2);
    expect_clean_conventions();
}

static void test_map_gpa_refused(void)
{
    setup();
    g_model.vmcall_status = TDVMCALL_STATUS_GPA_INUSE;
    u64 dma = 0;
    CHECK(platform_shared_alloc(4096, &dma) == NULL);
    CHECK_EQ(g_mem.nmaps, 0);
    CHECK_EQ(dma, 0);

    /* Refused on the way back: the pages are leaked, not reused. */
    setup();
    void *va = platform_shared_alloc(4096, &dma);
    CHECK(va != NULL);
    g_model.vmcall_status = TDVMCALL_STATUS_INVALID_OPERAND;
    platform_shared_free(va, 4096);
    CHECK_EQ(model_count(TDG_MEM_PAGE_ACCEPT, 0), 0);
    CHECK(g_mem.freed_first == NULL);

    /* Accept fails: leaked too. */
    setup();
    va = platform_shared_alloc(4096, &dma);
    CHECK(va != NULL);
    g_model.tdcall_status = 0xc000000000000000ULL;
    platform_shared_free(va, 4096);
    CHECK(g_mem.freed_first == NULL);

    /* No page tables: NULL, and nothing left mapped. */
    setup();
    g_mem.fail_map_at = 1;
    CHECK(platform_shared_alloc(8192, &dma) == NULL);
    CHECK_EQ(g_mem.nunmaps, 1);
    expect_clean_conventions();
}

static void test_map_gpa_retry(void)
{
    setup();
    u64 pa = virt_to_phys(g_mem.pool);
    u64 start = pa | SHARED_BIT;
    /* Honest RETRY: continue from where the host stopped. */
    g_model.retry_count = 1;
    g_model.retry_gpa[0] = start + 4096;
    u64 dma;
    void *va = platform_shared_alloc(3 * 4096, &dma);
    CHECK(va != NULL);
    CHECK_EQ(model_count(TDG_VP_VMCALL, TDVMCALL_MAP_GPA), 2);
    const struct model_call *c = model_find(TDG_VP_VMCALL, TDVMCALL_MAP_GPA, 1);
    CHECK(c && c->in.r12 == start + 4096 && c->in.r13 == 2 * 4096);

    /* Lying RETRY addresses: backwards, outside, unaligned. */
    const u64 lies[] = {start, start + 3 * 4096, start + 100, start - 4096, 0};
    for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
        setup();
        g_model.retry_count = 1;
        g_model.retry_gpa[0] = lies[i];
        CHECK_EQ(tdx_map_gpa(start, 3 * 4096), -EIO);
        CHECK_EQ(model_count(TDG_VP_VMCALL, TDVMCALL_MAP_GPA), 1);
    }
    expect_clean_conventions();
}

static void test_rtmr_extend_digest(void)
{
    setup();
    u8 digest[48];
    for (int i = 0; i < 48; i++)
        digest[i] = (u8)(0xc0 + i);
    CHECK_EQ(tdx_rtmr_extend(TDX_RTMR_INDEX_APP, digest), 0);
    const struct model_call *c = model_find(TDG_MR_RTMR_EXTEND, 0, 0);
    CHECK(c != NULL);
    if (c) {
        CHECK_EQ(c->in.rdx, 2);
        CHECK_EQ(c->in.rcx % 64, 0);
        CHECK(memcmp(c->extend_data, digest, 48) == 0);
    }
    /* The module refusing is reported, not ignored. */
    g_model.tdcall_status = 0xc000010000000000ULL;
    CHECK_EQ(tdx_rtmr_extend(TDX_RTMR_INDEX_APP, digest), -EIO);
    expect_clean_conventions();
}

static void test_report_reportdata(void)
{
    setup();
    u8 reportdata[64], report[1024];
    for (int i = 0; i < 64; i++)
        reportdata[i] = (u8)(i * 7 + 1);
    CHECK_EQ(tdx_get_report(reportdata, report), 0);
    const struct model_call *c = model_find(TDG_MR_REPORT, 0, 0);
    CHECK(c != NULL);
    if (c) {
        CHECK_EQ(c->in.rdx % 64, 0);
        CHECK_EQ(c->in.rcx % 1024, 0);
        CHECK_EQ(c->in.r8, 0);
        CHECK(memcmp(c->reportdata, reportdata, 64) == 0);
    }
    CHECK(memcmp(report + 128, reportdata, 64) == 0);
    CHECK_EQ(report[0], 0x5a);
    g_model.tdcall_status = 0xc000010000000000ULL;
    CHECK_EQ(tdx_get_report(reportdata, report), -EIO);
    expect_clean_conventions();
}

static void test_gpaw_shared_bit(void)
{
    setup();
    CHECK_EQ(tdx_shared_bit(), 1ULL << 51);
    g_model.gpaw = 48;
    tdx_info_init();
    CHECK_EQ(tdx_shared_bit(), 1ULL << 47);
    CHECK_EQ(model_count(TDG_VP_INFO, 0), 1);
}

static void test_get_quote_checks_the_host(void)
{
    static u8 report[1024], quote[8192];
    setup();
    g_model.quote_out_len = 5000;
    CHECK_EQ(td_get_quote(report, quote, sizeof(quote)), 5000);
    CHECK(quote[0] == 0x51 && quote[4999] == 0x51);
    const struct model_call *c = model_find(TDG_VP_VMCALL, TDVMCALL_GET_QUOTE, 0);
    CHECK(c != NULL && (c->in.r12 & SHARED_BIT) && c->in.r13 == 0x4000);
    CHECK(g_mem.freed_count == 4); /* the shared buffer went back, private */

    setup();
    g_model.quote_status = 0x8000000000000000ULL; /* GET_QUOTE_ERROR */
    g_model.quote_out_len = 5000;
    CHECK(td_get_quote(report, quote, sizeof(quote)) < 0);
    setup();
    g_model.quote_out_len = 0x4000; /* more than the buffer holds */
    CHECK(td_get_quote(report, quote, sizeof(quote)) < 0);
    setup();
    g_model.quote_out_len = 9000; /* more than the caller's space */
    CHECK(td_get_quote(report, quote, sizeof(quote)) < 0);
    setup();
    g_model.vmcall_status = TDVMCALL_STATUS_INVALID_OPERAND; /* request refused */
    CHECK(td_get_quote(report, quote, sizeof(quote)) < 0);
    CHECK_EQ(g_model.convention_errors, 0);
}

static void cleanup(void)
{
    free(g_mem.pool);
    free(g_arena);
    g_mem.pool = NULL;
    g_arena = NULL;
}

static const struct host_test g_tests[] = {
    {"tdx_port_read_masks_width", test_port_read_masks_width},
    {"tdx_port_write_conventions", test_port_write_conventions},
    {"tdx_vmm_error_status_refused", test_vmm_error_status_refused},
    {"tdx_mmio_shared_gpa_and_width", test_mmio_shared_gpa_and_width},
    {"tdx_map_gpa_shared_bit", test_map_gpa_shared_bit},
    {"tdx_map_gpa_refused", test_map_gpa_refused},
    {"tdx_map_gpa_retry", test_map_gpa_retry},
    {"tdx_rtmr_extend_digest", test_rtmr_extend_digest},
    {"tdx_report_reportdata", test_report_reportdata},
    {"tdx_gpaw_shared_bit", test_gpaw_shared_bit},
    {"tdx_get_quote_checks_the_host", test_get_quote_checks_the_host},
};

int main(int argc, char **argv)
{
    /* argv[1] is the golden directory (unused here); argv[2] a test name. */
    int status = run_tests(g_tests, (int)(sizeof(g_tests) / sizeof(g_tests[0])),
                           argc > 1 ? argc - 1 : argc, argc > 1 ? argv + 1 : argv);
    cleanup(); /* LeakSanitizer runs at exit */
    return status;
}
