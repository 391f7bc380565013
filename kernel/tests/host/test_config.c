/*
 * test_config.c: host unit tests for config/config.c, the config.bin and
 * overrides parser (docs/boot-config.md). Run under ASan + UBSan: every
 * malformed input must be refused without reading out of bounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config/config.h"
#include "config/config_net.h"
#include "syscalls/linux_abi/errno.h"

struct builder {
    u8 buf[16384];
    size_t len;
    u32 count;
};

static void put32(u8 *p, u32 v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (u8)(v >> (8 * i));
}

static void begin(struct builder *b)
{
    memset(b, 0, sizeof(*b));
    b->len = 16;
}

static void add(struct builder *b, u16 type, const void *value, u32 length)
{
    u8 *p = b->buf + b->len;
    p[0] = (u8)type;
    p[1] = (u8)(type >> 8);
    p[2] = p[3] = 0;
    put32(p + 4, length);
    memcpy(p + 8, value, length);
    b->len += 8 + ((length + 3) & ~3u);
    b->count++;
}

static void add_str(struct builder *b, u16 type, const char *s)
{
    add(b, type, s, (u32)strlen(s));
}

static void add_u32(struct builder *b, u16 type, u32 v)
{
    u8 tmp[4];
    put32(tmp, v);
    add(b, type, tmp, 4);
}

/* A TMPFS_MOUNT value: u64 size, u32 mode, uid, gid, flags, path. */
static void add_tmpfs_mount(struct builder *b, const char *path, u64 size, u32 mode, u32 uid,
                            u32 gid, u32 flags)
{
    u8 v[24 + 64];
    size_t n = strlen(path);
    put32(v, (u32)size);
    put32(v + 4, (u32)(size >> 32));
    put32(v + 8, mode);
    put32(v + 12, uid);
    put32(v + 16, gid);
    put32(v + 20, flags);
    memcpy(v + 24, path, n);
    add(b, CFG_TMPFS_MOUNT, v, (u32)(24 + n));
}

static size_t finish(struct builder *b)
{
    memcpy(b->buf, CONFIG_MAGIC, 8);
    put32(b->buf + 8, (u32)b->len);
    put32(b->buf + 12, b->count);
    return b->len;
}

/* The records every config needs, for /bin/true as root; more may follow. */
static void begin_minimal(struct builder *b)
{
    begin(b);
    add_str(b, CFG_ENTRYPOINT, "/bin/true");
    add_str(b, CFG_ARG, "true");
    add_str(b, CFG_CWD, "/");
    add_u32(b, CFG_UID, 0);
    add_u32(b, CFG_GID, 0);
    add(b, CFG_DISK_ROOT, (u8[48]){ 0 }, 48);
}

/* A valid config; skip_type leaves out all records of that type. */
static size_t build_valid(struct builder *b, u16 skip_type)
{
    u8 root[48];
    for (int i = 0; i < 48; i++)
        root[i] = (u8)i;
    begin(b);
    if (skip_type != CFG_ENTRYPOINT)
        add_str(b, CFG_ENTRYPOINT, "/usr/bin/python3");
    if (skip_type != CFG_ARG) {
        add_str(b, CFG_ARG, "python3");
        add_str(b, CFG_ARG, "-c");
        add_str(b, CFG_ARG, "");
    }
    add_str(b, CFG_ENV, "PATH=/usr/bin");
    add_str(b, CFG_ENV, "LANG=C.UTF-8 \xc3\xa9");
    if (skip_type != CFG_CWD)
        add_str(b, CFG_CWD, "/srv");
    if (skip_type != CFG_UID)
        add_u32(b, CFG_UID, 1000);
    if (skip_type != CFG_GID)
        add_u32(b, CFG_GID, 100);
    add_str(b, CFG_TMPFS, "/run");
    if (skip_type != CFG_DISK_ROOT)
        add(b, CFG_DISK_ROOT, root, 48);
    add_u32(b, CFG_ALLOW_HOST_ARGV, 1);
    add_str(b, CFG_ALLOW_HOST_ENV, "DEBUG");
    u8 rl[24] = { 0 };
    put32(rl, 7);      /* RLIMIT_NOFILE */
    put32(rl + 8, 64); /* soft */
    put32(rl + 16, 128);
    add(b, CFG_RLIMIT, rl, 24);
    add_u32(b, CFG_GROUPS, 27);
    return finish(b);
}

static int parse(const u8 *blob, size_t size)
{
    struct boot_config cfg;
    int err = config_parse(blob, size, &cfg);
    if (err == 0)
        config_free(&cfg);
    return err;
}

static void test_valid(void)
{
    struct builder b;
    size_t size = build_valid(&b, 0);
    struct boot_config cfg;
    CHECK_EQ(config_parse(b.buf, size, &cfg), 0);
    CHECK(strcmp(cfg.entrypoint, "/usr/bin/python3") == 0);
    CHECK_EQ(cfg.argc, 3);
    CHECK(strcmp(cfg.argv[0], "python3") == 0);
    CHECK(strcmp(cfg.argv[2], "") == 0);
    CHECK(cfg.argv[3] == NULL);
    CHECK_EQ(cfg.envc, 2);
    CHECK(strcmp(cfg.envp[1], "LANG=C.UTF-8 \xc3\xa9") == 0);
    CHECK(strcmp(cfg.cwd, "/srv") == 0);
    CHECK_EQ(cfg.uid, 1000);
    CHECK_EQ(cfg.gid, 100);
    CHECK_EQ(cfg.tmpfs_count, 1);
    CHECK_EQ(cfg.disk_root[47], 47);
    CHECK(cfg.allow_host_argv);
    CHECK_EQ(cfg.allow_host_env_count, 1);
    CHECK_EQ(cfg.rlimit_count, 1);
    CHECK_EQ(cfg.rlimits[0].resource, 7);
    CHECK_EQ(cfg.rlimits[0].soft, 64);
    CHECK_EQ(cfg.rlimits[0].hard, 128);
    CHECK_EQ(cfg.group_count, 1);
    CHECK_EQ(cfg.groups[0], 27);
    config_free(&cfg);
}

static void test_missing_required(void)
{
    const u16 required[] = { CFG_ENTRYPOINT, CFG_ARG, CFG_CWD, CFG_UID, CFG_GID, CFG_DISK_ROOT };
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        struct builder b;
        size_t size = build_valid(&b, required[i]);
        CHECK_EQ(parse(b.buf, size), -EINVAL);
    }
}

static void test_header(void)
{
    struct builder b;
    size_t size = build_valid(&b, 0);
    b.buf[0] = 'X';
    CHECK_EQ(parse(b.buf, size), -EINVAL);

    size = build_valid(&b, 0);
    put32(b.buf + 8, (u32)size + 4); /* total_size too large */
    CHECK_EQ(parse(b.buf, size), -EINVAL);

    size = build_valid(&b, 0);
    put32(b.buf + 12, b.count + 1); /* one record more than present */
    CHECK_EQ(parse(b.buf, size), -EINVAL);

    size = build_valid(&b, 0);
    put32(b.buf + 12, b.count - 1); /* bytes left after the last record */
    CHECK_EQ(parse(b.buf, size), -EINVAL);

    u8 tiny[32] = "CVMCFG01";
    put32(tiny + 8, sizeof(tiny));
    CHECK_EQ(parse(tiny, sizeof(tiny)), -EINVAL); /* below the 64-byte minimum */
}

static void test_record_framing(void)
{
    struct builder b;
    size_t size = build_valid(&b, 0);
    b.buf[16] = 99; /* unknown type in record 0 */
    CHECK_EQ(parse(b.buf, size), -EINVAL);

    size = build_valid(&b, 0);
    b.buf[18] = 1; /* flags */
    CHECK_EQ(parse(b.buf, size), -EINVAL);

    size = build_valid(&b, 0);
    put32(b.buf + 20, 0x7fffffff); /* length past the end */
    CHECK_EQ(parse(b.buf, size), -EINVAL);

    /* a 3-byte ARG has one padding byte, which must be zero */
    build_valid(&b, 0);
    size_t at = b.len;
    add_str(&b, CFG_ARG, "abc");
    size = finish(&b);
    CHECK_EQ(parse(b.buf, size), 0);
    b.buf[at + 8 + 3] = 'z';
    CHECK_EQ(parse(b.buf, size), -EINVAL);
}

/* A valid config (minus the record's type when it is a required,
 * exactly-once one) plus one extra record. */
static size_t one_bad_record(struct builder *b, u16 type, const void *value, u32 length)
{
    build_valid(b, type == CFG_ENTRYPOINT || type == CFG_CWD || type == CFG_UID ||
                           type == CFG_GID || type == CFG_DISK_ROOT
                       ? type
                       : 0);
    add(b, type, value, length);
    return finish(b);
}

static void test_values(void)
{
    struct builder b;
    u8 root47[47] = { 0 };
    u8 rl[24] = { 0 };
    size_t size;

    CHECK_EQ(parse(b.buf, one_bad_record(&b, CFG_ENTRYPOINT, "bin/sh", 6)), -EINVAL);
    CHECK_EQ(parse(b.buf, one_bad_record(&b, CFG_ENTRYPOINT, "", 0)), -EINVAL);
    CHECK_EQ(parse(b.buf, one_bad_record(&b, CFG_CWD, "/a\0b", 4)), -EINVAL);
    CHECK_EQ(parse(b.buf, one_bad_record(&b, CFG_ENV, "NOEQUALS", 8)), -EINVAL);
    CHECK_EQ(parse(b.buf, one_bad_record(&b, CFG_ENV, "=x", 2)), -EINVAL);
    CHECK_EQ(parse(b.buf, one_bad_record(&b, CFG_ALLOW_HOST_ENV, "A=B", 3)), -EINVAL);
    CHECK_EQ(parse(b.buf, one_bad_record(&b, CFG_ALLOW_HOST_ENV, "", 0)), -EINVAL);
    CHECK_EQ(parse(b.buf, one_bad_record(&b, CFG_ARG, "\xc0\xaf", 2)), -EINVAL);      /* overlong */
    CHECK_EQ(parse(b.buf, one_bad_record(&b, CFG_ARG, "\xed\xa0\x80", 3)), -EINVAL);  /* surrogate */
    CHECK_EQ(parse(b.buf, one_bad_record(&b, CFG_ARG, "\xe2\x82", 2)), -EINVAL);      /* truncated */
    CHECK_EQ(parse(b.buf, one_bad_record(&b, CFG_ARG, "\xf5\x80\x80\x80", 4)), -EINVAL);
    CHECK_EQ(parse(b.buf, one_bad_record(&b, CFG_UID, "\1\0\0", 3)), -EINVAL);
    CHECK_EQ(parse(b.buf, one_bad_record(&b, CFG_UID, "\xff\xff\xff\xff", 4)), -EINVAL);
    CHECK_EQ(parse(b.buf, one_bad_record(&b, CFG_DISK_ROOT, root47, 47)), -EINVAL);

    /* ALLOW_HOST_ARGV must be 1, and at most once */
    CHECK_EQ(parse(b.buf, one_bad_record(&b, CFG_ALLOW_HOST_ARGV, "\2\0\0\0", 4)), -EINVAL);
    CHECK_EQ(parse(b.buf, one_bad_record(&b, CFG_ALLOW_HOST_ARGV, "\1\0\0\0", 4)), -EINVAL);
    /* a second CWD */
    build_valid(&b, 0);
    add_str(&b, CFG_CWD, "/");
    size = finish(&b);
    CHECK_EQ(parse(b.buf, size), -EINVAL);

    put32(rl, 16); /* resource out of range */
    CHECK_EQ(parse(b.buf, one_bad_record(&b, CFG_RLIMIT, rl, 24)), -EINVAL);
    put32(rl, 3);
    put32(rl + 4, 1); /* reserved */
    CHECK_EQ(parse(b.buf, one_bad_record(&b, CFG_RLIMIT, rl, 24)), -EINVAL);
    put32(rl + 4, 0);
    put32(rl + 8, 10); /* soft 10 > hard 5 */
    put32(rl + 16, 5);
    CHECK_EQ(parse(b.buf, one_bad_record(&b, CFG_RLIMIT, rl, 24)), -EINVAL);
    put32(rl, 7); /* NOFILE again: duplicate of the valid config's */
    put32(rl + 8, 1);
    CHECK_EQ(parse(b.buf, one_bad_record(&b, CFG_RLIMIT, rl, 24)), -EINVAL);

    /* the same bad records are fine in the valid shape: sanity of the helper */
    put32(rl, 3);
    CHECK_EQ(parse(b.buf, one_bad_record(&b, CFG_RLIMIT, rl, 24)), 0);
}

static void test_string_lengths(void)
{
    static char long_arg[131073];
    struct builder *b = calloc(1, sizeof(*b));
    /* The builder's buffer is too small for the 131072-byte ARG limit, so
     * check the 4096-byte path limit with CWD. */
    memset(long_arg, 'a', sizeof(long_arg) - 1);
    long_arg[0] = '/';
    CHECK_EQ(parse(b->buf, one_bad_record(b, CFG_CWD, long_arg, 4097)), -EINVAL);
    CHECK_EQ(parse(b->buf, one_bad_record(b, CFG_CWD, long_arg, 4096)), 0);
    free(b);
}

static void test_every_truncation_fails(void)
{
    struct builder b;
    size_t size = build_valid(&b, 0);
    for (size_t cut = 0; cut < size; cut++) {
        u8 *copy = malloc(cut ? cut : 1); /* exact size so ASan sees overreads */
        memcpy(copy, b.buf, cut);
        CHECK_EQ(parse(copy, cut), -EINVAL);
        free(copy);
    }
}

static void test_byte_flips_never_crash(void)
{
    struct builder b;
    size_t size = build_valid(&b, 0);
    for (size_t i = 0; i < size; i++) {
        for (int bit = 0; bit < 8; bit++) {
            u8 *copy = malloc(size);
            memcpy(copy, b.buf, size);
            copy[i] ^= (u8)(1 << bit);
            int err = parse(copy, size);
            CHECK(err == 0 || err == -EINVAL);
            free(copy);
        }
    }
}

static void test_overrides(void)
{
    struct builder b;
    size_t size = build_valid(&b, 0);
    struct boot_config cfg;
    CHECK_EQ(config_parse(b.buf, size, &cfg), 0);

    struct builder o;
    begin(&o);
    add_str(&o, CFG_ARG, "--verbose");
    add_str(&o, CFG_ENV, "DEBUG=1");
    size_t osize = finish(&o);
    CHECK_EQ(config_apply_overrides(&cfg, o.buf, osize), 0);
    CHECK_EQ(cfg.host_argc, 1);
    CHECK(strcmp(cfg.host_argv_tail[0], "--verbose") == 0);
    CHECK_EQ(cfg.host_envc, 1);
    CHECK(strcmp(cfg.host_envp[0], "DEBUG=1") == 0);

    begin(&o);
    add_str(&o, CFG_ENV, "DEBUGX=1"); /* prefix of an allowed name is not enough */
    osize = finish(&o);
    CHECK_EQ(config_apply_overrides(&cfg, o.buf, osize), -EPERM);

    begin(&o);
    add_str(&o, CFG_ENTRYPOINT, "/bin/sh"); /* the config does not allow it */
    osize = finish(&o);
    CHECK_EQ(config_apply_overrides(&cfg, o.buf, osize), -EPERM);

    begin(&o);
    add(&o, CFG_DISK_ROOT, (u8[48]){ 0 }, 48); /* never a host record */
    osize = finish(&o);
    CHECK_EQ(config_apply_overrides(&cfg, o.buf, osize), -EINVAL);

    CHECK_EQ(config_apply_overrides(&cfg, o.buf, 0), 0); /* empty file: none */
    config_free(&cfg);

    /* without ALLOW_HOST_ARGV, extra args are refused */
    begin_minimal(&b);
    size = finish(&b);
    CHECK_EQ(config_parse(b.buf, size, &cfg), 0);
    begin(&o);
    add_str(&o, CFG_ARG, "x");
    osize = finish(&o);
    CHECK_EQ(config_apply_overrides(&cfg, o.buf, osize), -EPERM);
    CHECK_EQ(cfg.host_argc, 0);
    config_free(&cfg);
}

/* A NET value: 192.168.7.9/16 via 192.168.0.1, 2001:db8::9/48, DNS
 * 1.1.1.1 (IPv4-mapped) and 2001:db8::53, /etc files served. */
static void net_value(u8 v[CONFIG_NET_RECORD_SIZE])
{
    memset(v, 0, CONFIG_NET_RECORD_SIZE);
    put32(v, CONFIG_NET_IPV4 | CONFIG_NET_IPV6 | CONFIG_NET_ETC_FILES);
    const u8 addr[4] = { 192, 168, 7, 9 }, gw[4] = { 192, 168, 0, 1 };
    memcpy(v + 4, addr, 4);
    memcpy(v + 8, gw, 4);
    v[12] = 16;
    v[13] = 48;
    v[14] = 2;
    v[16] = 0x20, v[17] = 0x01, v[18] = 0x0d, v[19] = 0xb8, v[31] = 9;
    v[32] = 0x20, v[33] = 0x01, v[34] = 0x0d, v[35] = 0xb8, v[47] = 1;
    v[48 + 10] = v[48 + 11] = 0xff;
    v[48 + 12] = v[48 + 13] = v[48 + 14] = v[48 + 15] = 1;
    v[64] = 0x20, v[65] = 0x01, v[66] = 0x0d, v[67] = 0xb8, v[79] = 0x53;
}

static int parse_with_net(const u8 *net, u32 net_len, const char *hostname,
                          struct boot_config *cfg)
{
    struct builder b;
    build_valid(&b, 0);
    if (net)
        add(&b, CFG_NET, net, net_len);
    if (hostname)
        add_str(&b, CFG_HOSTNAME, hostname);
    size_t size = finish(&b);
    return config_parse(b.buf, size, cfg);
}

static void test_net_defaults(void)
{
    struct boot_config cfg;
    CHECK_EQ(parse_with_net(NULL, 0, NULL, &cfg), 0);
    CHECK_EQ(cfg.net.flags, CONFIG_NET_IPV4 | CONFIG_NET_IPV6 | CONFIG_NET_ETC_FILES);
    CHECK_EQ(cfg.net.ipv4_addr[0], 10);
    CHECK_EQ(cfg.net.ipv4_addr[3], 15);
    CHECK_EQ(cfg.net.ipv4_gateway[3], 2);
    CHECK_EQ(cfg.net.ipv4_prefix, 24);
    CHECK_EQ(cfg.net.ipv6_addr[0], 0xfe);
    CHECK_EQ(cfg.net.ipv6_addr[1], 0xc0);
    CHECK_EQ(cfg.net.ipv6_addr[15], 0x15);
    CHECK_EQ(cfg.net.ipv6_prefix, 64);
    CHECK_EQ(cfg.net.dns_count, 2);
    CHECK_EQ(cfg.net.dns[0][11], 0xff);
    CHECK_EQ(cfg.net.dns[0][15], 3);
    CHECK_EQ(cfg.net.dns[1][15], 3);
    CHECK(cfg.hostname == NULL);
    config_free(&cfg);
}

static void test_net_record(void)
{
    u8 v[CONFIG_NET_RECORD_SIZE];
    net_value(v);
    struct boot_config cfg;
    CHECK_EQ(parse_with_net(v, sizeof(v), "web-1.example", &cfg), 0);
    CHECK_EQ(cfg.net.ipv4_addr[0], 192);
    CHECK_EQ(cfg.net.ipv4_prefix, 16);
    CHECK_EQ(cfg.net.ipv6_prefix, 48);
    CHECK_EQ(cfg.net.ipv6_gateway[15], 1);
    CHECK_EQ(cfg.net.dns_count, 2);
    CHECK_EQ(cfg.net.dns[1][15], 0x53);
    CHECK(cfg.hostname && strcmp(cfg.hostname, "web-1.example") == 0);
    config_free(&cfg);

    /* No addresses at all: loopback only, still valid. */
    memset(v, 0, sizeof(v));
    CHECK_EQ(parse_with_net(v, sizeof(v), NULL, &cfg), 0);
    CHECK_EQ(cfg.net.flags, 0);
    config_free(&cfg);
}

static void expect_net_refused(void (*edit)(u8 *v), u32 length)
{
    u8 v[CONFIG_NET_RECORD_SIZE + 4];
    memset(v, 0, sizeof(v));
    net_value(v);
    if (edit)
        edit(v);
    struct boot_config cfg;
    CHECK_EQ(parse_with_net(v, length, NULL, &cfg), -EINVAL);
}

static void unknown_flag(u8 *v) { v[0] |= 0x80; }
static void reserved_byte(u8 *v) { v[15] = 1; }
static void prefix4_zero(u8 *v) { v[12] = 0; }
static void prefix4_big(u8 *v) { v[12] = 33; }
static void prefix6_big(u8 *v) { v[13] = 129; }
static void addr4_zero(u8 *v) { memset(v + 4, 0, 4); }
static void addr6_zero(u8 *v) { memset(v + 16, 0, 16); }
static void v4_fields_unflagged(u8 *v) { v[0] &= (u8)~CONFIG_NET_IPV4; }
static void v6_fields_unflagged(u8 *v) { v[0] &= (u8)~CONFIG_NET_IPV6; }
static void dns_too_many(u8 *v) { v[14] = 4; }
static void dns_empty_slot(u8 *v) { v[14] = 3; }
static void dns_stray_slot(u8 *v) { v[14] = 1; }

static void test_net_refusals(void)
{
    expect_net_refused(NULL, CONFIG_NET_RECORD_SIZE - 4);
    expect_net_refused(NULL, CONFIG_NET_RECORD_SIZE + 4);
    void (*edits[])(u8 *) = {
        unknown_flag, reserved_byte, prefix4_zero, prefix4_big, prefix6_big, addr4_zero,
        addr6_zero, v4_fields_unflagged, v6_fields_unflagged, dns_too_many, dns_empty_slot,
        dns_stray_slot,
    };
    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++)
        expect_net_refused(edits[i], CONFIG_NET_RECORD_SIZE);

    /* Two NET records. */
    u8 v[CONFIG_NET_RECORD_SIZE];
    net_value(v);
    struct builder b;
    build_valid(&b, 0);
    add(&b, CFG_NET, v, sizeof(v));
    add(&b, CFG_NET, v, sizeof(v));
    struct boot_config cfg;
    CHECK_EQ(config_parse(b.buf, finish(&b), &cfg), -EINVAL);
}

static void test_hostname(void)
{
    const char *good[] = { "a", "web", "web-1", "a.b.c", "x1.example.org", "A9" };
    const char *bad[] = { "", "-a", "a-", "a..b", ".a", "a.", "a_b", "a b", "caf\xc3\xa9",
                          "a.-b", "a-.b",
                          "0123456789012345678901234567890123456789012345678901234567890123x" };
    struct boot_config cfg;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        CHECK_EQ(parse_with_net(NULL, 0, good[i], &cfg), 0);
        config_free(&cfg);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ(parse_with_net(NULL, 0, bad[i], &cfg), -EINVAL);
}

/* A config that allows every docker flag: --entrypoint, -w, -u 1000:100
 * (named "app", in groups 27 and 100), --tmpfs, extra args. */
static size_t build_permissive(struct builder *b)
{
    u8 root[48] = { 0 };
    u8 user[23] = { 0xe8, 0x03, 0, 0, 100, 0, 0, 0, 2, 0, 0, 0, 27, 0, 0, 0, 100, 0, 0, 0, 'a', 'p', 'p' };
    begin(b);
    add_str(b, CFG_ENTRYPOINT, "/bin/app");
    add_str(b, CFG_ARG, "/bin/app");
    add_str(b, CFG_ARG, "--from-cmd");
    add_str(b, CFG_CWD, "/srv");
    add_u32(b, CFG_UID, 0);
    add_u32(b, CFG_GID, 0);
    add_u32(b, CFG_GROUPS, 27);
    add_str(b, CFG_TMPFS, "/tmp");
    add(b, CFG_DISK_ROOT, root, 48);
    add_u32(b, CFG_ALLOW_HOST_ARGV, 1);
    add_u32(b, CFG_ALLOW_HOST_ENTRYPOINT, 1);
    add_u32(b, CFG_ALLOW_HOST_CWD, 1);
    add(b, CFG_ALLOW_HOST_USER, user, sizeof(user));
    add_u32(b, CFG_ALLOW_HOST_TMPFS, 1);
    add_str(b, CFG_ALLOW_HOST_VOLUME, "/data");
    return finish(b);
}

static void test_overrides_for_docker_flags(void)
{
    struct builder b, o;
    struct boot_config cfg;
    size_t size = build_permissive(&b);
    CHECK_EQ(config_parse(b.buf, size, &cfg), 0);
    CHECK(cfg.allow_host_entrypoint && cfg.allow_host_cwd && cfg.allow_host_tmpfs);
    CHECK_EQ(cfg.host_user_count, 1);

    begin(&o);
    add_str(&o, CFG_ENTRYPOINT, "/bin/sh");
    add_str(&o, CFG_CWD, "/work");
    add_u32(&o, CFG_UID, 1000);
    add_u32(&o, CFG_GID, 100);
    add_u32(&o, CFG_GROUPS, 27);
    add_u32(&o, CFG_GROUPS, 100);
    add_tmpfs_mount(&o, "/run", 1ULL << 32, 0700, 1000, 100,
                    CONFIG_TMPFS_NOEXEC | CONFIG_TMPFS_NOSUID | CONFIG_TMPFS_RDONLY);
    add_u32(&o, CFG_READ_ONLY_ROOT, 1);
    size_t osize = finish(&o);
    CHECK(!cfg.read_only_root);
    CHECK_EQ(config_apply_overrides(&cfg, o.buf, osize), 0);
    CHECK(cfg.read_only_root);
    CHECK(strcmp(cfg.entrypoint, "/bin/sh") == 0);
    CHECK_EQ(cfg.argc, 1); /* the image's CMD goes with its entrypoint */
    CHECK(strcmp(cfg.argv[0], "/bin/sh") == 0);
    CHECK(strcmp(cfg.cwd, "/work") == 0);
    CHECK_EQ(cfg.uid, 1000);
    CHECK_EQ(cfg.gid, 100);
    CHECK_EQ(cfg.group_count, 2); /* the entry's, not the image user's 27 alone */
    CHECK_EQ(cfg.groups[0], 27);
    CHECK_EQ(cfg.groups[1], 100);
    CHECK_EQ(cfg.tmpfs_count, 1); /* the config's own, /tmp */
    CHECK_EQ(cfg.host_tmpfs_count, 1);
    CHECK(strcmp(cfg.host_tmpfs[0].path, "/run") == 0);
    CHECK_EQ(cfg.host_tmpfs[0].size, 1ULL << 32);
    CHECK_EQ(cfg.host_tmpfs[0].mode, 0700);
    CHECK_EQ(cfg.host_tmpfs[0].uid, 1000);
    CHECK_EQ(cfg.host_tmpfs[0].gid, 100);
    CHECK_EQ(cfg.host_tmpfs[0].flags, CONFIG_TMPFS_NOEXEC | CONFIG_TMPFS_NOSUID | CONFIG_TMPFS_RDONLY);
    config_free(&cfg);

    /* a user the config does not list, or half a user, changes nothing */
    CHECK_EQ(config_parse(b.buf, size, &cfg), 0);
    begin(&o);
    add_str(&o, CFG_CWD, "/work");
    add_u32(&o, CFG_UID, 0);
    add_u32(&o, CFG_GID, 100);
    osize = finish(&o);
    CHECK_EQ(config_apply_overrides(&cfg, o.buf, osize), -EPERM);
    begin(&o);
    add_u32(&o, CFG_UID, 1000);
    osize = finish(&o);
    CHECK_EQ(config_apply_overrides(&cfg, o.buf, osize), -EINVAL);
    /* the entry's ids with other groups (a group more, one less, or
     * groups alone): the host cannot compose a user */
    u32 other_groups[3][3] = { { 27, 100, 0 }, { 100 }, { 27 } };
    u32 other_counts[3] = { 3, 1, 1 };
    for (int k = 0; k < 4; k++) {
        begin(&o);
        if (k < 3) {
            add_u32(&o, CFG_UID, 1000);
            add_u32(&o, CFG_GID, 100);
            for (u32 g = 0; g < other_counts[k]; g++)
                add_u32(&o, CFG_GROUPS, other_groups[k][g]);
        } else {
            add_u32(&o, CFG_GROUPS, 0);
        }
        osize = finish(&o);
        CHECK_EQ(config_apply_overrides(&cfg, o.buf, osize), -EPERM);
    }
    CHECK(strcmp(cfg.cwd, "/srv") == 0);
    CHECK_EQ(cfg.uid, 0);
    CHECK_EQ(cfg.group_count, 1);

    /* TERM for -t: added once, never over the config's own */
    CHECK_EQ(config_default_env(&cfg, "TERM", "xterm"), 0);
    CHECK_EQ(config_default_env(&cfg, "TERM", "vt100"), 0);
    CHECK_EQ(cfg.host_envc, 1);
    CHECK(strcmp(cfg.host_envp[0], "TERM=xterm") == 0);
    config_free(&cfg);

    /* policy records are checked like any other */
    u8 bad_users[4][16] = {
        { 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 'a', ':', 'b', 'c' },       /* name with ':' */
        { 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0 },               /* 2 groups, 1 there */
        { 1, 0, 0, 0, 1, 0, 0, 0, 65, 0, 0, 0, 5, 0, 0, 0 },              /* more than 64 */
        { 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff },   /* (gid_t)-1 */
    };
    const char *why[4] = { "ALLOW_HOST_USER name", "u32 n, n groups", "too many groups", "invalid id" };
    for (int k = 0; k < 4; k++) {
        begin_minimal(&b);
        add(&b, CFG_ALLOW_HOST_USER, bad_users[k], sizeof(bad_users[k]));
        size = finish(&b);
        CHECK_EQ(config_parse(b.buf, size, &cfg), -EINVAL);
        CHECK(strstr(config_error(), why[k]) != NULL);
    }
}

/* TMPFS_MOUNT overrides: only with ALLOW_HOST_TMPFS, every value
 * checked, no path twice, never a volume's target; a refused file
 * changes nothing. */
static void test_tmpfs_mount_records_refused(void)
{
    struct builder b, o;
    struct boot_config cfg;
    size_t size = build_permissive(&b);
    CHECK_EQ(config_parse(b.buf, size, &cfg), 0);
    struct {
        const char *path;
        u32 mode, uid, flags;
        int err;
    } cases[] = {
        { "/run", 010000, 0, 0, -EINVAL },        /* mode above 07777 */
        { "/run", 0755, 0xffffffffU, 0, -EINVAL }, /* invalid owner */
        { "/run", 0755, 0, 0x10, -EINVAL },        /* a flag we do not know */
        { "/run", 0755, 0, 0x80000000U, -EINVAL },
        { "/", 0755, 0, 0, -EINVAL },
        { "run", 0755, 0, 0, -EINVAL },
        { "/run/", 0755, 0, 0, -EINVAL },
        { "/a//b", 0755, 0, 0, -EINVAL },
        { "/a/../b", 0755, 0, 0, -EINVAL },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        begin(&o);
        add_tmpfs_mount(&o, cases[i].path, 0, cases[i].mode, cases[i].uid, 0, cases[i].flags);
        size_t osize = finish(&o);
        CHECK_EQ(config_apply_overrides(&cfg, o.buf, osize), cases[i].err);
    }
    begin(&o);
    add_tmpfs_mount(&o, "/run", 0, 0755, 0, 0, 0);
    add_tmpfs_mount(&o, "/run", 4096, 0755, 0, 0, 0);
    size_t osize = finish(&o);
    CHECK_EQ(config_apply_overrides(&cfg, o.buf, osize), -EINVAL);
    CHECK(strstr(config_error(), "two tmpfs mounts") != NULL);
    /* never where a volume goes */
    u8 volume[80 + 5] = { 0 };
    volume[24] = 1; /* generation 1 */
    memcpy(volume + 80, "/data", 5);
    begin(&o);
    add(&o, CFG_VOLUME, volume, sizeof(volume));
    add_tmpfs_mount(&o, "/data", 0, 0755, 0, 0, 0);
    osize = finish(&o);
    CHECK_EQ(config_apply_overrides(&cfg, o.buf, osize), -EINVAL);
    CHECK(strstr(config_error(), "where a volume goes") != NULL);
    CHECK_EQ(cfg.volume_count, 0);
    /* a path with a NUL in it */
    begin(&o);
    add_tmpfs_mount(&o, "/run", 0, 0755, 0, 0, 0);
    o.buf[16 + 8 + 24 + 2] = 0;
    osize = finish(&o);
    CHECK_EQ(config_apply_overrides(&cfg, o.buf, osize), -EINVAL);
    CHECK_EQ(cfg.host_tmpfs_count, 0);
    config_free(&cfg);

    /* without ALLOW_HOST_TMPFS: refused, with the reason */
    size = build_valid(&b, 0);
    CHECK_EQ(config_parse(b.buf, size, &cfg), 0);
    begin(&o);
    add_tmpfs_mount(&o, "/run", 0, 01777, 0, 0, 0);
    osize = finish(&o);
    CHECK_EQ(config_apply_overrides(&cfg, o.buf, osize), -EPERM);
    CHECK(strstr(config_error(), "tmpfs mounts not allowed") != NULL);
    /* a plain TMPFS record is config.bin's, never the host's */
    begin(&o);
    add_str(&o, CFG_TMPFS, "/run");
    osize = finish(&o);
    CHECK_EQ(config_apply_overrides(&cfg, o.buf, osize), -EINVAL);
    CHECK_EQ(cfg.host_tmpfs_count, 0);
    config_free(&cfg);
}

static const struct host_test g_tests[] = {
    { "net_defaults", test_net_defaults },
    { "net_record", test_net_record },
    { "net_refusals", test_net_refusals },
    { "hostname", test_hostname },
    { "valid", test_valid },
    { "missing_required", test_missing_required },
    { "header", test_header },
    { "record_framing", test_record_framing },
    { "values", test_values },
    { "string_lengths", test_string_lengths },
    { "every_truncation_fails", test_every_truncation_fails },
    { "byte_flips_never_crash", test_byte_flips_never_crash },
    { "overrides", test_overrides },
    { "overrides_for_docker_flags", test_overrides_for_docker_flags },
    { "tmpfs_mount_records_refused", test_tmpfs_mount_records_refused },
};

int main(int argc, char **argv)
{
    /* host.mk passes the golden directory as argv[1]; only a test name
     * (no '/') selects a single test. */
    if (argc > 1 && strchr(argv[1], '/'))
        argc = 1;
    return run_tests(g_tests, (int)(sizeof(g_tests) / sizeof(g_tests[0])), argc, argv);
}
