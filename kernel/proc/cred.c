/*
 * cred.c: credentials and capabilities (see cred.h).
 */
#include "proc/cred.h"

#include "proc/task.h"
#include "syscalls/linux_abi/capability.h"
#include "syscalls/linux_abi/signal.h"

#define S_ISUID 04000
#define S_ISGID 02000
#define S_IXGRP 00010

bool task_capable(const struct task *task, int cap)
{
	return cap >= 0 && cap <= CAP_LAST_CAP && (task->cap_effective & CAP_BIT(cap));
}

bool capable(int cap)
{
	return task_capable(current_task(), cap);
}

void cred_init_first(struct task *task, u32 uid, u32 gid)
{
	task->uid = task->euid = task->suid = task->fsuid = uid;
	task->gid = task->egid = task->sgid = task->fsgid = gid;
	task->cap_bounding = CAP_DOCKER_DEFAULT;
	task->cap_permitted = uid == 0 ? CAP_DOCKER_DEFAULT : 0;
	task->cap_effective = task->cap_permitted;
	task->cap_inheritable = 0;
	task->cap_ambient = 0;
	task->securebits = 0;
}

void cred_copy(struct task *child, const struct task *parent)
{
	child->uid = parent->uid;
	child->euid = parent->euid;
	child->suid = parent->suid;
	child->fsuid = parent->fsuid;
	child->gid = parent->gid;
	child->egid = parent->egid;
	child->sgid = parent->sgid;
	child->fsgid = parent->fsgid;
	for (u32 i = 0; i < parent->group_count; i++)
		child->groups[i] = parent->groups[i];
	child->group_count = parent->group_count;
	child->cap_permitted = parent->cap_permitted;
	child->cap_effective = parent->cap_effective;
	child->cap_inheritable = parent->cap_inheritable;
	child->cap_bounding = parent->cap_bounding;
	child->cap_ambient = parent->cap_ambient;
	child->securebits = parent->securebits;
}

/* Linux's cap_emulate_setxuid, for the ids before the change. */
static void fix_caps_for_uids(struct task *t, u32 old_r, u32 old_e, u32 old_s)
{
	if (t->securebits & SECBIT_NO_SETUID_FIXUP)
		return;
	bool was_root = old_r == 0 || old_e == 0 || old_s == 0;
	bool now_root = t->uid == 0 || t->euid == 0 || t->suid == 0;
	if (was_root && !now_root) {
		if (!(t->securebits & SECBIT_KEEP_CAPS)) {
			t->cap_permitted = 0;
			t->cap_effective = 0;
		}
		t->cap_ambient = 0;
	}
	if (old_e == 0 && t->euid != 0)
		t->cap_effective = 0;
	if (old_e != 0 && t->euid == 0)
		t->cap_effective = t->cap_permitted;
}

void cred_set_uids(struct task *task, u32 ruid, u32 euid, u32 suid)
{
	u32 old_r = task->uid, old_e = task->euid, old_s = task->suid;
	task->uid = ruid;
	task->euid = euid;
	task->suid = suid;
	task->fsuid = euid;
	fix_caps_for_uids(task, old_r, old_e, old_s);
}

void cred_set_fsuid(struct task *task, u32 fsuid)
{
	u32 old = task->fsuid;
	task->fsuid = fsuid;
	if (task->securebits & SECBIT_NO_SETUID_FIXUP)
		return;
	if (old == 0 && fsuid != 0)
		task->cap_effective &= ~CAP_FS_MASK;
	if (old != 0 && fsuid == 0)
		task->cap_effective |= task->cap_permitted & CAP_FS_MASK;
}

void cred_for_exec(const struct task *task, u32 file_mode, u32 file_uid, u32 file_gid,
                   struct exec_cred *out)
{
	out->euid = task->euid;
	out->egid = task->egid;
	bool setid = false;
	if (!task->no_new_privs && (file_mode & S_ISUID) && file_uid != task->euid) {
		out->euid = file_uid;
		setid = true;
	}
	if (!task->no_new_privs && (file_mode & S_ISGID) && (file_mode & S_IXGRP) &&
	    file_gid != task->egid) {
		out->egid = file_gid;
		setid = true;
	}
	out->suid = out->euid;
	out->sgid = out->egid;

	/* No file capabilities: the ambient set carries over (dropped by a
	 * set-id exec). Root (real or new effective uid 0, without
	 * SECBIT_NOROOT) is treated as if the file had every capability:
	 * permitted = inheritable | bounding, effective too if euid is 0. */
	out->ambient = setid ? 0 : task->cap_ambient;
	bool root = !(task->securebits & SECBIT_NOROOT) && (task->uid == 0 || out->euid == 0);
	if (root) {
		out->permitted = task->cap_inheritable | task->cap_bounding;
		out->effective = out->euid == 0 ? out->permitted : 0;
	} else {
		out->permitted = out->ambient;
		out->effective = out->ambient;
	}
	/* AT_SECURE: the ids differ from the real ones, or a non-root
	 * process gained capabilities. */
	out->secure = out->euid != task->uid || out->egid != task->gid ||
	              (!root && (out->permitted & ~task->cap_permitted) != 0);
}

void cred_commit_exec(struct task *task, const struct exec_cred *c)
{
	task->euid = c->euid;
	task->suid = c->suid;
	task->fsuid = c->euid;
	task->egid = c->egid;
	task->sgid = c->sgid;
	task->fsgid = c->egid;
	task->cap_permitted = c->permitted;
	task->cap_effective = c->effective;
	task->cap_ambient = c->ambient;
	task->securebits &= ~(u32)SECBIT_KEEP_CAPS; /* exec clears keep-caps */
}

bool cred_nproc_exceeded(const struct task *task)
{
	u64 max = task->rlimits[RLIMIT_NPROC].rlim_cur;
	if (max == RLIM_INFINITY || task->uid == 0 || task_capable(task, CAP_SYS_RESOURCE) ||
	    task_capable(task, CAP_SYS_ADMIN))
		return false;
	u64 count = 0;
	for (struct task *t = task_first(); t; t = t->next)
		count += !t->exited && t->uid == task->uid;
	return count >= max;
}
