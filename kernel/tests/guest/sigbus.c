/* sigbus.c: map FILE read-only and read one byte at OFFSET.
 *
 *   sigbus FILE OFFSET          the read's signal ends the program
 *   sigbus FILE OFFSET report   a SA_SIGINFO handler prints what arrived
 *
 * Not a checklist: the test tampers with the disk block behind FILE, so
 * the read fails with EIO and Linux semantics say SIGBUS with code
 * BUS_ADRERR at the touched address (status 135 without a handler). On an
 * intact file it prints the byte and exits 0. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* volatile pointer too: stored before the read that faults. */
static volatile char *volatile g_touched;

static void report(int signo, siginfo_t *info, void *context)
{
	(void)context;
	int matches = info->si_addr == (void *)g_touched;
	printf("signal %d code %d addr-matches %d\n", signo, info->si_code, matches);
	if (!matches)
		printf("si_addr %p touched %p\n", info->si_addr, (void *)g_touched);
	fflush(stdout);
	_exit(0);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: sigbus FILE OFFSET [report]\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		perror(argv[1]);
		return 2;
	}
	long offset = strtol(argv[2], NULL, 0);
	if (offset < 0 || offset >= st.st_size) {
		fprintf(stderr, "offset outside the file\n");
		return 2;
	}
	char *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	if (argc > 3 && strcmp(argv[3], "report") == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = report;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGBUS, &sa, NULL);
	}
	printf("mapped\n");
	fflush(stdout);
	g_touched = map + offset;
	printf("byte %d\n", *g_touched);
	return 0;
}
