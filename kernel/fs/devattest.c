/*
 * devattest.c: /dev/attestation in VM mode (docs/measurements.md):
 * attestation_type, user_report_data (read/write, 64 bytes), report (the
 * 272-byte software report) and measurements/{kernel,config,disk_root,
 * rtmr} as hex lines. Values come from kernel/measure. attestation_type
 * and eventlog come from the platform (TDX: "tdx" or "tdx-simulated" and
 * the CCEL-style log of every RTMR extend).
 */
#include "fs/devfs.h"
#include "fs/pseudofs.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "measure/measure.h"
#include "platform/platform.h"
#include "syscalls/linux_abi/errno.h"

#define REPORT_MAGIC "CVMREP01"
#define REPORT_VERSION 1

/* What the app last wrote; one per kernel (one app per VM). */
static u8 g_user_report_data[ATTEST_USER_DATA_SIZE];

long attest_type_generate(struct inode *inode, char *buf, size_t size)
{
	(void)inode;
	const char *type = platform_attestation_type(); /* none, tdx, tdx-simulated */
	size_t len = strlen(type);
	if (size >= len + 1) {
		memcpy(buf, type, len);
		buf[len] = '\n';
	}
	return (long)(len + 1);
}

/* The event log of the platform's measurement registers (TDX: every RTMR
 * extend, CCEL-style); empty in VM mode. */
long attest_eventlog_generate(struct inode *inode, char *buf, size_t size)
{
	(void)inode;
	size_t len;
	const u8 *log = platform_event_log(&len);
	if (size >= len && len > 0)
		memcpy(buf, log, len);
	return (long)len;
}

static void put_u32(u8 *p, u32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (u8)(v >> (8 * i));
}

long attest_report_generate(struct inode *inode, char *buf, size_t size)
{
	(void)inode;
	if (size < ATTEST_REPORT_SIZE)
		return ATTEST_REPORT_SIZE;
	const struct measurements *m = measurements_get();
	u8 *r = (u8 *)buf;
	memset(r, 0, ATTEST_REPORT_SIZE);
	memcpy(r, REPORT_MAGIC, 8);
	put_u32(r + 8, REPORT_VERSION);
	put_u32(r + 12, 0);
	memcpy(r + 16, m->kernel, SHA384_SIZE);
	memcpy(r + 64, m->config, SHA384_SIZE);
	memcpy(r + 112, m->disk_root, SHA384_SIZE);
	memcpy(r + 160, m->rtmr, SHA384_SIZE);
	memcpy(r + 208, g_user_report_data, ATTEST_USER_DATA_SIZE);
	return ATTEST_REPORT_SIZE;
}

/* The measurement a node stands for, by its name. */
static const u8 *measurement_by_name(const char *name)
{
	const struct measurements *m = measurements_get();
	if (strcmp(name, "kernel") == 0)
		return m->kernel;
	if (strcmp(name, "config") == 0)
		return m->config;
	if (strcmp(name, "disk_root") == 0)
		return m->disk_root;
	if (strcmp(name, "rtmr") == 0)
		return m->rtmr;
	return NULL;
}

long attest_measurement_generate(struct inode *inode, char *buf, size_t size)
{
	const u8 *value = measurement_by_name(pseudofs_node(inode)->name);
	if (value == NULL)
		return -EIO;
	size_t len = 2 * SHA384_SIZE + 1;
	if (size < len)
		return (long)len;
	hex_encode(buf, value, SHA384_SIZE);
	buf[2 * SHA384_SIZE] = '\n';
	return (long)len;
}

static long user_data_read(struct file *file, void *buf, size_t size, u64 offset)
{
	(void)file;
	if (offset >= ATTEST_USER_DATA_SIZE)
		return 0;
	size_t n = ATTEST_USER_DATA_SIZE - (size_t)offset;
	if (n > size)
		n = size;
	memcpy(buf, g_user_report_data + offset, n);
	return (long)n;
}

/* A write at offset 0 replaces the whole value, zero-padded. */
static long user_data_write(struct file *file, const void *buf, size_t size, u64 offset)
{
	(void)file;
	if (offset >= ATTEST_USER_DATA_SIZE || size > ATTEST_USER_DATA_SIZE - offset)
		return -EINVAL;
	if (offset == 0)
		memset(g_user_report_data, 0, sizeof(g_user_report_data));
	memcpy(g_user_report_data + offset, buf, size);
	return (long)size;
}

const struct file_ops g_attest_report_data_fops = {
	.read = user_data_read,
	.write = user_data_write,
};
