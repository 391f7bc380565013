/* fork.c: fork, vfork, wait4 statuses, pipes between processes, execve
 * from a child, and signals sent to a child. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static int g_parent_value = 1;

static void on_usr1(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child-exec") == 0)
		return 23; /* run by the execve check below */

	pid_t pid = fork();
	if (pid == 0) {
		g_parent_value = 99; /* a private copy: the parent must not see it */
		_exit(7);
	}
	check(pid > 0, "fork");
	int status = 0;
	check(waitpid(pid, &status, 0) == pid, "waitpid reaps the child");
	check(WIFEXITED(status) && WEXITSTATUS(status) == 7, "exit status 7 reported");
	check(g_parent_value == 1, "the child's writes stay in the child");
	errno = 0;
	check(waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD, "no children left: ECHILD");

	pid = fork();
	if (pid == 0) {
		volatile int *p = NULL;
		*p = 1;
		_exit(0);
	}
	check(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
	      "a child's NULL dereference: killed by SIGSEGV");

	int fds[2];
	check(pipe(fds) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		const char msg[] = "through the pipe";
		write(fds[1], msg, sizeof(msg));
		_exit(0);
	}
	close(fds[1]);
	char buf[64] = {0};
	check(read(fds[0], buf, sizeof(buf)) == 17 && strcmp(buf, "through the pipe") == 0,
	      "the parent reads what the child wrote");
	check(read(fds[0], buf, sizeof(buf)) == 0, "end of file once the writer is gone");
	close(fds[0]);
	check(waitpid(pid, &status, 0) == pid && WIFEXITED(status), "reap the writer");

	/* A big write fills the 64 KiB pipe and waits for the reader. */
	check(pipe(fds) == 0, "pipe for a big transfer");
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		static char big[300000];
		memset(big, 'x', sizeof(big));
		_exit(write(fds[1], big, sizeof(big)) == (ssize_t)sizeof(big) ? 0 : 1);
	}
	close(fds[1]);
	size_t total = 0;
	ssize_t n;
	while ((n = read(fds[0], buf, sizeof(buf))) > 0)
		total += (size_t)n;
	close(fds[0]);
	check(total == 300000, "300000 bytes arrive through a 64 KiB pipe");
	check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the writer saw a complete write");

	check(pipe(fds) == 0, "pipe with no reader");
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	errno = 0;
	check(write(fds[1], "x", 1) == -1 && errno == EPIPE, "write without a reader: EPIPE");
	close(fds[1]);

	pid = vfork();
	if (pid == 0) {
		char *args[] = {argv[0], "child-exec", NULL};
		execv("/proc/self/exe", args);
		_exit(127);
	}
	check(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 23, "vfork + execve runs the program again");

	pid = fork();
	if (pid == 0) {
		for (;;)
			sched_yield();
	}
	check(kill(pid, SIGTERM) == 0, "kill a child");
	check(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
	      "the child died of SIGTERM");
	/* A signal interrupts a blocked read (no SA_RESTART): EINTR. */
	check(pipe(fds) == 0, "pipe nobody writes to");
	pid = fork();
	if (pid == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_usr1;
		sigaction(SIGUSR1, &sa, NULL);
		close(fds[1]);
		errno = 0;
		ssize_t r = read(fds[0], buf, 1);
		_exit(r == -1 && errno == EINTR ? 5 : 6);
	}
	/* Let the child reach its read, then interrupt it. On cvmify the
	 * child runs until it blocks as soon as we yield; on Linux the
	 * sleep makes that all but certain. */
	for (int i = 0; i < 1000; i++)
		sched_yield();
	struct timespec pause = {0, 20 * 1000 * 1000};
	nanosleep(&pause, NULL);
	check(kill(pid, SIGUSR1) == 0, "signal the blocked child");
	check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 5,
	      "its read returned EINTR");
	close(fds[0]);
	close(fds[1]);

	check(getppid() >= 0, "getppid");
	return check_done("fork");
}
