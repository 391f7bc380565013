/*
 * host_requests.c: what the kernel does with the launcher's requests on
 * the control channel. control_decode (control/frame.c) has checked each
 * one (type, length, signal range) before it gets here.
 *
 * - SIGNAL: docker's sig-proxy. The app is pid 1, and as for a
 *   container's init a signal from outside reaches it only if it has a
 *   handler for it (Linux drops SIG_DFL signals other than SIGKILL to a
 *   namespace's init); the launcher's --stop-timeout covers the rest.
 * - WINSIZE: the host terminal's new size; SIGWINCH to the app if the
 *   console's size changed (only with a terminal).
 * - STDIN_EOF: where the app's stdin ends (proc/stdio.c).
 *
 * The control UART's receive interrupt runs control_poll as deferred
 * work (process context, big kernel lock held), so a request reaches
 * even an app that computes without making syscalls. Without an
 * interrupt line a kernel timer looks every POLL_NS.
 */
#include "proc/host_requests.h"

#include "arch/x86_64/irq.h"
#include "control/control.h"
#include "fs/devfs.h"
#include "lib/kprintf.h"
#include "platform/platform.h"
#include "proc/signal.h"
#include "proc/stdio.h"
#include "proc/task.h"
#include "proc/timer.h"
#include "proc/work.h"
#include "syscalls/linux_abi/signal.h"

#define POLL_NS (10ULL * 1000 * 1000)

static struct ktimer g_poll_timer;
static struct kwork g_poll_work;

#ifndef SI_KERNEL
#define SI_KERNEL 0x80 /* Linux's si_code for a signal the kernel sent */
#endif

static struct task *app_task(void)
{
	struct task *app = task_find(1);
	return app && app->state != TASK_ZOMBIE ? app : NULL;
}

static void deliver_signal(u32 signo)
{
	struct task *app = app_task();
	if (!app)
		return;
	u64 handler = app->sighand->actions[signo].handler;
	if (signo != SIGKILL && (handler == SIG_DFL || handler == SIG_IGN)) {
		kprintf("control: signal %u from the host dropped: pid 1 has no handler for it\n", signo);
		return;
	}
	kprintf("control: signal %u from the host\n", signo);
	/* From outside the app's world: si_pid 0, as Linux shows a sender
	 * outside the receiver's pid namespace. Not signal_post: the task
	 * that happens to run this work is not the sender. */
	struct ksiginfo info = {.code = SI_USER};
	signal_send_process(app, (int)signo, &info);
}

static void resize(u16 rows, u16 cols)
{
	if (!devtty_is_terminal() || !devtty_resize(rows, cols))
		return;
	struct task *app = app_task();
	struct ksiginfo info = {.code = SI_KERNEL};
	if (app)
		signal_send_process(app, SIGWINCH, &info);
}

static void apply(const struct host_request *request)
{
	switch (request->type) {
	case CONTROL_SIGNAL:
		deliver_signal(request->signo);
		break;
	case CONTROL_WINSIZE:
		resize(request->rows, request->cols);
		break;
	case CONTROL_STDIN_EOF:
		stdio_input_ends(request->stdin_bytes);
		break;
	}
}

/* Deferred work: the control UART has bytes (or the poll timer fired). */
static void control_input(void *arg)
{
	(void)arg;
	control_poll(true);
}

static void poll_timer_fired(struct ktimer *timer)
{
	work_queue(&g_poll_work);
	timer_arm_locked(timer, platform_time_ns() + POLL_NS);
}

void host_requests_start(void)
{
	control_set_handler(apply);
	int gsi = platform_control_input_irq();
	if (gsi >= 0 && irq_register((u32)gsi, control_input, NULL, false) == 0) {
		control_poll(true); /* what came before the interrupt was on */
		return;
	}
	work_init(&g_poll_work, control_input, NULL);
	timer_init(&g_poll_timer, poll_timer_fired, NULL);
	timer_arm(&g_poll_timer, platform_time_ns() + POLL_NS);
}
