/*
 * arch.h: what the rest of the kernel may use from the x86-64 layer.
 * Every piece of inline assembly lives in cpu.h as a tiny named function;
 * this header is the stable interface for proc/, syscalls/, mm/, drivers/.
 */
#ifndef CVMIFY_ARCH_H
#define CVMIFY_ARCH_H

#include "lib/types.h"
#include "arch/x86_64/trapframe.h"

/* ---- boot ---------------------------------------------------------- */
void gdt_init(void);     /* final GDT + TSS with IST stacks */
void idt_init(void);     /* all 32 exceptions + spurious vectors */
void idt_load(void);     /* an AP: load the table idt_init built */
void cpu_features_init(void); /* NXE, SMEP, SMAP, OSFXSR, UMIP... */
void cpu_features_init_ap(void); /* the same protections on an AP */
/* Boot CPU, after the scheduler: start the other vCPUs the host gave
 * us (bounded by MAX_CPUS); each ends in its idle loop. */
void smp_start_cpus(void);
void syscall_init(void); /* STAR/LSTAR/FMASK, per-CPU area via GS */

/* CPU features found at boot. */
struct cpu_features {
    bool nx, smep, smap, umip, rdrand, rdseed, fsgsbase, pcid;
    bool aesni, pclmul, gbpages, invariant_tsc;
    bool xsave, xsaveopt, avx, avx2, avx512f;
    u32 phys_addr_bits;
};
extern struct cpu_features g_cpu;

/* ---- entering and leaving user mode ---------------------------------- */

/* The kernel stack top used on the next trap/syscall from ring 3
 * (TSS.rsp0 and the syscall entry stack). Set it on every task switch. */
void arch_set_kernel_stack(u64 top);

/* Restore tf and return to ring 3 (or wherever tf points). tf must lie
 * on the current kernel stack (normally at top - TRAPFRAME_SIZE). */
void arch_enter_user(struct trapframe *tf) __attribute__((noreturn));

/* FS base for arch_prctl(ARCH_SET_FS / ARCH_GET_FS); the value must be
 * a canonical user address (caller checks). */
void arch_set_fs_base(u64 base);
u64 arch_get_fs_base(void);
void arch_set_user_gs_base(u64 base);
u64 arch_get_user_gs_base(void);

/* ---- kernel context switch (xv6 swtch) ------------------------------ */

/* Callee-saved registers of a sleeping kernel thread; lives on its stack. */
struct arch_context {
    u64 r15, r14, r13, r12, rbx, rbp, rip;
};

/* Save the current kernel context into *old, switch to new. */
void arch_switch(struct arch_context **old, struct arch_context *new);

/* Prepare a context on a fresh kernel stack that starts entry(arg) the
 * first time it is switched to. Returns the context pointer. */
struct arch_context *arch_context_init(u64 stack_top, void (*entry)(void *), void *arg);

/* ---- FPU / SSE ------------------------------------------------------ */

/*
 * A task's user FPU/SIMD state (arch/x86_64/fpu.c): the XSAVE area in
 * the standard (non-compacted) format, the layout Linux puts in signal
 * frames: x87/SSE (512 bytes), the 64-byte header, then AVX and, where
 * the CPU has it, the AVX-512 components. FXSAVE only, 512 bytes, when
 * the CPU has no XSAVE. The buffer is embedded and sized for the
 * largest state the kernel enables (XCR0 never holds more: AMX, PKRU
 * and MPX stay off); fpu_area() is its 64-byte aligned start.
 */
#define FPU_AREA_MAX 2688
struct fpu_state {
    u8 raw[FPU_AREA_MAX + 64];
};

/* The 64-byte aligned area inside s, fpu_area_size() bytes used. */
u8 *fpu_area(struct fpu_state *s);
u32 fpu_area_size(void);
/* The XSAVE features enabled in XCR0 (0 without XSAVE). */
u64 fpu_xfeatures(void);

/* Boot, on every CPU: CR4.OSXSAVE and XCR0 (x87, SSE, AVX, AVX-512 where
 * the CPU has them; TDX: what XFAM allows). Application processors must
 * call it before they run a task. */
void fpu_cpu_init(void);

/* A clean state: FCW 0x37f, MXCSR 0x1f80, all registers zero. */
void fpu_state_init(struct fpu_state *s);
/* Save / load the CPU's current user FPU registers (XSAVEOPT where the
 * CPU has it: the save area is always the one last restored on this CPU
 * or a fresh one, which is what its modified optimization needs). */
void fpu_save(struct fpu_state *s);
void fpu_restore(const struct fpu_state *s);
/* Save every enabled component, init ones too (XSAVE into a zeroed
 * area): for a signal frame, which the app reads. */
void fpu_save_full(struct fpu_state *s);
/* Make an app-supplied image safe to restore (rt_sigreturn): MXCSR's
 * reserved bits, and in the XSAVE header: only enabled features,
 * standard format, reserved bytes zero. xfeatures: what the image says
 * it holds (0: FXSAVE part only); other components start in their
 * init state. */
void fpu_sanitize(struct fpu_state *s, u64 xfeatures);

/* The kernel is built without SSE except crypto/. Bracket every crypto
 * call that may use SSE/AES-NI: the user's live registers are saved and
 * restored around it. Not nestable. */
void kernel_fpu_begin(void);
void kernel_fpu_end(void);

/* ---- misc CPU services ------------------------------------------------ */

/* Fill buf from RDSEED (preferred) or RDRAND. Returns false if the CPU
 * has neither or keeps failing (callers then panic: no host fallback). */
bool arch_random_fill(void *buf, size_t size);

/* SMAP window: allow / forbid supervisor access to user pages. */
void arch_stac(void);
void arch_clac(void);

void arch_halt_forever(void) __attribute__((noreturn));

/* CPUID passthrough for the (untrusted) cpuid results shown to apps. */
void arch_cpuid(u32 leaf, u32 subleaf, u32 *a, u32 *b, u32 *c, u32 *d);

/* ---- hooks the arch layer calls (implemented in proc/ and mm/) -------- */

/* syscalls/: returns the value for rax. It may rewrite *tf (execve,
 * rt_sigreturn); then return tf->rax to keep the restored value. */
long syscall_dispatch(struct trapframe *tf);

/* proc/: a user-mode exception that is not resolved: deliver signo to
 * the current task with si_code/si_addr, by rewriting *tf (signal frame)
 * or killing the task. Returns when tf is ready to resume. */
void signal_deliver_fault(struct trapframe *tf, int signo, int code, u64 addr);

#endif
