/*
 * overrides.c: the host's overrides (fw_cfg opt/cvmify/overrides,
 * docs/boot-config.md): docker's run flags, applied only where the
 * measured config permits them.
 *
 *   ARG        extra arguments         needs ALLOW_HOST_ARGV
 *   ENV        -e / --env-file         needs the name in ALLOW_HOST_ENV
 *   ENTRYPOINT --entrypoint            needs ALLOW_HOST_ENTRYPOINT
 *   CWD        -w / --workdir          needs ALLOW_HOST_CWD
 *   UID + GID  -u / --user             with the GROUPS records, uid, gid and
 *   + GROUPS                           groups must be an ALLOW_HOST_USER's
 *   TMPFS_MOUNT --tmpfs                needs ALLOW_HOST_TMPFS; no path twice,
 *                                      none a VOLUME target
 *   READ_ONLY_ROOT --read-only         always allowed: it only takes away
 *   VOLUME     -v, --mount             the target in an ALLOW_HOST_VOLUME
 *
 * Trust: the blob is host input, not measured; config_scan checks its
 * framing and values like config.bin's, then every record's permission is
 * checked before anything changes: one refused record refuses the whole
 * file (the kernel then does not boot).
 */
#include "config/config.h"
#include "config/records.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "syscalls/linux_abi/errno.h"

static const struct count_rule g_override_counts[CFG_TYPE_COUNT] = {
    [CFG_ARG] = { 0, 4096 },
    [CFG_ENV] = { 0, 4096 },
    [CFG_ENTRYPOINT] = { 0, 1 },
    [CFG_CWD] = { 0, 1 },
    [CFG_UID] = { 0, 1 },
    [CFG_GID] = { 0, 1 },
    [CFG_GROUPS] = { 0, CONFIG_MAX_GROUPS },
    [CFG_TMPFS_MOUNT] = { 0, CONFIG_MAX_HOST_TMPFS },
    [CFG_READ_ONLY_ROOT] = { 0, 1 },
    [CFG_VOLUME] = { 0, CONFIG_MAX_VOLUMES },
};

/* u32 uid, u32 gid, u32 n, n u32 groups, then the name (may be empty). */
const char *config_check_host_user(const struct record *r)
{
    if (r->length < 12)
        return "ALLOW_HOST_USER is not u32 uid, u32 gid, u32 n, n groups, name";
    u32 count = config_get_u32(r->value + 8);
    if (count > CONFIG_MAX_GROUPS)
        return "ALLOW_HOST_USER has too many groups";
    u32 name_at = 12 + 4 * count;
    if (r->length < name_at || r->length > name_at + CONFIG_MAX_USER_NAME)
        return "ALLOW_HOST_USER is not u32 uid, u32 gid, u32 n, n groups, name";
    for (u32 i = 0; i < 2 + count; i++) {
        u32 at = i < 2 ? 4 * i : 12 + 4 * (i - 2);
        if (config_get_u32(r->value + at) == 0xffffffffU)
            return "invalid id 0xffffffff";
    }
    for (u32 i = name_at; i < r->length; i++) {
        u8 c = r->value[i];
        if (c <= ' ' || c == ':' || c >= 0x7f)
            return "ALLOW_HOST_USER name is not printable ASCII without ':'";
    }
    return NULL;
}

static char *dup_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = kmalloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

static bool env_allowed(const struct boot_config *cfg, const struct record *r)
{
    for (size_t i = 0; i < cfg->allow_host_env_count; i++) {
        size_t n = strlen(cfg->allow_host_env[i]);
        if (n < r->length && memcmp(cfg->allow_host_env[i], r->value, n) == 0 &&
            r->value[n] == '=')
            return true;
    }
    return false;
}

/* The ALLOW_HOST_USER entry with exactly these ids and groups, or NULL:
 * the host picks an entry, it cannot compose one. */
static const struct config_host_user *user_allowed(const struct boot_config *cfg, u32 uid, u32 gid,
                                                   const u32 *groups, u32 group_count)
{
    for (size_t i = 0; i < cfg->host_user_count; i++) {
        const struct config_host_user *u = &cfg->host_users[i];
        if (u->uid == uid && u->gid == gid && u->group_count == group_count &&
            memcmp(u->groups, groups, group_count * sizeof(u32)) == 0)
            return u;
    }
    return NULL;
}

/* The reason record r may not be applied to cfg, or NULL. */
static const char *refusal(const struct boot_config *cfg, const struct record *r)
{
    switch (r->type) {
    case CFG_ARG:
        return cfg->allow_host_argv ? NULL : "extra arguments not allowed by the config";
    case CFG_ENV:
        return env_allowed(cfg, r) ? NULL : "variable not allowed by the config";
    case CFG_ENTRYPOINT:
        return cfg->allow_host_entrypoint ? NULL : "entrypoint not allowed by the config";
    case CFG_CWD:
        return cfg->allow_host_cwd ? NULL : "working directory not allowed by the config";
    case CFG_TMPFS_MOUNT:
        return cfg->allow_host_tmpfs ? NULL : "tmpfs mounts not allowed by the config";
    case CFG_UID:
    case CFG_GID:
    case CFG_GROUPS:
        return NULL; /* checked together against ALLOW_HOST_USER */
    case CFG_READ_ONLY_ROOT:
        return NULL; /* a read-only root only takes away */
    case CFG_VOLUME:
        return NULL; /* checked with the others by config_volumes_collect */
    default:
        return "record type not allowed here";
    }
}

/* What the overrides hold, copied out; owned until applied or freed. */
struct pending {
    char **argv_tail;
    size_t argc;
    char **envp;
    size_t envc;
    struct config_tmpfs *tmpfs;
    size_t tmpfs_count;
    char *entrypoint;
    char *cwd;
    bool user;
    u32 uid, gid;
    u32 groups[CONFIG_MAX_GROUPS];
    u32 group_count;
    bool read_only;
    struct config_volume *volumes;
    size_t volume_count;
};

static void pending_free(struct pending *p)
{
    config_free_vector(p->argv_tail);
    config_free_vector(p->envp);
    kfree(p->tmpfs);
    kfree(p->volumes);
    kfree(p->entrypoint);
    kfree(p->cwd);
}

/* The TMPFS_MOUNT records of a scanned blob, after the volumes: no path
 * twice, none where a volume goes (either would hide the other). */
static int collect_tmpfs(const u8 *blob, size_t size, struct pending *p)
{
    u32 record_count = config_get_u32(blob + 12);
    size_t offset = HEADER_SIZE;
    for (u32 i = 0; i < record_count; i++) {
        struct record r;
        config_next_record(blob, size, &offset, i, "overrides", &r);
        if (r.type != CFG_TMPFS_MOUNT)
            continue;
        struct config_tmpfs *t = &p->tmpfs[p->tmpfs_count];
        config_tmpfs_decode(r.value, r.length, t); /* checked by config_scan */
        for (size_t k = 0; k < p->tmpfs_count; k++) {
            if (strcmp(p->tmpfs[k].path, t->path) == 0)
                return config_fail(-EINVAL, "overrides", i, "two tmpfs mounts at one path");
        }
        for (size_t v = 0; v < p->volume_count; v++) {
            if (strcmp(p->volumes[v].path, t->path) == 0)
                return config_fail(-EINVAL, "overrides", i, "a tmpfs where a volume goes");
        }
        p->tmpfs_count++;
    }
    return 0;
}

static int collect(const struct boot_config *cfg, const u8 *blob, size_t size,
                   const u32 counts[], struct pending *p)
{
    p->argv_tail = config_new_vector(counts[CFG_ARG]);
    p->envp = config_new_vector(counts[CFG_ENV]);
    p->tmpfs = kzalloc((counts[CFG_TMPFS_MOUNT] + 1) * sizeof(*p->tmpfs));
    p->volumes = kzalloc((counts[CFG_VOLUME] + 1) * sizeof(*p->volumes));
    if (!p->argv_tail || !p->envp || !p->tmpfs || !p->volumes)
        return -ENOMEM;
    int err = config_volumes_collect(cfg, blob, size, p->volumes, &p->volume_count);
    if (!err)
        err = collect_tmpfs(blob, size, p);
    if (err)
        return err;
    u32 record_count = config_get_u32(blob + 12);
    size_t offset = HEADER_SIZE;
    for (u32 i = 0; i < record_count; i++) {
        struct record r;
        config_next_record(blob, size, &offset, i, "overrides", &r);
        if (r.type == CFG_UID) {
            p->uid = config_get_u32(r.value);
            continue;
        }
        if (r.type == CFG_GID) {
            p->gid = config_get_u32(r.value);
            continue;
        }
        if (r.type == CFG_GROUPS) {
            p->groups[p->group_count++] = config_get_u32(r.value); /* counted by config_scan */
            continue;
        }
        if (r.type == CFG_READ_ONLY_ROOT) {
            p->read_only = true;
            continue;
        }
        if (r.type == CFG_VOLUME || r.type == CFG_TMPFS_MOUNT)
            continue; /* collected above */
        char *s = config_dup_value(&r);
        if (!s)
            return -ENOMEM;
        switch (r.type) {
        case CFG_ARG: p->argv_tail[p->argc++] = s; break;
        case CFG_ENV: p->envp[p->envc++] = s; break;
        case CFG_ENTRYPOINT: p->entrypoint = s; break;
        default: p->cwd = s; break; /* CFG_CWD: the only other string */
        }
    }
    p->user = counts[CFG_UID] > 0;
    return 0;
}

/* --entrypoint: argv becomes the new entrypoint alone, then the host's
 * tail if any (docker drops the image's CMD with it). */
static int replace_entrypoint(struct boot_config *cfg, char *entrypoint)
{
    char **argv = config_new_vector(1);
    char *arg0 = dup_string(entrypoint);
    if (!argv || !arg0) {
        kfree(argv);
        kfree(arg0);
        return -ENOMEM;
    }
    argv[0] = arg0;
    config_free_vector(cfg->argv);
    cfg->argv = argv;
    cfg->argc = 1;
    kfree(cfg->entrypoint);
    cfg->entrypoint = entrypoint;
    return 0;
}

static void apply(struct boot_config *cfg, struct pending *p)
{
    config_free_vector(cfg->host_argv_tail);
    config_free_vector(cfg->host_envp);
    kfree(cfg->host_tmpfs);
    kfree(cfg->volumes);
    cfg->volumes = p->volumes;
    cfg->volume_count = p->volume_count;
    cfg->host_argv_tail = p->argv_tail;
    cfg->host_argc = p->argc;
    cfg->host_envp = p->envp;
    cfg->host_envc = p->envc;
    cfg->host_tmpfs = p->tmpfs;
    cfg->host_tmpfs_count = p->tmpfs_count;
    if (p->cwd) {
        kfree(cfg->cwd);
        cfg->cwd = p->cwd;
    }
    if (p->user) {
        /* The image's groups were for its own user; the entry's are what
         * docker gives the one asked for (checked by user_allowed). */
        cfg->uid = p->uid;
        cfg->gid = p->gid;
        for (u32 i = 0; i < p->group_count; i++)
            cfg->groups[i] = p->groups[i];
        cfg->group_count = p->group_count;
    }
    if (p->read_only)
        cfg->read_only_root = true;
    p->argv_tail = p->envp = NULL;
    p->tmpfs = NULL;
    p->volumes = NULL;
    p->cwd = NULL;
}

int config_apply_overrides(struct boot_config *cfg, const u8 *blob, size_t size)
{
    g_config_error[0] = 0;
    if (size == 0)
        return 0; /* no overrides */
    if (size > OVERRIDES_MAX_SIZE) {
        snprintf(g_config_error, sizeof(g_config_error), "overrides: %zu bytes, more than %u",
                 size, OVERRIDES_MAX_SIZE);
        return -EINVAL;
    }
    u32 counts[CFG_TYPE_COUNT];
    int err = config_scan(blob, size, g_override_counts, "overrides", counts);
    if (err)
        return err;
    /* Permission first, for every record, before anything is taken. */
    u32 record_count = config_get_u32(blob + 12);
    size_t offset = HEADER_SIZE;
    for (u32 i = 0; i < record_count; i++) {
        struct record r;
        config_next_record(blob, size, &offset, i, "overrides", &r);
        const char *why = refusal(cfg, &r);
        if (why)
            return config_fail(-EPERM, "overrides", i, why);
    }
    struct pending p = { 0 };
    if (counts[CFG_UID] != counts[CFG_GID]) {
        snprintf(g_config_error, sizeof(g_config_error), "overrides: UID and GID come together");
        return -EINVAL;
    }
    err = collect(cfg, blob, size, counts, &p);
    if (!err && (p.user ? !user_allowed(cfg, p.uid, p.gid, p.groups, p.group_count) : p.group_count > 0)) {
        snprintf(g_config_error, sizeof(g_config_error),
                 "overrides: user %u:%u with %u groups not allowed by the config", p.uid, p.gid,
                 p.group_count);
        pending_free(&p);
        return -EPERM;
    }
    if (!err && p.entrypoint) {
        err = replace_entrypoint(cfg, p.entrypoint);
        if (!err)
            p.entrypoint = NULL;
    }
    if (err) {
        pending_free(&p);
        if (err == -ENOMEM)
            snprintf(g_config_error, sizeof(g_config_error), "overrides: out of memory");
        return err;
    }
    apply(cfg, &p);
    return 0;
}

int config_default_env(struct boot_config *cfg, const char *name, const char *value)
{
    size_t n = strlen(name);
    char **lists[2] = { cfg->envp, cfg->host_envp };
    for (int l = 0; l < 2; l++) {
        for (size_t i = 0; lists[l] && lists[l][i]; i++) {
            if (strncmp(lists[l][i], name, n) == 0 && lists[l][i][n] == '=')
                return 0;
        }
    }
    char **envp = config_new_vector(cfg->host_envc + 1);
    size_t len = n + 1 + strlen(value) + 1;
    char *kv = kmalloc(len);
    if (!envp || !kv) {
        kfree(envp);
        kfree(kv);
        return -ENOMEM;
    }
    snprintf(kv, len, "%s=%s", name, value);
    for (size_t i = 0; i < cfg->host_envc; i++)
        envp[i] = cfg->host_envp[i];
    envp[cfg->host_envc] = kv;
    kfree(cfg->host_envp); /* the strings moved to envp */
    cfg->host_envp = envp;
    cfg->host_envc++;
    return 0;
}

/* The VOLUME records of a scanned overrides blob, each target allowed by
 * an ALLOW_HOST_VOLUME record, no target twice. */
int config_volumes_collect(const struct boot_config *cfg, const u8 *blob, size_t size,
                           struct config_volume *out, size_t *count)
{
    u32 record_count = config_get_u32(blob + 12);
    size_t offset = HEADER_SIZE;
    *count = 0;
    for (u32 i = 0; i < record_count; i++) {
        struct record r;
        config_next_record(blob, size, &offset, i, "overrides", &r);
        if (r.type != CFG_VOLUME)
            continue;
        struct config_volume *v = &out[*count];
        config_volume_decode(r.value, r.length, v); /* checked by config_scan */
        if (!config_volume_allowed(v->path, cfg->allow_host_volumes, cfg->allow_host_volume_count))
            return config_fail(-EPERM, "overrides", i, "volume target not allowed by the config");
        for (size_t k = 0; k < *count; k++) {
            if (strcmp(out[k].path, v->path) == 0)
                return config_fail(-EINVAL, "overrides", i, "two volumes for one target");
        }
        (*count)++;
    }
    return 0;
}
