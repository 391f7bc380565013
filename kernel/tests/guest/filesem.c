/* filesem.c: the file semantics databases need: fcntl record locks
 * between processes (F_SETLK, F_SETLKW, F_GETLK, release on any close),
 * OFD locks, flock, fallocate, ftruncate growing and shrinking a mapped
 * file (SIGBUS past the end), writable MAP_SHARED mappings of files
 * (and read-only ones that mprotect may not make writable), msync and
 * sync_file_range, in /tmp (tmpfs) and on the root (the overlay); or all of
 * it in the one directory given (a persistent volume). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096

static int lock_range(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	return fcntl(fd, cmd, &fl);
}

/* In a child: try F_SETLK on [start, start+len); 0 = got it, 1 = EAGAIN. */
static int child_try(const char *path, short type, off_t start, off_t len)
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(path, O_RDWR);
		if (lock_range(fd, F_SETLK, type, start, len) == 0)
			_exit(0);
		_exit(errno == EAGAIN || errno == EACCES ? 1 : 2);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void check_record_locks(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	check(fd >= 0 && write(fd, "0123456789", 10) == 10, "a file to lock");
	check(lock_range(fd, F_SETLK, F_WRLCK, 0, 5) == 0, "F_SETLK write lock on bytes 0-4");
	check(child_try(path, F_WRLCK, 2, 1) == 1, "another process: EAGAIN on a locked byte");
	check(child_try(path, F_WRLCK, 5, 5) == 0, "another process: bytes 5-9 are free");

	pid_t pid = fork();
	if (pid == 0) {
		int cfd = open(path, O_RDWR);
		struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
		int ok = fcntl(cfd, F_GETLK, &fl) == 0 && fl.l_type == F_WRLCK && fl.l_start == 0 &&
		         fl.l_len == 5 && fl.l_pid == getppid();
		_exit(ok ? 0 : 1);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "F_GETLK names the holder, its range and pid");

	/* F_SETLKW waits until the holder lets go. */
	int ready[2];
	pipe(ready);
	pid = fork();
	if (pid == 0) {
		int cfd = open(path, O_RDWR);
		write(ready[1], "r", 1);
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int got = lock_range(cfd, F_SETLKW, F_WRLCK, 0, 5);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long waited_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		_exit(got == 0 && waited_ms >= 50 ? 0 : 1);
	}
	char c;
	read(ready[0], &c, 1);
	struct timespec pause = { 0, 200 * 1000000 };
	nanosleep(&pause, NULL);
	/* POSIX: closing any descriptor of the file drops the process's locks. */
	int other = open(path, O_RDONLY);
	close(other);
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "F_SETLKW waits, and closing another fd of the file releases the lock");
	close(ready[0]);
	close(ready[1]);

	/* Read locks share; a write lock needs the file open for writing. */
	int ro = open(path, O_RDONLY);
	check(lock_range(ro, F_SETLK, F_RDLCK, 0, 10) == 0, "read lock on a read-only fd");
	errno = 0;
	check(lock_range(ro, F_SETLK, F_WRLCK, 0, 10) == -1 && errno == EBADF, "write lock on O_RDONLY: EBADF");
	check(child_try(path, F_RDLCK, 0, 10) == 0, "read locks are shared");
	check(child_try(path, F_WRLCK, 0, 10) == 1, "a write lock conflicts with them");
	close(ro);
	close(fd);
}

static void check_ofd_and_flock(const char *path)
{
	int a = open(path, O_RDWR);
	int b = open(path, O_RDWR);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
	check(fcntl(a, F_OFD_SETLK, &fl) == 0, "F_OFD_SETLK on one open file");
	errno = 0;
	check(fcntl(b, F_OFD_SETLK, &fl) == -1 && errno == EAGAIN,
	      "another open file in the same process conflicts (OFD)");
	fl.l_type = F_WRLCK;
	check(fcntl(b, F_OFD_GETLK, &fl) == 0 && fl.l_type == F_WRLCK && fl.l_pid == -1,
	      "F_OFD_GETLK: pid -1");
	close(a);
	fl.l_type = F_WRLCK;
	fl.l_pid = 0;
	check(fcntl(b, F_OFD_SETLK, &fl) == 0, "closing the open file released its OFD lock");
	close(b);

	a = open(path, O_RDONLY);
	b = open(path, O_RDONLY);
	check(flock(a, LOCK_EX) == 0, "flock LOCK_EX");
	errno = 0;
	check(flock(b, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK, "flock: another open file waits");
	check(flock(a, LOCK_UN) == 0 && flock(b, LOCK_SH | LOCK_NB) == 0, "flock LOCK_UN, then LOCK_SH");
	close(a);
	close(b);
}

static sigjmp_buf g_jump;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(g_jump, 1);
}

static int touch_is_sigbus(volatile char *p)
{
	if (sigsetjmp(g_jump, 1) == 0) {
		(void)*p;
		return 0;
	}
	return 1;
}

static void check_sizes_and_mappings(const char *dir)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/mapped", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	check(fd >= 0, "create a file to map");
	check(fallocate(fd, 0, 0, 3 * PAGE) == 0, "fallocate 3 pages");
	struct stat st;
	check(fstat(fd, &st) == 0 && st.st_size == 3 * PAGE, "fallocate sets the size");
	check(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 8 * PAGE) == 0 && fstat(fd, &st) == 0 &&
	      st.st_size == 3 * PAGE, "FALLOC_FL_KEEP_SIZE keeps it");
	char *m = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(m != MAP_FAILED, "writable MAP_SHARED");
	memset(m, 'm', 3 * PAGE);
	check(msync(m, 3 * PAGE, MS_SYNC) == 0, "msync");
	check(sync_file_range(fd, 0, 3 * PAGE, SYNC_FILE_RANGE_WRITE) == 0 &&
	      sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
	                      SYNC_FILE_RANGE_WAIT_AFTER) == 0, "sync_file_range");
	errno = 0;
	check(sync_file_range(fd, -1, 10, SYNC_FILE_RANGE_WRITE) == -1 && errno == EINVAL,
	      "sync_file_range at a negative offset: EINVAL");
	errno = 0;
	check(sync_file_range(fd, 0, 10, 8) == -1 && errno == EINVAL,
	      "sync_file_range with an unknown flag: EINVAL");
	char buf[4] = {0};
	check(pread(fd, buf, 3, PAGE) == 3 && memcmp(buf, "mmm", 3) == 0, "read() sees the mapping's writes");
	check(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, PAGE, PAGE) == 0 &&
	      m[PAGE] == 0 && m[PAGE - 1] == 'm' && m[2 * PAGE] == 'm', "punching a hole zeroes it in the mapping too");

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigaction(SIGBUS, &sa, NULL);
	check(touch_is_sigbus(m + 3 * PAGE) == 1, "a page past the end of the file: SIGBUS");
	check(ftruncate(fd, PAGE + 10) == 0, "ftruncate shrinks the mapped file");
	check(touch_is_sigbus(m + 2 * PAGE) == 1, "the page cut off: SIGBUS");
	check(touch_is_sigbus(m + PAGE + 100) == 0 && m[PAGE + 100] == 0,
	      "the last page stays, zero past the end");
	check(ftruncate(fd, 4 * PAGE) == 0, "ftruncate grows it again");
	check(touch_is_sigbus(m + 3 * PAGE) == 0 && m[3 * PAGE] == 0 && m[0] == 'm',
	      "the grown pages read zero, the old data stays");
	signal(SIGBUS, SIG_DFL);
	munmap(m, 4 * PAGE);
	close(fd);

	/* A file opened read-only stays read-only through a shared mapping. */
	fd = open(path, O_RDONLY);
	m = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	check(m != MAP_FAILED, "MAP_SHARED of a file opened read-only");
	errno = 0;
	check(mprotect(m, PAGE, PROT_READ | PROT_WRITE) == -1 && errno == EACCES,
	      "mprotect cannot make it writable: EACCES");
	munmap(m, PAGE);
	m = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	check(m != MAP_FAILED && mprotect(m, PAGE, PROT_READ | PROT_WRITE) == 0,
	      "a private mapping of it may become writable");
	m[0] = 'p';
	check(pread(fd, buf, 1, 0) == 1 && buf[0] == 'm', "its writes stay private");
	munmap(m, PAGE);
	close(fd);
	unlink(path);
}

int main(int argc, char **argv)
{
	if (argc == 2) { /* one directory (a volume): everything there */
		char path[256];
		snprintf(path, sizeof(path), "%s/locks", argv[1]);
		check_record_locks(path);
		check_ofd_and_flock(path);
		unlink(path);
		check_sizes_and_mappings(argv[1]);
		return check_done("filesem");
	}
	int p[2];
	check(pipe(p) == 0, "pipe");
	errno = 0;
	check(sync_file_range(p[1], 0, 0, SYNC_FILE_RANGE_WRITE) == -1 && errno == ESPIPE,
	      "sync_file_range on a pipe: ESPIPE");
	close(p[0]);
	close(p[1]);
	check_record_locks("/tmp/locks");
	check_ofd_and_flock("/tmp/locks");
	unlink("/tmp/locks");
	check_record_locks("/root-locks"); /* on the root overlay */
	unlink("/root-locks");
	check_sizes_and_mappings("/tmp");
	check_sizes_and_mappings(""); /* the root overlay */
	return check_done("filesem");
}
