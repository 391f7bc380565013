/*
 * identity.c: changing who the process is: setuid, setgid, setreuid,
 * setregid, setresuid, setresgid, setfsuid, setfsgid, setgroups,
 * getgroups, capget, capset. The rules are Linux's (credentials(7),
 * capabilities(7)): without CAP_SETUID / CAP_SETGID a process may only
 * move between the ids it already has; with them, anything. The
 * capability fixups that follow an id change are proc/cred.c's.
 *
 * Trust: ids, sizes and user pointers are raw user values.
 */
#include "mm/uaccess.h"
#include "proc/cred.h"
#include "proc/task.h"
#include "syscalls/common.h"
#include "syscalls/handlers.h"
#include "syscalls/linux_abi/capability.h"
#include "syscalls/linux_abi/errno.h"

#define NO_ID ((u32)-1)
#define NGROUPS_MAX 65536

/* Is id one of the three the caller already has? */
static bool one_of(u32 id, const u32 ids[3])
{
	return id == ids[0] || id == ids[1] || id == ids[2];
}

/* User ids and group ids follow the same rules; this says which. */
struct id_kind {
	int cap;                                            /* CAP_SETUID / CAP_SETGID */
	void (*get)(const struct task *t, u32 ids[3]);      /* real, effective, saved */
	void (*set)(struct task *t, u32 r, u32 e, u32 s);   /* the fs id follows e */
};

static void get_uids(const struct task *t, u32 ids[3])
{
	ids[0] = t->uid;
	ids[1] = t->euid;
	ids[2] = t->suid;
}

static void get_gids(const struct task *t, u32 ids[3])
{
	ids[0] = t->gid;
	ids[1] = t->egid;
	ids[2] = t->sgid;
}

/* Group ids carry no capability fixups. */
static void set_gids(struct task *t, u32 r, u32 e, u32 s)
{
	t->gid = r;
	t->egid = e;
	t->sgid = s;
	t->fsgid = e;
}

static const struct id_kind UIDS = {CAP_SETUID, get_uids, cred_set_uids};
static const struct id_kind GIDS = {CAP_SETGID, get_gids, set_gids};

/* setuid/setgid: privileged, all three; else only the effective id, to
 * the real or saved one. */
static long set_id(const struct id_kind *k, u32 id)
{
	struct task *t = current_task();
	u32 ids[3];
	k->get(t, ids);
	if (id == NO_ID)
		return -EINVAL;
	if (capable(k->cap))
		k->set(t, id, id, id);
	else if (id == ids[0] || id == ids[2])
		k->set(t, ids[0], id, ids[2]);
	else
		return -EPERM;
	return 0;
}

/* setreuid/setregid: the real id may become the real or effective one,
 * the effective id any of the three; the saved id follows a new
 * effective id unless only the effective id changed, back to the real. */
static long set_re_id(const struct id_kind *k, u32 r, u32 e)
{
	struct task *t = current_task();
	u32 ids[3];
	k->get(t, ids);
	bool priv = capable(k->cap);
	if (r != NO_ID && !priv && r != ids[0] && r != ids[1])
		return -EPERM;
	if (e != NO_ID && !priv && !one_of(e, ids))
		return -EPERM;
	u32 nr = r != NO_ID ? r : ids[0];
	u32 ne = e != NO_ID ? e : ids[1];
	u32 ns = (r != NO_ID || (e != NO_ID && e != ids[0])) ? ne : ids[2];
	k->set(t, nr, ne, ns);
	return 0;
}

/* setresuid/setresgid: without the capability, each new id must be one
 * of the three current ones. */
static long set_res_id(const struct id_kind *k, u32 r, u32 e, u32 s)
{
	struct task *t = current_task();
	u32 ids[3];
	k->get(t, ids);
	if (!capable(k->cap) && ((r != NO_ID && !one_of(r, ids)) ||
	                         (e != NO_ID && !one_of(e, ids)) ||
	                         (s != NO_ID && !one_of(s, ids))))
		return -EPERM;
	k->set(t, r != NO_ID ? r : ids[0], e != NO_ID ? e : ids[1], s != NO_ID ? s : ids[2]);
	return 0;
}

long sys_setuid(const struct syscall_args *args)
{
	return set_id(&UIDS, (u32)args->a[0]);
}

long sys_setgid(const struct syscall_args *args)
{
	return set_id(&GIDS, (u32)args->a[0]);
}

long sys_setreuid(const struct syscall_args *args)
{
	return set_re_id(&UIDS, (u32)args->a[0], (u32)args->a[1]);
}

long sys_setregid(const struct syscall_args *args)
{
	return set_re_id(&GIDS, (u32)args->a[0], (u32)args->a[1]);
}

long sys_setresuid(const struct syscall_args *args)
{
	return set_res_id(&UIDS, (u32)args->a[0], (u32)args->a[1], (u32)args->a[2]);
}

long sys_setresgid(const struct syscall_args *args)
{
	return set_res_id(&GIDS, (u32)args->a[0], (u32)args->a[1], (u32)args->a[2]);
}

/* setfsuid/setfsgid return the old fs id whether or not they changed it:
 * privileged, or to one of the current ids (the fs one included). */
static bool may_set_fs(const struct id_kind *k, u32 id, u32 fs_now)
{
	u32 ids[3];
	k->get(current_task(), ids);
	return id != NO_ID && (capable(k->cap) || one_of(id, ids) || id == fs_now);
}

long sys_setfsuid(const struct syscall_args *args)
{
	struct task *t = current_task();
	u32 old = t->fsuid;
	if (may_set_fs(&UIDS, (u32)args->a[0], old))
		cred_set_fsuid(t, (u32)args->a[0]);
	return old;
}

long sys_setfsgid(const struct syscall_args *args)
{
	struct task *t = current_task();
	u32 old = t->fsgid;
	if (may_set_fs(&GIDS, (u32)args->a[0], old))
		t->fsgid = (u32)args->a[0];
	return old;
}

long sys_getgroups(const struct syscall_args *args)
{
	struct task *task = current_task();
	s64 size = arg_int(args->a[0]);
	if (size < 0)
		return -EINVAL;
	if (size == 0)
		return task->group_count;
	if ((u64)size < task->group_count)
		return -EINVAL;
	if (copyout(args->a[1], task->groups, task->group_count * sizeof(u32)) != 0)
		return -EFAULT;
	return task->group_count;
}

/* Linux keeps the list sorted (getgroups and /proc/<pid>/status show it
 * so); duplicates stay. At most TASK_GROUPS_MAX: insertion sort. */
static void sort_groups(u32 *groups, u32 count)
{
	for (u32 i = 1; i < count; i++) {
		u32 gid = groups[i];
		u32 j = i;
		for (; j > 0 && groups[j - 1] > gid; j--)
			groups[j] = groups[j - 1];
		groups[j] = gid;
	}
}

/* setgroups: CAP_SETGID; at most TASK_GROUPS_MAX groups are kept (Linux
 * allows 65536: more than TASK_GROUPS_MAX is EINVAL here, listed in
 * docs/syscalls.md). */
long sys_setgroups(const struct syscall_args *args)
{
	struct task *task = current_task();
	s64 size = arg_int(args->a[0]);
	if (size < 0 || size > NGROUPS_MAX)
		return -EINVAL;
	if (!capable(CAP_SETGID))
		return -EPERM;
	if (size > TASK_GROUPS_MAX)
		return -EINVAL;
	u32 groups[TASK_GROUPS_MAX];
	if (size > 0 && copyin(groups, args->a[1], (size_t)size * sizeof(u32)) != 0)
		return -EFAULT;
	sort_groups(groups, (u32)size);
	for (s64 i = 0; i < size; i++)
		task->groups[i] = groups[i];
	task->group_count = (u32)size;
	return 0;
}

/* ---- capget, capset ---- */

/* Check the header's version; on an unknown one Linux writes its own
 * version back and answers EINVAL (0 when it was only asking). Returns
 * the number of data words (1 or 2), or -errno. */
static long cap_header(u64 uhdr, u64 udata, int *pid)
{
	struct linux_cap_header hdr;
	if (copyin(&hdr, uhdr, sizeof(hdr)) != 0)
		return -EFAULT;
	*pid = hdr.pid;
	if (hdr.version == LINUX_CAPABILITY_VERSION_1)
		return 1;
	if (hdr.version == LINUX_CAPABILITY_VERSION_2 || hdr.version == LINUX_CAPABILITY_VERSION_3)
		return 2;
	hdr.version = LINUX_CAPABILITY_VERSION_3;
	if (copyout(uhdr, &hdr, sizeof(hdr)) != 0)
		return -EFAULT;
	return udata ? -EINVAL : 0;
}

long sys_capget(const struct syscall_args *args)
{
	int pid;
	long words = cap_header(args->a[0], args->a[1], &pid);
	if (words <= 0)
		return words;
	if (pid < 0)
		return -EINVAL;
	struct task *t = pid == 0 ? current_task() : task_find(pid);
	if (!t || t->exited)
		return -ESRCH;
	if (!args->a[1])
		return 0;
	struct linux_cap_data data[2];
	for (int i = 0; i < 2; i++) {
		data[i].effective = (u32)(t->cap_effective >> (32 * i));
		data[i].permitted = (u32)(t->cap_permitted >> (32 * i));
		data[i].inheritable = (u32)(t->cap_inheritable >> (32 * i));
	}
	return copyout(args->a[1], data, (size_t)words * sizeof(data[0])) == 0 ? 0 : -EFAULT;
}

static u64 join(u32 lo, u32 hi)
{
	return (u64)lo | ((u64)hi << 32);
}

/* capset: only the caller's own sets; the new inheritable set stays
 * within inheritable | permitted (| bounding with CAP_SETPCAP), the
 * permitted set may only shrink, effective within permitted. */
long sys_capset(const struct syscall_args *args)
{
	struct task *t = current_task();
	int pid;
	long words = cap_header(args->a[0], args->a[1], &pid);
	if (words <= 0)
		return words;
	if (pid != 0 && pid != t->pid)
		return -EPERM;
	struct linux_cap_data data[2] = {{0, 0, 0}, {0, 0, 0}};
	if (copyin(data, args->a[1], (size_t)words * sizeof(data[0])) != 0)
		return -EFAULT;
	u64 e = join(data[0].effective, data[1].effective) & CAP_ALL;
	u64 p = join(data[0].permitted, data[1].permitted) & CAP_ALL;
	u64 i = join(data[0].inheritable, data[1].inheritable) & CAP_ALL;
	u64 i_limit = t->cap_inheritable |
	              (capable(CAP_SETPCAP) ? t->cap_bounding : t->cap_permitted);
	if ((i & ~i_limit) || (p & ~t->cap_permitted) || (e & ~p))
		return -EPERM;
	if ((i & ~(t->cap_inheritable | t->cap_bounding)))
		return -EPERM;
	t->cap_effective = e;
	t->cap_permitted = p;
	t->cap_inheritable = i;
	t->cap_ambient &= p & i; /* ambient stays within permitted and inheritable */
	return 0;
}
