/*
 * procfs.c: the /proc files that ps, top, runtimes (Node's os module,
 * Python, JVMs) and libcs read, in Linux's formats: /proc/self and
 * /proc/<pid>/{status,stat,statm,cmdline,environ,comm,limits,cgroup,
 * mounts,mountinfo,exe,fd}, /proc/{meminfo,stat,uptime,loadavg,version,
 * mounts,vmstat} and /proc/sys/{kernel,fs,vm}/...
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static char g_buf[65536];

/* The whole file into g_buf (NUL-terminated); its length or -1. */
static long slurp(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	long total = 0;
	for (;;) {
		ssize_t n = read(fd, g_buf + total, sizeof(g_buf) - 1 - (size_t)total);
		if (n <= 0)
			break;
		total += n;
	}
	close(fd);
	g_buf[total] = 0;
	return total;
}

/* The value after "key:" in a status-like file, or NULL. */
static const char *field(const char *key)
{
	size_t len = strlen(key);
	for (const char *line = g_buf; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strncmp(line, key, len) == 0 && line[len] == ':') {
			const char *v = line + len + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			return v;
		}
	}
	return NULL;
}

static void check_self(const char *argv0)
{
	char link[32], want[32];
	ssize_t n = readlink("/proc/self", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	snprintf(want, sizeof(want), "%d", getpid());
	check(n > 0 && strcmp(link, want) == 0, "/proc/self -> <pid>");

	check(slurp("/proc/self/status") > 0, "read /proc/self/status");
	const char *v;
	check((v = field("Name")) && strncmp(v, "procfs\n", 7) == 0, "status Name");
	check((v = field("Pid")) && atoi(v) == getpid(), "status Pid");
	check((v = field("PPid")) && atoi(v) == getppid(), "status PPid");
	check((v = field("State")) && *v == 'R', "status State R");
	check((v = field("Uid")) && strncmp(v, "0\t0\t0\t0", 7) == 0, "status Uid (four ids)");
	check((v = field("Umask")) && strncmp(v, "0022", 4) == 0, "status Umask");
	check((v = field("VmRSS")) && atol(v) > 0, "status VmRSS > 0");
	check((v = field("VmSize")) && atol(v) > 0, "status VmSize > 0");
	check((v = field("CapEff")) && strlen(v) >= 16, "status CapEff");
	check((v = field("Threads")) && atoi(v) >= 1, "status Threads");
	const char *groups = strstr(g_buf, "\nGroups:\t");
	const char *eol = groups ? strchr(groups + 1, '\n') : NULL;
	check(eol && eol[-1] == ' ', "status Groups ends with a space, as Linux's");

	check(slurp("/proc/self/stat") > 0, "read /proc/self/stat");
	int pid = 0, ppid = 0, pgrp = 0;
	char comm[64] = {0}, state = 0;
	check(sscanf(g_buf, "%d (%63[^)]) %c %d %d", &pid, comm, &state, &ppid, &pgrp) == 5 &&
	      pid == getpid() && strcmp(comm, "procfs") == 0 && ppid == getppid() &&
	      pgrp == getpgrp(), "stat: pid (comm) state ppid pgrp");
	int fields = 2; /* pid and (comm), then one space before each field */
	for (const char *p = strchr(g_buf, ')'); p && *p; p++)
		fields += *p == ' ';
	check(fields >= 52, "stat has Linux's 52 fields");
	long size = 0, resident = 0;
	check(slurp("/proc/self/statm") > 0 && sscanf(g_buf, "%ld %ld", &size, &resident) == 2 &&
	      size > 0 && resident > 0 && resident <= size, "statm: size, resident");

	long len = slurp("/proc/self/cmdline");
	check(len == (long)strlen(argv0) + 1 && strcmp(g_buf, argv0) == 0,
	      "cmdline: argv[0] and its NUL");
	check(slurp("/proc/self/comm") > 0 && strcmp(g_buf, "procfs\n") == 0, "comm");
	len = slurp("/proc/self/environ");
	int saw_path = 0;
	for (long at = 0; at < len; at += (long)strlen(g_buf + at) + 1)
		saw_path |= strncmp(g_buf + at, "PATH=", 5) == 0;
	check(len > 0 && saw_path, "environ holds PATH=");
	check(slurp("/proc/self/cgroup") > 0 && strstr(g_buf, "::/") != NULL, "cgroup (v2)");

	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	char line[128];
	snprintf(line, sizeof(line), "Max open files            %-20lu %-20lu files",
	         (unsigned long)rl.rlim_cur, (unsigned long)rl.rlim_max);
	check(slurp("/proc/self/limits") > 0 && strstr(g_buf, line) != NULL &&
	      strncmp(g_buf, "Limit ", 6) == 0, "limits: header and Max open files line");

	char exe[256];
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	check(n > 0 && strcmp(exe, "/procfs") == 0, "exe");
	DIR *d = opendir("/proc/self/fd");
	int fds = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		fds += strcmp(e->d_name, "0") == 0 || strcmp(e->d_name, "1") == 0 ||
		       strcmp(e->d_name, "2") == 0;
	if (d)
		closedir(d);
	check(fds == 3, "fd/ lists 0, 1, 2");
}

static int has_mount(const char *text, const char *point, const char *type)
{
	char want[64];
	snprintf(want, sizeof(want), " %s %s ", point, type);
	return strstr(text, want) != NULL;
}

static void check_mounts(void)
{
	check(slurp("/proc/mounts") > 0 && has_mount(g_buf, "/proc", "proc") &&
	      has_mount(g_buf, "/tmp", "tmpfs"), "/proc/mounts: /proc and /tmp");
	check(slurp("/proc/self/mounts") > 0 && has_mount(g_buf, "/proc", "proc"),
	      "/proc/self/mounts");
	check(slurp("/proc/self/mountinfo") > 0 && strstr(g_buf, " /proc ") != NULL &&
	      strstr(g_buf, " - proc ") != NULL, "mountinfo: '/proc ... - proc'");
}

static void check_other_pid(void)
{
	int gate[2];
	check(pipe(gate) == 0, "pipe");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		_exit(read(gate[0], &c, 1) == 1 ? 0 : 1);
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	const char *v;
	check(slurp(path) > 0 && (v = field("PPid")) && atoi(v) == getpid() &&
	      (v = field("State")) && (*v == 'S' || *v == 'R'),
	      "/proc/<child>/status: our child, sleeping or about to");
	DIR *d = opendir("/proc");
	int saw_self = 0, saw_child = 0;
	char me[16], child[16];
	snprintf(me, sizeof(me), "%d", getpid());
	snprintf(child, sizeof(child), "%d", pid);
	for (struct dirent *e; d && (e = readdir(d));) {
		saw_self |= strcmp(e->d_name, me) == 0 && e->d_type == DT_DIR;
		saw_child |= strcmp(e->d_name, child) == 0;
	}
	if (d)
		closedir(d);
	check(saw_self && saw_child, "ls /proc lists our pid and the child's");
	check(write(gate[1], "x", 1) == 1, "release the child");
	waitpid(pid, NULL, 0);
	errno = 0;
	check(slurp(path) == -1 && errno == ENOENT, "a reaped pid's directory is gone");
	close(gate[0]);
	close(gate[1]);
}

/* A user may not read root's environ or links. */
static void check_permissions(void)
{
	int parent = getpid();
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(1000) != 0 || setuid(1000) != 0)
			_exit(2);
		char path[64], link[64];
		snprintf(path, sizeof(path), "/proc/%d/environ", parent);
		int ok = open(path, O_RDONLY) < 0 && errno == EACCES;
		snprintf(path, sizeof(path), "/proc/%d/exe", parent);
		ok = ok && readlink(path, link, sizeof(link)) < 0 && errno == EACCES;
		snprintf(path, sizeof(path), "/proc/%d/status", parent);
		int fd = open(path, O_RDONLY);
		ok = ok && fd >= 0;
		_exit(ok ? 0 : 1);
	}
	int status = 0;
	check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "another user: status yes, environ and exe EACCES");
}

static void check_system_files(void)
{
	const char *v;
	check(slurp("/proc/meminfo") > 0 && (v = field("MemTotal")) && atol(v) > 0 &&
	      field("MemAvailable") && field("SwapTotal"), "meminfo");
	check(slurp("/proc/stat") > 0 && strncmp(g_buf, "cpu  ", 5) == 0 &&
	      strstr(g_buf, "\ncpu0 ") && strstr(g_buf, "\nprocesses ") &&
	      strstr(g_buf, "\nbtime ") && strstr(g_buf, "\nprocs_running "), "/proc/stat");
	double up = -1, idle = -1;
	check(slurp("/proc/uptime") > 0 && sscanf(g_buf, "%lf %lf", &up, &idle) == 2 && up > 0,
	      "/proc/uptime");
	double l1, l5, l15;
	int running = 0, total = 0, last = 0;
	check(slurp("/proc/loadavg") > 0 &&
	      sscanf(g_buf, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &running, &total, &last) == 6 &&
	      running >= 1 && total >= running && last > 0, "/proc/loadavg");
	struct utsname u;
	uname(&u);
	check(slurp("/proc/version") > 0 && strncmp(g_buf, "Linux version ", 14) == 0 &&
	      strstr(g_buf, u.release) != NULL, "/proc/version names uname's release");
	check(slurp("/proc/sys/kernel/ostype") > 0 && strcmp(g_buf, "Linux\n") == 0, "ostype");
	char rel[80];
	snprintf(rel, sizeof(rel), "%s\n", u.release);
	check(slurp("/proc/sys/kernel/osrelease") > 0 && strcmp(g_buf, rel) == 0, "osrelease");
	check(slurp("/proc/sys/kernel/pid_max") > 0 && atol(g_buf) > 1000, "pid_max");
	check(slurp("/proc/sys/kernel/ngroups_max") > 0 && atol(g_buf) >= 32, "ngroups_max");
	check(slurp("/proc/sys/kernel/cap_last_cap") > 0 && atol(g_buf) >= 40, "cap_last_cap");
	char id1[64], id2[64];
	check(slurp("/proc/sys/kernel/random/boot_id") == 37 && (strcpy(id1, g_buf), 1) &&
	      slurp("/proc/sys/kernel/random/boot_id") == 37 && strcmp(id1, g_buf) == 0,
	      "boot_id: a UUID, the same twice");
	check(slurp("/proc/sys/kernel/random/uuid") == 37 && (strcpy(id2, g_buf), 1) &&
	      slurp("/proc/sys/kernel/random/uuid") == 37 && strcmp(id2, g_buf) != 0 &&
	      id2[14] == '4', "uuid: a new version-4 UUID at each read");
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	check(slurp("/proc/sys/fs/nr_open") > 0 && (unsigned long)atol(g_buf) >= rl.rlim_max,
	      "nr_open >= the NOFILE hard limit");
	check(slurp("/proc/sys/vm/overcommit_memory") > 0 && atoi(g_buf) >= 0, "overcommit_memory");
	check(slurp("/proc/vmstat") > 0 && strncmp(g_buf, "nr_free_pages ", 14) == 0 &&
	      strstr(g_buf, "\npswpin ") != NULL, "vmstat (vmstat(8) needs it)");
}

/* As a shell's `tr ... < /proc/self/cmdline`: opened before execve, read
 * after it, the file shows the new program's arguments (Linux makes the
 * content at the first read). */
static void check_cmdline_after_exec(const char *argv0)
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("/proc/self/cmdline", O_RDONLY);
		char fdarg[16];
		snprintf(fdarg, sizeof(fdarg), "%d", fd);
		execl(argv0, argv0, "--cmdline-fd", fdarg, (char *)NULL);
		_exit(127);
	}
	int status = 0;
	check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "cmdline opened before execve shows the new arguments");
}

/* The exec'd side: fd's content must be our own argv. */
static int cmdline_fd_is_mine(int fd, int argc, char **argv)
{
	long n = read(fd, g_buf, sizeof(g_buf));
	long want = 0;
	for (int i = 0; i < argc; i++)
		want += (long)strlen(argv[i]) + 1;
	return n == want && strcmp(g_buf, argv[0]) == 0 &&
	       strcmp(g_buf + strlen(argv[0]) + 1, "--cmdline-fd") == 0 ? 0 : 1;
}

/* Unlike cmdline, Linux ties an open environ to the address space of
 * open time: read after the execve it is empty, while a new open shows
 * the new environment. */
static void check_environ_after_exec(const char *argv0)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("/proc/self/environ", O_RDONLY);
		char fdarg[16];
		snprintf(fdarg, sizeof(fdarg), "%d", fd);
		char *envp[] = {"CVMIFY_AFTER_EXEC=1", NULL};
		execle(argv0, argv0, "--environ-fd", fdarg, (char *)NULL, envp);
		_exit(127);
	}
	int status = 0;
	check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "environ opened before execve reads empty after it; a new open shows the new one");
}

/* The exec'd side of check_environ_after_exec. */
static int environ_fd_is_empty(int fd)
{
	if (read(fd, g_buf, sizeof(g_buf)) != 0)
		return 1;
	long n = slurp("/proc/self/environ");
	return n == (long)sizeof("CVMIFY_AFTER_EXEC=1") && strcmp(g_buf, "CVMIFY_AFTER_EXEC=1") == 0
	           ? 0
	           : 2;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--cmdline-fd") == 0)
		return cmdline_fd_is_mine(atoi(argv[2]), argc, argv);
	if (argc == 3 && strcmp(argv[1], "--environ-fd") == 0)
		return environ_fd_is_empty(atoi(argv[2]));
	check_self(argv[0]);
	check_mounts();
	check_other_pid();
	check_permissions();
	check_system_files();
	check_cmdline_after_exec(argv[0]);
	check_environ_after_exec(argv[0]);
	return check_done("procfs");
}
