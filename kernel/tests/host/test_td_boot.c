/*
 * test_td_boot.c: the TD boot pieces of platform/tdx/ on the host: the
 * TD HOB parser against QEMU-shaped and hostile lists, td.fd's TDVF
 * descriptor, and accepting RAM (2 MiB where possible, 4 KiB otherwise,
 * never td.fd's own sections) against the TDX module model.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tdx_model.h"
#include "platform/tdx/tdx.h"
#include "platform/tdx/hob.h"
#include "platform/tdx/tdcall.h"
#include "tdboot/layout.h"
#include "platform/platform.h"
#include "syscalls/linux_abi/errno.h"

extern u8 g_td_bfv_data[TD_BFV_DATA_SIZE]; /* tdx_model.c; filled by these tests */
extern u32 g_td_boot_mode;

#define MIB (1ULL << 20)
#define HOB_GPA 0x10000ULL
#define GPA_LIMIT (1ULL << 47)

/* ---- a HOB list as QEMU writes it (hw/i386/tdvf-hob.c) ---- */

struct hob_builder {
    u8 buf[4096];
    size_t len;
};

static void put16(u8 *p, u16 v) { memcpy(p, &v, 2); }
static void put32(u8 *p, u32 v) { memcpy(p, &v, 4); }
static void put64(u8 *p, u64 v) { memcpy(p, &v, 8); }

static void hob_start(struct hob_builder *b)
{
    memset(b, 0, sizeof(*b));
    put16(b->buf, 0x0001); /* handoff info table */
    put16(b->buf + 2, 56);
    put32(b->buf + 8, 9);  /* version */
    b->len = 56;
}

static void hob_resource(struct hob_builder *b, u32 type, u64 start, u64 length)
{
    u8 *p = b->buf + b->len;
    put16(p, 0x0003);
    put16(p + 2, 48);
    put32(p + 24, type);
    put32(p + 28, 0x7);
    put64(p + 32, start);
    put64(p + 40, length);
    b->len += 48;
}

static void hob_end(struct hob_builder *b)
{
    put16(b->buf + b->len, 0xffff);
    put16(b->buf + b->len + 2, 8);
    b->len += 8;
    put64(b->buf + 48, HOB_GPA + b->len); /* EfiEndOfHobList */
}

static int parse(struct hob_builder *b, struct hob_ram *out, size_t max, size_t *n)
{
    return hob_parse(b->buf, sizeof(b->buf), HOB_GPA, GPA_LIMIT, out, max, n);
}

static void test_hob_qemu_shape(void)
{
    struct hob_builder b;
    hob_start(&b);
    hob_resource(&b, 7, 0, 0x10000);                 /* unaccepted */
    hob_resource(&b, 0, 0x10000, 0x4000);            /* the HOB itself: added */
    hob_resource(&b, 7, 0x14000, 0x7ffec000);
    hob_resource(&b, 1, 0xfe000000, 0x1000);         /* MMIO: not RAM */
    hob_end(&b);
    struct hob_ram ram[8];
    size_t n = 0;
    CHECK_EQ(parse(&b, ram, 8, &n), 0);
    CHECK_EQ(n, 3);
    CHECK(ram[0].unaccepted && !ram[1].unaccepted && ram[2].unaccepted);
    CHECK_EQ(ram[2].base, 0x14000);
    CHECK_EQ(ram[2].size, 0x7ffec000);
}

static void test_hob_hostile(void)
{
    struct hob_builder b;
    struct hob_ram ram[2];
    size_t n;

    hob_start(&b);
    put16(b.buf, 0x0003); /* not a PHIT first */
    hob_end(&b);
    CHECK_EQ(parse(&b, ram, 2, &n), HOB_ERR_PHIT);

    hob_start(&b);
    hob_end(&b);
    put64(b.buf + 48, HOB_GPA + 8192); /* end beyond the section */
    CHECK_EQ(parse(&b, ram, 2, &n), HOB_ERR_PHIT);

    hob_start(&b);
    hob_resource(&b, 0, 2 * MIB, MIB);
    put16(b.buf + 56 + 2, 0); /* a zero length would loop forever */
    hob_end(&b);
    CHECK_EQ(parse(&b, ram, 2, &n), HOB_ERR_LENGTH);

    hob_start(&b);
    hob_resource(&b, 0, 2 * MIB, MIB);
    put16(b.buf + 56 + 2, 44); /* not a multiple of 8 */
    hob_end(&b);
    CHECK_EQ(parse(&b, ram, 2, &n), HOB_ERR_LENGTH);

    hob_start(&b);
    hob_resource(&b, 0, 2 * MIB, MIB);
    put16(b.buf + 56 + 2, 40); /* a resource descriptor is 48 bytes */
    put16(b.buf + 56 + 40, 0xffff);
    put16(b.buf + 56 + 42, 8);
    put64(b.buf + 48, HOB_GPA + 56 + 48);
    CHECK_EQ(parse(&b, ram, 2, &n), HOB_ERR_LENGTH);

    hob_start(&b);
    hob_resource(&b, 0, ~0ULL - 4095, 8192); /* wraps */
    hob_end(&b);
    CHECK_EQ(parse(&b, ram, 2, &n), HOB_ERR_RANGE);

    hob_start(&b);
    hob_resource(&b, 7, GPA_LIMIT - 4096, 8192); /* into shared GPAs */
    hob_end(&b);
    CHECK_EQ(parse(&b, ram, 2, &n), HOB_ERR_RANGE);

    hob_start(&b);
    for (int i = 0; i < 3; i++)
        hob_resource(&b, 0, (u64)(i + 2) * MIB, MIB);
    hob_end(&b);
    CHECK_EQ(parse(&b, ram, 2, &n), HOB_ERR_TOO_MANY);

    hob_start(&b);
    hob_resource(&b, 0, 2 * MIB, MIB);
    put64(b.buf + 48, HOB_GPA + b.len); /* the list ends before its END entry */
    CHECK_EQ(parse(&b, ram, 2, &n), HOB_ERR_TRUNCATED);

    hob_start(&b);
    hob_resource(&b, 0, 2 * MIB, MIB);
    put16(b.buf + 56 + 2, 0x1000); /* runs past the end of the list */
    hob_end(&b);
    CHECK_EQ(parse(&b, ram, 2, &n), HOB_ERR_LENGTH);
}

/* ---- td.fd's descriptor and accepting memory ---- */

static void put_section(u32 index, u64 address, u64 size, u32 raw, u32 type, u32 attrs)
{
    u8 *e = g_td_bfv_data + (TD_DESCRIPTOR_OFFSET - TD_BFV_DATA_OFFSET) + TDVF_HEADER_SIZE +
            TDVF_SECTION_SIZE * index;
    put32(e + 4, raw);
    put64(e + 8, address);
    put64(e + 16, size);
    put32(e + 24, type);
    put32(e + 28, attrs);
}

/* The layout cvmify/tdx/tdvf.py writes: stub, kernel at 1 MiB, config,
 * TempMem after the kernel image, HOB. */
static void setup_descriptor(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    u8 *d = g_td_bfv_data + (TD_DESCRIPTOR_OFFSET - TD_BFV_DATA_OFFSET);
    put32(d, TDVF_SIGNATURE);
    put32(d + 4, TDVF_HEADER_SIZE + 5 * TDVF_SECTION_SIZE);
    put32(d + 8, 1);
    put32(d + 12, 5);
    put_section(0, TD_BFV_BASE, 0x1000, 0x1000, TDVF_TYPE_BFV, 1);
    put_section(1, MIB, 0x2a000, 0x2a000, TDVF_TYPE_BFV, 1);
    put_section(2, 0x20000, 0x1000, 0x1000, TDVF_TYPE_CFV, 1);
    put_section(3, MIB + 0x2a000, 0x21000, 0, TDVF_TYPE_TEMP_MEM, 0);
    put_section(4, HOB_GPA, 0x4000, 0, TDVF_TYPE_TD_HOB, 0);
    tdvf_init();
}

static void setup(void)
{
    model_reset();
    setup_descriptor();
}

static void test_descriptor_sections(void)
{
    setup();
    const struct td_section *cfv = tdvf_section(TDVF_TYPE_CFV);
    const struct td_section *kernel = tdvf_section(TDVF_TYPE_BFV);
    CHECK(cfv != NULL && cfv->address == 0x20000 && cfv->raw_size == 0x1000);
    CHECK(kernel != NULL && kernel->address == MIB); /* not the stub */
    CHECK(tdvf_overlaps(MIB + 0x4b000 - 4096, 4096)); /* last TempMem page */
    CHECK(!tdvf_overlaps(MIB + 0x4b000, 4096));
    CHECK(tdvf_overlaps(0xfffff000, 16));
    CHECK(tdx_active());
}

static void test_accept_range_skips_sections_and_uses_2m(void)
{
    setup();
    CHECK_EQ(tdx_accept_range(MIB, 8 * MIB), 0);
    int huge = 0, small = 0;
    for (int i = 0; i < g_model.ncalls; i++) {
        const struct model_call *c = &g_model.calls[i];
        CHECK_EQ(c->leaf, TDG_MEM_PAGE_ACCEPT);
        u64 gpa = c->in.rcx & ~7ULL;
        bool is_huge = c->in.rcx & 1;
        CHECK(!tdvf_overlaps(gpa, is_huge ? 2 * MIB : 4096));
        if (is_huge)
            huge++;
        else
            small++;
    }
    CHECK_EQ(huge, 3);                                /* 2..8 MiB */
    CHECK_EQ(small, (int)((MIB - 0x4b000) / 4096));  /* the rest of the first MiB */
    CHECK_EQ(g_model.convention_errors, 0);
}

static void test_accept_falls_back_to_4k(void)
{
    setup();
    g_model.refuse_2m = true;
    CHECK_EQ(tdx_accept_range(2 * MIB, 4 * MIB), 0);
    CHECK_EQ(model_count(TDG_MEM_PAGE_ACCEPT, 0), 1 + 512);
    CHECK_EQ(g_model.convention_errors, 0);
}

static void test_accept_refused_is_an_error(void)
{
    setup();
    g_model.refuse_2m = true;
    g_model.refuse_accept_gpa = 2 * MIB + 5 * 4096;
    CHECK_EQ(tdx_accept_range(2 * MIB, 4 * MIB), -1);
}

/* ---- waking a vCPU through the mailbox (smp_td.c, td_entry.S) ---- */

struct wakeup_view {
    volatile u32 vcpu;
    volatile u32 started;
    u64 cr3, stack_top, entry, arg;
};
extern struct wakeup_view g_td_wakeup;
extern u32 g_td_boot_mode;

static void fake_entry(void *arg) { (void)arg; }

/* What vCPU 3 does in td_entry.S: wait for its index, report in. */
static void *fake_vcpu3(void *unused)
{
    (void)unused;
    while (__atomic_load_n(&g_td_wakeup.vcpu, __ATOMIC_ACQUIRE) != 3)
        ;
    __atomic_store_n(&g_td_wakeup.started, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void test_start_cpu_mailbox(void)
{
    setup();
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, fake_vcpu3, NULL), 0);
    CHECK_EQ(platform_start_cpu(3, 0x1234000, fake_entry, (void *)0x55), 0);
    pthread_join(t, NULL);
    CHECK_EQ(g_td_wakeup.stack_top, 0x1234000);
    CHECK_EQ(g_td_wakeup.entry, (u64)(uptr)fake_entry);
    CHECK_EQ(g_td_wakeup.arg, 0x55);
    CHECK_EQ(g_td_wakeup.vcpu, 0); /* closed again */
    CHECK_EQ(platform_start_cpu(0, 0, fake_entry, NULL), -EINVAL);
    CHECK_EQ(platform_start_cpu(4, 0x1000, fake_entry, NULL), -ETIMEDOUT); /* nobody answers */
    CHECK_EQ(g_td_wakeup.vcpu, 0);
    g_td_boot_mode = TD_BOOT_VM;
    CHECK_EQ(platform_start_cpu(3, 0x1000, fake_entry, NULL), -ENODEV);
}

static const struct host_test g_tests[] = {
    {"td_start_cpu_mailbox", test_start_cpu_mailbox},
    {"td_hob_qemu_shape", test_hob_qemu_shape},
    {"td_hob_hostile", test_hob_hostile},
    {"td_descriptor_sections", test_descriptor_sections},
    {"td_accept_range_skips_sections_and_uses_2m", test_accept_range_skips_sections_and_uses_2m},
    {"td_accept_falls_back_to_4k", test_accept_falls_back_to_4k},
    {"td_accept_refused_is_an_error", test_accept_refused_is_an_error},
};

int main(int argc, char **argv)
{
    return run_tests(g_tests, (int)(sizeof(g_tests) / sizeof(g_tests[0])),
                     argc > 1 ? argc - 1 : argc, argc > 1 ? argv + 1 : argv);
}
