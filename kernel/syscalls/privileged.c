/*
 * privileged.c: calls that need a capability a container does not get
 * by default (docker grants CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL,
 * SETGID, SETUID, SETPCAP, NET_BIND_SERVICE, NET_RAW, SYS_CHROOT, MKNOD,
 * AUDIT_WRITE, SETFCAP and nothing else). They answer EPERM, as they do
 * under `docker run`: mounting, swapping, rebooting, setting the host
 * name or the clock, loading modules, raw I/O ports, kernel logs,
 * namespaces, accounting and quotas, kexec, perf and bpf, the new mount
 * API; and modify_ldt, which docker's seccomp profile refuses.
 *
 * unshare too: docker's default seccomp profile lets it through only
 * with CAP_SYS_ADMIN, so every unshare is EPERM in a container, even
 * unshare(0).
 *
 * And the calls docker's default seccomp profile (Debian 12's docker.io
 * 20.10) refuses with EPERM whatever the arguments: kernel keyrings
 * (add_key, request_key, keyctl), NUMA policy (mbind, set/get_mempolicy,
 * migrate_pages, move_pages), other processes' memory (process_vm_*,
 * process_madvise, pidfd_getfd, kcmp), userfaultfd, name_to_handle_at,
 * memory protection keys, quotactl_fd, and the obsolete or never
 * implemented numbers (uselib, ustat, sysfs, _sysctl, the module
 * queries, nfsservctl, getpmsg/putpmsg, afs_syscall, tuxcall,
 * security, vserver). docs/syscalls.md lists them.
 */
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/errno.h"

long sys_needs_capability(const struct syscall_args *args)
{
	(void)args;
	return -EPERM;
}
