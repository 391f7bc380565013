/*
 * One line per system call that issue 12 lists as missing or wrong, each
 * called the way its everyday users call it and its effect checked (not
 * just its return value): "NAME: ok" or "NAME: <what went wrong>". The
 * exit status is the number of lines that are not ok. Each check runs in
 * a child of its own (some change ids, groups, limits or the session),
 * which is killed and reported as hanging after WATCHDOG_MS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define WATCHDOG_MS 20000  /* generous: the guest runs under TCG in CI */

static int g_failed;
static volatile sig_atomic_t g_signals;

/* "errno NAME" for a failed call, in a static buffer. */
static const char *err(void)
{
	static char text[64];
	snprintf(text, sizeof(text), "errno %s", strerrorname_np(errno) ?: "?");
	return text;
}

static void count_signal(int sig)
{
	(void)sig;
	g_signals++;
}

static int make_file(const char *path, const char *text)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0 && text)
		write(fd, text, strlen(text));
	return fd;
}

static const char *check_statfs(void)
{
	struct statfs st;
	if (statfs("/", &st) != 0)
		return err();
	if (st.f_bsize <= 0 || st.f_blocks == 0)
		return "no block size or no blocks";
	int fd = open("/tmp", O_RDONLY | O_DIRECTORY);
	if (fstatfs(fd, &st) != 0)
		return "fstatfs failed";
	close(fd);
	return NULL;
}

static const char *check_utimensat(void)
{
	int fd = make_file("/tmp/audit-times", "x");
	close(fd);
	struct timespec times[2] = {{1000000000, 0}, {1234567890, 500}};
	if (utimensat(AT_FDCWD, "/tmp/audit-times", times, 0) != 0)
		return err();
	struct stat st;
	stat("/tmp/audit-times", &st);
	if (st.st_mtim.tv_sec != 1234567890 || st.st_atim.tv_sec != 1000000000)
		return "times not set";
	return NULL;
}

static const char *check_futimens(void)
{
	int fd = open("/tmp/audit-times", O_RDWR);
	struct timespec times[2] = {{0, UTIME_OMIT}, {946684800, 0}};
	int ret = futimens(fd, times);
	struct stat st;
	fstat(fd, &st);
	close(fd);
	if (ret != 0)
		return err();
	if (st.st_mtim.tv_sec != 946684800 || st.st_atim.tv_sec != 1000000000)
		return "times not set (or UTIME_OMIT ignored)";
	return NULL;
}

static const char *check_sendfile(void)
{
	int in = make_file("/tmp/audit-in", "sendfile copies these bytes");
	int out = make_file("/tmp/audit-out", NULL);
	off_t offset = 9;
	ssize_t n = sendfile(out, in, &offset, 100);
	char buf[64] = {0};
	pread(out, buf, sizeof(buf) - 1, 0);
	close(in);
	close(out);
	if (n < 0)
		return err();
	if (n != 18 || offset != 27 || strcmp(buf, "copies these bytes") != 0)
		return "wrong bytes or offset";
	return NULL;
}

static const char *check_sigsuspend(void)
{
	sigset_t block, old, none;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	signal(SIGUSR1, count_signal);
	g_signals = 0;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		kill(parent, SIGUSR1);
		_exit(0);
	}
	sigemptyset(&none);
	int ret = sigsuspend(&none);
	int saved = errno;
	waitpid(pid, NULL, 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR1, SIG_DFL);
	if (ret != -1 || saved != EINTR || g_signals != 1)
		return "did not return EINTR after the handler";
	return NULL;
}

static const char *check_sigtimedwait(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	struct timespec wait = {0, 20 * 1000 * 1000};
	if (sigtimedwait(&set, NULL, &wait) != -1 || errno != EAGAIN) {
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		return errno == ENOSYS ? "errno ENOSYS" : "no EAGAIN when nothing is pending";
	}
	raise(SIGUSR2);
	siginfo_t info;
	int sig = sigtimedwait(&set, &info, &wait);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	if (sig != SIGUSR2 || info.si_signo != SIGUSR2 || info.si_pid != getpid())
		return "the pending signal was not taken";
	return NULL;
}

static const char *check_itimer(void)
{
	signal(SIGALRM, count_signal);
	g_signals = 0;
	struct itimerval timer = {{0, 0}, {0, 50 * 1000}};
	if (setitimer(ITIMER_REAL, &timer, NULL) != 0)
		return err();
	struct itimerval left;
	if (getitimer(ITIMER_REAL, &left) != 0)
		return "getitimer failed";
	pause();  /* woken by SIGALRM */
	signal(SIGALRM, SIG_DFL);
	if (g_signals != 1)
		return "no SIGALRM";
	return NULL;
}

static const char *check_alarm(void)
{
	alarm(100);
	unsigned left = alarm(0);
	if (left < 99 || left > 100)
		return "alarm(0) did not return the time left";
	return NULL;
}

static const char *check_timer_create(void)
{
	signal(SIGALRM, count_signal);
	g_signals = 0;
	timer_t timer;
	if (timer_create(CLOCK_MONOTONIC, NULL, &timer) != 0)
		return err();
	struct itimerspec when = {{0, 0}, {0, 30 * 1000 * 1000}};
	timer_settime(timer, 0, &when, NULL);
	while (g_signals == 0)
		pause();
	timer_delete(timer);
	signal(SIGALRM, SIG_DFL);
	return NULL;
}

static const char *check_process_groups(void)
{
	if (setpgid(0, 0) != 0)
		return "setpgid failed";
	if (getpgid(0) != getpid() || getpgrp() != getpid())
		return "getpgid/getpgrp disagree";
	pid_t pid = fork();  /* a group leader cannot setsid: its child can */
	if (pid == 0)
		_exit(setsid() == getpid() && getsid(0) == getpid() && getpgrp() == getpid() ? 0 : 3);
	int status;
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return "setsid in a child failed";
	if (setsid() != -1 || errno != EPERM)
		return "setsid of a group leader did not fail with EPERM";
	return NULL;
}

static const char *check_kill_group(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		pause();
		_exit(0);
	}
	setpgid(pid, pid);  /* both sides, as shells do, so there is no race */
	if (getpgid(pid) != pid) {
		/* Without the group, kill(-pid) could reach this process too. */
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return "no process group to signal (setpgid)";
	}
	if (kill(-pid, SIGTERM) != 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return err();
	}
	int status;
	waitpid(pid, &status, 0);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGTERM)
		return "the group was not signalled";
	return NULL;
}

static const char *check_fadvise(void)
{
	int fd = open("/tmp/audit-in", O_RDONLY);
	int ret = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	close(fd);
	if (ret != 0) {
		errno = ret;
		return err();
	}
	return NULL;
}

static const char *check_close_range(void)
{
	int first = open("/dev/null", O_RDONLY);
	dup2(first, first + 1);
	dup2(first, first + 2);
	if (syscall(SYS_close_range, first, first + 1, 0) != 0)
		return err();
	if (fcntl(first, F_GETFD) != -1 || fcntl(first + 1, F_GETFD) != -1 ||
	    fcntl(first + 2, F_GETFD) != 0)
		return "the wrong descriptors were closed";
	close(first + 2);
	return NULL;
}

static const char *check_mincore(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	map[0] = 1;
	unsigned char vec[2] = {0, 0};
	int ret = mincore(map, 2 * page, vec);
	munmap(map, 2 * page);
	if (ret != 0)
		return err();
	if (!(vec[0] & 1))
		return "a touched page is not resident";
	return NULL;
}

static const char *check_getdents64(void)
{
	mkdir("/tmp/audit-dir", 0755);
	close(make_file("/tmp/audit-dir/a", NULL));
	close(make_file("/tmp/audit-dir/b", NULL));
	int fd = open("/tmp/audit-dir", O_RDONLY | O_DIRECTORY);
	char buf[4096];
	long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return err();
	int names = 0;
	for (long at = 0; at < n;) {
		unsigned short reclen;
		memcpy(&reclen, buf + at + 16, sizeof(reclen));
		names++;
		at += reclen;
	}
	if (names != 4)
		return "not . .. a b";
	return NULL;
}

static const char *check_readlinkat(void)
{
	unlink("/tmp/audit-link");
	symlink("audit-in", "/tmp/audit-link");
	int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
	char buf[64] = {0};
	ssize_t n = readlinkat(dir, "audit-link", buf, sizeof(buf) - 1);
	close(dir);
	if (n < 0)
		return err();
	if (strcmp(buf, "audit-in") != 0)
		return "wrong target";
	return NULL;
}

static const char *check_renameat2(void)
{
	close(make_file("/tmp/audit-r1", "1"));
	close(make_file("/tmp/audit-r2", "2"));
	if (renameat2(AT_FDCWD, "/tmp/audit-r1", AT_FDCWD, "/tmp/audit-r2", RENAME_NOREPLACE) == 0)
		return "RENAME_NOREPLACE replaced a file";
	if (errno != EEXIST)
		return err();
	return NULL;
}

static const char *check_faccessat2(void)
{
	if (faccessat(AT_FDCWD, "/tmp/audit-in", R_OK, AT_EACCESS) != 0)
		return err();
	return NULL;
}

static const char *check_mkfifo(void)
{
	unlink("/tmp/audit-fifo");
	if (mkfifo("/tmp/audit-fifo", 0600) != 0)
		return err();
	struct stat st;
	stat("/tmp/audit-fifo", &st);
	if (!S_ISFIFO(st.st_mode))
		return "not a FIFO";
	return NULL;
}

/* Drops to 1000:1000 with no groups; root's 0600 file is then closed. */
static const char *check_identity(void)
{
	close(make_file("/tmp/audit-secret", "secret"));
	chmod("/tmp/audit-secret", 0600);
	if (setgroups(0, NULL) != 0)
		return "setgroups failed";
	if (setresgid(1000, 1000, 1000) != 0 || setresuid(1000, 1000, 1000) != 0)
		return "setresgid/setresuid failed";
	uid_t r, e, s;
	getresuid(&r, &e, &s);
	if (r != 1000 || e != 1000 || s != 1000 || getgroups(0, NULL) != 0)
		return "getresuid/getgroups disagree";
	if (open("/tmp/audit-secret", O_RDONLY) != -1 || errno != EACCES)
		return "the dropped user could open root's 0600 file";
	if (setuid(0) != -1 || errno != EPERM)
		return "the dropped user regained root";
	return NULL;
}

static const char *check_rlimit_fsize(void)
{
	struct rlimit limit = {4096, 4096};
	if (setrlimit(RLIMIT_FSIZE, &limit) != 0)
		return "setrlimit failed";
	signal(SIGXFSZ, SIG_IGN);
	int fd = make_file("/tmp/audit-big", NULL);
	char block[8192] = {0};
	ssize_t n = write(fd, block, sizeof(block));
	if (n != 4096)
		return "a write was not cut at the limit";
	if (write(fd, block, 1) != -1 || errno != EFBIG)
		return "no EFBIG past the limit";
	return NULL;
}

static const char *check_rlimit_nofile(void)
{
	struct rlimit limit = {8, 8};
	if (prlimit(0, RLIMIT_NOFILE, &limit, NULL) != 0)
		return "prlimit failed";
	for (int i = 0; i < 8; i++)
		if (open("/dev/null", O_RDONLY) < 0)
			return errno == EMFILE ? NULL : err();
	return "no EMFILE at the limit";
}

static const char *check_pipe_ioctls(void)
{
	int fds[2];
	pipe(fds);
	write(fds[1], "abc", 3);
	int avail = 0, on = 1;
	if (ioctl(fds[0], FIONREAD, &avail) != 0 || avail != 3)
		return "FIONREAD";
	if (ioctl(fds[0], FIONBIO, &on) != 0 || !(fcntl(fds[0], F_GETFL) & O_NONBLOCK))
		return "FIONBIO";
	if (ioctl(fds[0], FIOCLEX) != 0 || !(fcntl(fds[0], F_GETFD) & FD_CLOEXEC))
		return "FIOCLEX";
	close(fds[0]);
	close(fds[1]);
	return NULL;
}

static const char *check_proc_fd_pipe(void)
{
	int fds[2];
	pipe(fds);
	char path[64], target[64] = {0};
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	readlink(path, target, sizeof(target) - 1);
	write(fds[1], "through", 7);
	int again = open(path, O_RDONLY);
	char buf[8] = {0};
	if (again >= 0)
		read(again, buf, 7);
	close(again);
	close(fds[0]);
	close(fds[1]);
	if (strncmp(target, "pipe:[", 6) != 0)
		return "readlink is not pipe:[ino]";
	if (strcmp(buf, "through") != 0)
		return "opening it does not reopen the pipe";
	return NULL;
}

static const char *check_xattr_errors(void)
{
	char value[16];
	if (lgetxattr("/tmp/audit-in", "user.none", value, sizeof(value)) != -1)
		return "a missing attribute was found";
	if (errno != ENODATA && errno != ENOTSUP)
		return err();
	return NULL;
}

static const char *check_socketpair(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return err();
	char buf[8] = {0};
	write(sv[0], "ping", 4);
	read(sv[1], buf, sizeof(buf));
	close(sv[0]);
	close(sv[1]);
	return strcmp(buf, "ping") == 0 ? NULL : "the bytes did not arrive";
}

/* One line for name: the check's own answer, or that it crashed or hung. */
static void run_check(const char *name, const char *(*check)(void))
{
	pid_t pid = fork();
	if (pid == 0) {
		const char *problem = check();
		printf("%s: %s\n", name, problem ? problem : "ok");
		fflush(stdout);
		_exit(problem != NULL);
	}
	int status = 0;
	struct timespec tick = {0, 10 * 1000 * 1000};
	for (int waited = 0; waitpid(pid, &status, WNOHANG) == 0; waited += 10) {
		if (waited >= WATCHDOG_MS) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			printf("%s: hangs\n", name);
			break;
		}
		nanosleep(&tick, NULL);
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
		printf("%s: killed by signal %d\n", name, WTERMSIG(status));
	fflush(stdout);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		g_failed++;
}

int main(void)
{
	run_check("statfs, fstatfs", check_statfs);
	run_check("utimensat", check_utimensat);
	run_check("futimens", check_futimens);
	run_check("sendfile", check_sendfile);
	run_check("rt_sigsuspend", check_sigsuspend);
	run_check("rt_sigtimedwait", check_sigtimedwait);
	run_check("setitimer, getitimer, pause", check_itimer);
	run_check("alarm", check_alarm);
	run_check("timer_create", check_timer_create);
	run_check("setpgid, getpgid, setsid", check_process_groups);
	run_check("kill(-pgid)", check_kill_group);
	run_check("fadvise64", check_fadvise);
	run_check("close_range", check_close_range);
	run_check("mincore", check_mincore);
	run_check("getdents64", check_getdents64);
	run_check("readlinkat", check_readlinkat);
	run_check("renameat2", check_renameat2);
	run_check("faccessat2", check_faccessat2);
	run_check("mknodat (mkfifo)", check_mkfifo);
	run_check("setgroups, setresuid, setresgid", check_identity);
	run_check("RLIMIT_FSIZE", check_rlimit_fsize);
	run_check("RLIMIT_NOFILE (prlimit64)", check_rlimit_nofile);
	run_check("ioctl on a pipe", check_pipe_ioctls);
	run_check("/proc/self/fd of a pipe", check_proc_fd_pipe);
	run_check("lgetxattr errors", check_xattr_errors);
	run_check("socketpair", check_socketpair);
	return g_failed;
}
