/*
 * identity.c: dropping and regaining privileges as entrypoints do
 * (setpriv, su-exec, gosu, runuser): the set*id calls with saved ids and
 * fs ids, supplementary groups, the capabilities a container's root has
 * and how id changes clear them, capget/capset, the capability prctls,
 * file permission checks that follow the effective/fs ids and
 * capabilities, kill permissions, and exec of a set-user-ID program.
 * Starts as root; each scenario runs in a child.
 *
 * `identity --ids` prints "ruid euid suid" and exits (used through a
 * set-user-ID-root copy the test makes in /tmp; under docker run, /tmp
 * must allow it: --tmpfs /tmp:exec,suid).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define USER 1000
#define GROUP 1000
#define SECRET "/tmp/id-secret" /* root:root 0600 */
#define SUID_COPY "/tmp/id-suid"  /* this program, root:root 04755 */

/* docker's default capability set (and cvmify's). */
static const uint64_t DOCKER_CAPS =
	(1ull << CAP_CHOWN) | (1ull << CAP_DAC_OVERRIDE) | (1ull << CAP_FOWNER) |
	(1ull << CAP_FSETID) | (1ull << CAP_KILL) | (1ull << CAP_SETGID) | (1ull << CAP_SETUID) |
	(1ull << CAP_SETPCAP) | (1ull << CAP_NET_BIND_SERVICE) | (1ull << CAP_NET_RAW) |
	(1ull << CAP_SYS_CHROOT) | (1ull << CAP_MKNOD) | (1ull << CAP_AUDIT_WRITE) |
	(1ull << CAP_SETFCAP);

struct caps {
	uint64_t effective, permitted, inheritable;
};

static int get_caps(struct caps *c)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) != 0)
		return -1;
	c->effective = data[0].effective | ((uint64_t)data[1].effective << 32);
	c->permitted = data[0].permitted | ((uint64_t)data[1].permitted << 32);
	c->inheritable = data[0].inheritable | ((uint64_t)data[1].inheritable << 32);
	return 0;
}

static int set_caps(uint64_t effective, uint64_t permitted, uint64_t inheritable)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2] = {
		{(uint32_t)effective, (uint32_t)permitted, (uint32_t)inheritable},
		{(uint32_t)(effective >> 32), (uint32_t)(permitted >> 32), (uint32_t)(inheritable >> 32)},
	};
	return (int)syscall(SYS_capset, &hdr, data);
}

static int can_read(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

static int drop_everything(void)
{
	gid_t groups[2] = {200, 100}; /* Linux keeps them sorted */
	STEP(1, setgroups(2, groups) == 0);
	gid_t got[4];
	STEP(2, getgroups(4, got) == 2 && got[0] == 100 && got[1] == 200);
	STEP(3, setresgid(GROUP, GROUP, GROUP) == 0);
	STEP(4, setresuid(USER, USER, USER) == 0);
	uid_t r, e, s;
	STEP(5, getresuid(&r, &e, &s) == 0 && r == USER && e == USER && s == USER);
	struct caps c;
	STEP(6, get_caps(&c) == 0 && c.effective == 0 && c.permitted == 0);
	errno = 0;
	STEP(7, setuid(0) == -1 && errno == EPERM);
	STEP(8, !can_read(SECRET) && errno == EACCES);
	errno = 0;
	STEP(9, setgroups(0, NULL) == -1 && errno == EPERM);
	STEP(10, kill(getppid(), 0) == -1 && errno == EPERM);
	int fd = open("/tmp/id-made-by-user", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	struct stat st;
	STEP(11, fd >= 0 && fstat(fd, &st) == 0 && st.st_uid == USER && st.st_gid == GROUP);
	close(fd);
	unlink("/tmp/id-made-by-user");
	STEP(12, setuid(USER) == 0); /* to one's own id: always allowed */
	return 0;
}

static int effective_only(void)
{
	STEP(1, setresuid(-1, USER, -1) == 0);
	struct caps c;
	STEP(2, get_caps(&c) == 0 && c.effective == 0 && c.permitted == DOCKER_CAPS);
	STEP(3, !can_read(SECRET));
	STEP(4, setresuid(-1, 0, -1) == 0 && geteuid() == 0); /* the saved id is 0 */
	STEP(5, get_caps(&c) == 0 && c.effective == DOCKER_CAPS);
	STEP(6, can_read(SECRET));
	/* setreuid(-1, USER): the saved id follows a new effective id. */
	STEP(7, setreuid(-1, USER) == 0);
	uid_t r, e, s;
	STEP(8, getresuid(&r, &e, &s) == 0 && r == 0 && e == USER && s == USER);
	STEP(9, seteuid(0) == 0); /* the real id is still 0 */
	return 0;
}

static int fs_ids(void)
{
	STEP(1, setfsuid(USER) == 0); /* returns the old fs uid */
	STEP(2, setfsuid(-1) == USER);
	STEP(3, !can_read(SECRET)); /* DAC override goes with fsuid 0 */
	int fd = open("/tmp/id-fs", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	struct stat st;
	STEP(4, fd >= 0 && fstat(fd, &st) == 0 && st.st_uid == USER);
	close(fd);
	STEP(5, setfsuid(0) == USER && can_read(SECRET));
	unlink("/tmp/id-fs");
	STEP(6, setfsgid(GROUP) == 0 && setfsgid(-1) == GROUP);
	return 0;
}

static int keep_caps(void)
{
	STEP(1, prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0 && prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) == 1);
	STEP(2, setresuid(USER, USER, USER) == 0);
	struct caps c;
	STEP(3, get_caps(&c) == 0 && c.effective == 0 && c.permitted == DOCKER_CAPS);
	STEP(4, set_caps(1ull << CAP_DAC_OVERRIDE, c.permitted, 0) == 0);
	STEP(5, can_read(SECRET)); /* a non-root user with CAP_DAC_OVERRIDE */
	errno = 0;
	STEP(6, set_caps(1ull << 21 /* CAP_SYS_ADMIN */, c.permitted, 0) == -1 && errno == EPERM);
	return 0;
}

static int capability_sets(void)
{
	struct caps c;
	STEP(1, get_caps(&c) == 0 && c.effective == DOCKER_CAPS && c.permitted == DOCKER_CAPS);
	STEP(2, prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0) == 1);
	STEP(3, prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) == 0);
	errno = 0;
	STEP(4, prctl(PR_CAPBSET_READ, 1000, 0, 0, 0) == -1 && errno == EINVAL);
	STEP(5, prctl(PR_CAPBSET_DROP, CAP_NET_RAW, 0, 0, 0) == 0 &&
	            prctl(PR_CAPBSET_READ, CAP_NET_RAW, 0, 0, 0) == 0);
	/* Drop CAP_DAC_OVERRIDE from the effective set: root reads no 0000 file. */
	int fd = open("/tmp/id-zero", O_CREAT | O_WRONLY | O_TRUNC, 0);
	close(fd);
	STEP(6, can_read("/tmp/id-zero"));
	STEP(7, set_caps(c.effective & ~(1ull << CAP_DAC_OVERRIDE), c.permitted, 0) == 0);
	STEP(8, !can_read("/tmp/id-zero") && errno == EACCES);
	STEP(9, set_caps(c.effective, c.permitted, 0) == 0 && can_read("/tmp/id-zero"));
	unlink("/tmp/id-zero");
	errno = 0;
	STEP(10, set_caps(c.effective, c.permitted | (1ull << 21), 0) == -1 && errno == EPERM);
	struct __user_cap_header_struct hdr = {0x12345678, 0};
	struct __user_cap_data_struct data[2];
	errno = 0;
	STEP(11, syscall(SYS_capget, &hdr, data) == -1 && errno == EINVAL &&
	             hdr.version == _LINUX_CAPABILITY_VERSION_3);
	STEP(12, prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0) == 0);
	errno = 0;
	STEP(13, prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0) == -1 &&
	             errno == EPERM); /* not inheritable */
	return 0;
}

/* A user runs the set-user-ID-root copy of this program. */
static int setuid_exec(void)
{
	STEP(1, setresgid(GROUP, GROUP, GROUP) == 0 && setresuid(USER, USER, USER) == 0);
	int p[2];
	STEP(2, pipe(p) == 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		execl(SUID_COPY, "id-suid", "--ids", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	char buf[64] = {0};
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	int status = 0;
	waitpid(pid, &status, 0);
	STEP(3, n > 0 && strcmp(buf, "1000 0 0\n") == 0);
	/* With no_new_privs the bit is ignored. */
	STEP(4, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
	STEP(5, pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		execl(SUID_COPY, "id-suid", "--ids", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	memset(buf, 0, sizeof(buf));
	n = read(p[0], buf, sizeof(buf) - 1);
	waitpid(pid, &status, 0);
	STEP(6, n > 0 && strcmp(buf, "1000 1000 1000\n") == 0);
	return 0;
}

/* Copy this program to SUID_COPY, set-user-ID root. */
static int make_suid_copy(void)
{
	int in = open("/proc/self/exe", O_RDONLY);
	int out = open(SUID_COPY, O_CREAT | O_WRONLY | O_TRUNC, 0700);
	if (in < 0 || out < 0)
		return 0;
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, (size_t)n) != n)
			return 0;
	}
	close(in);
	close(out);
	return n == 0 && chown(SUID_COPY, 0, 0) == 0 && chmod(SUID_COPY, 04755) == 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--ids") == 0) {
		uid_t r, e, s;
		getresuid(&r, &e, &s);
		printf("%u %u %u\n", r, e, s);
		return 0;
	}
	check(getuid() == 0 && geteuid() == 0, "running as root");
	int fd = open(SECRET, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	check(fd >= 0 && fchown(fd, 0, 0) == 0, "a root-only file");
	close(fd);
	check_in_child("drop to a user: ids, groups, no capabilities, no way back", drop_everything);
	check_in_child("effective id only: the saved id brings root back", effective_only);
	check_in_child("fs ids: file checks and new files follow fsuid", fs_ids);
	check_in_child("PR_SET_KEEPCAPS keeps the permitted set across a uid change", keep_caps);
	check_in_child("root's capabilities: docker's set, bounding set, capset rules", capability_sets);
	check(make_suid_copy(), "a set-user-ID-root copy in /tmp");
	check_in_child("exec of a set-user-ID program; no_new_privs ignores it", setuid_exec);
	unlink(SUID_COPY);
	unlink(SECRET);
	return check_done("identity");
}
