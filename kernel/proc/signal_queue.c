/*
 * signal_queue.c: sending signals and taking them off their queues
 * (signal.h). Delivery to a handler is signal.c's business.
 *
 * Each thread has a queue for signals sent to it (tgkill, faults,
 * SIGPIPE, group exit's SIGKILL) and its process one for signals sent
 * to the process (kill, SIGCHLD, alarm and other timers). A signal for
 * the process goes to the first thread that does not block it, leader
 * first, like Linux; if all block it, it waits in the process queue for
 * one to unblock it or to take it with sigtimedwait/signalfd. A signal
 * whose default action ends the process, sent while not blocked and not
 * handled, ends the whole thread group at once (group exit: SIGKILL to
 * every thread).
 *
 * Everything here runs with the big kernel lock; waking is sched_kick's.
 */
#include "arch/x86_64/nospec.h"
#include "proc/signal.h"

#include "lib/string.h"
#include "proc/itimer.h"
#include "proc/proc.h"
#include "proc/sched.h"
#include "proc/task.h"
#include "proc/wait.h"
#include "syscalls/linux_abi/signal.h"

static u64 sig_bit(int signo)
{
	return 1ull << (signo - 1);
}

bool signal_default_kills(int signo)
{
	/* Stop signals are ignored: there is no one to continue the task. */
	switch (signo) {
	case SIGCHLD:
	case SIGCONT:
	case SIGURG:
	case SIGWINCH:
	case SIGSTOP:
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU:
		return false;
	default:
		return true;
	}
}

/* Linux's sig_ignored: discarded at once unless blocked (a blocked
 * signal may be waited for, or handled once the handler changes). */
static bool ignored(const struct task *t, int signo)
{
	if (signo == SIGKILL || (t->sig.blocked & sig_bit(signo)))
		return false;
	u64 handler = t->sighand->actions[signo].handler;
	return handler == SIG_IGN || (handler == SIG_DFL && !signal_default_kills(signo));
}

/* Would this signal, delivered to t now, end the process? */
static bool fatal_for(const struct task *t, int signo)
{
	if (signo == SIGKILL)
		return true;
	return !(t->sig.blocked & sig_bit(signo)) &&
	       t->sighand->actions[signo].handler == SIG_DFL && signal_default_kills(signo);
}

static void enqueue(struct sigqueue *q, int signo, const struct ksiginfo *info)
{
	u64 bit = sig_bit(signo);
	if (!(q->pending & bit)) {
		q->pending |= bit;
		q->info[signo - 1] = *info; /* a second instance merges into it */
	}
}

static bool thread_alive(const struct task *t)
{
	return !t->thread_exited;
}

void signal_group_exit(struct task *self, int status_word)
{
	struct thread_group *g = self->group;
	if (g->exiting)
		return;
	g->exiting = true;
	g->exit_status = status_word;
	struct ksiginfo kill = {.code = SI_KERNEL};
	for (struct list_node *l = g->threads.next; l != &g->threads; l = l->next) {
		struct task *t = list_entry(l, struct task, group_link);
		if (t == self || !thread_alive(t))
			continue;
		enqueue(&t->sig.queue, SIGKILL, &kill);
		sched_kick(t);
	}
}

void signal_send_thread(struct task *t, int signo, const struct ksiginfo *info)
{
	if (signo < 1 || signo > NSIG)
		return;
	signo = (int)index_nospec((u64)signo, NSIG + 1); /* indexes the actions */
	if (!thread_alive(t) || ignored(t, signo))
		return;
	if (fatal_for(t, signo) && !t->group->exiting) {
		/* The default action ends the process: all threads go now. */
		signal_group_exit(t, signo & 0x7f);
	}
	enqueue(&t->sig.queue, signo, info);
	waitq_wake(&t->group->signal_wait, 0);
	if (!(t->sig.blocked & sig_bit(signo)))
		sched_kick(t);
}

/* The thread a process-directed signal goes to: t if it takes it, else
 * the first live thread that does not block it; NULL if all block it. */
static struct task *pick_thread(struct task *t, int signo)
{
	if (thread_alive(t) && !(t->sig.blocked & sig_bit(signo)))
		return t;
	struct thread_group *g = t->group;
	for (struct list_node *l = g->threads.next; l != &g->threads; l = l->next) {
		struct task *c = list_entry(l, struct task, group_link);
		if (thread_alive(c) && !(c->sig.blocked & sig_bit(signo)))
			return c;
	}
	return NULL;
}

void signal_send_process(struct task *t, int signo, const struct ksiginfo *info)
{
	if (signo < 1 || signo > NSIG)
		return;
	signo = (int)index_nospec((u64)signo, NSIG + 1); /* indexes the actions */
	struct task *main = t->group->leader && thread_alive(t->group->leader) ? t->group->leader : t;
	if (ignored(main, signo))
		return;
	struct task *target = pick_thread(main, signo);
	if (target && fatal_for(target, signo) && !t->group->exiting)
		signal_group_exit(target, signo & 0x7f);
	enqueue(&t->group->queue, signo, info);
	waitq_wake(&t->group->signal_wait, 0);
	if (target)
		sched_kick(target);
}

void signal_post(struct task *task, int signo, int code)
{
	struct task *self = current_task();
	struct ksiginfo info = {.code = code, .pid = self->pid, .uid = self->uid};
	signal_send_process(task, signo, &info);
}

u64 signal_pending_set(const struct task *task)
{
	return task->sig.queue.pending | task->group->queue.pending;
}

bool signal_interrupts(const struct task *task)
{
	if (task->is_idle)
		return false;
	return (signal_pending_set(task) & ~task->sig.blocked) != 0;
}

/* Take signo off q if it is there; true and *out filled if so. */
static bool take(struct sigqueue *q, int signo, struct ksiginfo *out)
{
	u64 bit = sig_bit(signo);
	if (!(q->pending & bit))
		return false;
	q->pending &= ~bit;
	*out = q->info[signo - 1];
	return true;
}

int signal_dequeue(struct task *task, u64 mask, struct ksiginfo *out)
{
	u64 ready = signal_pending_set(task) & mask;
	if (!ready)
		return 0;
	int signo = __builtin_ctzll(ready) + 1;
	/* The thread's own instance first, then the process's. */
	if (!take(&task->sig.queue, signo, out))
		take(&task->group->queue, signo, out);
	if (out->code == SI_TIMER)
		out->overrun = posix_timer_signal_taken(task->group, out->timerid);
	return signo;
}

void signal_to_siginfo(int signo, const struct ksiginfo *k, struct linux_siginfo *out)
{
	memset(out, 0, sizeof(*out));
	out->si_signo = signo;
	out->si_code = k->code;
	switch (k->code) {
	case SI_TIMER:
		out->u.timer.tid = k->timerid;
		out->u.timer.overrun = k->overrun;
		out->u.timer.value = k->value;
		return;
	case SI_QUEUE:
		out->u.rt.pid = k->pid;
		out->u.rt.uid = k->uid;
		out->u.rt.value = k->value;
		return;
	default:
		break;
	}
	if (signo == SIGCHLD && k->code > 0) {
		out->u.chld.pid = k->pid;
		out->u.chld.uid = k->uid;
		out->u.chld.status = k->status;
		return;
	}
	if (k->code > 0 && k->code != SI_KERNEL) {
		out->u.addr = k->addr; /* a fault */
		return;
	}
	out->u.kill.pid = k->pid;
	out->u.kill.uid = k->uid;
}

void signal_reset_on_exec(struct task *task)
{
	for (int s = 1; s <= NSIG; s++) {
		struct linux_sigaction *a = &task->sighand->actions[s];
		if (a->handler != SIG_IGN)
			memset(a, 0, sizeof(*a));
	}
	task->sig.altstack.ss_sp = 0;
	task->sig.altstack.ss_size = 0;
	task->sig.altstack.ss_flags = SS_DISABLE;
}

void signal_discard(struct task *task, int signo)
{
	u64 bit = sig_bit(signo);
	struct thread_group *g = task->group;
	g->queue.pending &= ~bit;
	for (struct list_node *l = g->threads.next; l != &g->threads; l = l->next)
		list_entry(l, struct task, group_link)->sig.queue.pending &= ~bit;
}

int signal_wait_for(struct task *task, u64 set, u64 deadline_ns, struct ksiginfo *out)
{
	struct wait_entry e;
	wait_entry_init(&e);
	int signo, err = 0;
	for (;;) {
		/* Every queued signal wakes signal_wait (signal_send_*). */
		wait_prepare(&task->group->signal_wait, &e);
		signo = signal_dequeue(task, set, out);
		if (signo)
			break;
		err = wait_sleep(deadline_ns, true);
		if (err)
			break;
	}
	wait_finish(&e);
	return signo ? signo : err;
}
