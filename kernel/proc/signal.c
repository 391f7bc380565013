/*
 * signal.c: signal delivery and rt_sigreturn for the x86-64 Linux ABI.
 *
 * Delivery rewrites the trapframe that returns to user mode: the old
 * registers, signal mask and FPU state (sigframe_fpu.c: XSAVE layout)
 * go into an rt_sigframe on the
 * user stack (or the alternate stack with SA_ONSTACK), and the CPU
 * resumes in the handler with rdi = signo, rsi = &siginfo, rdx = &ucontext
 * and the return address sa_restorer (which calls rt_sigreturn).
 *
 * Trust: the frame read back by rt_sigreturn is user memory. Everything
 * in it is user-controlled; we take only the general registers, the
 * user-changeable RFLAGS bits and an FPU image that sigframe_fpu.c
 * sanitizes; a rip beyond the user limit is caught on the way out
 * (arch/x86_64/user_return.c). Selectors are always our own.
 */
#include "proc/signal.h"

#include "arch/x86_64/arch.h"
#include "arch/x86_64/nospec.h"
#include "arch/x86_64/user_return.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/fault.h"
#include "mm/uaccess.h"
#include "mm/vma.h"
#include "proc/proc.h"
#include "proc/sched.h"
#include "proc/sigframe_fpu.h"
#include "proc/task.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/signal.h"

#define RED_ZONE 128
/* RFLAGS bits user code may change through sigreturn: CF PF AF ZF SF TF
 * DF OF RF AC. */
#define RFLAGS_USER_MASK 0x50dd5ull
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_DF (1ull << 10)
#define RFLAGS_RF (1ull << 16)

static u64 sig_bit(int signo)
{
	return 1ull << (signo - 1);
}

static const u64 UNBLOCKABLE = (1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1));

bool signal_on_altstack(const struct task *task, u64 sp)
{
	const struct linux_stack *ss = &task->sig.altstack;
	if (ss->ss_flags & SS_DISABLE)
		return false;
	return sp > ss->ss_sp && sp - ss->ss_sp <= ss->ss_size;
}

static void fill_sigcontext(struct linux_sigcontext *sc, const struct trapframe *tf)
{
	sc->r8 = tf->r8;
	sc->r9 = tf->r9;
	sc->r10 = tf->r10;
	sc->r11 = tf->r11;
	sc->r12 = tf->r12;
	sc->r13 = tf->r13;
	sc->r14 = tf->r14;
	sc->r15 = tf->r15;
	sc->rdi = tf->rdi;
	sc->rsi = tf->rsi;
	sc->rbp = tf->rbp;
	sc->rbx = tf->rbx;
	sc->rdx = tf->rdx;
	sc->rax = tf->rax;
	sc->rcx = tf->rcx;
	sc->rsp = tf->rsp;
	sc->rip = tf->rip;
	sc->eflags = tf->rflags;
	sc->cs = (u16)tf->cs;
	sc->ss = (u16)tf->ss;
	sc->err = tf->errcode;
	sc->trapno = tf->trapno == TRAP_SYSCALL ? 0 : tf->trapno;
}

/* Build the frame and point tf at the handler; false if the user stack
 * cannot hold it (the caller then kills the task with SIGSEGV). */
static bool setup_frame(struct task *task, struct trapframe *tf, int signo,
                        const struct linux_siginfo *info, u64 fault_addr)
{
	const struct linux_sigaction *act = &task->sighand->actions[signo];
	if (!(act->flags & SA_RESTORER) || act->restorer == 0)
		return false; /* x86-64 Linux also requires a restorer */
	/* rt_sigaction stores any value, as Linux does; entering a handler
	 * or returning to a restorer outside user space would fault. */
	if (!user_rip_ok(act->handler) || !user_rip_ok(act->restorer))
		return false;

	u64 sp = tf->rsp;
	bool was_on_alt = signal_on_altstack(task, sp);
	if ((act->flags & SA_ONSTACK) && !(task->sig.altstack.ss_flags & SS_DISABLE) &&
	    !was_on_alt)
		sp = task->sig.altstack.ss_sp + task->sig.altstack.ss_size;
	else
		sp -= RED_ZONE;

	u64 fp_addr = ALIGN_DOWN(sp - sigframe_fpu_size(), 64);
	u64 frame_addr = ALIGN_DOWN(fp_addr - sizeof(struct linux_rt_sigframe), 16) - 8;

	struct linux_rt_sigframe frame;
	memset(&frame, 0, sizeof(frame));
	frame.pretcode = act->restorer;
	frame.uc.uc_flags = sigframe_uc_flags();
	frame.uc.uc_stack.ss_sp = task->sig.altstack.ss_sp;
	frame.uc.uc_stack.ss_size = task->sig.altstack.ss_size;
	frame.uc.uc_stack.ss_flags = task->sig.altstack.ss_flags |
	                             (was_on_alt ? SS_ONSTACK : 0);
	fill_sigcontext(&frame.uc.uc_mcontext, tf);
	u64 mask_to_save = signal_mask_to_save(task);
	frame.uc.uc_mcontext.oldmask = mask_to_save;
	frame.uc.uc_mcontext.cr2 = fault_addr;
	frame.uc.uc_mcontext.fpstate = fp_addr;
	frame.uc.uc_sigmask = mask_to_save;
	frame.info = *info;

	if (copyout(frame_addr, &frame, sizeof(frame)) != 0)
		return false;
	/* The FPU image (XSAVE layout, zeroed first: no stale bytes), then
	 * a clean FPU state for the handler. */
	if (!sigframe_fpu_save(task, fp_addr))
		return false;

	tf->rip = act->handler;
	tf->rsp = frame_addr;
	tf->rdi = (u64)signo;
	tf->rsi = frame_addr + __builtin_offsetof(struct linux_rt_sigframe, info);
	tf->rdx = frame_addr + __builtin_offsetof(struct linux_rt_sigframe, uc);
	tf->rax = 0;
	tf->rflags &= ~(RFLAGS_TF | RFLAGS_DF | RFLAGS_RF | RFLAGS_AC);
	tf->cs = SEL_UCODE;
	tf->ss = SEL_UDATA;

	task->sig.restore_blocked = false; /* the frame holds the real mask */
	task->sig.blocked |= act->mask;
	if (!(act->flags & SA_NODEFER))
		task->sig.blocked |= sig_bit(signo);
	task->sig.blocked &= ~UNBLOCKABLE;
	if (act->flags & SA_RESETHAND) {
		task->sighand->actions[signo].handler = SIG_DFL;
		task->sighand->actions[signo].flags &= ~SA_SIGINFO;
	}
	return true;
}

static void deliver(struct task *task, struct trapframe *tf, int signo,
                    const struct linux_siginfo *info, u64 fault_addr, bool forced);

/* The frame for signo could not be built (bad stack, no or bad restorer,
 * bad handler address): like Linux's force_sigsegv, a SIGSEGV follows,
 * which kills if SIGSEGV itself was the one that failed. */
static void frame_failed(struct task *task, struct trapframe *tf, int signo)
{
	kprintf("signal: cannot deliver signal %d (bad stack, handler or restorer)\n", signo);
	if (signo == SIGSEGV)
		proc_exit(0, SIGSEGV);
	struct linux_siginfo info;
	memset(&info, 0, sizeof(info));
	info.si_signo = SIGSEGV;
	info.si_code = SI_KERNEL;
	deliver(task, tf, SIGSEGV, &info, 0, true);
}

/* Run signo's action now. */
static void deliver(struct task *task, struct trapframe *tf, int signo,
                    const struct linux_siginfo *info, u64 fault_addr, bool forced)
{
	u64 handler = task->sighand->actions[signo].handler;
	bool blocked = task->sig.blocked & sig_bit(signo);
	if (signo == SIGKILL && task->group->exiting)
		proc_exit_thread(); /* its process is going: this thread too */
	if (signo == SIGKILL || handler == SIG_DFL || (forced && (blocked || handler == SIG_IGN))) {
		/* A fault that cannot be handled kills even if ignored. */
		if (forced || signal_default_kills(signo))
			proc_exit(0, signo);
		signal_restart_syscall(task, tf, NULL);
		return;
	}
	if (handler == SIG_IGN) {
		signal_restart_syscall(task, tf, NULL);
		return;
	}
	signal_restart_syscall(task, tf, &task->sighand->actions[signo]);
	if (!setup_frame(task, tf, signo, info, fault_addr))
		frame_failed(task, tf, signo);
}

void signal_deliver_fault(struct trapframe *tf, int signo, int code, u64 addr)
{
	struct task *task = current_task();
	if (signo == SIGSEGV && code == 0)
		code = vm_fault_code(addr);
	if (signo < 1 || signo > NSIG)
		signo = SIGSEGV;
	struct linux_siginfo info;
	memset(&info, 0, sizeof(info));
	info.si_signo = signo;
	info.si_code = code;
	info.u.addr = addr;
	kprintf("signal: %d (code %d) at rip 0x%llx addr 0x%llx\n", signo, code,
	        (unsigned long long)tf->rip, (unsigned long long)addr);
	deliver(task, tf, signo, &info, addr, true);
}

u64 signal_mask_to_save(const struct task *task)
{
	return task->sig.restore_blocked ? task->sig.saved_blocked : task->sig.blocked;
}

void signal_set_temporary_mask(struct task *task, u64 mask)
{
	task->sig.saved_blocked = task->sig.blocked;
	task->sig.restore_blocked = true;
	task->sig.blocked = mask & ~UNBLOCKABLE;
}

void signal_restart_syscall(struct task *task, struct trapframe *tf,
                            const struct linux_sigaction *act)
{
	if (tf->trapno != TRAP_SYSCALL)
		return; /* an interrupt or fault: rax is the app's */
	switch ((long)tf->rax) {
	case -ERESTARTNOHAND:
	case -ERESTART_RESTARTBLOCK:
		if (act) {
			tf->rax = (u64)-EINTR;
			return;
		}
		break;
	case -ERESTARTSYS:
		if (act && !(act->flags & SA_RESTART)) {
			tf->rax = (u64)-EINTR;
			return;
		}
		break;
	case -ERESTARTNOINTR:
		break;
	default:
		return;
	}
	/* Run the syscall again: back over the 2-byte syscall instruction,
	 * with its number (the arguments are still in their registers). */
	tf->rax = task->syscall_nr;
	tf->rip -= 2;
	tf->rcx = tf->rip;
}

void signal_deliver_pending(struct trapframe *tf)
{
	struct task *task = current_task();
	if (task->group->exiting)
		proc_exit_thread(); /* exit_group or a fatal signal elsewhere */
	struct ksiginfo k;
	int signo = signal_dequeue(task, ~task->sig.blocked, &k);
	if (!signo) {
		signal_restart_syscall(task, tf, NULL);
		if (task->sig.restore_blocked) {
			task->sig.blocked = task->sig.saved_blocked;
			task->sig.restore_blocked = false;
		}
		return;
	}
	struct linux_siginfo info;
	signal_to_siginfo(signo, &k, &info);
	deliver(task, tf, signo, &info, 0, false);
}

long signal_sigreturn(struct trapframe *tf)
{
	struct task *task = current_task();
	/* The handler's ret popped pretcode: the frame starts 8 below rsp. */
	u64 frame_addr = tf->rsp - 8;
	struct linux_rt_sigframe frame;
	if (copyin(&frame, frame_addr, sizeof(frame)) != 0) {
		kprintf("signal: rt_sigreturn with a bad frame at 0x%llx\n",
		        (unsigned long long)frame_addr);
		proc_exit(0, SIGSEGV);
	}
	/* A rip beyond the user limit is taken as is: the return path's
	 * guard (arch/x86_64/user_return.c) turns it into a SIGSEGV, as
	 * Linux's faulting iretq does. */
	const struct linux_sigcontext *sc = &frame.uc.uc_mcontext;
	if (sc->rsp >= USER_TOP) {
		kprintf("signal: rt_sigreturn to a non-user stack\n");
		proc_exit(0, SIGSEGV);
	}
	if (!sigframe_fpu_restore(task, sc->fpstate))
		proc_exit(0, SIGSEGV);

	tf->r8 = sc->r8;
	tf->r9 = sc->r9;
	tf->r10 = sc->r10;
	tf->r11 = sc->r11;
	tf->r12 = sc->r12;
	tf->r13 = sc->r13;
	tf->r14 = sc->r14;
	tf->r15 = sc->r15;
	tf->rdi = sc->rdi;
	tf->rsi = sc->rsi;
	tf->rbp = sc->rbp;
	tf->rbx = sc->rbx;
	tf->rdx = sc->rdx;
	tf->rax = sc->rax;
	tf->rcx = sc->rcx;
	tf->rsp = sc->rsp;
	tf->rip = sc->rip;
	tf->rflags = (tf->rflags & ~RFLAGS_USER_MASK) | (sc->eflags & RFLAGS_USER_MASK) |
	             RFLAGS_USER_DEFAULT;
	tf->cs = SEL_UCODE;
	tf->ss = SEL_UDATA;

	task->sig.blocked = frame.uc.uc_sigmask & ~UNBLOCKABLE;
	/* sigaltstack state from uc_stack, like Linux's restore_altstack. */
	if (!(frame.uc.uc_stack.ss_flags & SS_DISABLE) &&
	    frame.uc.uc_stack.ss_size >= MINSIGSTKSZ &&
	    user_range_ok(frame.uc.uc_stack.ss_sp, frame.uc.uc_stack.ss_size)) {
		task->sig.altstack.ss_sp = frame.uc.uc_stack.ss_sp;
		task->sig.altstack.ss_size = frame.uc.uc_stack.ss_size;
		task->sig.altstack.ss_flags = 0;
	}
	return (long)tf->rax;
}
