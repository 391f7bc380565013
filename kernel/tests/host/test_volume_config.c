/*
 * test_volume_config.c: the volume records of the boot interface
 * (docs/boot-config.md): ALLOW_HOST_VOLUME in config.bin, VOLUME in the
 * host overrides. A VOLUME is taken only for an allowed target, once per
 * target, and only when every field is well formed (fail closed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config/config.h"
#include "fs/volfs_format.h"
#include "syscalls/linux_abi/errno.h"

/* A record blob: header, then records appended by rec(). */
struct blob {
	u8 buf[32768];
	size_t len;
	u32 count;
};

static void rec(struct blob *b, u16 type, const void *value, u32 length)
{
	u8 *p = b->buf + (b->len ? b->len : (b->len = 16));
	volfs_put_le16(p, type);
	volfs_put_le16(p + 2, 0);
	volfs_put_le32(p + 4, length);
	memcpy(p + 8, value, length);
	b->len += 8 + ((length + 3) & ~3u);
	b->count++;
}

static size_t done(struct blob *b)
{
	if (b->len == 0)
		b->len = 16;
	memcpy(b->buf, CONFIG_MAGIC, 8);
	volfs_put_le32(b->buf + 8, (u32)b->len);
	volfs_put_le32(b->buf + 12, b->count);
	return b->len;
}

static void str(struct blob *b, u16 type, const char *s)
{
	rec(b, type, s, (u32)strlen(s));
}

static void u32rec(struct blob *b, u16 type, u32 v)
{
	u8 raw[4];
	volfs_put_le32(raw, v);
	rec(b, type, raw, 4);
}

/* A config allowing volumes at /data and /var/lib/db. */
static void parse_policy(struct boot_config *cfg)
{
	static struct blob b;
	memset(&b, 0, sizeof(b));
	str(&b, CFG_ENTRYPOINT, "/bin/sh");
	str(&b, CFG_ARG, "sh");
	str(&b, CFG_CWD, "/");
	u32rec(&b, CFG_UID, 0);
	u32rec(&b, CFG_GID, 0);
	u8 root[48] = { 1 };
	rec(&b, CFG_DISK_ROOT, root, 48);
	str(&b, CFG_ALLOW_HOST_VOLUME, "/data");
	str(&b, CFG_ALLOW_HOST_VOLUME, "/var/lib/db");
	size_t size = done(&b);
	memset(cfg, 0, sizeof(*cfg));
	CHECK_EQ(config_parse(b.buf, size, cfg), 0);
}

/* One VOLUME value: flags, uuid byte, generation, target. */
static u32 volume_value(u8 *out, u32 flags, u64 generation, const char *target)
{
	memset(out, 0, CONFIG_VOLUME_FIXED);
	volfs_put_le32(out, flags);
	memset(out + 8, 0xab, 16);
	volfs_put_le64(out + 24, generation);
	memset(out + 32, 0xcd, 48);
	size_t n = strlen(target);
	memcpy(out + CONFIG_VOLUME_FIXED, target, n);
	return (u32)(CONFIG_VOLUME_FIXED + n);
}

static int apply(struct boot_config *cfg, u32 flags, u64 generation, const char *target,
                 const char *second)
{
	static struct blob o;
	memset(&o, 0, sizeof(o));
	u8 value[CONFIG_VOLUME_FIXED + 4200];
	rec(&o, CFG_VOLUME, value, volume_value(value, flags, generation, target));
	if (second != NULL)
		rec(&o, CFG_VOLUME, value, volume_value(value, 0, 1, second));
	size_t size = done(&o);
	return config_apply_overrides(cfg, o.buf, size);
}

static void test_volume_records_taken(void)
{
	struct boot_config cfg;
	parse_policy(&cfg);
	CHECK_EQ(cfg.allow_host_volume_count, 2);
	CHECK_EQ(apply(&cfg, CONFIG_VOLUME_READ_ONLY, 7, "/var/lib/db", "/data"), 0);
	CHECK_EQ(cfg.volume_count, 2);
	if (cfg.volume_count == 2) {
		CHECK(strcmp(cfg.volumes[0].path, "/var/lib/db") == 0);
		CHECK_EQ(cfg.volumes[0].flags, CONFIG_VOLUME_READ_ONLY);
		CHECK_EQ(cfg.volumes[0].generation, 7);
		CHECK_EQ(cfg.volumes[0].uuid[15], 0xab);
		CHECK_EQ(cfg.volumes[0].root[47], 0xcd);
		CHECK(strcmp(cfg.volumes[1].path, "/data") == 0);
	}
	config_free(&cfg);
}

static void test_volume_records_refused(void)
{
	struct boot_config cfg;
	parse_policy(&cfg);
	CHECK_EQ(apply(&cfg, 0, 1, "/etc", NULL), -EPERM);             /* not allowed there */
	CHECK_EQ(apply(&cfg, 0, 1, "/data/sub", NULL), -EPERM);        /* exact paths only */
	CHECK_EQ(apply(&cfg, 0, 1, "/data", "/data"), -EINVAL);        /* a target twice */
	CHECK_EQ(apply(&cfg, 2, 1, "/data", NULL), -EINVAL);           /* unknown flag */
	CHECK_EQ(apply(&cfg, 0, 0, "/data", NULL), -EINVAL);           /* generation 0 */
	const char *bad[] = { "data", "/data/", "/data/../etc", "/./data", "//data", "/", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(apply(&cfg, 0, 1, bad[i], NULL), -EINVAL);
	u8 value[CONFIG_VOLUME_FIXED + 8];
	struct blob o;
	memset(&o, 0, sizeof(o));
	u32 n = volume_value(value, 0, 1, "/data");
	value[CONFIG_VOLUME_FIXED + 2] = 0; /* a NUL in the target */
	rec(&o, CFG_VOLUME, value, n);
	CHECK_EQ(config_apply_overrides(&cfg, o.buf, done(&o)), -EINVAL);
	CHECK_EQ(cfg.volume_count, 0); /* nothing taken from refused files */
	config_free(&cfg);
}

static void test_volume_record_truncations(void)
{
	struct boot_config cfg;
	parse_policy(&cfg);
	u8 value[CONFIG_VOLUME_FIXED + 8];
	u32 full = volume_value(value, 0, 3, "/data");
	for (u32 len = 0; len < full; len++) {
		struct blob o;
		memset(&o, 0, sizeof(o));
		rec(&o, CFG_VOLUME, value, len);
		int err = config_apply_overrides(&cfg, o.buf, done(&o));
		CHECK(err == -EINVAL || err == -EPERM); /* "/dat" is well formed but not allowed */
	}
	config_free(&cfg);
}

static void test_volume_policy_in_config_only(void)
{
	struct boot_config cfg;
	parse_policy(&cfg);
	struct blob o;
	memset(&o, 0, sizeof(o));
	str(&o, CFG_ALLOW_HOST_VOLUME, "/etc"); /* the host cannot widen the policy */
	CHECK_EQ(config_apply_overrides(&cfg, o.buf, done(&o)), -EINVAL);
	config_free(&cfg);
}

static const struct host_test g_tests[] = {
	{ "volume_records_taken", test_volume_records_taken },
	{ "volume_records_refused", test_volume_records_refused },
	{ "volume_record_truncations", test_volume_record_truncations },
	{ "volume_policy_in_config_only", test_volume_policy_in_config_only },
};

int main(int argc, char **argv)
{
	return run_tests(g_tests, (int)(sizeof(g_tests) / sizeof(g_tests[0])), argc - 1, argv + 1);
}
