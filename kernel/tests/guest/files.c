/* files.c: file descriptors and paths in /tmp (a tmpfs) and on the
 * root (writable, like docker's container layer). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"

static int count_entries(const char *dir, const char *want, int *found)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	*found = 0;
	while ((e = readdir(d)) != NULL) {
		n++;
		if (strcmp(e->d_name, want) == 0)
			*found = 1;
	}
	closedir(d);
	return n;
}

/* /dev/zero and /dev/null, whose read/write skip the bounce buffer; /dev/full. */
static void devices(void)
{
	static char big[3 * 4096 + 100];
	memset(big, 0xaa, sizeof(big));
	int zero = open("/dev/zero", O_RDWR);
	int null = open("/dev/null", O_RDWR);
	check(zero >= 0 && null >= 0, "open /dev/zero and /dev/null");
	ssize_t n = read(zero, big + 1, sizeof(big) - 2);
	int zeros = 1;
	for (size_t i = 1; i < sizeof(big) - 1; i++)
		zeros &= big[i] == 0;
	check(n == (ssize_t)sizeof(big) - 2 && zeros && big[0] == (char)0xaa &&
	      big[sizeof(big) - 1] == (char)0xaa, "read /dev/zero: zeros, exactly the count");
	errno = 0;
	check(read(zero, (void *)8, 16) == -1 && errno == EFAULT, "read /dev/zero to a bad pointer: EFAULT");
	check(read(null, big, sizeof(big)) == 0, "read /dev/null: end of file");
	check(write(null, big, sizeof(big)) == (ssize_t)sizeof(big), "write /dev/null takes all");
	check(write(zero, big, 100) == 100, "write /dev/zero takes all");
	check(pread(zero, big, 10, 12345) == 10 && big[9] == 0, "pread /dev/zero");
	close(zero);
	close(null);
	int full = open("/dev/full", O_RDWR);
	check(full >= 0 && read(full, big, 64) == 64 && big[63] == 0, "read /dev/full: zeros");
	errno = 0;
	check(write(full, "x", 1) == -1 && errno == ENOSPC, "write /dev/full: ENOSPC");
	struct stat st;
	check(fstat(full, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 &&
	      minor(st.st_rdev) == 7, "/dev/full is char device 1:7");
	close(full);
}

/* ioctls every file answers (Linux's do_vfs_ioctl): libuv sets its
 * pipes non-blocking with FIONBIO, stdio included. */
static void generic_ioctls(void)
{
	int p[2];
	check(pipe(p) == 0, "a pipe for the generic ioctls");
	int on = 1, off = 0;
	check(ioctl(p[1], FIONBIO, &on) == 0 && (fcntl(p[1], F_GETFL) & O_NONBLOCK),
	      "FIONBIO 1 sets O_NONBLOCK");
	check(ioctl(p[1], FIONBIO, &off) == 0 && !(fcntl(p[1], F_GETFL) & O_NONBLOCK),
	      "FIONBIO 0 clears it");
	check(ioctl(p[0], FIOCLEX) == 0 && fcntl(p[0], F_GETFD) == FD_CLOEXEC, "FIOCLEX");
	check(ioctl(p[0], FIONCLEX) == 0 && fcntl(p[0], F_GETFD) == 0, "FIONCLEX");
	errno = 0;
	check(ioctl(p[0], FIONBIO, (void *)8) == -1 && errno == EFAULT, "FIONBIO from a bad pointer: EFAULT");
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	devices();
	generic_ioctls();
	char buf[256];
	check(getcwd(buf, sizeof(buf)) != NULL, "getcwd");
	check(chdir("/tmp") == 0, "chdir /tmp");
	check(getcwd(buf, sizeof(buf)) && strcmp(buf, "/tmp") == 0, "getcwd is /tmp");

	check(mkdir("d", 0755) == 0, "mkdir");
	int fd = open("d/f", O_CREAT | O_RDWR | O_TRUNC, 0644);
	check(fd >= 0, "open O_CREAT");
	check(write(fd, "hello world", 11) == 11, "write");
	check(lseek(fd, 0, SEEK_SET) == 0, "lseek");
	memset(buf, 0, sizeof(buf));
	check(read(fd, buf, sizeof(buf)) == 11 && strcmp(buf, "hello world") == 0, "read back");
	check(pwrite(fd, "W", 1, 6) == 1, "pwrite");
	check(pread(fd, buf, 5, 6) == 5 && memcmp(buf, "World", 5) == 0, "pread");
	check(lseek(fd, 0, SEEK_CUR) == 11, "pread/pwrite leave the offset");

	struct iovec iov[2] = {{"ab", 2}, {"cd", 2}};
	check(writev(fd, iov, 2) == 4, "writev");
	struct stat st;
	check(fstat(fd, &st) == 0 && st.st_size == 15 && S_ISREG(st.st_mode), "fstat size");

	int fd2 = dup(fd);
	check(fd2 > fd, "dup");
	check(dup2(fd, 50) == 50, "dup2");
	check(fcntl(50, F_GETFD) == 0, "dup2 clears FD_CLOEXEC");
	check(fcntl(50, F_SETFD, FD_CLOEXEC) == 0 && fcntl(50, F_GETFD) == FD_CLOEXEC,
	      "F_SETFD FD_CLOEXEC");
	check(fcntl(fd, F_DUPFD_CLOEXEC, 60) == 60, "F_DUPFD_CLOEXEC");
	check((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR, "F_GETFL access mode");
	check(close(fd2) == 0 && close(50) == 0 && close(60) == 0, "close dups");
	errno = 0;
	check(close(60) == -1 && errno == EBADF, "close twice: EBADF");

	check(ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5, "ftruncate");
	check(close(fd) == 0, "close");

	check(rename("d/f", "d/g") == 0, "rename");
	errno = 0;
	check(stat("d/f", &st) == -1 && errno == ENOENT, "old name is gone");
	check(stat("/tmp/d/g", &st) == 0 && st.st_size == 5, "stat new name");
	check(symlink("g", "d/link") == 0, "symlink");
	check(readlink("d/link", buf, sizeof(buf)) == 1 && buf[0] == 'g', "readlink");
	check(lstat("d/link", &st) == 0 && S_ISLNK(st.st_mode), "lstat sees the link");
	check(access("d/g", R_OK | W_OK) == 0, "access");

	/* /proc/self/fd/N names what the fd was opened as: absolute, links
	 * resolved (Linux's d_path). */
	char link[64];
	fd = open("d/link", O_RDONLY);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	memset(buf, 0, sizeof(buf));
	check(fd >= 0 && readlink(link, buf, sizeof(buf) - 1) == 8 && strcmp(buf, "/tmp/d/g") == 0,
	      "readlink /proc/self/fd/N of a file");
	int fd3 = open(link, O_RDONLY);
	check(fd3 >= 0 && read(fd3, buf, 5) == 5 && memcmp(buf, "hello", 5) == 0,
	      "open /proc/self/fd/N reopens the file");
	close(fd3);
	close(fd);

	int found = 0;
	int n = count_entries("/tmp/d", "g", &found);
	check(n == 4 && found, "getdents64: . .. g link");

	check(unlink("d/link") == 0 && unlink("d/g") == 0, "unlink");
	errno = 0;
	check(rmdir("/tmp/d") == 0, "rmdir");

	errno = 0;
	check(open("/etc/cvmify-no-such-file", O_RDONLY) == -1 && errno == ENOENT,
	      "open a missing file: ENOENT");
	errno = 0;
	check(mkdir("/cvmify-root-test", 0755) == 0 && rmdir("/cvmify-root-test") == 0,
	      "mkdir and rmdir on the root");
	check(stat("/", &st) == 0 && S_ISDIR(st.st_mode), "stat /");
	errno = 0;
	check(isatty(1) == 0 && errno == ENOTTY, "stdout is not a tty (no -t, as under docker)");
	return check_done("files");
}
