/*
 * limits.c: resource limits honoured as on Linux: RLIMIT_FSIZE (a short
 * write at the limit, then EFBIG and SIGXFSZ), RLIMIT_NOFILE, RLIMIT_AS,
 * RLIMIT_DATA, RLIMIT_STACK (a deeper recursion faults), RLIMIT_NPROC,
 * RLIMIT_MEMLOCK, and prlimit64 refusing to raise a hard limit without
 * CAP_SYS_RESOURCE, and prlimit64 on another process (same ids only).
 * Each limit is tried in a child.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"


static int set_limit(int resource, rlim_t soft)
{
	struct rlimit rl;
	getrlimit(resource, &rl);
	rl.rlim_cur = soft;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < soft)
		rl.rlim_cur = rl.rlim_max;
	return setrlimit(resource, &rl);
}


static volatile sig_atomic_t g_xfsz;

static void on_xfsz(int sig)
{
	(void)sig;
	g_xfsz = 1;
}

static int fsize(void)
{
	signal(SIGXFSZ, on_xfsz);
	STEP(1, set_limit(RLIMIT_FSIZE, 1000) == 0);
	int fd = open("/tmp/lim-fsize", O_RDWR | O_CREAT | O_TRUNC, 0644);
	char buf[600];
	memset(buf, 'x', sizeof(buf));
	STEP(2, fd >= 0 && write(fd, buf, 600) == 600);
	STEP(3, write(fd, buf, 600) == 400); /* cut at the limit */
	STEP(4, !g_xfsz);
	errno = 0;
	STEP(5, write(fd, buf, 1) == -1 && errno == EFBIG && g_xfsz);
	errno = 0;
	STEP(6, ftruncate(fd, 2000) == -1 && errno == EFBIG);
	STEP(7, ftruncate(fd, 500) == 0);
	STEP(8, pwrite(fd, buf, 10, 995) == 5);
	g_xfsz = 0;
	errno = 0;
	STEP(9, fallocate(fd, 0, 0, 4096) == -1 && errno == EFBIG && g_xfsz);
	STEP(10, fallocate(fd, 0, 0, 800) == 0);
	close(fd);
	unlink("/tmp/lim-fsize");
	return 0;
}

/* Without a handler SIGXFSZ ends the process. */
static int fsize_kills(void)
{
	set_limit(RLIMIT_FSIZE, 10);
	int fd = open("/tmp/lim-fsize2", O_RDWR | O_CREAT | O_TRUNC, 0644);
	unlink("/tmp/lim-fsize2");
	(void)!write(fd, "0123456789", 10);
	(void)!write(fd, "x", 1);
	return 99; /* not reached */
}

static int nofile(void)
{
	STEP(1, set_limit(RLIMIT_NOFILE, 10) == 0);
	int last = -1;
	for (int i = 0; i < 20; i++) {
		int fd = open("/dev/null", O_RDONLY);
		if (fd < 0)
			break;
		last = fd;
	}
	STEP(2, last == 9 && errno == EMFILE);
	errno = 0;
	STEP(3, dup2(0, 20) == -1 && errno == EBADF);
	errno = 0;
	STEP(4, fcntl(0, F_DUPFD, 20) == -1 && errno == EINVAL);
	return 0;
}

static int address_space(void)
{
	STEP(1, set_limit(RLIMIT_AS, 512ul << 20) == 0);
	errno = 0;
	void *big = mmap(NULL, 600ul << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	STEP(2, big == MAP_FAILED && errno == ENOMEM);
	void *small = mmap(NULL, 1 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	STEP(3, small != MAP_FAILED);
	return 0;
}

static int data(void)
{
	STEP(1, set_limit(RLIMIT_DATA, 64ul << 20) == 0);
	errno = 0;
	void *big = mmap(NULL, 128ul << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	STEP(2, big == MAP_FAILED && errno == ENOMEM);
	/* Read-only memory is not data. */
	void *ro = mmap(NULL, 128ul << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	STEP(3, ro != MAP_FAILED);
	void *brk0 = sbrk(0);
	STEP(4, sbrk(128l << 20) == (void *)-1 && sbrk(0) == brk0);
	STEP(5, malloc(100ul << 20) == NULL);
	return 0;
}

static int recurse(int depth)
{
	volatile char pad[4096];
	pad[0] = (char)depth;
	return depth == 0 ? pad[0] : recurse(depth - 1) + pad[0];
}

/* RLIMIT_STACK applies at exec: run ourselves again with a small one. */
static void check_stack(const char *self)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		set_limit(RLIMIT_STACK, 256 << 10);
		execl(self, self, "--recurse", "1024", (char *)NULL); /* 4 MiB deep */
		_exit(127);
	}
	int status = 0;
	check(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
	      "RLIMIT_STACK 256 KiB: a 4 MiB recursion dies of SIGSEGV");
	pid = fork();
	if (pid == 0) {
		set_limit(RLIMIT_STACK, 256 << 10);
		execl(self, self, "--recurse", "16", (char *)NULL); /* 64 KiB */
		_exit(127);
	}
	check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "RLIMIT_STACK 256 KiB: a 64 KiB recursion is fine");
}

static int nproc(void)
{
	STEP(1, setgid(1000) == 0 && setuid(1000) == 0);
	STEP(2, set_limit(RLIMIT_NPROC, 1) == 0);
	errno = 0;
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	STEP(3, pid == -1 && errno == EAGAIN);
	return 0;
}

static int memlock(void)
{
	STEP(1, set_limit(RLIMIT_MEMLOCK, 64 << 10) == 0);
	char *m = mmap(NULL, 256 << 10, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	STEP(2, m != MAP_FAILED && mlock(m, 4096) == 0 && munlock(m, 4096) == 0);
	errno = 0;
	STEP(3, mlock(m, 256 << 10) == -1 && errno == ENOMEM);
	return 0;
}

static int hard_limits(void)
{
	struct rlimit rl, old;
	STEP(1, prlimit(getpid(), RLIMIT_NOFILE, NULL, &old) == 0 && old.rlim_max > 16);
	rl.rlim_cur = 16;
	rl.rlim_max = 16;
	STEP(2, prlimit(0, RLIMIT_NOFILE, &rl, &old) == 0);
	rl.rlim_max = 32;
	errno = 0;
	STEP(3, setrlimit(RLIMIT_NOFILE, &rl) == -1 && errno == EPERM); /* no CAP_SYS_RESOURCE */
	rl.rlim_cur = 32;
	rl.rlim_max = 16;
	errno = 0;
	STEP(4, setrlimit(RLIMIT_NOFILE, &rl) == -1 && errno == EINVAL);
	return 0;
}

/* prlimit64 on another process: read and changed by a caller with the
 * same ids; EPERM once the caller's ids differ; ESRCH for no process. */
static int other_process(void)
{
	int pipefd[2];
	STEP(1, pipe(pipefd) == 0);
	pid_t child = fork();
	if (child == 0) {
		char c;
		close(pipefd[1]);
		read(pipefd[0], &c, 1); /* until the parent closes its end */
		_exit(0);
	}
	close(pipefd[0]);
	struct rlimit rl = {.rlim_cur = 50, .rlim_max = 60}, got;
	STEP(2, child > 0 && prlimit(child, RLIMIT_NPROC, &rl, NULL) == 0);
	STEP(3, prlimit(child, RLIMIT_NPROC, NULL, &got) == 0 && got.rlim_cur == 50 && got.rlim_max == 60);
	STEP(4, prlimit(getpid(), RLIMIT_NPROC, NULL, &got) == 0 && got.rlim_cur != 50);
	errno = 0;
	STEP(5, prlimit(999999, RLIMIT_NPROC, NULL, &got) == -1 && errno == ESRCH);
	STEP(6, setresgid(1000, 1000, 1000) == 0 && setresuid(1000, 1000, 1000) == 0);
	errno = 0;
	STEP(7, prlimit(child, RLIMIT_NPROC, NULL, &got) == -1 && errno == EPERM);
	close(pipefd[1]);
	int status;
	STEP(8, waitpid(child, &status, 0) == child);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "--recurse") == 0)
		return recurse(atoi(argv[2])) == 0 ? 0 : 0;
	check_in_child("RLIMIT_FSIZE: a short write, then EFBIG and SIGXFSZ", fsize);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(fsize_kills());
	int status = 0;
	check(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ,
	      "RLIMIT_FSIZE: an unhandled SIGXFSZ ends the writer");
	check_in_child("RLIMIT_NOFILE: EMFILE at the limit, EBADF/EINVAL past it", nofile);
	check_in_child("RLIMIT_AS: mmap past it is ENOMEM", address_space);
	check_in_child("RLIMIT_DATA: private writable memory and brk past it fail", data);
	check_stack(argv[0]);
	check_in_child("RLIMIT_NPROC: a user at its limit cannot fork", nproc);
	check_in_child("RLIMIT_MEMLOCK: mlock past it is ENOMEM", memlock);
	check_in_child("hard limits: lowering is fine, raising needs CAP_SYS_RESOURCE", hard_limits);
	check_in_child("prlimit64 on another process: same ids or CAP_SYS_RESOURCE", other_process);
	return check_done("limits");
}
