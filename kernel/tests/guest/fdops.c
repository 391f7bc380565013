/*
 * fdops.c: what every kind of open file answers, the same way: the
 * generic ioctls (FIONBIO, FIOASYNC, FIOCLEX, FIONCLEX, FIONREAD) on a
 * pipe, a regular file, a directory and /dev/null; /proc/self/fd/N and
 * /dev/fd/N reopening the same pipe end (bash process substitution,
 * `cat /dev/stdin`), readlink giving "pipe:[ino]"; the xattr calls
 * answering "not supported" / "no such attribute", never ENOSYS.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "check.h"

/* FIONBIO on and off, as O_NONBLOCK shows it. */
static int nonblock_toggles(int fd)
{
	int on = 1, off = 0;
	if (ioctl(fd, FIONBIO, &on) != 0 || !(fcntl(fd, F_GETFL) & O_NONBLOCK))
		return 0;
	return ioctl(fd, FIONBIO, &off) == 0 && !(fcntl(fd, F_GETFL) & O_NONBLOCK);
}

/* FIOCLEX and FIONCLEX, as F_GETFD shows them. */
static int cloexec_toggles(int fd)
{
	if (ioctl(fd, FIOCLEX) != 0 || fcntl(fd, F_GETFD) != FD_CLOEXEC)
		return 0;
	return ioctl(fd, FIONCLEX) == 0 && fcntl(fd, F_GETFD) == 0;
}

static void check_generic_ioctls(const char *what, int fd)
{
	char name[128];
	snprintf(name, sizeof(name), "%s: FIONBIO sets and clears O_NONBLOCK", what);
	check(nonblock_toggles(fd), name);
	snprintf(name, sizeof(name), "%s: FIOCLEX / FIONCLEX", what);
	check(cloexec_toggles(fd), name);
	int off = 0;
	snprintf(name, sizeof(name), "%s: FIOASYNC off", what);
	check(ioctl(fd, FIOASYNC, &off) == 0, name);
}

static void check_pipe_ioctls(void)
{
	int p[2];
	check(pipe(p) == 0, "pipe");
	check_generic_ioctls("pipe read end", p[0]);
	check_generic_ioctls("pipe write end", p[1]);
	int n = -1;
	check(ioctl(p[0], FIONREAD, &n) == 0 && n == 0, "pipe: FIONREAD 0 when empty");
	check(write(p[1], "hello", 5) == 5, "write 5 bytes");
	check(ioctl(p[0], FIONREAD, &n) == 0 && n == 5, "pipe: FIONREAD 5");
	int on = 1, off = 0;
	check(ioctl(p[0], FIOASYNC, &on) == 0 && (fcntl(p[0], F_GETFL) & O_ASYNC),
	      "pipe: FIOASYNC on sets O_ASYNC");
	check(ioctl(p[0], FIOASYNC, &off) == 0 && !(fcntl(p[0], F_GETFL) & O_ASYNC),
	      "pipe: FIOASYNC off clears it");
	char byte;
	errno = 0;
	check(pread(p[0], &byte, 1, 0) == -1 && errno == ESPIPE, "pread on a pipe: ESPIPE");
	errno = 0;
	check(pwrite(p[1], "x", 1, 0) == -1 && errno == ESPIPE, "pwrite on a pipe: ESPIPE");
	errno = 0;
	check(pread(1, &byte, 1, 0) == -1 && errno == ESPIPE, "pread on stdout: ESPIPE");
	check(fcntl(p[0], F_GETPIPE_SZ) == 65536, "F_GETPIPE_SZ: 64 KiB");
	check(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 4096, "F_SETPIPE_SZ 4096 gives at least 4096");
	close(p[0]);
	close(p[1]);
	int fd = open("/dev/null", O_RDONLY);
	errno = 0;
	check(fcntl(fd, F_GETPIPE_SZ) == -1 && errno == EBADF, "F_GETPIPE_SZ on a non-pipe: EBADF");
	close(fd);
}

static void check_file_ioctls(void)
{
	int fd = open("/tmp/fdops-file", O_RDWR | O_CREAT | O_TRUNC, 0600);
	check(fd >= 0, "create /tmp/fdops-file");
	check(write(fd, "0123456789", 10) == 10, "write 10 bytes");
	check(lseek(fd, 3, SEEK_SET) == 3, "seek to 3");
	check_generic_ioctls("regular file", fd);
	int n = -1;
	check(ioctl(fd, FIONREAD, &n) == 0 && n == 7, "regular file: FIONREAD = size - offset");
	close(fd);
	unlink("/tmp/fdops-file");

	int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
	check(dir >= 0, "open /tmp");
	check_generic_ioctls("directory", dir);
	errno = 0;
	check(ioctl(dir, FIONREAD, &n) == -1 && errno == ENOTTY, "directory: FIONREAD ENOTTY");
	close(dir);

	int null = open("/dev/null", O_RDWR);
	check(null >= 0, "open /dev/null");
	check_generic_ioctls("/dev/null", null);
	errno = 0;
	check(ioctl(null, 0x5401 /* TCGETS */, &n) == -1 && errno == ENOTTY,
	      "/dev/null: TCGETS ENOTTY");
	close(null);
}

/* ---- reopening pipe ends by /proc/self/fd/N and /dev/fd/N -------------- */

static int reopen(const char *dir, int fd, int flags)
{
	char path[64];
	snprintf(path, sizeof(path), "%s/%d", dir, fd);
	return open(path, flags);
}

static void check_reopen(const char *dir)
{
	char name[128];
	int p[2];
	check(pipe(p) == 0, "pipe");
	int r = reopen(dir, p[0], O_RDONLY);
	snprintf(name, sizeof(name), "open %s/<read end> O_RDONLY", dir);
	check(r >= 0 && r != p[0], name);
	int w = reopen(dir, p[1], O_WRONLY);
	snprintf(name, sizeof(name), "open %s/<write end> O_WRONLY", dir);
	check(w >= 0 && w != p[1], name);
	struct stat a, b, c;
	check(fstat(p[0], &a) == 0 && fstat(r, &b) == 0 && fstat(w, &c) == 0 &&
	      S_ISFIFO(a.st_mode) && a.st_ino == b.st_ino && a.st_ino == c.st_ino &&
	      a.st_dev == b.st_dev, "the reopened ends are the same pipe (st_ino)");

	char buf[16] = {0};
	check(write(w, "via-w", 5) == 5, "write through the reopened write end");
	check(read(p[0], buf, sizeof(buf)) == 5 && memcmp(buf, "via-w", 5) == 0,
	      "read it from the original read end");
	check(write(p[1], "via-p", 5) == 5, "write through the original write end");
	memset(buf, 0, sizeof(buf));
	check(read(r, buf, sizeof(buf)) == 5 && memcmp(buf, "via-p", 5) == 0,
	      "read it from the reopened read end");

	/* All write ends closed: both readers see end of file. */
	close(p[1]);
	close(w);
	check(read(r, buf, sizeof(buf)) == 0 && read(p[0], buf, sizeof(buf)) == 0,
	      "EOF on both read ends once every writer closed");
	close(r);
	close(p[0]);
}

static void check_pipe_links(void)
{
	int p[2];
	check(pipe(p) == 0, "pipe");
	struct stat st;
	check(fstat(p[0], &st) == 0, "fstat pipe");
	char want[64], got[64];
	snprintf(want, sizeof(want), "pipe:[%lu]", (unsigned long)st.st_ino);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[1]);
	ssize_t n = readlink(path, got, sizeof(got) - 1);
	got[n > 0 ? n : 0] = 0;
	check(n > 0 && strcmp(got, want) == 0, "readlink /proc/self/fd/N: pipe:[ino]");
	close(p[0]);
	close(p[1]);

	/* `cat /dev/stdin` with stdin a pipe. */
	check(pipe(p) == 0, "pipe for stdin");
	int saved = dup(0);
	check(dup2(p[0], 0) == 0, "stdin from the pipe");
	check(write(p[1], "from-stdin", 10) == 10, "write to it");
	close(p[1]);
	int fd = open("/dev/stdin", O_RDONLY);
	char buf[32] = {0};
	check(fd >= 0 && read(fd, buf, sizeof(buf)) == 10 && memcmp(buf, "from-stdin", 10) == 0,
	      "open /dev/stdin reads the pipe");
	if (fd >= 0)
		close(fd);
	dup2(saved, 0);
	close(saved);
	close(p[0]);

	/* `echo > /dev/stdout`: whatever stdout is (the guest's stream,
	 * docker's pipe, a tty), a reopen is the same object. */
	struct stat out, again;
	fd = open("/dev/stdout", O_WRONLY);
	check(fd >= 0 && fstat(fd, &again) == 0 && fstat(1, &out) == 0 &&
	      again.st_ino == out.st_ino && again.st_dev == out.st_dev && write(fd, "", 0) == 0,
	      "open /dev/stdout: the same file as fd 1");
	if (fd >= 0)
		close(fd);
}

/* ---- xattrs ---------------------------------------------------------------- */

static int missing_xattr_errno(int e)
{
	return e == ENODATA || e == ENOTSUP;
}

static void check_xattrs(void)
{
	char buf[64];
	int fd = open("/tmp/fdops-x", O_RDWR | O_CREAT, 0600);
	check(fd >= 0, "create /tmp/fdops-x");
	errno = 0;
	check(getxattr("/tmp/fdops-x", "user.none", buf, sizeof(buf)) == -1 &&
	      missing_xattr_errno(errno), "getxattr: ENODATA or ENOTSUP");
	errno = 0;
	check(lgetxattr("/", "security.selinux", buf, sizeof(buf)) == -1 &&
	      missing_xattr_errno(errno), "lgetxattr /: ENODATA or ENOTSUP");
	errno = 0;
	check(fgetxattr(fd, "system.posix_acl_access", buf, sizeof(buf)) == -1 &&
	      (missing_xattr_errno(errno) || errno == EOPNOTSUPP), "fgetxattr: no ACL");
	check(listxattr("/tmp/fdops-x", buf, sizeof(buf)) >= 0, "listxattr succeeds");
	check(llistxattr("/", NULL, 0) >= 0, "llistxattr / succeeds");
	errno = 0;
	check(getxattr("/no/such/file", "user.none", buf, sizeof(buf)) == -1 && errno == ENOENT,
	      "getxattr on a missing file: ENOENT");
	errno = 0;
	check(removexattr("/tmp/fdops-x", "user.none") == -1 && missing_xattr_errno(errno),
	      "removexattr: ENODATA or ENOTSUP");
	close(fd);
	unlink("/tmp/fdops-x");
}

int main(void)
{
	check_pipe_ioctls();
	check_file_ioctls();
	check_reopen("/proc/self/fd");
	check_reopen("/dev/fd");
	check_pipe_links();
	check_xattrs();
	return check_done("fdops");
}
