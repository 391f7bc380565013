/*
 * procfs.c: /proc's root: the system-wide files, /proc/self, the pid
 * directories (procfs_pid.c) and /proc/sys (procfs_sys.c), in Linux's
 * formats. Task facts come from the hooks the process layer registered
 * (procfs.h); CPU facts from CPUID (host-controlled values, shown as
 * they are: they decide nothing in the kernel).
 */
#include "fs/procfs.h"
#include "fs/procfs_int.h"
#include "arch/x86_64/arch.h"
#include "arch/x86_64/percpu.h"
#include "fs/mount.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/page.h"
#include "platform/platform.h"
#include "proc/cputime.h"
#include "syscalls/linux_abi/errno.h"

#define PROCFS_DEV 0x4
#define PROC_SUPER_MAGIC 0x9fa0
#define NS_PER_SEC 1000000000ull

static const struct procfs_hooks *g_hooks;

void procfs_set_hooks(const struct procfs_hooks *hooks)
{
	g_hooks = hooks;
}

const struct procfs_hooks *procfs_hooks(void)
{
	return g_hooks;
}

/* ---- /proc/self ---- */

static long self_readlink(struct inode *inode, char *buf, size_t size)
{
	(void)inode;
	if (g_hooks == NULL)
		return -ENOENT;
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", g_hooks->self_pid());
	return pseudofs_copy_link(pid, buf, size);
}

/* ---- /proc/cpuinfo ---- */

struct cpu_flag {
	u8 reg;          /* 0: leaf 1 edx, 1: leaf 1 ecx, 2: leaf 7 ebx */
	u8 bit;
	const char *name;
};

static const struct cpu_flag g_cpu_flags[] = {
	{ 0, 0, "fpu" }, { 0, 4, "tsc" }, { 0, 5, "msr" }, { 0, 8, "cx8" },
	{ 0, 15, "cmov" }, { 0, 23, "mmx" }, { 0, 24, "fxsr" }, { 0, 25, "sse" },
	{ 0, 26, "sse2" }, { 1, 0, "pni" }, { 1, 1, "pclmulqdq" }, { 1, 9, "ssse3" },
	{ 1, 12, "fma" }, { 1, 13, "cx16" }, { 1, 19, "sse4_1" }, { 1, 20, "sse4_2" },
	{ 1, 22, "movbe" }, { 1, 23, "popcnt" }, { 1, 25, "aes" }, { 1, 26, "xsave" },
	{ 1, 28, "avx" }, { 1, 29, "f16c" }, { 1, 30, "rdrand" }, { 2, 3, "bmi1" },
	{ 2, 5, "avx2" }, { 2, 7, "smep" }, { 2, 8, "bmi2" }, { 2, 16, "avx512f" },
	{ 2, 18, "rdseed" }, { 2, 19, "adx" }, { 2, 20, "smap" }, { 2, 29, "sha_ni" },
};

static long cpuinfo_generate(struct inode *inode, char *buf, size_t size)
{
	(void)inode;
	u32 a, b, c, d, regs[3];
	char vendor[13], model[49];
	arch_cpuid(0, 0, &a, &b, &c, &d);
	u32 max_leaf = a;
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &d, 4);
	memcpy(vendor + 8, &c, 4);
	vendor[12] = 0;
	memset(model, 0, sizeof(model));
	arch_cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a >= 0x80000004) {
		for (u32 i = 0; i < 3; i++) {
			arch_cpuid(0x80000002 + i, 0, &a, &b, &c, &d);
			u32 words[4] = { a, b, c, d };
			memcpy(model + 16 * i, words, 16);
		}
	}
	arch_cpuid(1, 0, &a, &b, &c, &d);
	u32 family = (a >> 8) & 0xf, model_id = (a >> 4) & 0xf, stepping = a & 0xf;
	if (family == 0xf)
		family += (a >> 20) & 0xff;
	if (family == 0x6 || family >= 0xf)
		model_id |= ((a >> 16) & 0xf) << 4;
	regs[0] = d;
	regs[1] = c;
	regs[2] = 0;
	if (max_leaf >= 7) {
		arch_cpuid(7, 0, &a, &b, &c, &d);
		regs[2] = b;
	}

	struct textbuf t = { buf, size, 0 };
	u64 mhz = platform_tsc_hz() / 1000000;
	u32 cpus = cpu_count();
	for (u32 n = 0; n < cpus; n++) {
		textbuf_add(&t, "processor\t: %u\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n", n,
		         vendor, family, model_id);
		textbuf_add(&t, "model name\t: %s\nstepping\t: %u\ncpu MHz\t\t: %llu.000\n", model,
		         stepping, (unsigned long long)mhz);
		textbuf_add(&t, "physical id\t: 0\nsiblings\t: %u\ncore id\t\t: %u\ncpu cores\t: %u\n"
		         "flags\t\t:", cpus, n, cpus);
		for (size_t i = 0; i < sizeof(g_cpu_flags) / sizeof(g_cpu_flags[0]); i++) {
			const struct cpu_flag *f = &g_cpu_flags[i];
			if (regs[f->reg] & (1u << f->bit))
				textbuf_add(&t, " %s", f->name);
		}
		textbuf_add(&t, "\n\n");
	}
	return (long)t.len;
}

/* ---- memory, mounts, time ---- */

static long meminfo_generate(struct inode *inode, char *buf, size_t size)
{
	(void)inode;
	struct textbuf t = { buf, size, 0 };
	unsigned long long total_kb = (unsigned long long)page_total_count() * 4;
	unsigned long long free_kb = (unsigned long long)page_free_count() * 4;
	textbuf_add(&t, "MemTotal:       %8llu kB\nMemFree:        %8llu kB\n", total_kb, free_kb);
	textbuf_add(&t, "MemAvailable:   %8llu kB\nBuffers:               0 kB\n", free_kb);
	textbuf_add(&t, "Cached:                0 kB\nSwapCached:            0 kB\n");
	textbuf_add(&t, "SwapTotal:             0 kB\nSwapFree:              0 kB\n");
	textbuf_add(&t, "Shmem:                 0 kB\nHugePages_Total:       0\n");
	textbuf_add(&t, "HugePages_Free:        0\nHugepagesize:       2048 kB\n");
	return (long)t.len;
}

/* vmstat: Linux's "name value" lines; vmstat(8) will not start without
 * the file. Free pages are real; nothing is swapped or paged in from a
 * swap device, and the paging counters are not accounted yet (0). */
static long vmstat_generate(struct inode *inode, char *buf, size_t size)
{
	(void)inode;
	static const char *const zero[] = {
		"nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file",
		"nr_unevictable", "nr_mlock", "nr_anon_pages", "nr_mapped", "nr_file_pages",
		"nr_dirty", "nr_writeback", "nr_shmem", "pgpgin", "pgpgout", "pswpin", "pswpout",
		"pgfault", "pgmajfault",
	};
	struct textbuf t = { buf, size, 0 };
	textbuf_add(&t, "nr_free_pages %llu\n", (unsigned long long)page_free_count());
	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		textbuf_add(&t, "%s 0\n", zero[i]);
	return (long)t.len;
}

/* A mount's options as Linux shows them: ro or rw, then nosuid, nodev,
 * noexec, relatime (its order). */
static void mount_options(const struct mount *m, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s,relatime", m->sb->read_only ? "ro" : "rw",
	         (m->flags & VFS_MOUNT_NOSUID) ? ",nosuid" : "",
	         (m->flags & VFS_MOUNT_NODEV) ? ",nodev" : "",
	         (m->flags & VFS_MOUNT_NOEXEC) ? ",noexec" : "");
}

/* /proc/mounts: "type mountpoint type options 0 0"; mountinfo (info):
 * "id parent major:minor root mountpoint options - type source
 * superoptions", mount ids from 21, the root's parent 1. */
static long mounts_text(char *buf, size_t size, bool info)
{
	struct textbuf t = { buf, size, 0 };
	char path[256];
	char options[48];
	for (size_t i = 0; mount_at(i) != NULL; i++) {
		struct mount *m = mount_at(i);
		if (vfs_getcwd(m->sb->root, path, sizeof(path)) < 0)
			continue;
		mount_options(m, options, sizeof(options));
		const char *mode = m->sb->read_only ? "ro" : "rw";
		if (!info) {
			textbuf_add(&t, "%s %s %s %s 0 0\n", m->sb->type, path, m->sb->type, options);
			continue;
		}
		textbuf_add(&t, "%zu %zu 0:%llu / %s %s - %s %s %s\n", 21 + i,
		            i == 0 ? (size_t)1 : (size_t)21, (unsigned long long)m->sb->dev, path, options,
		            m->sb->type, m->sb->type, mode);
	}
	return (long)t.len;
}

long procfs_mounts_generate(struct inode *inode, char *buf, size_t size)
{
	(void)inode;
	return mounts_text(buf, size, false);
}

long procfs_mountinfo_generate(struct inode *inode, char *buf, size_t size)
{
	(void)inode;
	return mounts_text(buf, size, true);
}

/* uptime: seconds since boot, and the idle time of all CPUs together
 * (proc/cputime.h). */
static long uptime_generate(struct inode *inode, char *buf, size_t size)
{
	(void)inode;
	u64 ns = platform_time_ns();
	u64 idle = 0;
	for (u32 i = 0; i < cpu_count(); i++)
		idle += cputime_cpu_idle(i, ns);
	struct textbuf t = { buf, size, 0 };
	textbuf_add(&t, "%llu.%02llu %llu.%02llu\n", (unsigned long long)(ns / NS_PER_SEC),
	         (unsigned long long)(ns % NS_PER_SEC / 10000000ull),
	         (unsigned long long)(idle / NS_PER_SEC),
	         (unsigned long long)(idle % NS_PER_SEC / 10000000ull));
	return (long)t.len;
}

static long system_generate(struct inode *inode, char *buf, size_t size)
{
	const struct pseudo_node *node = pseudofs_node(inode);
	if (g_hooks == NULL)
		return -ENOENT;
	return g_hooks->system_file(node->ino == PROC_STAT_INO ? PROC_SYS_STAT : PROC_SYS_LOADAVG,
	                            buf, size);
}

static long version_generate(struct inode *inode, char *buf, size_t size)
{
	(void)inode;
	struct textbuf t = { buf, size, 0 };
	textbuf_add(&t, "Linux version %s (cvmify) %s\n", UTS_RELEASE, UTS_VERSION);
	return (long)t.len;
}

static long filesystems_generate(struct inode *inode, char *buf, size_t size)
{
	(void)inode;
	struct textbuf t = { buf, size, 0 };
	textbuf_add(&t, "nodev\tproc\nnodev\ttmpfs\nnodev\tdevtmpfs\nnodev\tpipefs\n\tcvmfs\n");
	return (long)t.len;
}

/* ---- the root: static entries, then one directory per live pid ---- */

static bool parse_pid(const char *name, size_t len, int *pid)
{
	if (len == 0 || len > 10 || name[0] == '0')
		return false;
	u64 value = 0;
	for (size_t i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return false;
		value = value * 10 + (u64)(name[i] - '0');
	}
	if (value > 0x7fffffff)
		return false;
	*pid = (int)value;
	return true;
}

static int root_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	int pid;
	if (parse_pid(name, len, &pid))
		return procfs_pid_dir(dir->sb, pid, out);
	return pseudofs_lookup_static(dir, name, len, out);
}

/* cookie: table entries first, then PID_COOKIE + the last pid listed. */
#define PID_COOKIE (1ull << 32)

static int root_iterate(struct inode *dir, u64 *cookie, struct vfs_dirent *out)
{
	if (*cookie < PID_COOKIE) {
		int r = pseudofs_iterate_static(dir, cookie, out);
		if (r != 0)
			return r;
		*cookie = PID_COOKIE;
	}
	if (g_hooks == NULL)
		return 0;
	int pid = g_hooks->pid_next((int)(*cookie - PID_COOKIE));
	if (pid < 0)
		return 0;
	out->ino = procfs_pid_ino(pid, 0);
	out->type = DT_DIR;
	out->name_len = (u16)snprintf(out->name, sizeof(out->name), "%d", pid);
	*cookie = PID_COOKIE + (u64)pid;
	return 1;
}

#define GEN(fn) .fops = &g_pseudo_generated_fops, .generate = fn
#define GEN_MODE (S_IFREG | 0444)
#define DIR_MODE (S_IFDIR | 0555)

static const struct pseudo_node g_proc_nodes[] = {
	{ .ino = PROC_ROOT_INO, .parent = PROC_ROOT_INO, .name = "", .mode = DIR_MODE,
	  .lookup = root_lookup, .iterate = root_iterate },
	{ .ino = 2, .parent = PROC_ROOT_INO, .name = "self", .mode = S_IFLNK | 0777,
	  .readlink = self_readlink },
	{ .ino = 3, .parent = PROC_ROOT_INO, .name = "cpuinfo", .mode = GEN_MODE, GEN(cpuinfo_generate) },
	{ .ino = 4, .parent = PROC_ROOT_INO, .name = "meminfo", .mode = GEN_MODE, GEN(meminfo_generate) },
	{ .ino = 5, .parent = PROC_ROOT_INO, .name = "mounts", .mode = GEN_MODE,
	  GEN(procfs_mounts_generate) },
	{ .ino = PROC_STAT_INO, .parent = PROC_ROOT_INO, .name = "stat", .mode = GEN_MODE,
	  GEN(system_generate) },
	{ .ino = 7, .parent = PROC_ROOT_INO, .name = "uptime", .mode = GEN_MODE, GEN(uptime_generate) },
	{ .ino = 8, .parent = PROC_ROOT_INO, .name = "loadavg", .mode = GEN_MODE, GEN(system_generate) },
	{ .ino = 9, .parent = PROC_ROOT_INO, .name = "version", .mode = GEN_MODE, GEN(version_generate) },
	{ .ino = 10, .parent = PROC_ROOT_INO, .name = "filesystems", .mode = GEN_MODE,
	  GEN(filesystems_generate) },
	{ .ino = 11, .parent = PROC_ROOT_INO, .name = "vmstat", .mode = GEN_MODE, GEN(vmstat_generate) },
	PROCFS_SYS_NODES
};

struct fs_super *procfs_create(void)
{
	struct fs_super *sb = pseudofs_create("proc", PROCFS_DEV, g_proc_nodes,
	                                      sizeof(g_proc_nodes) / sizeof(g_proc_nodes[0]));
	if (sb != NULL) {
		sb->read_only = true;
		sb->magic = PROC_SUPER_MAGIC;
	}
	return sb;
}
