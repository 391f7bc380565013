/* shm.c: shared memory objects. System V shared memory (shmget, shmat,
 * shmdt, shmctl): pages shared between attaches and across fork, keys
 * and their errors, read-only attaches, attach counts, IPC_RMID while
 * attached, detaching an attach that mprotect split. memfd_create and
 * its seals. Runs as root on Linux and on cvmify. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096
#define SIZE (3 * PAGE + 100)
#define KEY 0x5eed1234

static int child_status(pid_t pid)
{
	int status = -1;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static unsigned long attaches(int id)
{
	struct shmid_ds ds;
	return shmctl(id, IPC_STAT, &ds) == 0 ? ds.shm_nattch : 999;
}

static int mapped(void *p, size_t len)
{
	return msync(p, len, MS_ASYNC) == 0; /* ENOMEM when not mapped */
}

static void private_segment(void)
{
	int id = shmget(IPC_PRIVATE, SIZE, IPC_CREAT | 0600);
	check(id >= 0, "shmget IPC_PRIVATE");
	char *p = shmat(id, NULL, 0);
	check(p != (void *)-1, "shmat at an address the kernel picks");
	check(p[0] == 0 && p[SIZE - 1] == 0, "a new segment reads as zero");
	strcpy(p, "parent");

	struct shmid_ds ds;
	check(shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_segsz == SIZE && ds.shm_nattch == 1 &&
	      ds.shm_cpid == getpid() && (ds.shm_perm.mode & 0777) == 0600 &&
	      ds.shm_perm.__key == IPC_PRIVATE, "IPC_STAT: size, one attach, creator, mode");

	/* A child inherits the attach and attaches once more elsewhere. */
	int go[2], back[2];
	check(pipe(go) == 0 && pipe(back) == 0, "pipes");
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		char *q = shmat(id, NULL, 0);
		if (q == (void *)-1 || q == p || strcmp(q, "parent") != 0)
			_exit(1);
		strcpy(p + PAGE, "child via the inherited attach");
		strcpy(q + 2 * PAGE, "child via its own attach");
		write(back[1], "r", 1);
		read(go[0], &c, 1);
		_exit(strcmp(p + 3 * PAGE, "parent again") == 0 ? 0 : 2);
	}
	char c = 0;
	check(read(back[0], &c, 1) == 1, "the child is ready");
	check(attaches(id) == 3, "three attaches while the child lives (its copy and its own)");
	check(strcmp(p + PAGE, "child via the inherited attach") == 0 &&
	      strcmp(p + 2 * PAGE, "child via its own attach") == 0,
	      "the parent sees the child's writes");
	strcpy(p + 3 * PAGE, "parent again");
	write(go[1], "g", 1);
	check(child_status(pid) == 0, "the child sees the parent's writes");
	check(attaches(id) == 1, "one attach after the child's exit");

	/* mprotect splits the attach; shmdt takes every piece. */
	check(mprotect(p + PAGE, PAGE, PROT_READ) == 0, "mprotect the middle of the attach");
	check(shmdt(p) == 0, "shmdt");
	check(!mapped(p, PAGE) && !mapped(p + PAGE, PAGE) && !mapped(p + 3 * PAGE, PAGE),
	      "shmdt unmapped every piece");
	check(attaches(id) == 0, "no attach left");
	errno = 0;
	check(shmdt(p) == -1 && errno == EINVAL, "shmdt twice: EINVAL");

	char *again = shmat(id, NULL, SHM_RDONLY);
	check(again != (void *)-1 && strcmp(again + 2 * PAGE, "child via its own attach") == 0,
	      "the pages outlive every attach");
	pid = fork();
	if (pid == 0) {
		again[0] = 'x';
		_exit(0);
	}
	check(child_status(pid) == 128 + SIGSEGV, "a write through SHM_RDONLY is SIGSEGV");
	errno = 0;
	check(mprotect(again, PAGE, PROT_READ | PROT_WRITE) == -1 && errno == EACCES,
	      "mprotect cannot make a SHM_RDONLY attach writable: EACCES");
	shmdt(again);

	check(shmctl(id, IPC_RMID, NULL) == 0, "IPC_RMID");
	errno = 0;
	check(shmctl(id, IPC_STAT, &ds) == -1 && errno == EINVAL, "IPC_STAT after IPC_RMID: EINVAL");
	errno = 0;
	check(shmat(id, NULL, 0) == (void *)-1 && errno == EINVAL, "shmat after IPC_RMID: EINVAL");
}

static void keyed_segment(void)
{
	int id = shmget(KEY, 2 * PAGE, IPC_CREAT | IPC_EXCL | 0640);
	check(id >= 0, "shmget a key with IPC_CREAT|IPC_EXCL");
	errno = 0;
	check(shmget(KEY, 2 * PAGE, IPC_CREAT | IPC_EXCL | 0640) == -1 && errno == EEXIST,
	      "IPC_EXCL on an existing key: EEXIST");
	check(shmget(KEY, PAGE, 0) == id, "the key finds the segment (a smaller size is fine)");
	errno = 0;
	check(shmget(KEY, 3 * PAGE, 0) == -1 && errno == EINVAL, "a larger size: EINVAL");
	errno = 0;
	check(shmget(KEY + 1, PAGE, 0) == -1 && errno == ENOENT, "a missing key: ENOENT");
	errno = 0;
	check(shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600) == -1 && errno == EINVAL, "size 0: EINVAL");

	char *p = shmat(id, NULL, 0);
	check(p != (void *)-1, "shmat the keyed segment");
	strcpy(p, "kept");

	/* Where it is attached shows in /proc/self/maps under its key. */
	char maps[8192] = {0};
	FILE *f = fopen("/proc/self/maps", "r");
	size_t n = f ? fread(maps, 1, sizeof(maps) - 1, f) : 0;
	if (f)
		fclose(f);
	check(n > 0 && strstr(maps, "/SYSV5eed1234 (deleted)") != NULL, "/proc/self/maps names it");

	/* An address in use is refused unless SHM_REMAP. */
	errno = 0;
	check(shmat(id, p, 0) == (void *)-1 && errno == EINVAL, "shmat over a mapping: EINVAL");
	check(shmat(id, p, SHM_REMAP) == p, "SHM_REMAP replaces it");
	check(strcmp(p, "kept") == 0, "the same pages at the same place");
	check(shmat(id, p + 1, SHM_RND | SHM_REMAP) == p, "SHM_RND rounds down");
	errno = 0;
	check(shmat(id, p + 1, 0) == (void *)-1 && errno == EINVAL, "an unaligned address: EINVAL");

	struct shmid_ds ds;
	check(shmctl(id, IPC_STAT, &ds) == 0, "IPC_STAT");
	ds.shm_perm.mode = 0604;
	check(shmctl(id, IPC_SET, &ds) == 0 && shmctl(id, IPC_STAT, &ds) == 0 &&
	      (ds.shm_perm.mode & 0777) == 0604 && ds.shm_perm.__key == KEY, "IPC_SET mode");

	/* IPC_RMID while attached: the key goes, the attach stays usable. */
	check(shmctl(id, IPC_RMID, NULL) == 0, "IPC_RMID while attached");
	errno = 0;
	check(shmget(KEY, PAGE, 0) == -1 && errno == ENOENT, "the key is gone");
	strcpy(p + PAGE, "still here");
	check(strcmp(p, "kept") == 0 && strcmp(p + PAGE, "still here") == 0,
	      "the removed segment's attach still works");
	check(shmdt(p) == 0, "shmdt a removed segment");

	int fresh = shmget(KEY, PAGE, IPC_CREAT | 0600);
	check(fresh >= 0 && fresh != id, "a new segment for the same key has a new id");
	errno = 0;
	check(shmat(id, NULL, 0) == (void *)-1 && errno == EINVAL, "the old id finds nothing");
	shmctl(fresh, IPC_RMID, NULL);
}

static void info(void)
{
	struct shminfo limits;
	check(shmctl(0, IPC_INFO, (struct shmid_ds *)&limits) >= 0 && limits.shmmni > 0 &&
	      limits.shmmax >= 1 << 20 && limits.shmmin == 1, "IPC_INFO");
	int id = shmget(IPC_PRIVATE, PAGE, IPC_CREAT | 0600);
	struct shm_info usage;
	int top = shmctl(0, SHM_INFO, (struct shmid_ds *)&usage);
	check(top >= 0 && usage.used_ids >= 1, "SHM_INFO counts the segment");
	struct shmid_ds ds;
	int found = 0;
	for (int i = 0; i <= top; i++) {
		if (shmctl(i, SHM_STAT, &ds) == id)
			found = 1;
	}
	check(found, "SHM_STAT by index gives the id");
	errno = 0;
	check(shmctl(id, 12345, &ds) == -1 && errno == EINVAL, "an unknown command: EINVAL");
	shmctl(id, IPC_RMID, NULL);
}

static void memfd_basics(void)
{
	int fd = memfd_create("test", MFD_CLOEXEC);
	check(fd >= 0, "memfd_create");
	struct stat st;
	check(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0777 &&
	      st.st_size == 0, "a memfd is an empty regular file, mode 0777");
	check(fcntl(fd, F_GETFD) == FD_CLOEXEC, "MFD_CLOEXEC");
	char link[64], target[64] = {0};
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	check(readlink(link, target, sizeof(target) - 1) > 0 &&
	      strcmp(target, "/memfd:test (deleted)") == 0, "/proc/self/fd names it memfd:test");
	check(ftruncate(fd, 2 * PAGE) == 0, "ftruncate a memfd");
	char *m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(m != MAP_FAILED, "mmap it shared");
	pid_t pid = fork();
	if (pid == 0) {
		strcpy(m + PAGE, "from the child");
		_exit(0);
	}
	check(child_status(pid) == 0, "the child writes through the mapping");
	char buf[32] = {0};
	check(pread(fd, buf, 14, PAGE) == 14 && strcmp(buf, "from the child") == 0,
	      "read() sees the child's write");
	check(fcntl(fd, F_GET_SEALS) == F_SEAL_SEAL, "without MFD_ALLOW_SEALING: F_SEAL_SEAL");
	errno = 0;
	check(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == -1 && errno == EPERM, "so F_ADD_SEALS: EPERM");
	munmap(m, 2 * PAGE);
	close(fd);

	char name[260];
	memset(name, 'n', 250);
	name[250] = 0;
	errno = 0;
	check(memfd_create(name, 0) == -1 && errno == EINVAL, "a 250-byte name: EINVAL");
	errno = 0;
	check(memfd_create("x", 0x100) == -1 && errno == EINVAL, "an unknown flag: EINVAL");
	int p[2];
	pipe(p);
	errno = 0;
	check(fcntl(p[0], F_GET_SEALS) == -1 && errno == EINVAL, "F_GET_SEALS on a pipe: EINVAL");
	close(p[0]);
	close(p[1]);
}

static void memfd_seals(void)
{
	int fd = memfd_create("sealed", MFD_ALLOW_SEALING);
	check(fd >= 0 && fcntl(fd, F_GET_SEALS) == 0, "MFD_ALLOW_SEALING: no seals yet");
	check(write(fd, "0123456789", 10) == 10, "write");

	check(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0, "F_SEAL_SHRINK");
	errno = 0;
	check(ftruncate(fd, 5) == -1 && errno == EPERM, "shrinking: EPERM");
	check(ftruncate(fd, PAGE) == 0, "growing still works");

	check(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW) == 0, "F_SEAL_GROW");
	errno = 0;
	check(ftruncate(fd, 2 * PAGE) == -1 && errno == EPERM, "growing: EPERM");
	errno = 0;
	check(pwrite(fd, "x", 1, PAGE) == -1 && errno == EPERM, "a write past the end: EPERM");
	check(pwrite(fd, "abcdef", 6, PAGE - 3) == 3, "a write across the end stops at it");
	errno = 0;
	check(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 2 * PAGE) == -1 && errno == EPERM,
	      "fallocate past the end: EPERM");

	char *m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(m != MAP_FAILED, "a writable shared mapping");
	errno = 0;
	check(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == -1 && errno == EBUSY,
	      "F_SEAL_WRITE while it exists: EBUSY");
	munmap(m, PAGE);
	check(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == 0, "F_SEAL_WRITE once it is gone");
	errno = 0;
	check(pwrite(fd, "x", 1, 0) == -1 && errno == EPERM, "write: EPERM");
	errno = 0;
	check(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED &&
	      errno == EPERM, "a writable shared mapping: EPERM");
	m = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	check(m != MAP_FAILED && m[0] == '0', "a read-only shared mapping is fine");
	errno = 0;
	check(mprotect(m, PAGE, PROT_READ | PROT_WRITE) == -1 && errno == EACCES,
	      "mprotect cannot make it writable");
	munmap(m, PAGE);
	m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	check(m != MAP_FAILED, "a private writable mapping is fine");
	m[0] = 'p';
	char c = 0;
	check(pread(fd, &c, 1, 0) == 1 && c == '0', "its writes stay private");
	munmap(m, PAGE);
	check(fcntl(fd, F_GET_SEALS) == (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE), "F_GET_SEALS");
	check(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL) == 0, "F_SEAL_SEAL");
	errno = 0;
	check(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) == -1 && errno == EPERM,
	      "no seal after F_SEAL_SEAL: EPERM");
	close(fd);

	/* F_SEAL_FUTURE_WRITE: mappings that exist keep writing. */
	fd = memfd_create("future", MFD_ALLOW_SEALING);
	check(ftruncate(fd, PAGE) == 0, "a second sealable memfd");
	m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(m != MAP_FAILED && fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) == 0,
	      "F_SEAL_FUTURE_WRITE with a writable mapping");
	m[0] = 'w';
	check(pread(fd, &c, 1, 0) == 1 && c == 'w', "the existing mapping still writes");
	errno = 0;
	check(write(fd, "x", 1) == -1 && errno == EPERM, "write: EPERM");
	errno = 0;
	check(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED &&
	      errno == EPERM, "a new writable shared mapping: EPERM");
	munmap(m, PAGE);
	close(fd);
}

int main(void)
{
	private_segment();
	keyed_segment();
	info();
	memfd_basics();
	memfd_seals();
	return check_done("shm");
}
