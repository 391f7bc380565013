/* shm.c: System V shared memory (shmget, shmat, shmdt, shmctl): pages
 * shared between attaches and across fork, keys and their errors,
 * read-only attaches, attach counts, IPC_RMID while attached, detaching
 * an attach that mprotect split. Runs as root on Linux and on cvmify. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/shm.h>
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

int main(void)
{
	private_segment();
	keyed_segment();
	info();
	return check_done("shm");
}
