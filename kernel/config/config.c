/*
 * config.c: the config.bin and overrides parser (docs/boot-config.md).
 *
 * Trust: the blob came from the host through fw_cfg and was copied into
 * private memory by the caller. config.bin is measured, so a bad one
 * means a bad bundle or a tampering host; either way we refuse to boot.
 * Every rule is checked in a first pass that allocates nothing; only a
 * fully valid blob is copied into the boot_config. Also built on the host
 * for tests/host/test_config.c.
 */
#include "config/config.h"
#include "config/config_net.h"
#include "config/records.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "syscalls/linux_abi/errno.h"

#define MAX_STRING 4096
#define MAX_LONG_STRING 131072
#define RLIMIT_RESOURCES 16
#define INVALID_ID 0xffffffffU

static const struct count_rule g_config_counts[CFG_TYPE_COUNT] = {
    [CFG_ENTRYPOINT] = { 1, 1 },  [CFG_ARG] = { 1, 4096 },      [CFG_ENV] = { 0, 4096 },
    [CFG_CWD] = { 1, 1 },         [CFG_UID] = { 1, 1 },         [CFG_GID] = { 1, 1 },
    [CFG_TMPFS] = { 0, 64 },      [CFG_DISK_ROOT] = { 1, 1 },   [CFG_ALLOW_HOST_ARGV] = { 0, 1 },
    [CFG_ALLOW_HOST_ENV] = { 0, 256 }, [CFG_RLIMIT] = { 0, CONFIG_MAX_RLIMITS },
    [CFG_GROUPS] = { 0, CONFIG_MAX_GROUPS },
    [CFG_READ_ONLY_ROOT] = { 0, 1 }, [CFG_NET] = { 0, 1 }, [CFG_HOSTNAME] = { 0, 1 },
    [CFG_ALLOW_HOST_ENTRYPOINT] = { 0, 1 }, [CFG_ALLOW_HOST_CWD] = { 0, 1 },
    [CFG_ALLOW_HOST_USER] = { 0, CONFIG_MAX_HOST_USERS }, [CFG_ALLOW_HOST_TMPFS] = { 0, 1 },
    [CFG_ALLOW_HOST_VOLUME] = { 0, 64 },
};

static const char *const g_type_names[CFG_TYPE_COUNT] = {
    "?", "ENTRYPOINT", "ARG", "ENV", "CWD", "UID", "GID", "TMPFS", "DISK_ROOT",
    "ALLOW_HOST_ARGV", "ALLOW_HOST_ENV", "RLIMIT", "GROUPS", "READ_ONLY_ROOT", "NET", "HOSTNAME",
    [CFG_ALLOW_HOST_ENTRYPOINT] = "ALLOW_HOST_ENTRYPOINT", [CFG_ALLOW_HOST_CWD] = "ALLOW_HOST_CWD",
    [CFG_ALLOW_HOST_USER] = "ALLOW_HOST_USER", [CFG_ALLOW_HOST_TMPFS] = "ALLOW_HOST_TMPFS",
    [CFG_ALLOW_HOST_VOLUME] = "ALLOW_HOST_VOLUME", [CFG_VOLUME] = "VOLUME",
    [CFG_TMPFS_MOUNT] = "TMPFS_MOUNT",
};

char g_config_error[CONFIG_ERROR_SIZE];

const char *config_error(void)
{
    return g_config_error;
}

int config_fail(int err, const char *what, u32 index, const char *why)
{
    snprintf(g_config_error, sizeof(g_config_error), "%s: record %u: %s", what, index, why);
    return err;
}

u32 config_get_u32(const u8 *p)
{
    return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static u16 get_u16(const u8 *p)
{
    return (u16)(p[0] | p[1] << 8);
}


static u64 get_u64(const u8 *p)
{
    return (u64)config_get_u32(p) | (u64)config_get_u32(p + 4) << 32;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const u8 *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        u8 c = s[i];
        size_t extra;
        u32 cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            extra = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            extra = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i <= extra)
            return false;
        for (size_t k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += extra + 1;
    }
    return true;
}

static bool has_nul(const u8 *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == 0)
            return true;
    }
    return false;
}

static bool is_string_type(u16 t)
{
    return t == CFG_ENTRYPOINT || t == CFG_ARG || t == CFG_ENV || t == CFG_CWD ||
           t == CFG_TMPFS || t == CFG_ALLOW_HOST_ENV || t == CFG_HOSTNAME ||
           t == CFG_ALLOW_HOST_VOLUME;
}

static const char *check_string(const struct record *r)
{
    size_t limit = (r->type == CFG_ARG || r->type == CFG_ENV) ? MAX_LONG_STRING : MAX_STRING;
    if (r->length > limit)
        return "string too long";
    if (r->type == CFG_HOSTNAME)
        return config_hostname_check(r->value, r->length);
    if (has_nul(r->value, r->length))
        return "NUL inside string";
    if (!utf8_valid(r->value, r->length))
        return "string is not UTF-8";
    bool is_path = r->type == CFG_ENTRYPOINT || r->type == CFG_CWD || r->type == CFG_TMPFS ||
                   r->type == CFG_ALLOW_HOST_VOLUME;
    if (is_path && (r->length == 0 || r->value[0] != '/'))
        return "not an absolute path";
    if (r->type == CFG_ENV) {
        const u8 *eq = NULL;
        for (u32 i = 0; i < r->length && !eq; i++) {
            if (r->value[i] == '=')
                eq = &r->value[i];
        }
        if (!eq || eq == r->value)
            return "ENV is not KEY=VALUE";
    }
    if (r->type == CFG_ALLOW_HOST_ENV) {
        if (r->length == 0)
            return "empty variable name";
        for (u32 i = 0; i < r->length; i++) {
            if (r->value[i] == '=')
                return "'=' in a variable name";
        }
    }
    return NULL;
}

/* The value rules of one record; NULL when fine, else the reason. */
static const char *check_value(const struct record *r)
{
    if (is_string_type(r->type))
        return check_string(r);
    switch (r->type) {
    case CFG_UID:
    case CFG_GID:
    case CFG_GROUPS:
        if (r->length != 4)
            return "u32 record with wrong length";
        if (config_get_u32(r->value) == INVALID_ID)
            return "invalid id 0xffffffff";
        return NULL;
    case CFG_ALLOW_HOST_ARGV:
    case CFG_READ_ONLY_ROOT:
    case CFG_ALLOW_HOST_ENTRYPOINT:
    case CFG_ALLOW_HOST_CWD:
    case CFG_ALLOW_HOST_TMPFS:
        if (r->length != 4 || config_get_u32(r->value) != 1)
            return "a switch record must be u32 1";
        return NULL;
    case CFG_ALLOW_HOST_USER:
        return config_check_host_user(r);
    case CFG_DISK_ROOT:
        return r->length == CONFIG_DISK_ROOT_SIZE ? NULL : "DISK_ROOT is not 48 bytes";
    case CFG_NET:
        return config_net_check(r->value, r->length);
    case CFG_VOLUME: {
        static struct config_volume scratch; /* 4 KiB: not on the stack */
        return config_volume_decode(r->value, r->length, &scratch);
    }
    case CFG_TMPFS_MOUNT: {
        static struct config_tmpfs scratch; /* 4 KiB: not on the stack */
        return config_tmpfs_decode(r->value, r->length, &scratch);
    }
    case CFG_RLIMIT:
        if (r->length != 24)
            return "RLIMIT is not 24 bytes";
        if (config_get_u32(r->value) >= RLIMIT_RESOURCES || config_get_u32(r->value + 4) != 0)
            return "RLIMIT resource or reserved field";
        if (get_u64(r->value + 8) > get_u64(r->value + 16))
            return "RLIMIT soft above hard";
        return NULL;
    default:
        return "unknown record type";
    }
}

/* Read record *index at *offset (framing: header, flags, length,
 * padding). On success advances *offset. */
int config_next_record(const u8 *blob, size_t total, size_t *offset, u32 index,
                       const char *what, struct record *r)
{
    size_t off = *offset;
    if (total - off < RECORD_HEADER_SIZE)
        return config_fail(-EINVAL, what, index, "record header past the end");
    r->type = get_u16(blob + off);
    u16 flags = get_u16(blob + off + 2);
    r->length = config_get_u32(blob + off + 4);
    off += RECORD_HEADER_SIZE;
    if (r->type == 0 || r->type >= CFG_TYPE_COUNT)
        return config_fail(-EINVAL, what, index, "unknown record type");
    if (flags != 0)
        return config_fail(-EINVAL, what, index, "non-zero flags");
    if (r->length > total - off)
        return config_fail(-EINVAL, what, index, "value runs past the end");
    size_t padded = ALIGN_UP((size_t)r->length, 4);
    if (padded > total - off)
        return config_fail(-EINVAL, what, index, "padding runs past the end");
    r->value = blob + off;
    for (size_t i = r->length; i < padded; i++) {
        if (blob[off + i] != 0)
            return config_fail(-EINVAL, what, index, "non-zero padding");
    }
    *offset = off + padded;
    return 0;
}

/* First pass: header, framing, values and counts. counts[] gets the
 * number of records per type. */
int config_scan(const u8 *blob, size_t size, const struct count_rule *rules, const char *what,
                u32 counts[CFG_TYPE_COUNT])
{
    memset(counts, 0, sizeof(u32) * CFG_TYPE_COUNT);
    if (size < HEADER_SIZE) {
        snprintf(g_config_error, sizeof(g_config_error), "%s: shorter than its header", what);
        return -EINVAL;
    }
    if (memcmp(blob, CONFIG_MAGIC, 8) != 0) {
        snprintf(g_config_error, sizeof(g_config_error), "%s: bad magic", what);
        return -EINVAL;
    }
    u32 total = config_get_u32(blob + 8);
    u32 record_count = config_get_u32(blob + 12);
    if (total != size) {
        snprintf(g_config_error, sizeof(g_config_error), "%s: total_size %u but %zu bytes", what, total, size);
        return -EINVAL;
    }
    size_t offset = HEADER_SIZE;
    for (u32 i = 0; i < record_count; i++) {
        struct record r;
        int err = config_next_record(blob, size, &offset, i, what, &r);
        if (err)
            return err;
        if (rules[r.type].max == 0)
            return config_fail(-EINVAL, what, i, "record type not allowed here");
        const char *why = check_value(&r);
        if (why)
            return config_fail(-EINVAL, what, i, why);
        if (++counts[r.type] > rules[r.type].max)
            return config_fail(-EINVAL, what, i, "too many records of this type");
    }
    if (offset != size) {
        snprintf(g_config_error, sizeof(g_config_error), "%s: %zu bytes after the last record", what,
                 size - offset);
        return -EINVAL;
    }
    for (u32 t = 1; t < CFG_TYPE_COUNT; t++) {
        if (counts[t] < rules[t].min) {
            snprintf(g_config_error, sizeof(g_config_error), "%s: %u %s records, need at least %u", what,
                     counts[t], g_type_names[t], rules[t].min);
            return -EINVAL;
        }
    }
    return 0;
}

char *config_dup_value(const struct record *r)
{
    char *s = kmalloc((size_t)r->length + 1);
    if (s) {
        memcpy(s, r->value, r->length);
        s[r->length] = 0;
    }
    return s;
}

/* A NULL-terminated array for n strings. */
char **config_new_vector(size_t n)
{
    char **v = kzalloc((n + 1) * sizeof(char *));
    return v;
}

void config_free_vector(char **v)
{
    if (!v)
        return;
    for (size_t i = 0; v[i]; i++)
        kfree(v[i]);
    kfree(v);
}

void config_free(struct boot_config *cfg)
{
    kfree(cfg->entrypoint);
    kfree(cfg->cwd);
    kfree(cfg->hostname);
    config_free_vector(cfg->argv);
    config_free_vector(cfg->envp);
    config_free_vector(cfg->tmpfs);
    config_free_vector(cfg->allow_host_env);
    config_free_vector(cfg->allow_host_volumes);
    kfree(cfg->volumes);
    kfree(cfg->host_tmpfs);
    config_free_vector(cfg->host_argv_tail);
    config_free_vector(cfg->host_envp);
    memzero_explicit(cfg, sizeof(*cfg));
}

/* Second pass over a blob scan() accepted: copy values into cfg. */
static int fill(const u8 *blob, size_t size, struct boot_config *cfg, const u32 counts[])
{
    cfg->argv = config_new_vector(counts[CFG_ARG]);
    cfg->envp = config_new_vector(counts[CFG_ENV]);
    cfg->tmpfs = config_new_vector(counts[CFG_TMPFS]);
    cfg->allow_host_env = config_new_vector(counts[CFG_ALLOW_HOST_ENV]);
    cfg->allow_host_volumes = config_new_vector(counts[CFG_ALLOW_HOST_VOLUME]);
    if (!cfg->argv || !cfg->envp || !cfg->tmpfs || !cfg->allow_host_env ||
        !cfg->allow_host_volumes)
        return -ENOMEM;
    config_net_defaults(&cfg->net);

    u32 record_count = config_get_u32(blob + 12);
    size_t offset = HEADER_SIZE;
    for (u32 i = 0; i < record_count; i++) {
        struct record r;
        if (config_next_record(blob, size, &offset, i, "config", &r) != 0)
            return -EINVAL; /* cannot happen after scan() */
        char *s = NULL;
        if (is_string_type(r.type) && !(s = config_dup_value(&r)))
            return -ENOMEM;
        switch (r.type) {
        case CFG_ENTRYPOINT: cfg->entrypoint = s; break;
        case CFG_ARG: cfg->argv[cfg->argc++] = s; break;
        case CFG_ENV: cfg->envp[cfg->envc++] = s; break;
        case CFG_CWD: cfg->cwd = s; break;
        case CFG_TMPFS: cfg->tmpfs[cfg->tmpfs_count++] = s; break;
        case CFG_ALLOW_HOST_ENV: cfg->allow_host_env[cfg->allow_host_env_count++] = s; break;
        case CFG_ALLOW_HOST_VOLUME:
            cfg->allow_host_volumes[cfg->allow_host_volume_count++] = s;
            break;
        case CFG_UID: cfg->uid = config_get_u32(r.value); break;
        case CFG_GID: cfg->gid = config_get_u32(r.value); break;
        case CFG_GROUPS: cfg->groups[cfg->group_count++] = config_get_u32(r.value); break;
        case CFG_ALLOW_HOST_ARGV: cfg->allow_host_argv = true; break;
        case CFG_READ_ONLY_ROOT: cfg->read_only_root = true; break;
        case CFG_ALLOW_HOST_ENTRYPOINT: cfg->allow_host_entrypoint = true; break;
        case CFG_ALLOW_HOST_CWD: cfg->allow_host_cwd = true; break;
        case CFG_ALLOW_HOST_TMPFS: cfg->allow_host_tmpfs = true; break;
        case CFG_ALLOW_HOST_USER: {
            struct config_host_user *u = &cfg->host_users[cfg->host_user_count++];
            u->uid = config_get_u32(r.value);
            u->gid = config_get_u32(r.value + 4);
            u->group_count = config_get_u32(r.value + 8); /* checked by config_check_host_user */
            for (u32 g = 0; g < u->group_count; g++)
                u->groups[g] = config_get_u32(r.value + 12 + 4 * g);
            break;
        }
        case CFG_DISK_ROOT: memcpy(cfg->disk_root, r.value, CONFIG_DISK_ROOT_SIZE); break;
        case CFG_NET: config_net_decode(r.value, &cfg->net); break;
        case CFG_HOSTNAME: cfg->hostname = s; break;
        case CFG_RLIMIT: {
            struct config_rlimit *l = &cfg->rlimits[cfg->rlimit_count++];
            l->resource = config_get_u32(r.value);
            l->soft = get_u64(r.value + 8);
            l->hard = get_u64(r.value + 16);
            break;
        }
        default:
            return -EINVAL;
        }
    }
    return 0;
}

static bool duplicate_rlimits(const struct boot_config *cfg)
{
    for (size_t i = 0; i < cfg->rlimit_count; i++) {
        for (size_t j = i + 1; j < cfg->rlimit_count; j++) {
            if (cfg->rlimits[i].resource == cfg->rlimits[j].resource)
                return true;
        }
    }
    return false;
}

int config_parse(const u8 *blob, size_t size, struct boot_config *out)
{
    memset(out, 0, sizeof(*out));
    g_config_error[0] = 0;
    if (size < CONFIG_MIN_SIZE || size > CONFIG_MAX_SIZE) {
        snprintf(g_config_error, sizeof(g_config_error), "config: size %zu outside %u..%u", size,
                 CONFIG_MIN_SIZE, CONFIG_MAX_SIZE);
        return -EINVAL;
    }
    u32 counts[CFG_TYPE_COUNT];
    int err = config_scan(blob, size, g_config_counts, "config", counts);
    if (err)
        return err;
    err = fill(blob, size, out, counts);
    if (!err && duplicate_rlimits(out)) {
        snprintf(g_config_error, sizeof(g_config_error), "config: two RLIMIT records for one resource");
        err = -EINVAL;
    }
    if (err) {
        if (err == -ENOMEM)
            snprintf(g_config_error, sizeof(g_config_error), "config: out of memory");
        config_free(out);
    }
    return err;
}
