/*
 * table.c: the one system-call table (Linux x86-64 numbers) and the
 * dispatcher.
 *
 * Trust: rax (the number) and the six argument registers are raw user
 * values. The number is bounds-checked here, and masked so that a
 * mispredicted check cannot index past the table (arch/x86_64/nospec.h);
 * each handler checks its own arguments. A number with no handler
 * returns -ENOSYS and is counted, so `--trace` shows exactly what an app
 * needed and did not get, by name (names.c for numbers not listed here).
 * docs/syscalls.md lists every one of them with its reason.
 */
#include "control/control.h"
#include "syscalls/syscall.h"

#include "arch/x86_64/arch.h"
#include "arch/x86_64/nospec.h"
#include "arch/x86_64/cpu.h"
#include "lib/kprintf.h"
#include "platform/platform.h"
#include "proc/fdtable.h"
#include "proc/signal.h"
#include "proc/task.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"

#define SYSCALL_COUNT SYSCALL_NAMES_COUNT

struct syscall_entry {
	const char *name;
	syscall_fn fn;     /* NULL: known to us by name, not implemented */
};

static const struct syscall_entry g_table[SYSCALL_COUNT] = {
	[0] = {"read", sys_read},
	[1] = {"write", sys_write},
	[2] = {"open", sys_open},
	[3] = {"close", sys_close},
	[4] = {"stat", sys_stat},
	[5] = {"fstat", sys_fstat},
	[6] = {"lstat", sys_lstat},
	[7] = {"poll", sys_poll},
	[8] = {"lseek", sys_lseek},
	[9] = {"mmap", sys_mmap},
	[10] = {"mprotect", sys_mprotect},
	[11] = {"munmap", sys_munmap},
	[12] = {"brk", sys_brk},
	[13] = {"rt_sigaction", sys_rt_sigaction},
	[14] = {"rt_sigprocmask", sys_rt_sigprocmask},
	[15] = {"rt_sigreturn", sys_rt_sigreturn},
	[16] = {"ioctl", sys_ioctl},
	[17] = {"pread64", sys_pread64},
	[18] = {"pwrite64", sys_pwrite64},
	[19] = {"readv", sys_readv},
	[20] = {"writev", sys_writev},
	[21] = {"access", sys_access},
	[22] = {"pipe", sys_pipe},
	[23] = {"select", sys_select},
	[24] = {"sched_yield", sys_sched_yield},
	[25] = {"mremap", sys_mremap},
	[26] = {"msync", sys_msync},
	[27] = {"mincore", sys_mincore},
	[28] = {"madvise", sys_madvise},
	[29] = {"shmget", sys_shmget},
	[30] = {"shmat", sys_shmat},
	[31] = {"shmctl", sys_shmctl},
	[32] = {"dup", sys_dup},
	[33] = {"dup2", sys_dup2},
	[34] = {"pause", sys_pause},
	[35] = {"nanosleep", sys_nanosleep},
	[36] = {"getitimer", sys_getitimer},
	[37] = {"alarm", sys_alarm},
	[38] = {"setitimer", sys_setitimer},
	[39] = {"getpid", sys_getpid},
	[40] = {"sendfile", sys_sendfile},
	[41] = {"socket", sys_socket},
	[42] = {"connect", sys_connect},
	[43] = {"accept", sys_accept},
	[44] = {"sendto", sys_sendto},
	[45] = {"recvfrom", sys_recvfrom},
	[46] = {"sendmsg", sys_sendmsg},
	[47] = {"recvmsg", sys_recvmsg},
	[48] = {"shutdown", sys_shutdown},
	[49] = {"bind", sys_bind},
	[50] = {"listen", sys_listen},
	[51] = {"getsockname", sys_getsockname},
	[52] = {"getpeername", sys_getpeername},
	[53] = {"socketpair", sys_socketpair},
	[54] = {"setsockopt", sys_setsockopt},
	[55] = {"getsockopt", sys_getsockopt},
	[56] = {"clone", sys_clone},
	[57] = {"fork", sys_fork},
	[58] = {"vfork", sys_vfork},
	[59] = {"execve", sys_execve},
	[60] = {"exit", sys_exit},
	[61] = {"wait4", sys_wait4},
	[62] = {"kill", sys_kill},
	[63] = {"uname", sys_uname},
	[67] = {"shmdt", sys_shmdt},
	[72] = {"fcntl", sys_fcntl},
	[73] = {"flock", sys_flock},
	[74] = {"fsync", sys_fsync},
	[75] = {"fdatasync", sys_fdatasync},
	[76] = {"truncate", sys_truncate},
	[77] = {"ftruncate", sys_ftruncate},
	[78] = {"getdents", sys_getdents},
	[79] = {"getcwd", sys_getcwd},
	[80] = {"chdir", sys_chdir},
	[81] = {"fchdir", sys_fchdir},
	[82] = {"rename", sys_rename},
	[83] = {"mkdir", sys_mkdir},
	[84] = {"rmdir", sys_rmdir},
	[85] = {"creat", sys_creat},
	[86] = {"link", sys_link},
	[87] = {"unlink", sys_unlink},
	[88] = {"symlink", sys_symlink},
	[89] = {"readlink", sys_readlink},
	[90] = {"chmod", sys_chmod},
	[91] = {"fchmod", sys_fchmod},
	[92] = {"chown", sys_chown},
	[93] = {"fchown", sys_fchown},
	[94] = {"lchown", sys_lchown},
	[95] = {"umask", sys_umask},
	[96] = {"gettimeofday", sys_gettimeofday},
	[97] = {"getrlimit", sys_getrlimit},
	[98] = {"getrusage", sys_getrusage},
	[99] = {"sysinfo", sys_sysinfo},
	[100] = {"times", sys_times},
	[102] = {"getuid", sys_getuid},
	[103] = {"syslog", sys_needs_capability},
	[104] = {"getgid", sys_getgid},
	[105] = {"setuid", sys_setuid},
	[106] = {"setgid", sys_setgid},
	[107] = {"geteuid", sys_geteuid},
	[108] = {"getegid", sys_getegid},
	[109] = {"setpgid", sys_setpgid},
	[110] = {"getppid", sys_getppid},
	[111] = {"getpgrp", sys_getpgrp},
	[112] = {"setsid", sys_setsid},
	[113] = {"setreuid", sys_setreuid},
	[114] = {"setregid", sys_setregid},
	[115] = {"getgroups", sys_getgroups},
	[116] = {"setgroups", sys_setgroups},
	[117] = {"setresuid", sys_setresuid},
	[118] = {"getresuid", sys_getresuid},
	[119] = {"setresgid", sys_setresgid},
	[120] = {"getresgid", sys_getresgid},
	[121] = {"getpgid", sys_getpgid},
	[122] = {"setfsuid", sys_setfsuid},
	[123] = {"setfsgid", sys_setfsgid},
	[124] = {"getsid", sys_getsid},
	[125] = {"capget", sys_capget},
	[126] = {"capset", sys_capset},
	[127] = {"rt_sigpending", sys_rt_sigpending},
	[128] = {"rt_sigtimedwait", sys_rt_sigtimedwait},
	[130] = {"rt_sigsuspend", sys_rt_sigsuspend},
	[131] = {"sigaltstack", sys_sigaltstack},
	[132] = {"utime", sys_utime},
	[133] = {"mknod", sys_mknod},
	[134] = {"uselib", sys_needs_capability},
	[135] = {"personality", sys_personality},
	[136] = {"ustat", sys_needs_capability},
	[137] = {"statfs", sys_statfs},
	[138] = {"fstatfs", sys_fstatfs},
	[139] = {"sysfs", sys_needs_capability},
	[140] = {"getpriority", sys_getpriority},
	[141] = {"setpriority", sys_setpriority},
	[142] = {"sched_setparam", sys_sched_setparam},
	[143] = {"sched_getparam", sys_sched_getparam},
	[144] = {"sched_setscheduler", sys_sched_setscheduler},
	[145] = {"sched_getscheduler", sys_sched_getscheduler},
	[146] = {"sched_get_priority_max", sys_sched_get_priority_max},
	[147] = {"sched_get_priority_min", sys_sched_get_priority_min},
	[148] = {"sched_rr_get_interval", sys_sched_rr_get_interval},
	[149] = {"mlock", sys_mlock},
	[150] = {"munlock", sys_munlock},
	[151] = {"mlockall", sys_mlockall},
	[152] = {"munlockall", sys_munlockall},
	[153] = {"vhangup", sys_needs_capability},
	[154] = {"modify_ldt", sys_needs_capability},
	[155] = {"pivot_root", sys_needs_capability},
	[156] = {"_sysctl", sys_needs_capability},
	[157] = {"prctl", sys_prctl},
	[158] = {"arch_prctl", sys_arch_prctl},
	[159] = {"adjtimex", sys_adjtimex},
	[160] = {"setrlimit", sys_setrlimit},
	[162] = {"sync", sys_sync},
	[163] = {"acct", sys_needs_capability},
	[164] = {"settimeofday", sys_needs_capability},
	[165] = {"mount", sys_needs_capability},
	[166] = {"umount2", sys_needs_capability},
	[167] = {"swapon", sys_needs_capability},
	[168] = {"swapoff", sys_needs_capability},
	[169] = {"reboot", sys_needs_capability},
	[170] = {"sethostname", sys_needs_capability},
	[171] = {"setdomainname", sys_needs_capability},
	[172] = {"iopl", sys_needs_capability},
	[173] = {"ioperm", sys_needs_capability},
	[174] = {"create_module", sys_needs_capability},
	[175] = {"init_module", sys_needs_capability},
	[176] = {"delete_module", sys_needs_capability},
	[177] = {"get_kernel_syms", sys_needs_capability},
	[178] = {"query_module", sys_needs_capability},
	[179] = {"quotactl", sys_needs_capability},
	[180] = {"nfsservctl", sys_needs_capability},
	[181] = {"getpmsg", sys_needs_capability},
	[182] = {"putpmsg", sys_needs_capability},
	[183] = {"afs_syscall", sys_needs_capability},
	[184] = {"tuxcall", sys_needs_capability},
	[185] = {"security", sys_needs_capability},
	[186] = {"gettid", sys_gettid},
	[187] = {"readahead", sys_readahead},
	[188] = {"setxattr", sys_setxattr},
	[189] = {"lsetxattr", sys_lsetxattr},
	[190] = {"fsetxattr", sys_fsetxattr},
	[191] = {"getxattr", sys_getxattr},
	[192] = {"lgetxattr", sys_lgetxattr},
	[193] = {"fgetxattr", sys_fgetxattr},
	[194] = {"listxattr", sys_listxattr},
	[195] = {"llistxattr", sys_llistxattr},
	[196] = {"flistxattr", sys_flistxattr},
	[197] = {"removexattr", sys_removexattr},
	[198] = {"lremovexattr", sys_lremovexattr},
	[199] = {"fremovexattr", sys_fremovexattr},
	[200] = {"tkill", sys_tkill},
	[201] = {"time", sys_time},
	[202] = {"futex", sys_futex},
	[203] = {"sched_setaffinity", sys_sched_setaffinity},
	[204] = {"sched_getaffinity", sys_sched_getaffinity},
	[212] = {"lookup_dcookie", sys_needs_capability},
	[213] = {"epoll_create", sys_epoll_create},
	[217] = {"getdents64", sys_getdents64},
	[218] = {"set_tid_address", sys_set_tid_address},
	[221] = {"fadvise64", sys_fadvise64},
	[222] = {"timer_create", sys_timer_create},
	[223] = {"timer_settime", sys_timer_settime},
	[224] = {"timer_gettime", sys_timer_gettime},
	[225] = {"timer_getoverrun", sys_timer_getoverrun},
	[226] = {"timer_delete", sys_timer_delete},
	[227] = {"clock_settime", sys_needs_capability},
	[228] = {"clock_gettime", sys_clock_gettime},
	[229] = {"clock_getres", sys_clock_getres},
	[230] = {"clock_nanosleep", sys_clock_nanosleep},
	[231] = {"exit_group", sys_exit_group},
	[232] = {"epoll_wait", sys_epoll_wait},
	[233] = {"epoll_ctl", sys_epoll_ctl},
	[234] = {"tgkill", sys_tgkill},
	[235] = {"utimes", sys_utimes},
	[236] = {"vserver", sys_needs_capability},
	[237] = {"mbind", sys_needs_capability},
	[238] = {"set_mempolicy", sys_needs_capability},
	[239] = {"get_mempolicy", sys_needs_capability},
	[246] = {"kexec_load", sys_needs_capability},
	[248] = {"add_key", sys_needs_capability},
	[249] = {"request_key", sys_needs_capability},
	[250] = {"keyctl", sys_needs_capability},
	[256] = {"migrate_pages", sys_needs_capability},
	[257] = {"openat", sys_openat},
	[258] = {"mkdirat", sys_mkdirat},
	[259] = {"mknodat", sys_mknodat},
	[260] = {"fchownat", sys_fchownat},
	[261] = {"futimesat", sys_futimesat},
	[262] = {"newfstatat", sys_newfstatat},
	[263] = {"unlinkat", sys_unlinkat},
	[264] = {"renameat", sys_renameat},
	[265] = {"linkat", sys_linkat},
	[266] = {"symlinkat", sys_symlinkat},
	[267] = {"readlinkat", sys_readlinkat},
	[268] = {"fchmodat", sys_fchmodat},
	[269] = {"faccessat", sys_faccessat},
	[270] = {"pselect6", sys_pselect6},
	[271] = {"ppoll", sys_ppoll},
	[272] = {"unshare", sys_needs_capability},
	[273] = {"set_robust_list", sys_set_robust_list},
	[274] = {"get_robust_list", sys_get_robust_list},
	[277] = {"sync_file_range", sys_sync_file_range},
	[279] = {"move_pages", sys_needs_capability},
	[280] = {"utimensat", sys_utimensat},
	[281] = {"epoll_pwait", sys_epoll_pwait},
	[282] = {"signalfd", sys_signalfd},
	[283] = {"timerfd_create", sys_timerfd_create},
	[284] = {"eventfd", sys_eventfd},
	[285] = {"fallocate", sys_fallocate},
	[286] = {"timerfd_settime", sys_timerfd_settime},
	[287] = {"timerfd_gettime", sys_timerfd_gettime},
	[288] = {"accept4", sys_accept4},
	[289] = {"signalfd4", sys_signalfd4},
	[290] = {"eventfd2", sys_eventfd2},
	[291] = {"epoll_create1", sys_epoll_create1},
	[292] = {"dup3", sys_dup3},
	[293] = {"pipe2", sys_pipe2},
	[295] = {"preadv", sys_preadv},
	[296] = {"pwritev", sys_pwritev},
	[298] = {"perf_event_open", sys_needs_capability},
	[300] = {"fanotify_init", sys_needs_capability},
	[299] = {"recvmmsg", sys_recvmmsg},
	[302] = {"prlimit64", sys_prlimit64},
	[303] = {"name_to_handle_at", sys_needs_capability},
	[304] = {"open_by_handle_at", sys_needs_capability},
	[305] = {"clock_adjtime", sys_clock_adjtime},
	[306] = {"syncfs", sys_syncfs},
	[308] = {"setns", sys_needs_capability},
	[307] = {"sendmmsg", sys_sendmmsg},
	[309] = {"getcpu", sys_getcpu},
	[310] = {"process_vm_readv", sys_needs_capability},
	[311] = {"process_vm_writev", sys_needs_capability},
	[312] = {"kcmp", sys_needs_capability},
	[313] = {"finit_module", sys_needs_capability},
	[314] = {"sched_setattr", sys_sched_setattr},
	[315] = {"sched_getattr", sys_sched_getattr},
	[316] = {"renameat2", sys_renameat2},
	[318] = {"getrandom", sys_getrandom},
	[319] = {"memfd_create", sys_memfd_create},
	[320] = {"kexec_file_load", sys_needs_capability},
	[321] = {"bpf", sys_needs_capability},
	[323] = {"userfaultfd", sys_needs_capability},
	[325] = {"mlock2", sys_mlock2},
	[326] = {"copy_file_range", sys_copy_file_range},
	[327] = {"preadv2", sys_preadv2},
	[328] = {"pwritev2", sys_pwritev2},
	[329] = {"pkey_mprotect", sys_needs_capability},
	[330] = {"pkey_alloc", sys_needs_capability},
	[331] = {"pkey_free", sys_needs_capability},
	[332] = {"statx", sys_statx},
	[334] = {"rseq", NULL},
	[428] = {"open_tree", sys_needs_capability},
	[429] = {"move_mount", sys_needs_capability},
	[430] = {"fsopen", sys_needs_capability},
	[431] = {"fsconfig", sys_needs_capability},
	[432] = {"fsmount", sys_needs_capability},
	[433] = {"fspick", sys_needs_capability},
	[435] = {"clone3", sys_clone3},
	[436] = {"close_range", sys_close_range},
	[438] = {"pidfd_getfd", sys_needs_capability},
	[439] = {"faccessat2", sys_faccessat2},
	[440] = {"process_madvise", sys_needs_capability},
	[441] = {"epoll_pwait2", sys_epoll_pwait2},
	[442] = {"mount_setattr", sys_needs_capability},
	[443] = {"quotactl_fd", sys_needs_capability},
	[452] = {"fchmodat2", sys_fchmodat2},
};

/* Linux's name for nr: the table's, else names.c's. */
static const char *name_of(u64 nr)
{
	const char *name = g_table[nr].name ? g_table[nr].name : syscall_linux_name(nr);
	return name ? name : "unknown";
}

/* Calls per number; index SYSCALL_COUNT counts numbers beyond the table.
 * With --trace also the TSC cycles spent in each number's handler, in
 * total and at most (wall time: a call that sleeps counts its sleep). */
static u32 g_counts[SYSCALL_COUNT + 1];
static u64 g_cycles_total[SYSCALL_COUNT];
static u64 g_cycles_max[SYSCALL_COUNT];
static bool g_trace;

void syscall_set_trace(bool on)
{
	g_trace = on;
}

long syscall_dispatch(struct trapframe *tf)
{
	u64 nr = tf->rax;
	struct syscall_args args = {
		.a = {tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9},
		.tf = tf,
	};
	long ret;
	current_task()->syscall_nr = nr; /* a restart after a signal needs it */
	if (nr < SYSCALL_COUNT) {
		/* The check above may be mispredicted: the index may not. */
		nr = index_nospec(nr, SYSCALL_COUNT);
		if (g_counts[nr] < 0xffffffffu)
			g_counts[nr]++;
		if (g_table[nr].fn && g_trace) {
			u64 start = cpu_rdtsc();
			ret = g_table[nr].fn(&args);
			u64 spent = cpu_rdtsc() - start;
			g_cycles_total[nr] += spent;
			if (spent > g_cycles_max[nr])
				g_cycles_max[nr] = spent;
		} else if (g_table[nr].fn) {
			ret = g_table[nr].fn(&args);
		} else {
			if (g_counts[nr] == 1)
				kprintf("syscall: %llu (%s) not implemented\n", (unsigned long long)nr,
				        name_of(nr));
			ret = -ENOSYS;
		}
	} else {
		g_counts[SYSCALL_COUNT]++;
		ret = -ENOSYS;
	}
	struct task *task = current_task();
	if (task->held_count)
		fd_drop_held(task, false);
	tf->rax = (u64)ret;
	return (long)tf->rax;
}

/* The kernel clock's own conversion (platform_time_params). */
static u64 cycles_to_ns(u64 cycles)
{
	u64 tsc_base, ns_mult, wall_base;
	platform_time_params(&tsc_base, &ns_mult, &wall_base);
	return (u64)(((unsigned __int128)cycles * ns_mult) >> 32);
}

void syscall_print_trace(void)
{
	if (!g_trace)
		return;
	for (u32 nr = 0; nr < SYSCALL_COUNT; nr++) {
		if (g_counts[nr] == 0)
			continue;
		/* docs/boot-config.md, TRACE: nr name count total_ns max_ns [missing] */
		control_send_text(CONTROL_TRACE, "%u %s %u %llu %llu%s", nr, name_of(nr), g_counts[nr],
		                  (unsigned long long)cycles_to_ns(g_cycles_total[nr]),
		                  (unsigned long long)cycles_to_ns(g_cycles_max[nr]),
		                  g_table[nr].fn ? "" : " missing");
	}
	if (g_counts[SYSCALL_COUNT])
		control_send_text(CONTROL_TRACE, "%u out-of-range %u 0 0 missing", SYSCALL_COUNT,
		                  g_counts[SYSCALL_COUNT]);
}
