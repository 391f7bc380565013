/*
 * handlers.h: every syscall handler, grouped by the file (family) that
 * implements it. table.c maps numbers to these. Each takes the raw
 * arguments and returns a result or -errno.
 */
#ifndef CVMIFY_SYSCALLS_HANDLERS_H
#define CVMIFY_SYSCALLS_HANDLERS_H

#include "syscalls/syscall.h"

#define HANDLER(name) long name(const struct syscall_args *args)

/* futex.c */
HANDLER(sys_futex);

/* epoll.c: epoll, eventfd, timerfd */
HANDLER(sys_epoll_create);
HANDLER(sys_epoll_create1);
HANDLER(sys_epoll_ctl);
HANDLER(sys_epoll_wait);
HANDLER(sys_epoll_pwait);
HANDLER(sys_epoll_pwait2);
HANDLER(sys_eventfd);
HANDLER(sys_eventfd2);
HANDLER(sys_timerfd_create);
HANDLER(sys_timerfd_settime);
HANDLER(sys_timerfd_gettime);

/* file_io.c: I/O on open descriptors */
HANDLER(sys_read);
HANDLER(sys_write);
HANDLER(sys_pread64);
HANDLER(sys_pwrite64);
HANDLER(sys_readv);
HANDLER(sys_writev);
HANDLER(sys_preadv);
HANDLER(sys_pwritev);
HANDLER(sys_lseek);
HANDLER(sys_close);
HANDLER(sys_dup);
HANDLER(sys_dup2);
HANDLER(sys_dup3);
HANDLER(sys_fcntl);
HANDLER(sys_ioctl);
HANDLER(sys_fsync);
HANDLER(sys_fdatasync);

/* file_sync.c: sync, syncfs */
HANDLER(sys_sync);
HANDLER(sys_syncfs);
HANDLER(sys_sync_file_range);
HANDLER(sys_ftruncate);
HANDLER(sys_getdents64);
HANDLER(sys_fallocate);

/* file_lock.c: flock (the fcntl lock commands go through sys_fcntl) */
HANDLER(sys_flock);

/* file_poll.c: poll/ppoll/select */
HANDLER(sys_poll);
HANDLER(sys_ppoll);
HANDLER(sys_select);
HANDLER(sys_pselect6);

/* file_path.c: opening and the namespace */
HANDLER(sys_open);
HANDLER(sys_openat);
HANDLER(sys_creat);
HANDLER(sys_readlink);
HANDLER(sys_readlinkat);
HANDLER(sys_access);
HANDLER(sys_faccessat);
HANDLER(sys_faccessat2);
HANDLER(sys_getcwd);
HANDLER(sys_chdir);
HANDLER(sys_fchdir);
HANDLER(sys_mkdir);
HANDLER(sys_mkdirat);
HANDLER(sys_unlink);
HANDLER(sys_unlinkat);
HANDLER(sys_rmdir);
HANDLER(sys_rename);
HANDLER(sys_renameat);
HANDLER(sys_renameat2);
HANDLER(sys_symlink);
HANDLER(sys_symlinkat);
HANDLER(sys_link);
HANDLER(sys_linkat);
HANDLER(sys_truncate);
HANDLER(sys_umask);
HANDLER(sys_chmod);
HANDLER(sys_fchmod);
HANDLER(sys_fchmodat);

/* file_stat.c: stat family */
HANDLER(sys_stat);
HANDLER(sys_lstat);
HANDLER(sys_fstat);
HANDLER(sys_newfstatat);
HANDLER(sys_statx);
HANDLER(sys_statfs);
HANDLER(sys_fstatfs);

/* memory.c */
HANDLER(sys_brk);
HANDLER(sys_mmap);
HANDLER(sys_munmap);
HANDLER(sys_mprotect);
HANDLER(sys_mremap);
HANDLER(sys_madvise);
HANDLER(sys_msync);
HANDLER(sys_mlock);

/* memfd.c */
HANDLER(sys_memfd_create);

/* shm.c */
HANDLER(sys_shmget);
HANDLER(sys_shmat);
HANDLER(sys_shmctl);
HANDLER(sys_shmdt);

/* process.c */
HANDLER(sys_exit);
HANDLER(sys_exit_group);
HANDLER(sys_getpid);
HANDLER(sys_getppid);
HANDLER(sys_gettid);
HANDLER(sys_getuid);
HANDLER(sys_geteuid);
HANDLER(sys_getgid);
HANDLER(sys_getegid);
HANDLER(sys_getresuid);
HANDLER(sys_getresgid);
HANDLER(sys_uname);
HANDLER(sys_arch_prctl);
HANDLER(sys_set_tid_address);
HANDLER(sys_set_robust_list);
HANDLER(sys_get_robust_list);
HANDLER(sys_prlimit64);
HANDLER(sys_getrlimit);
HANDLER(sys_setrlimit);

/* prctl.c */
HANDLER(sys_prctl);

/* exec.c */
HANDLER(sys_execve);

/* fork.c */
HANDLER(sys_fork);
HANDLER(sys_vfork);
HANDLER(sys_clone);
HANDLER(sys_clone3);
HANDLER(sys_wait4);

/* file_pipe.c */
HANDLER(sys_pipe);
HANDLER(sys_pipe2);

/* time.c */
HANDLER(sys_clock_gettime);
HANDLER(sys_clock_getres);
HANDLER(sys_gettimeofday);
HANDLER(sys_time);
HANDLER(sys_nanosleep);
HANDLER(sys_clock_nanosleep);
HANDLER(sys_alarm);
HANDLER(sys_getitimer);
HANDLER(sys_setitimer);
HANDLER(sys_timer_create);
HANDLER(sys_timer_settime);
HANDLER(sys_timer_gettime);
HANDLER(sys_timer_getoverrun);
HANDLER(sys_timer_delete);

/* signal.c */
HANDLER(sys_rt_sigaction);
HANDLER(sys_rt_sigprocmask);
HANDLER(sys_rt_sigreturn);
HANDLER(sys_rt_sigpending);
HANDLER(sys_sigaltstack);
HANDLER(sys_kill);
HANDLER(sys_tgkill);
HANDLER(sys_tkill);
HANDLER(sys_rt_sigsuspend);
HANDLER(sys_pause);
HANDLER(sys_rt_sigtimedwait);
HANDLER(sys_signalfd);
HANDLER(sys_signalfd4);

/* system.c: randomness, scheduling, resources */
HANDLER(sys_getrandom);
HANDLER(sys_sysinfo);
HANDLER(sys_sched_yield);
HANDLER(sys_sched_getaffinity);
HANDLER(sys_sched_setaffinity);
HANDLER(sys_getrusage);
HANDLER(sys_times);
HANDLER(sys_getcpu);

/* file_io.c (more): vector I/O with flags, close_range, old getdents */
HANDLER(sys_preadv2);
HANDLER(sys_pwritev2);
HANDLER(sys_close_range);
HANDLER(sys_getdents);

/* file_path.c (more): mknod of regular files */
HANDLER(sys_mknod);
HANDLER(sys_mknodat);

/* file_attr.c: times, owners, fchmodat2 */
HANDLER(sys_utimensat);
HANDLER(sys_futimesat);
HANDLER(sys_utimes);
HANDLER(sys_utime);
HANDLER(sys_chown);
HANDLER(sys_fchown);
HANDLER(sys_lchown);
HANDLER(sys_fchownat);
HANDLER(sys_fchmodat2);

/* file_hints.c: access hints */
HANDLER(sys_fadvise64);
HANDLER(sys_readahead);

/* file_copy.c */
HANDLER(sys_copy_file_range);

/* memory.c (more) */
HANDLER(sys_mincore);
HANDLER(sys_mlockall);
HANDLER(sys_munlockall);
HANDLER(sys_mlock2);
HANDLER(sys_munlock);

/* session.c: process groups and sessions */
HANDLER(sys_setpgid);
HANDLER(sys_getpgid);
HANDLER(sys_getpgrp);
HANDLER(sys_setsid);
HANDLER(sys_getsid);

/* sched_attr.c: nice, scheduling policies, personality */
HANDLER(sys_getpriority);
HANDLER(sys_setpriority);
HANDLER(sys_sched_setparam);
HANDLER(sys_sched_getparam);
HANDLER(sys_sched_setscheduler);
HANDLER(sys_sched_getscheduler);
HANDLER(sys_sched_get_priority_max);
HANDLER(sys_sched_get_priority_min);
HANDLER(sys_sched_rr_get_interval);
HANDLER(sys_personality);
HANDLER(sys_sched_setattr);
HANDLER(sys_sched_getattr);

/* identity.c: set*id, groups, capabilities */
HANDLER(sys_setuid);
HANDLER(sys_setgid);
HANDLER(sys_setreuid);
HANDLER(sys_setregid);
HANDLER(sys_setresuid);
HANDLER(sys_setresgid);
HANDLER(sys_setfsuid);
HANDLER(sys_setfsgid);
HANDLER(sys_getgroups);
HANDLER(sys_setgroups);
HANDLER(sys_capget);
HANDLER(sys_capset);

/* privileged.c: what a container may not do (EPERM) */
HANDLER(sys_needs_capability);

/* timex.c: the NTP clock state (read only) */
HANDLER(sys_adjtimex);
HANDLER(sys_clock_adjtime);

/* xattr.c: extended attributes (no filesystem keeps any) */
HANDLER(sys_setxattr);
HANDLER(sys_lsetxattr);
HANDLER(sys_fsetxattr);
HANDLER(sys_getxattr);
HANDLER(sys_lgetxattr);
HANDLER(sys_fgetxattr);
HANDLER(sys_listxattr);
HANDLER(sys_llistxattr);
HANDLER(sys_flistxattr);
HANDLER(sys_removexattr);
HANDLER(sys_lremovexattr);
HANDLER(sys_fremovexattr);
/* socket.c, socket_msg.c, socket_opt.c: sockets (net/) */
HANDLER(sys_socket);
HANDLER(sys_socketpair);
HANDLER(sys_bind);
HANDLER(sys_listen);
HANDLER(sys_accept);
HANDLER(sys_accept4);
HANDLER(sys_connect);
HANDLER(sys_shutdown);
HANDLER(sys_getsockname);
HANDLER(sys_getpeername);
HANDLER(sys_sendto);
HANDLER(sys_recvfrom);
HANDLER(sys_sendmsg);
HANDLER(sys_recvmsg);
HANDLER(sys_sendmmsg);
HANDLER(sys_recvmmsg);
HANDLER(sys_setsockopt);
HANDLER(sys_getsockopt);

/* sendfile.c */
HANDLER(sys_sendfile);

#undef HANDLER
#endif
