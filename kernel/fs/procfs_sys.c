/*
 * procfs_sys.c: /proc/sys: the read-only values runtimes and libcs look
 * up (glibc's sysconf, Python, Node, JVMs, redis). Each says what this
 * kernel does: ngroups_max is TASK_GROUPS_MAX (setgroups refuses more),
 * nr_open is the fd table size, pipe-max-size the fixed pipe capacity.
 * Writing is EROFS (/proc is read-only): tuning is the measured config's.
 */
#include "fs/procfs_int.h"

#include "drivers/random/random.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/page.h"
#include "syscalls/linux_abi/errno.h"

#define THREAD_STACK_BYTES (16 * 1024)

/* A version-4 UUID from the CSPRNG, as text. */
static void uuid_text(const u8 raw_in[16], char out[37])
{
	u8 raw[16];
	memcpy(raw, raw_in, sizeof(raw));
	raw[6] = (u8)((raw[6] & 0x0f) | 0x40);
	raw[8] = (u8)((raw[8] & 0x3f) | 0x80);
	snprintf(out, 37,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7], raw[8], raw[9],
	         raw[10], raw[11], raw[12], raw[13], raw[14], raw[15]);
}

/* boot_id: one UUID for the whole boot, made on first read. */
static const char *boot_id(void)
{
	static char id[37];
	if (id[0] == 0) {
		u8 raw[16];
		random_bytes(raw, sizeof(raw));
		uuid_text(raw, id);
	}
	return id;
}

long procfs_sys_generate(struct inode *inode, char *buf, size_t size)
{
	struct textbuf t = { buf, size, 0 };
	char uuid[37];
	u8 raw[16];
	switch (pseudofs_node(inode)->ino) {
	case 30: textbuf_add(&t, "%s\n", UTS_SYSNAME); break;
	case 31: textbuf_add(&t, "%s\n", UTS_RELEASE); break;
	case 32: textbuf_add(&t, "%s\n", UTS_VERSION); break;
	case 33: textbuf_add(&t, "%s\n", UTS_NODENAME); break;
	case 34: textbuf_add(&t, "%s\n", UTS_DOMAINNAME); break;
	case 35: textbuf_add(&t, "4194304\n"); break;
	case 36:
		textbuf_add(&t, "%llu\n",
		         (unsigned long long)(page_total_count() * PAGE_SIZE / (8 * THREAD_STACK_BYTES)));
		break;
	case 37: textbuf_add(&t, "64\n"); break;       /* TASK_GROUPS_MAX */
	case 38: textbuf_add(&t, "40\n"); break;       /* CAP_LAST_CAP */
	case 39:
	case 40: textbuf_add(&t, "65534\n"); break;
	case 41: textbuf_add(&t, "%s\n", boot_id()); break;
	case 42:
		random_bytes(raw, sizeof(raw));
		uuid_text(raw, uuid);
		textbuf_add(&t, "%s\n", uuid);
		break;
	case 43:
	case 44: textbuf_add(&t, "256\n"); break;
	case 50: textbuf_add(&t, "0\n"); break;        /* heuristic: pages come on first touch */
	case 51: textbuf_add(&t, "65530\n"); break;
	case 60: textbuf_add(&t, "9223372036854775807\n"); break;
	case 61: textbuf_add(&t, "1024\n"); break;     /* TASK_FD_MAX */
	case 62: textbuf_add(&t, "65536\n"); break;    /* PIPE_SIZE */
	case 70: textbuf_add(&t, "4096\n"); break;
	default: return -ENOENT;
	}
	return (long)t.len;
}
