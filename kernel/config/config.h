/*
 * config.h: the boot configuration (docs/boot-config.md), parsed from the
 * measured config.bin, plus the host overrides and diagnostics switches.
 *
 * config_parse checks the whole blob before it fills anything (fail
 * closed). All strings are NUL-terminated kmalloc'ed copies owned by the
 * boot_config, which lives for the whole boot. The host overrides are
 * already filtered: argv_tail is set only if ALLOW_HOST_ARGV is, and each
 * host_env entry names a variable listed in ALLOW_HOST_ENV.
 */
#ifndef CVMIFY_CONFIG_H
#define CVMIFY_CONFIG_H

#include "config/tmpfs_record.h"
#include "config/volume_record.h"
#include "lib/types.h"

#define CONFIG_MAGIC "CVMCFG01"
#define CONFIG_MIN_SIZE 64
#define CONFIG_MAX_SIZE (1U << 20)
#define OVERRIDES_MAX_SIZE (256U << 10)
#define CONFIG_DISK_ROOT_SIZE 48
#define CONFIG_MAX_RLIMITS 16
#define CONFIG_MAX_GROUPS 64

enum config_record_type {
    CFG_ENTRYPOINT = 1,
    CFG_ARG = 2,
    CFG_ENV = 3,
    CFG_CWD = 4,
    CFG_UID = 5,
    CFG_GID = 6,
    CFG_TMPFS = 7,
    CFG_DISK_ROOT = 8,
    CFG_ALLOW_HOST_ARGV = 9,
    CFG_ALLOW_HOST_ENV = 10,
    CFG_RLIMIT = 11,
    CFG_GROUPS = 12,
    CFG_READ_ONLY_ROOT = 13,
    CFG_NET = 14,
    CFG_HOSTNAME = 15,
    CFG_ALLOW_HOST_ENTRYPOINT = 16,
    CFG_ALLOW_HOST_CWD = 17,
    CFG_ALLOW_HOST_USER = 18,
    CFG_ALLOW_HOST_TMPFS = 19,
    /* 20..23: other parts of the kernel */
    CFG_ALLOW_HOST_VOLUME = 24,
    CFG_VOLUME = 25,
    CFG_TMPFS_MOUNT = 26,
    CFG_TYPE_COUNT = 27,
};

#define CONFIG_MAX_HOST_USERS 64
#define CONFIG_MAX_USER_NAME 32
#define CONFIG_MAX_HOST_TMPFS 16

/* An ALLOW_HOST_USER record: a uid:gid pair the host may run the app as,
 * with the supplementary groups the build resolved for it. */
struct config_host_user {
    u32 uid;
    u32 gid;
    u32 group_count;
    u32 groups[CONFIG_MAX_GROUPS];
};

struct config_rlimit {
    u32 resource; /* RLIMIT_* number, < 16 */
    u64 soft;
    u64 hard;
};

/* The network (record NET, docs/boot-config.md); defaults: QEMU user
 * networking's addresses. Addresses in network byte order. */
#define CONFIG_NET_MAX_DNS 3
#define CONFIG_NET_IPV4 0x1      /* ipv4_* are set (else: none) */
#define CONFIG_NET_IPV6 0x2      /* ipv6_* are set (else: SLAAC only) */
#define CONFIG_NET_ETC_FILES 0x4 /* serve /etc/resolv.conf, hosts, hostname */

struct config_net {
    u32 flags;
    u8 ipv4_addr[4];
    u8 ipv4_gateway[4];
    u8 ipv4_prefix;        /* 0..32 */
    u8 ipv6_prefix;        /* 0..128 */
    u8 dns_count;          /* 0..CONFIG_NET_MAX_DNS */
    u8 ipv6_addr[16];
    u8 ipv6_gateway[16];
    u8 dns[CONFIG_NET_MAX_DNS][16]; /* IPv6, or IPv4-mapped ::ffff:a.b.c.d */
};

struct boot_config {
    /* from config.bin (measured) */
    char *entrypoint;
    size_t argc;
    char **argv;           /* argc entries + NULL */
    size_t envc;
    char **envp;           /* envc entries + NULL, "KEY=VALUE" */
    char *cwd;
    u32 uid;
    u32 gid;
    size_t tmpfs_count;
    char **tmpfs;          /* mount points; /tmp is implied, see docs */
    u8 disk_root[CONFIG_DISK_ROOT_SIZE];
    bool allow_host_argv;
    size_t allow_host_env_count;
    char **allow_host_env; /* variable names */
    size_t rlimit_count;
    struct config_rlimit rlimits[CONFIG_MAX_RLIMITS];
    size_t group_count;
    u32 groups[CONFIG_MAX_GROUPS];
    bool read_only_root;   /* READ_ONLY_ROOT (config or host): no writable root */
    bool allow_host_entrypoint;
    bool allow_host_cwd;
    bool allow_host_tmpfs;
    size_t host_user_count;
    struct config_host_user host_users[CONFIG_MAX_HOST_USERS];
    size_t allow_host_volume_count;
    char **allow_host_volumes; /* mount points the host may put volumes on */

    struct config_net net; /* NET, or the defaults */
    char *hostname;        /* HOSTNAME, or NULL: the kernel picks one */

    /* from the host, not measured, filtered by the permissions above */
    size_t host_argc;      /* > 0: replaces argv[1..] */
    char **host_argv_tail; /* host_argc entries + NULL */
    size_t host_envc;
    char **host_envp;      /* host_envc entries + NULL, "KEY=VALUE" */
    size_t volume_count;
    struct config_volume *volumes; /* VOLUME records, targets allowed and unique */
    size_t host_tmpfs_count;
    struct config_tmpfs *host_tmpfs; /* TMPFS_MOUNT records (--tmpfs), paths unique */

    /* diagnostics switches (fw_cfg opt/cvmify/trace) */
    bool trace;

    /* the app's stdio as `docker run` makes it (proc/stdio.h): with a
     * terminal (fw_cfg opt/cvmify/tty, -t) fds 0/1/2 are a tty of
     * tty_rows x tty_cols, else plain streams; stdin_open (fw_cfg
     * opt/cvmify/control-stdin, -i): the host's stdin is attached, else
     * fd 0 is /dev/null (without a terminal) */
    bool tty;
    u16 tty_rows;
    u16 tty_cols;
    bool stdin_open;
};

/* Parse and check a private copy of config.bin. Returns 0, or -EINVAL /
 * -ENOMEM with a reason in config_error(). */
int config_parse(const u8 *blob, size_t size, struct boot_config *out);

/* Parse the overrides file (same framing; ARG, ENV, ENTRYPOINT, CWD, UID
 * + GID, TMPFS_MOUNT, READ_ONLY_ROOT and VOLUME records, config/overrides.c)
 * and apply what cfg permits.
 * A record that is not permitted, or any framing error, is refused with
 * -EPERM / -EINVAL before anything changes (fail closed). */
int config_apply_overrides(struct boot_config *cfg, const u8 *blob, size_t size);

/* Add NAME=VALUE to the host variables unless the config or the host
 * already set NAME (docker's TERM=xterm with -t). Returns 0 or -ENOMEM. */
int config_default_env(struct boot_config *cfg, const char *name, const char *value);

/* The VOLUME records of an overrides blob that passed the scan, each
 * target checked against cfg's ALLOW_HOST_VOLUME list (-EPERM) and unique
 * (-EINVAL). config_apply_overrides calls it. */
int config_volumes_collect(const struct boot_config *cfg, const u8 *blob, size_t size,
                           struct config_volume *out, size_t *count);

/* Why the last call failed (static text). */
const char *config_error(void);

/* Release everything config_parse and config_apply_overrides allocated. */
void config_free(struct boot_config *cfg);

#endif
