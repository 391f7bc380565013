/*
 * fileattr.c: the file calls that coreutils, tar, git and language
 * runtimes need beyond open/read/write: statfs, file times, owners, hard
 * links, mknod, the old getdents, close_range, access hints and
 * write-back calls, copy_file_range, preadv2/pwritev2, mincore, mlockall,
 * fchmodat2.
 * Runs as root (the image has no USER).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>
#include <utime.h>

#include "check.h"

#define TMPFS_MAGIC 0x01021994
#define PROC_SUPER_MAGIC 0x9fa0

static void check_statfs(void)
{
	struct statfs st;
	check(statfs("/tmp", &st) == 0 && st.f_type == TMPFS_MAGIC && st.f_bsize > 0 &&
	      st.f_blocks > 0 && st.f_bfree <= st.f_blocks && st.f_namelen == 255,
	      "statfs /tmp: tmpfs with blocks");
	check(statfs("/proc", &st) == 0 && st.f_type == PROC_SUPER_MAGIC, "statfs /proc: proc");
	int fd = open("/tmp", O_RDONLY);
	struct statfs fst;
	check(fd >= 0 && fstatfs(fd, &fst) == 0 && fst.f_type == TMPFS_MAGIC, "fstatfs /tmp");
	close(fd);
	errno = 0;
	check(statfs("/no/such", &st) == -1 && errno == ENOENT, "statfs missing: ENOENT");
	errno = 0;
	check(fstatfs(999, &st) == -1 && errno == EBADF, "fstatfs bad fd: EBADF");
}

static void check_times(void)
{
	const char *f = "/tmp/fa-times";
	int fd = open(f, O_RDWR | O_CREAT | O_TRUNC, 0644);
	check(fd >= 0, "create a file");
	struct timespec ts[2] = {{1000000000, 123456789}, {1100000000, 5}};
	check(utimensat(AT_FDCWD, f, ts, 0) == 0, "utimensat explicit times");
	struct stat st;
	check(stat(f, &st) == 0 && st.st_atim.tv_sec == 1000000000 &&
	      st.st_atim.tv_nsec == 123456789 && st.st_mtim.tv_sec == 1100000000 &&
	      st.st_mtim.tv_nsec == 5, "stat shows both times");
	struct timespec omit[2] = {{0, UTIME_OMIT}, {1200000000, 0}};
	check(futimens(fd, omit) == 0 && fstat(fd, &st) == 0 &&
	      st.st_atim.tv_sec == 1000000000 && st.st_mtim.tv_sec == 1200000000,
	      "futimens: UTIME_OMIT keeps atime");
	struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
	check(utimensat(AT_FDCWD, f, now, 0) == 0 && stat(f, &st) == 0 &&
	      st.st_mtim.tv_sec > 1200000000, "UTIME_NOW sets the current time");
	struct timeval tv[2] = {{1300000000, 7}, {1300000001, 8}};
	check(utimes(f, tv) == 0 && stat(f, &st) == 0 && st.st_mtim.tv_sec == 1300000001 &&
	      st.st_mtim.tv_nsec == 8000, "utimes (microseconds)");
	struct utimbuf ub = {1400000000, 1400000001};
	check(utime(f, &ub) == 0 && stat(f, &st) == 0 && st.st_mtim.tv_sec == 1400000001, "utime");
	struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
	errno = 0;
	check(utimensat(AT_FDCWD, f, bad, 0) == -1 && errno == EINVAL, "tv_nsec 1e9: EINVAL");
	check(symlink(f, "/tmp/fa-link") == 0 &&
	      utimensat(AT_FDCWD, "/tmp/fa-link", ts, AT_SYMLINK_NOFOLLOW) == 0 &&
	      lstat("/tmp/fa-link", &st) == 0 && st.st_mtim.tv_sec == 1100000000 &&
	      stat(f, &st) == 0 && st.st_mtim.tv_sec == 1400000001,
	      "AT_SYMLINK_NOFOLLOW sets the link's times only");
	close(fd);
	unlink("/tmp/fa-link");
	unlink(f);
}

static void check_owners(void)
{
	const char *f = "/tmp/fa-own";
	int fd = open(f, O_RDWR | O_CREAT | O_TRUNC, 0644);
	check(fd >= 0, "create a file");
	struct stat st;
	check(chown(f, 1234, 5678) == 0 && stat(f, &st) == 0 && st.st_uid == 1234 &&
	      st.st_gid == 5678, "chown as root");
	check(fchown(fd, -1, 42) == 0 && fstat(fd, &st) == 0 && st.st_uid == 1234 &&
	      st.st_gid == 42, "fchown: -1 keeps the owner");
	check(symlink(f, "/tmp/fa-ownlink") == 0 && lchown("/tmp/fa-ownlink", 77, 77) == 0 &&
	      lstat("/tmp/fa-ownlink", &st) == 0 && st.st_uid == 77 && stat(f, &st) == 0 &&
	      st.st_uid == 1234, "lchown changes the link, not the target");
	check(fchownat(AT_FDCWD, f, 0, 0, 0) == 0 && stat(f, &st) == 0 && st.st_uid == 0,
	      "fchownat");
	close(fd);
	unlink("/tmp/fa-ownlink");
	unlink(f);
}

static void check_links(void)
{
	int fd = open("/tmp/fa-a", O_RDWR | O_CREAT | O_TRUNC, 0644);
	check(fd >= 0 && write(fd, "linked", 6) == 6, "create /tmp/fa-a");
	close(fd);
	check(link("/tmp/fa-a", "/tmp/fa-b") == 0, "link a b");
	struct stat a, b;
	check(stat("/tmp/fa-a", &a) == 0 && stat("/tmp/fa-b", &b) == 0 && a.st_ino == b.st_ino &&
	      a.st_nlink == 2, "same inode, nlink 2");
	check(unlink("/tmp/fa-a") == 0, "unlink a");
	char buf[8] = {0};
	fd = open("/tmp/fa-b", O_RDONLY);
	check(fd >= 0 && read(fd, buf, sizeof(buf)) == 6 && memcmp(buf, "linked", 6) == 0 &&
	      fstat(fd, &b) == 0 && b.st_nlink == 1, "b keeps the data, nlink 1");
	close(fd);
	errno = 0;
	check(link("/tmp/fa-b", "/tmp/fa-b") == -1 && errno == EEXIST, "link to an existing name");
	errno = 0;
	check(link("/tmp", "/tmp/fa-dir") == -1 && errno == EPERM, "link a directory: EPERM");
	errno = 0;
	check(link("/tmp/fa-b", "/dev/shm/fa-c") == -1 && errno == EXDEV,
	      "link across filesystems: EXDEV");
	check(linkat(AT_FDCWD, "/tmp/fa-b", AT_FDCWD, "/tmp/fa-d", 0) == 0 &&
	      stat("/tmp/fa-d", &a) == 0 && a.st_nlink == 2, "linkat");
	unlink("/tmp/fa-b");
	unlink("/tmp/fa-d");
	check(mknod("/tmp/fa-node", S_IFREG | 0600, 0) == 0 && stat("/tmp/fa-node", &a) == 0 &&
	      S_ISREG(a.st_mode) && a.st_size == 0, "mknod S_IFREG makes an empty file");
	errno = 0;
	check(mknod("/tmp/fa-node", S_IFREG | 0600, 0) == -1 && errno == EEXIST, "mknod: EEXIST");
	unlink("/tmp/fa-node");
}

/* The old getdents: struct linux_dirent with d_type in the last byte. */
struct old_dirent {
	unsigned long d_ino;
	unsigned long d_off;
	unsigned short d_reclen;
	char d_name[];
};

static void check_old_getdents(void)
{
	mkdir("/tmp/fa-dir", 0755);
	close(open("/tmp/fa-dir/file-one", O_CREAT | O_WRONLY, 0644));
	mkdir("/tmp/fa-dir/sub", 0755);
	int fd = open("/tmp/fa-dir", O_RDONLY | O_DIRECTORY);
	char buf[1024];
	long n = syscall(SYS_getdents, fd, buf, sizeof(buf));
	int saw_file = 0, saw_sub = 0, saw_dot = 0, bad = 0;
	for (long at = 0; n > 0 && at < n;) {
		struct old_dirent *d = (struct old_dirent *)(buf + at);
		unsigned char type = buf[at + d->d_reclen - 1];
		if (strcmp(d->d_name, "file-one") == 0)
			saw_file = type == DT_REG;
		else if (strcmp(d->d_name, "sub") == 0)
			saw_sub = type == DT_DIR;
		else if (strcmp(d->d_name, ".") == 0)
			saw_dot = type == DT_DIR;
		if (d->d_reclen % 8 != 0 || d->d_reclen == 0)
			bad = 1;
		at += d->d_reclen ? d->d_reclen : n;
	}
	check(n > 0 && saw_file && saw_sub && saw_dot && !bad,
	      "getdents (old): names and d_type in the last byte");
	close(fd);
	unlink("/tmp/fa-dir/file-one");
	rmdir("/tmp/fa-dir/sub");
	rmdir("/tmp/fa-dir");
}

static void check_close_range(void)
{
	int base = open("/dev/null", O_RDONLY);
	int a = dup2(base, 60), b = dup2(base, 61), c = dup2(base, 62);
	check(a == 60 && b == 61 && c == 62, "dup to 60..62");
	check(syscall(SYS_close_range, 61, 62, 4 /* CLOSE_RANGE_CLOEXEC */) == 0 &&
	      fcntl(61, F_GETFD) == FD_CLOEXEC && fcntl(60, F_GETFD) == 0,
	      "close_range CLOEXEC marks 61..62 only");
	check(syscall(SYS_close_range, 60, ~0u, 0) == 0 && fcntl(60, F_GETFD) == -1 &&
	      fcntl(62, F_GETFD) == -1 && fcntl(base, F_GETFD) == 0, "close_range 60..~0 closes");
	errno = 0;
	check(syscall(SYS_close_range, 5, 4, 0) == -1 && errno == EINVAL, "first > last: EINVAL");
	close(base);
}

static void check_hints(void)
{
	int fd = open("/tmp/fa-hint", O_RDWR | O_CREAT | O_TRUNC, 0644);
	check(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL) == 0, "fadvise SEQUENTIAL");
	check(posix_fadvise(fd, 0, 0, 99) == EINVAL, "fadvise bad advice: EINVAL");
	int p[2];
	check(pipe(p) == 0 && posix_fadvise(p[0], 0, 0, POSIX_FADV_NORMAL) == ESPIPE,
	      "fadvise on a pipe: ESPIPE");
	check(readahead(fd, 0, 4096) == 0, "readahead on a file");
	errno = 0;
	check(readahead(p[0], 0, 4096) == -1 && errno == EINVAL, "readahead on a pipe: EINVAL");
	sync();
	check(syncfs(fd) == 0, "syncfs");
	check(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE) == 0, "sync_file_range");
	errno = 0;
	check(sync_file_range(p[1], 0, 0, SYNC_FILE_RANGE_WRITE) == -1 && errno == ESPIPE,
	      "sync_file_range on a pipe: ESPIPE");
	close(p[0]);
	close(p[1]);
	close(fd);
	unlink("/tmp/fa-hint");
}

static void check_copy_and_vectors(void)
{
	int in = open("/tmp/fa-in", O_RDWR | O_CREAT | O_TRUNC, 0644);
	int out = open("/tmp/fa-out", O_RDWR | O_CREAT | O_TRUNC, 0644);
	char data[10000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	check(write(in, data, sizeof(data)) == (ssize_t)sizeof(data), "write 10000 bytes");
	loff_t off_in = 100;
	ssize_t n = copy_file_range(in, &off_in, out, NULL, 5000, 0);
	char back[5000];
	check(n == 5000 && off_in == 5100 && lseek(out, 0, SEEK_CUR) == 5000 &&
	      pread(out, back, sizeof(back), 0) == 5000 && memcmp(back, data + 100, 5000) == 0,
	      "copy_file_range copies and advances the offsets");
	errno = 0;
	check(copy_file_range(in, NULL, out, NULL, 10, 1) == -1 && errno == EINVAL,
	      "copy_file_range flags: EINVAL");

	char x[3] = {0}, y[4] = {0};
	struct iovec iov[2] = {{x, 3}, {y, 4}};
	check(preadv2(in, iov, 2, 26, 0) == 7 && memcmp(x, "abc", 3) == 0 &&
	      memcmp(y, "defg", 4) == 0, "preadv2 at an offset");
	check(lseek(in, 1, SEEK_SET) == 1 && preadv2(in, iov, 2, -1, 0) == 7 &&
	      memcmp(x, "bcd", 3) == 0 && lseek(in, 0, SEEK_CUR) == 8,
	      "preadv2 at -1 uses and moves the file offset");
	struct iovec w = {"XYZ", 3};
	check(pwritev2(out, &w, 1, 0, RWF_DSYNC) == 3 && pread(out, x, 3, 0) == 3 &&
	      memcmp(x, "XYZ", 3) == 0, "pwritev2 with RWF_DSYNC");
	close(in);
	close(out);
	unlink("/tmp/fa-in");
	unlink("/tmp/fa-out");
}

static void check_memory_calls(void)
{
	size_t len = 4 * 4096;
	unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char vec[4] = {9, 9, 9, 9};
	check(m != MAP_FAILED, "mmap 4 pages");
	m[2 * 4096] = 1;
	check(mincore(m, len, vec) == 0 && (vec[2] & 1) && vec[0] == 0 && vec[1] == 0,
	      "mincore: the touched page is resident, untouched ones are not");
	munmap(m + 4096, 4096);
	errno = 0;
	check(mincore(m, len, vec) == -1 && errno == ENOMEM, "mincore over a hole: ENOMEM");
	errno = 0;
	check(mincore(m + 1, 4096, vec) == -1 && errno == EINVAL, "mincore unaligned: EINVAL");
	check(mlockall(MCL_CURRENT) == 0 && munlockall() == 0, "mlockall / munlockall");
	errno = 0;
	check(mlockall(0) == -1 && errno == EINVAL, "mlockall(0): EINVAL");
	munmap(m, len);
}

/* fchmodat2 (Linux 6.6). docker's seccomp profile may predate it and
 * answer ENOSYS; only there (/.dockerenv) is that accepted. */
static void check_fchmodat2(void)
{
	const char *f = "/tmp/fa-mode", *l = "/tmp/fa-modelink";
	close(open(f, O_RDWR | O_CREAT | O_TRUNC, 0644));
	check(symlink(f, l) == 0, "symlink for fchmodat2");
	errno = 0;
	long r = syscall(452, AT_FDCWD, f, 0600, 0);
	if (r == -1 && errno == ENOSYS && access("/.dockerenv", F_OK) == 0) {
		check(1, "fchmodat2: ENOSYS from docker's seccomp profile");
	} else {
		struct stat st;
		check(r == 0 && stat(f, &st) == 0 && (st.st_mode & 07777) == 0600, "fchmodat2");
		errno = 0;
		check(syscall(452, AT_FDCWD, l, 0640, AT_SYMLINK_NOFOLLOW) == -1 &&
		      errno == EOPNOTSUPP, "fchmodat2 on a link itself: EOPNOTSUPP");
		check(syscall(452, AT_FDCWD, l, 0640, 0) == 0 && stat(f, &st) == 0 &&
		      (st.st_mode & 07777) == 0640, "fchmodat2 follows a link by default");
		int fd = open(f, O_RDONLY);
		check(syscall(452, fd, "", 0604, AT_EMPTY_PATH) == 0 && fstat(fd, &st) == 0 &&
		      (st.st_mode & 07777) == 0604, "fchmodat2 with AT_EMPTY_PATH");
		close(fd);
		errno = 0;
		check(syscall(452, AT_FDCWD, f, 0600, 0x4) == -1 && errno == EINVAL,
		      "fchmodat2 unknown flag: EINVAL");
	}
	unlink(l);
	unlink(f);
}

int main(void)
{
	check_statfs();
	check_times();
	check_owners();
	check_links();
	check_old_getdents();
	check_close_range();
	check_hints();
	check_copy_and_vectors();
	check_memory_calls();
	check_fchmodat2();
	return check_done("fileattr");
}
