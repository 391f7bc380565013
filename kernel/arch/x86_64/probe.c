/*
 * probe.c: the accelerator probe (probe.h). It exercises exactly what an
 * app needs from the CPU and the accelerator: long mode with our page
 * tables, SMEP/SMAP, a user address space, SYSCALL/SYSRET both ways.
 */
#include "arch/x86_64/probe.h"
#include "arch/x86_64/arch.h"
#include "control/control.h"
#include "mm/kpt.h"
#include "mm/page.h"
#include "lib/string.h"
#include "lib/kprintf.h"
#include "panic.h"

#define PROBE_PING 0x70726f62
#define PROBE_PONG 0x706f6e67
#define PROBE_DONE 0x646f6e65
#define PROBE_CODE_VA 0x400000ULL
#define PROBE_STACK_VA 0x800000ULL
#define PROBE_KSTACK_SIZE 16384

extern const u8 probe_user_start[], probe_user_end[];

static bool g_probe_active;
static int g_probe_pings;
static u8 g_probe_kstack[PROBE_KSTACK_SIZE] __attribute__((aligned(16)));

bool probe_active(void)
{
    return g_probe_active;
}

u64 probe_syscall(struct trapframe *tf)
{
    if (tf->rax == PROBE_PING) {
        g_probe_pings++;
        return PROBE_PONG;
    }
    if (tf->rax == PROBE_DONE && tf->rdi == PROBE_PONG && g_probe_pings == 1) {
        kprintf("cvmify: probe ok\n");
        control_send(CONTROL_PROBE_OK, NULL, 0);
        platform_poweroff(POWEROFF_APP_EXIT);
    }
    panic("probe: unexpected syscall %lx (rdi=%lx)", tf->rax, tf->rdi);
}

void probe_run(void)
{
    u64 *root = pt_create_user_root();
    u8 *code = page_alloc();
    u8 *stack = page_alloc();
    if (!root || !code || !stack)
        panic("probe: out of memory");
    memcpy(code, probe_user_start, (size_t)(probe_user_end - probe_user_start));
    /* W^X: the code page is user R+X, the stack user R+W+NX. */
    if (pt_map(root, PROBE_CODE_VA, virt_to_phys(code), PTE_U) != 0 ||
        pt_map(root, PROBE_STACK_VA - PAGE_SIZE, virt_to_phys(stack), PTE_U | PTE_W | PTE_NX) != 0)
        panic("probe: cannot map the user stub");
    pt_activate(root);

    u64 kstack_top = (u64)(uptr)(g_probe_kstack + PROBE_KSTACK_SIZE);
    arch_set_kernel_stack(kstack_top);
    struct trapframe *tf = (struct trapframe *)(uptr)(kstack_top - TRAPFRAME_SIZE);
    trapframe_init_user(tf, PROBE_CODE_VA, PROBE_STACK_VA);
    g_probe_active = true;
    arch_enter_user(tf);
}
