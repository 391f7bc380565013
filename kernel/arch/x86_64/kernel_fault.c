/*
 * kernel_fault.c: the panic for an exception taken in ring 0.
 *
 * A kernel-mode exception is always a kernel bug (or the host breaking
 * our state): there is nothing to resume. We name the vector and, where
 * the hardware tells us enough, the kind of bug (null pointer, W^X,
 * SMEP/SMAP, stack overflow), so that the one "cvmify: panic" line is
 * enough to start debugging. Input: the trapframe and CR2, both ours.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "mm/kpt.h"
#include "mm/kstack.h"
#include "panic.h"

/* #PF error code bits */
#define PF_PRESENT (1ULL << 0)
#define PF_WRITE (1ULL << 1)
#define PF_RESERVED (1ULL << 3)
#define PF_FETCH (1ULL << 4)

#define VECTOR_DOUBLE_FAULT 8
#define VECTOR_PAGE_FAULT 14

/* A fault address just below or at the stack pointer: the stack ran
 * into the unmapped guard page under it. */
static bool near_stack(u64 addr, u64 rsp)
{
    return addr + PAGE_SIZE > rsp && addr < rsp + PAGE_SIZE;
}

/* Which guard page addr hits, if any. A task stack's guard is known
 * exactly (mm/kstack.c); the boot stack's shows up right under rsp. */
static const char *stack_guard_hit(u64 addr, u64 rsp)
{
    if (kstack_is_guard(addr))
        return "task kernel stack overflow (guard page)";
    if (near_stack(addr, rsp))
        return "kernel stack overflow (guard page)";
    return NULL;
}

static const char *explain_page_fault(const struct trapframe *tf, u64 addr)
{
    u64 err = tf->errcode;
    bool user_addr = addr < USER_VA_END;

    if (err & PF_RESERVED)
        return "reserved bit set in a page-table entry";
    if (!(err & PF_PRESENT)) {
        if (addr < PAGE_SIZE) {
            if (err & PF_FETCH)
                return "null pointer execute";
            return (err & PF_WRITE) ? "null pointer write" : "null pointer read";
        }
        const char *guard = stack_guard_hit(addr, tf->rsp);
        if (guard)
            return guard;
        if (err & PF_FETCH)
            return "execute of an unmapped address";
        return (err & PF_WRITE) ? "write to an unmapped address" : "read of an unmapped address";
    }
    /* The page is present: a permission was violated. */
    if (err & PF_FETCH)
        return user_addr ? "SMEP violation (kernel executed a user page)"
                         : "W^X violation (execute from a no-exec page)";
    if (user_addr && !(tf->rflags & RFLAGS_AC))
        return "SMAP violation (user memory touched outside copyin/copyout)";
    if (err & PF_WRITE)
        return user_addr ? "write to a read-only user page"
                         : "W^X violation (write to a read-only page)";
    return "protection violation";
}

static const char *explain(const struct trapframe *tf, u64 cr2)
{
    switch (tf->trapno) {
    case VECTOR_PAGE_FAULT:
        return explain_page_fault(tf, cr2);
    case VECTOR_DOUBLE_FAULT: {
        /* The usual kernel #DF: a push into the stack's guard page
         * faulted, and delivering that #PF needed the same stack. CR2
         * still holds the guard address. */
        const char *guard = stack_guard_hit(cr2, tf->rsp);
        return guard ? guard : "fault while delivering a fault";
    }
    default:
        return "kernel bug";
    }
}

void kernel_fault_panic(const struct trapframe *tf)
{
    u64 cr2 = cpu_read_cr2();
    panic("%s in kernel: %s rip=%lx cr2=%lx err=%lx rsp=%lx", trap_name(tf->trapno),
          explain(tf, cr2), tf->rip, cr2, tf->errcode, tf->rsp);
}
