/* cow.c: copy-on-write fork and shared memory. Parent and child must
 * never see each other's private writes (globals, heap, stack, private
 * file mappings), also after mprotect and across signal delivery (the
 * kernel writes a signal frame onto a copy-on-write stack page), while
 * MAP_SHARED|MAP_ANONYMOUS and MAP_SHARED file mappings are shared both
 * ways, also for pages first touched after the fork. munmap and exec on
 * one side drop only that side's references. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096
#define BIG_PAGES 8192 /* 32 MiB */

static int g_global = 1;
static volatile sig_atomic_t g_handled;

/* A child that waits until release(), then runs fn and reports its
 * result: lets the parent change memory after the fork first. */
struct waiting_child {
	pid_t pid;
	int go[2];
	int back[2];
};

static void start_waiting(struct waiting_child *w, int (*fn)(void *), void *arg)
{
	if (pipe(w->go) != 0 || pipe(w->back) != 0)
		abort();
	w->pid = fork();
	if (w->pid == 0) {
		char c;
		read(w->go[0], &c, 1);
		int result = fn(arg);
		write(w->back[1], &result, sizeof(result));
		_exit(0);
	}
}

static int release(struct waiting_child *w)
{
	int result = -1;
	write(w->go[1], "x", 1);
	if (read(w->back[0], &result, sizeof(result)) != sizeof(result))
		result = -1;
	waitpid(w->pid, NULL, 0);
	close(w->go[0]);
	close(w->go[1]);
	close(w->back[0]);
	close(w->back[1]);
	return result;
}

/* Run fn in a child; its exit status (0 = all its checks held). */
static int in_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn(arg));
	int status = -1;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int child_writes_everything(void *arg)
{
	char *heap = arg;
	char stack_buf[256];
	memset(stack_buf, 'c', sizeof(stack_buf));
	g_global = 2;
	memset(heap, 'c', PAGE * 4);
	return g_global == 2 && heap[0] == 'c' && stack_buf[255] == 'c' ? 0 : 1;
}

static void check_private_writes(void)
{
	char *heap = malloc(PAGE * 4);
	memset(heap, 'p', PAGE * 4);
	char stack_buf[256];
	memset(stack_buf, 's', sizeof(stack_buf));
	check(in_child(child_writes_everything, heap) == 0, "the child writes its copies");
	check(g_global == 1, "global: the child's write stays in the child");
	check(heap[0] == 'p' && heap[PAGE * 4 - 1] == 'p', "heap: the child's write stays in the child");
	check(stack_buf[0] == 's' && stack_buf[255] == 's', "stack: untouched by the child");
	free(heap);
}

static int read_global(void *arg)
{
	(void)arg;
	return g_global;
}

/* The parent writes after the fork; the child, waiting until then, must
 * still read the value from before the fork. */
static void check_parent_writes_after_fork(void)
{
	struct waiting_child w;
	g_global = 10;
	start_waiting(&w, read_global, NULL);
	g_global = 11;
	check(release(&w) == 10, "the child keeps the value from before the fork");
	g_global = 1;
}

static int child_mprotect_then_write(void *arg)
{
	char *p = arg;
	if (mprotect(p, PAGE * 2, PROT_READ) != 0 || p[0] != 'm')
		return 1;
	if (mprotect(p, PAGE * 2, PROT_READ | PROT_WRITE) != 0)
		return 2;
	p[0] = 'C';
	p[PAGE] = 'C';
	return p[0] == 'C' ? 0 : 3;
}

static int first_byte(void *arg)
{
	return *(char *)arg;
}

static void check_mprotect(void)
{
	char *p = mmap(NULL, PAGE * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(p, 'm', PAGE * 2);
	check(in_child(child_mprotect_then_write, p) == 0, "child: mprotect RO, RW, then write");
	check(p[0] == 'm' && p[PAGE] == 'm', "mprotect in the child: the parent keeps its data");

	/* The other way round: the parent changes protection after fork. */
	struct waiting_child w;
	start_waiting(&w, first_byte, p);
	check(mprotect(p, PAGE * 2, PROT_READ) == 0, "parent: mprotect read-only after fork");
	check(mprotect(p, PAGE * 2, PROT_READ | PROT_WRITE) == 0, "parent: mprotect back to RW");
	p[0] = 'P';
	check(release(&w) == 'm', "mprotect in the parent: the child keeps its data");
	munmap(p, PAGE * 2);
}

static void on_usr1(int sig)
{
	(void)sig;
	g_handled++;
	g_global = 77;
}

/* The signal frame goes onto the child's stack, a copy-on-write page
 * right after the fork; the handler writes a global. */
static int child_takes_a_signal(void *arg)
{
	(void)arg;
	volatile char marker[64];
	memset((void *)marker, 'k', sizeof(marker));
	raise(SIGUSR1);
	return g_handled == 1 && g_global == 77 && marker[63] == 'k' ? 0 : 1;
}

/* 0 while no handler has run in this process. */
static int handler_state(void *arg)
{
	(void)arg;
	return g_handled == 0 && g_global == 1 ? 0 : 1;
}

static void check_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	volatile char marker[64];
	memset((void *)marker, 'q', sizeof(marker));
	g_handled = 0;
	check(in_child(child_takes_a_signal, NULL) == 0, "a signal delivered in the child right after fork");
	check(g_handled == 0 && g_global == 1, "the child's handler changed nothing in the parent");
	check(marker[0] == 'q' && marker[63] == 'q', "the child's signal frame left the parent's stack alone");
	/* And the parent's own signal, with a child still sharing pages. */
	struct waiting_child w;
	start_waiting(&w, handler_state, NULL);
	raise(SIGUSR1);
	check(g_handled == 1 && g_global == 77, "the parent's handler ran");
	check(release(&w) == 0, "the parent's handler changed nothing in the child");
	g_global = 1;
	signal(SIGUSR1, SIG_DFL);
}

static int child_rewrites_big(void *arg)
{
	uint32_t *big = arg;
	for (size_t i = 0; i < (size_t)BIG_PAGES * PAGE / 4; i += PAGE / 4)
		big[i] = 0xc0ffee;
	return 0;
}

static void check_big(void)
{
	uint32_t *big = mmap(NULL, (size_t)BIG_PAGES * PAGE, PROT_READ | PROT_WRITE,
	                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (size_t i = 0; i < (size_t)BIG_PAGES * PAGE / 4; i += PAGE / 4)
		big[i] = (uint32_t)i;
	check(in_child(child_rewrites_big, big) == 0, "the child rewrites 32 MiB");
	size_t bad = 0;
	for (size_t i = 0; i < (size_t)BIG_PAGES * PAGE / 4; i += PAGE / 4)
		bad += big[i] != (uint32_t)i;
	check(bad == 0, "all 8192 pages of the parent are unchanged");
	munmap(big, (size_t)BIG_PAGES * PAGE);
}

/* In the child of check_shared: the parent's writes are there; then
 * write a page nobody had touched and one the parent wrote. */
static int child_shares(void *arg)
{
	char *shared = arg;
	int ok = shared[0] == 'a' && shared[PAGE] == 'p';
	shared[2 * PAGE] = 'c';
	shared[0] = 'c';
	return ok;
}

/* Shared memory: writes cross in both directions, including pages that
 * neither side had touched before the fork. */
static void check_shared(char *shared, const char *what)
{
	shared[0] = 'a';
	struct waiting_child w;
	start_waiting(&w, child_shares, shared);
	shared[PAGE] = 'p'; /* first touched after the fork */
	int ok = release(&w);
	char msg[128];
	snprintf(msg, sizeof(msg), "%s: the child sees the parent's writes", what);
	check(ok == 1, msg);
	snprintf(msg, sizeof(msg), "%s: the parent sees the child's writes", what);
	check(shared[0] == 'c' && shared[2 * PAGE] == 'c', msg);
}

static void check_shared_memory(void)
{
	char *anon = mmap(NULL, PAGE * 3, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	check(anon != MAP_FAILED, "mmap MAP_SHARED|MAP_ANONYMOUS");
	check_shared(anon, "shared anonymous");
	munmap(anon, PAGE * 3);

	int fd = open("/dev/shm/cow-test", O_RDWR | O_CREAT | O_TRUNC, 0600);
	check(fd >= 0 && ftruncate(fd, PAGE * 3) == 0, "a /dev/shm file of 3 pages");
	char *file = mmap(NULL, PAGE * 3, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(file != MAP_FAILED, "mmap MAP_SHARED of a /dev/shm file, writable");
	check_shared(file, "shared file mapping");
	char buf[1] = {0};
	check(pread(fd, buf, 1, 2 * PAGE) == 1 && buf[0] == 'c', "read() sees a write made through the mapping");
	check(pwrite(fd, "w", 1, PAGE + 5) == 1 && file[PAGE + 5] == 'w', "the mapping sees a write made by write()");
	check(msync(file, PAGE * 3, MS_SYNC) == 0, "msync");
	struct statfs st;
	check(fstatfs(fd, &st) == 0 && st.f_type == 0x01021994 && st.f_blocks > 0,
	      "fstatfs on /dev/shm: tmpfs with a size");
	munmap(file, PAGE * 3);

	char *priv = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	check(priv != MAP_FAILED && priv[0] == 'c', "MAP_PRIVATE of the same file sees its data");
	priv[0] = 'x';
	check(pread(fd, buf, 1, 0) == 1 && buf[0] == 'c', "a private mapping's write stays out of the file");
	munmap(priv, PAGE);
	close(fd);
	unlink("/dev/shm/cow-test");
}

static int child_unmaps(void *arg)
{
	char *p = arg;
	if (munmap(p, PAGE * 4) != 0)
		return 1;
	char *again = mmap(NULL, PAGE * 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (again == MAP_FAILED)
		return 2;
	memset(again, 'u', PAGE * 4); /* may reuse the pages the child let go */
	return 0;
}

static int read_after_parent_unmapped(void *arg)
{
	char *p = arg;
	return p[0] == 'q' && p[PAGE * 4 - 1] == 'q' ? 0 : 1;
}

/* munmap in either process leaves the other's pages alone, and exec in
 * a child gives the parent back sole use of its pages. */
static void check_munmap_and_exec(const char *self)
{
	char *p = mmap(NULL, PAGE * 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(p != MAP_FAILED, "mmap 4 pages");
	memset(p, 'q', PAGE * 4);
	check(in_child(child_unmaps, p) == 0, "the child unmaps and maps new memory");
	check(p[0] == 'q' && p[PAGE * 4 - 1] == 'q', "the parent keeps pages the child unmapped");

	struct waiting_child w;
	start_waiting(&w, read_after_parent_unmapped, p);
	char *copy = malloc(PAGE * 4);
	memcpy(copy, p, PAGE * 4);
	check(munmap(p, PAGE * 4) == 0, "the parent unmaps after the fork");
	memset(copy, 'z', PAGE * 4); /* likely on pages the parent just let go */
	check(release(&w) == 0, "the child keeps pages the parent unmapped");
	free(copy);

	p = mmap(NULL, PAGE * 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(p, 'e', PAGE * 4);
	pid_t pid = fork();
	if (pid == 0) {
		execl(self, self, "exec-child", (char *)NULL);
		_exit(99);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a forked child execs");
	memset(p + PAGE, 'f', PAGE); /* the parent's page is its alone again */
	check(p[0] == 'e' && p[PAGE] == 'f' && p[PAGE * 4 - 1] == 'e',
	      "the parent writes its pages after the child's exec");
	munmap(p, PAGE * 4);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec-child") == 0)
		return g_global == 1 ? 0 : 1; /* a fresh image: its own data */
	check_private_writes();
	check_parent_writes_after_fork();
	check_mprotect();
	check_signals();
	check_big();
	check_shared_memory();
	check_munmap_and_exec(argv[0]);
	return check_done("cow");
}
