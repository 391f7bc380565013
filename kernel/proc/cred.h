/*
 * cred.h: credentials and capabilities of a task, with Linux's rules.
 *
 * A task has real, effective, saved and fs user and group ids,
 * supplementary groups, and the five capability sets. At boot the
 * measured config names the uid/gid; the capabilities are the ones a
 * docker container gets (CAP_DOCKER_DEFAULT): all of them permitted
 * and effective for root, none for any other uid, the same bounding set
 * for both. After that only the set*id calls (syscalls/identity.c),
 * capset, prctl and exec (set-user-ID files) change them, each with the
 * rules of capabilities(7) and credentials(7).
 *
 * Every privilege check in the kernel asks capable(), never "uid == 0".
 */
#ifndef CVMIFY_PROC_CRED_H
#define CVMIFY_PROC_CRED_H

#include "lib/types.h"

struct task;

/* Does the current task have cap in its effective set? */
bool capable(int cap);
bool task_capable(const struct task *task, int cap);

/* The first task: all ids = uid / gid, docker's capabilities. */
void cred_init_first(struct task *task, u32 uid, u32 gid);
/* fork: the child gets the parent's credentials. */
void cred_copy(struct task *child, const struct task *parent);

/* Set the user ids (u32)-1 = unchanged is resolved by the caller; the
 * fs uid follows the effective uid. Applies Linux's capability fixups
 * (all ids leaving 0 clears the permitted set unless SECBIT_KEEP_CAPS,
 * the effective uid leaving 0 clears the effective set, returning to 0
 * restores it from the permitted set). */
void cred_set_uids(struct task *task, u32 ruid, u32 euid, u32 suid);
/* setfsuid: the fs-related effective capabilities follow fsuid 0. */
void cred_set_fsuid(struct task *task, u32 fsuid);

/* RLIMIT_NPROC at fork: the caller's real user already runs as many
 * processes as its limit allows (root, CAP_SYS_RESOURCE and CAP_SYS_ADMIN
 * are exempt, as on Linux): fork answers EAGAIN. */
bool cred_nproc_exceeded(const struct task *task);

/* What exec makes of the credentials (prepare computes, commit applies):
 * set-user-ID / set-group-ID files (unless no_new_privs), then the
 * capability sets as Linux computes them for a file without file
 * capabilities ("root gets all of the bounding set"). secure: AT_SECURE. */
struct exec_cred {
	u32 euid, suid, egid, sgid;
	u64 permitted, effective, ambient;
	bool secure;
};
void cred_for_exec(const struct task *task, u32 file_mode, u32 file_uid, u32 file_gid,
                   struct exec_cred *out);
void cred_commit_exec(struct task *task, const struct exec_cred *c);

#endif
