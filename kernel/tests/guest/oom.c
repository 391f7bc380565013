/* oom.c: touch anonymous memory until there is none left. Linux's OOM
 * killer ends such a program with SIGKILL (status 137); so must cvmify.
 * Do not run this on a host without a memory limit. */
#include <stdio.h>
#include <sys/mman.h>

int main(void)
{
	const size_t chunk = 16 << 20;
	for (size_t total = 0;; total += chunk) {
		char *p = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			printf("mmap failed after %zu MiB\n", total >> 20);
			return 1;
		}
		for (size_t i = 0; i < chunk; i += 4096)
			p[i] = 1;
	}
}
