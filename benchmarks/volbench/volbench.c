/*
 * volbench.c: volume write/fsync workloads, timed in the guest with
 * CLOCK_MONOTONIC. Usage: volbench DIR PHASE, PHASE "write" (the first
 * boot) or "read" (a second boot reads what the first wrote, cold).
 * Prints one line per workload: `vol: NAME SECONDS BYTES OPS`.
 * Builds static; runs the same on Linux (benchmarks/volume.py).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024 * 1024)

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void report(const char *name, double start, long long bytes, long ops)
{
	printf("vol: %s %.6f %lld %ld\n", name, now() - start, bytes, ops);
	fflush(stdout);
}

static char *path(const char *dir, const char *name)
{
	static char buf[4096];
	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

/* 64 MiB in 1 MiB writes, then one fsync. */
static void seqwrite(const char *dir, char *buf)
{
	int fd = open(path(dir, "seq"), O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0)
		die("open seq");
	double start = now();
	for (int i = 0; i < 64; i++) {
		memset(buf, i, MIB);
		if (write(fd, buf, MIB) != MIB)
			die("write seq");
	}
	if (fsync(fd) < 0)
		die("fsync seq");
	report("seqwrite-64M+fsync", start, 64LL * MIB, 64);
	close(fd);
}

/* 500 times: 4 KiB at the end of a log, then fdatasync (a database's WAL). */
static void fsync4k(const char *dir, char *buf)
{
	int fd = open(path(dir, "log"), O_CREAT | O_TRUNC | O_WRONLY | O_APPEND, 0644);
	if (fd < 0)
		die("open log");
	memset(buf, 'l', 4096);
	double start = now();
	for (int i = 0; i < 500; i++) {
		if (write(fd, buf, 4096) != 4096)
			die("write log");
		if (fdatasync(fd) < 0)
			die("fdatasync");
	}
	report("append4k+fdatasync-x500", start, 500LL * 4096, 500);
	close(fd);
}

/* 4096 random 4 KiB overwrites of a 16 MiB file, then fsync. */
static void randwrite(const char *dir, char *buf)
{
	int fd = open(path(dir, "rand"), O_CREAT | O_TRUNC | O_RDWR, 0644);
	if (fd < 0)
		die("open rand");
	if (ftruncate(fd, 16 * MIB) < 0)
		die("ftruncate");
	unsigned x = 12345;
	memset(buf, 'r', 4096);
	double start = now();
	for (int i = 0; i < 4096; i++) {
		x = x * 1103515245u + 12345u;
		off_t at = (off_t)((x >> 8) % 4096) * 4096;
		if (pwrite(fd, buf, 4096, at) != 4096)
			die("pwrite");
	}
	if (fsync(fd) < 0)
		die("fsync rand");
	report("randwrite4k-x4096+fsync", start, 4096LL * 4096, 4096);
	close(fd);
}

/* 1000 files of 1 KiB in a directory, then one sync. */
static void smallfiles(const char *dir, char *buf)
{
	char name[64];
	mkdir(path(dir, "many"), 0755);
	memset(buf, 's', 1024);
	double start = now();
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "many/f%04d", i);
		int fd = open(path(dir, name), O_CREAT | O_TRUNC | O_WRONLY, 0644);
		if (fd < 0 || write(fd, buf, 1024) != 1024)
			die("small file");
		close(fd);
	}
	sync();
	report("create1k-files+sync", start, 1000LL * 1024, 1000);
}

static void seqread(const char *dir, char *buf)
{
	int fd = open(path(dir, "seq"), O_RDONLY);
	if (fd < 0)
		die("open seq for reading");
	double start = now();
	long long total = 0;
	ssize_t n;
	while ((n = read(fd, buf, MIB)) > 0)
		total += n;
	if (total != 64LL * MIB)
		die("short read");
	report("seqread-64M-cold", start, total, 64);
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: volbench DIR write|read\n");
		return 2;
	}
	char *buf = malloc(MIB);
	if (strcmp(argv[2], "write") == 0) {
		seqwrite(argv[1], buf);
		fsync4k(argv[1], buf);
		randwrite(argv[1], buf);
		smallfiles(argv[1], buf);
	} else {
		seqread(argv[1], buf);
	}
	printf("vol: done\n");
	return 0;
}
