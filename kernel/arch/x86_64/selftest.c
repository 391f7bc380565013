/*
 * selftest.c: the kernel-fault cases behind fw_cfg opt/cvmify/selftest.
 *
 * Each case is a real kernel bug of one kind; tests/test_kernel_faults.py
 * boots each and checks that the panic line names the fault and that
 * QEMU exits 65 (power off 0x20), never a hang or a triple fault. The
 * switch is not measured: the host can always crash its own guest, so
 * it gains nothing. The value is host input and is matched exactly
 * against the table; anything else panics.
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/selftest.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/kstack.h"
#include "panic.h"
#include "platform/platform.h"

#define FW_SELFTEST "opt/cvmify/selftest"
#define SELFTEST_NAME_MAX 32

/* volatile: the compiler must not see through these (a literal null
 * store could become ud2, a bounded loop could be cut short). */
static u64 *volatile g_null_pointer;
static volatile u64 g_recursion_limit = ~0ULL;
static volatile size_t g_smash_size = 64;
static const u8 g_ret_instruction[1] = { 0xc3 }; /* in .rodata: NX */

static void null_write(void)
{
    *g_null_pointer = 1;
}

static void text_write(void)
{
    volatile u8 *text = (volatile u8 *)(uptr)&null_write;
    *text = 0xcc;
}

static void rodata_execute(void)
{
    void (*volatile fn)(void) = (void (*)(void))(uptr)g_ret_instruction;
    fn();
}

static void invalid_opcode(void)
{
    cpu_ud2();
}

/* Not a tail call (the frame is used after it), so each level costs a
 * frame until the boot stack runs into its guard page. */
static __attribute__((noinline)) u64 recurse(u64 depth)
{
    volatile u8 frame[512];
    frame[0] = (u8)depth;
    if (depth < g_recursion_limit)
        return recurse(depth + 1) + frame[0];
    return frame[0];
}

static void stack_overflow(void)
{
    recurse(0);
}

/* The same recursion on a task kernel stack (mm/kstack.c, what every
 * task runs its syscalls on): it must run into that stack's guard page. */
static void recurse_on_task_stack(void *arg)
{
    (void)arg;
    recurse(0);
}

static void task_stack_overflow(void)
{
    void *stack = kstack_alloc();
    if (!stack)
        panic("selftest: no kernel stack");
    kprintf("selftest: task stack %lx..%lx\n", (u64)(uptr)stack, kstack_top(stack));
    struct arch_context *boot_context;
    arch_switch(&boot_context, arch_context_init(kstack_top(stack), recurse_on_task_stack, NULL));
}

/* Writes past a local array over the stack protector's canary. */
static __attribute__((noinline)) void smash(void)
{
    u8 buf[16];
    volatile u8 *volatile p = buf;
    for (size_t i = 0; i < g_smash_size; i++)
        p[i] = 0x41;
}

static void stack_smash(void)
{
    smash();
}

struct selftest_case {
    const char *name;
    void (*run)(void);
};

static const struct selftest_case g_cases[] = {
    { "kernel-null-write", null_write },
    { "kernel-text-write", text_write },
    { "kernel-rodata-exec", rodata_execute },
    { "kernel-ud", invalid_opcode },
    { "kernel-stack-overflow", stack_overflow },
    { "kernel-stack-smash", stack_smash },
    { "task-stack-overflow", task_stack_overflow },
};

/* Host bytes in a panic line: keep them printable and on one line. */
static void make_printable(char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x20 || s[i] > 0x7e)
            s[i] = '?';
    }
}

void selftest_run_if_requested(void)
{
    long size = platform_fwcfg_size(FW_SELFTEST);
    if (size < 0)
        return;
    if (size < 1 || size > SELFTEST_NAME_MAX)
        panic("selftest: value of %ld bytes, expected 1..%d", size, SELFTEST_NAME_MAX);
    char name[SELFTEST_NAME_MAX + 1];
    if (platform_fwcfg_read(FW_SELFTEST, name, (size_t)size) != 0)
        panic("selftest: cannot read fw_cfg %s", FW_SELFTEST);
    name[size] = '\0';

    for (size_t i = 0; i < ARRAY_SIZE(g_cases); i++) {
        if ((size_t)size == strlen(g_cases[i].name) &&
            memcmp(name, g_cases[i].name, (size_t)size) == 0) {
            kprintf("selftest: %s\n", g_cases[i].name);
            g_cases[i].run();
            panic("selftest: %s did not fault", g_cases[i].name);
        }
    }
    make_printable(name, (size_t)size);
    panic("selftest: unknown case \"%s\"", name);
}
