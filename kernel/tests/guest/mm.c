/* mm.c: mmap, munmap, mprotect, mremap, madvise, brk, and a SIGSEGV
 * handler that recovers from touching a PROT_NONE page. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

static sigjmp_buf g_jump;
static volatile void *g_fault_addr;

static void on_segv(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)uc;
	g_fault_addr = info->si_addr;
	siglongjmp(g_jump, 1);
}

static int touch_faults(volatile char *p)
{
	if (sigsetjmp(g_jump, 1) == 0) {
		*p = 1;
		return 0;
	}
	return 1;
}

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	check(page == 4096, "page size is 4096");

	char *a = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(a != MAP_FAILED, "mmap anonymous");
	check(a[0] == 0 && a[4 * page - 1] == 0, "anonymous memory reads zero");
	memset(a, 0x5a, 4 * page);
	check(a[3 * page + 7] == 0x5a, "anonymous memory keeps writes");

	check(munmap(a + page, page) == 0, "munmap a middle page");
	char *fixed = mmap(a + page, page, PROT_READ | PROT_WRITE,
	                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	check(fixed == a + page, "MAP_FIXED_NOREPLACE into the hole");
	check(fixed[0] == 0, "the refilled hole is zero");
	errno = 0;
	char *clash = mmap(a, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
	                   -1, 0);
	check(clash == MAP_FAILED && errno == EEXIST, "MAP_FIXED_NOREPLACE on a mapping: EEXIST");

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	check(sigaction(SIGSEGV, &sa, NULL) == 0, "install a SIGSEGV handler");
	check(mprotect(a + 2 * page, page, PROT_NONE) == 0, "mprotect PROT_NONE");
	check(touch_faults(a + 2 * page + 5) == 1, "touching PROT_NONE raises SIGSEGV");
	check(g_fault_addr == a + 2 * page + 5, "si_addr is the faulting address");
	check(mprotect(a + 2 * page, page, PROT_READ | PROT_WRITE) == 0, "mprotect back to RW");
	check(a[2 * page] == 0x5a, "data survives PROT_NONE and back");
	check(mprotect(a, page, PROT_READ) == 0, "mprotect read-only");
	check(touch_faults(a) == 1, "writing a read-only page raises SIGSEGV");

	check(madvise(a + 3 * page, page, MADV_DONTNEED) == 0, "madvise DONTNEED");
	check(a[3 * page] == 0, "DONTNEED anonymous page reads zero again");

	char *r = mremap(a + 3 * page, page, 64 * page, MREMAP_MAYMOVE);
	check(r != MAP_FAILED, "mremap grow with MAYMOVE");
	if (r != MAP_FAILED) {
		r[0] = 7;
		r[64 * page - 1] = 9;
		check(r[0] == 7 && r[64 * page - 1] == 9, "the grown mapping is usable");
	}

	errno = 0;
	check(munmap((char *)a + 1, page) == -1 && errno == EINVAL, "munmap unaligned: EINVAL");

	void *start = sbrk(0);
	check(start != (void *)-1, "sbrk(0)");
	check(sbrk(3 * page) == start, "sbrk grows the heap");
	memset(start, 1, 3 * page);
	check(((char *)start)[3 * page - 1] == 1, "the heap is writable");
	check(brk(start) == 0, "brk shrinks the heap");

	return check_done("mm");
}
