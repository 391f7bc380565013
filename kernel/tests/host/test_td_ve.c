/*
 * test_td_ve.c: the #VE handler (platform/tdx/ve.c) against the TDX
 * module and VMM model: each exit reason it emulates, what it takes from
 * the host (only hypervisor CPUID leaves, widths cut), and what it
 * refuses (string I/O, absurd instruction lengths, unknown reasons).
 */
#include <string.h>

#include "check.h"
#include "tdx_model.h"
#include "platform/platform.h"
#include "platform/tdx/tdx.h"
#include "platform/tdx/tdcall.h"
#include "arch/x86_64/trapframe.h"

static struct trapframe frame(u64 rax, u64 rcx, u64 rdx)
{
    struct trapframe tf;
    memset(&tf, 0, sizeof(tf));
    tf.rax = rax;
    tf.rcx = rcx;
    tf.rdx = rdx;
    tf.rip = 0x1000;
    tf.rflags = RFLAGS_IF;
    tf.trapno = TRAP_VE;
    return tf;
}

static void setup(u32 reason, u64 qualification, u64 length)
{
    model_reset();
    g_model.ve_exit_reason = reason;
    g_model.ve_qualification = qualification;
    g_model.ve_length = length;
}

static void test_cpuid_hypervisor_leaf_from_host(void)
{
    setup(10, 0, 2);
    g_model.vmcall_out[0] = 0xdeadbeef00000040ULL; /* high bits must not leak */
    g_model.vmcall_out[1] = 0x4b4d564b;
    struct trapframe tf = frame(0x40000000, 0, 0);
    CHECK(platform_virt_exception(&tf));
    CHECK_EQ(tf.rax, 0x40);
    CHECK_EQ(tf.rbx, 0x4b4d564b);
    CHECK_EQ(tf.rip, 0x1002);
    const struct model_call *c = model_find(TDG_VP_VMCALL, TDVMCALL_INSTRUCTION_CPUID, 0);
    CHECK(c != NULL && c->in.r12 == 0x40000000);
    CHECK_EQ(g_model.convention_errors, 0);
}

static void test_cpuid_other_leaves_are_zero(void)
{
    setup(10, 0, 2);
    g_model.vmcall_out[0] = 0xffffffff;
    struct trapframe tf = frame(0x7, 0, 0);
    tf.rbx = 0x1234;
    CHECK(platform_virt_exception(&tf));
    CHECK(tf.rax == 0 && tf.rbx == 0 && tf.rcx == 0 && tf.rdx == 0);
    CHECK_EQ(model_count(TDG_VP_VMCALL, TDVMCALL_INSTRUCTION_CPUID), 0);
}

static void test_port_in_and_out(void)
{
    /* inb from port 0x3f8: size 1, IN, port in bits 31:16 */
    setup(30, (0x3f8ULL << 16) | (1 << 3), 1);
    g_model.vmcall_r11 = 0xabcd;
    struct trapframe tf = frame(0x1111222233334444ULL, 0, 0);
    CHECK(platform_virt_exception(&tf));
    CHECK_EQ(tf.rax, 0x11112222333344cdULL); /* only AL replaced */
    /* inl: the upper half of RAX is cleared */
    setup(30, (0x510ULL << 16) | (1 << 3) | 3, 1);
    g_model.vmcall_r11 = 0xffffffff12345678ULL;
    tf = frame(0x1111222233334444ULL, 0, 0);
    CHECK(platform_virt_exception(&tf));
    CHECK_EQ(tf.rax, 0x12345678);
    /* outw */
    setup(30, (0xcfcULL << 16) | 1, 1);
    tf = frame(0xffffbeef, 0, 0);
    CHECK(platform_virt_exception(&tf));
    const struct model_call *c = model_find(TDG_VP_VMCALL, TDVMCALL_INSTRUCTION_IO, 0);
    CHECK(c != NULL && c->in.r12 == 2 && c->in.r13 == 1 && c->in.r14 == 0xcfc && c->in.r15 == 0xbeef);
    CHECK_EQ(g_model.convention_errors, 0);
}

static void test_string_io_refused(void)
{
    setup(30, (0x3f8ULL << 16) | (1 << 4), 2); /* OUTSB */
    struct trapframe tf = frame(0, 0, 0);
    CHECK(!platform_virt_exception(&tf));
    CHECK_EQ(tf.rip, 0x1000);
    CHECK_EQ(model_count(TDG_VP_VMCALL, TDVMCALL_INSTRUCTION_IO), 0);
}

static void test_msr_read_write(void)
{
    setup(31, 0, 2);
    g_model.vmcall_r11 = 0x1122334455667788ULL;
    struct trapframe tf = frame(0xffffffffffffffffULL, 0x6e0, 0xffffffffffffffffULL);
    CHECK(platform_virt_exception(&tf));
    CHECK_EQ(tf.rax, 0x55667788);
    CHECK_EQ(tf.rdx, 0x11223344);
    setup(32, 0, 2);
    tf = frame(0xaaaaaaaa55667788ULL, 0x6e0, 0xbbbbbbbb11223344ULL);
    CHECK(platform_virt_exception(&tf));
    const struct model_call *c = model_find(TDG_VP_VMCALL, TDVMCALL_INSTRUCTION_WRMSR, 0);
    CHECK(c != NULL && c->in.r12 == 0x6e0 && c->in.r13 == 0x1122334455667788ULL);
    /* a refused RDMSR is not emulated (the trap path decides) */
    setup(31, 0, 2);
    g_model.vmcall_status = TDVMCALL_STATUS_INVALID_OPERAND;
    tf = frame(0, 0x1234, 0);
    CHECK(!platform_virt_exception(&tf));
}

static void test_hlt_tells_interrupt_state(void)
{
    setup(12, 0, 1);
    struct trapframe tf = frame(0, 0, 0);
    tf.rflags = 0; /* interrupts off */
    CHECK(platform_virt_exception(&tf));
    const struct model_call *c = model_find(TDG_VP_VMCALL, TDVMCALL_INSTRUCTION_HLT, 0);
    CHECK(c != NULL && c->in.r12 == 1);
    CHECK_EQ(tf.rip, 0x1001);
}

static void test_bad_lengths_and_reasons_refused(void)
{
    struct trapframe tf;
    setup(10, 0, 0);
    tf = frame(0x40000000, 0, 0);
    CHECK(!platform_virt_exception(&tf));
    setup(10, 0, 16);
    tf = frame(0x40000000, 0, 0);
    CHECK(!platform_virt_exception(&tf));
    setup(48, 0, 3); /* EPT violation: no MMIO by plain loads in a TD */
    tf = frame(0, 0, 0);
    CHECK(!platform_virt_exception(&tf));
    CHECK_EQ(tf.rip, 0x1000);
}

static const struct host_test g_tests[] = {
    {"td_ve_cpuid_hypervisor_leaf_from_host", test_cpuid_hypervisor_leaf_from_host},
    {"td_ve_cpuid_other_leaves_are_zero", test_cpuid_other_leaves_are_zero},
    {"td_ve_port_in_and_out", test_port_in_and_out},
    {"td_ve_string_io_refused", test_string_io_refused},
    {"td_ve_msr_read_write", test_msr_read_write},
    {"td_ve_hlt_tells_interrupt_state", test_hlt_tells_interrupt_state},
    {"td_ve_bad_lengths_and_reasons_refused", test_bad_lengths_and_reasons_refused},
};

int main(int argc, char **argv)
{
    return run_tests(g_tests, (int)(sizeof(g_tests) / sizeof(g_tests[0])),
                     argc > 1 ? argc - 1 : argc, argc > 1 ? argv + 1 : argv);
}
