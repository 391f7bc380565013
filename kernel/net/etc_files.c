/*
 * etc_files.c: the kernel's /etc/resolv.conf, /etc/hosts and
 * /etc/hostname (etc_files.h). Each is a one-file pseudofs mounted over
 * the image's file; the content is made once at boot from the measured
 * config, so it is the same for every reader and never from the host.
 */
#include "net/etc_files.h"
#include "fs/pseudofs.h"
#include "fs/tmpfs.h"
#include "fs/vfs.h"
#include "lib/kprintf.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "syscalls/linux_abi/errno.h"

#include "lwip/ip4_addr.h"
#include "lwip/ip6_addr.h"

#define ETC_DEV 0x6
#define ETC_FILE_MAX 1024
#define ADDR_TEXT 48
#define ETC_TMPFS_PAGES 256

struct etc_file {
	const char *path;
	char text[ETC_FILE_MAX];
	size_t size;
	struct pseudo_node node;
};

enum { ETC_RESOLV, ETC_HOSTS, ETC_HOSTNAME, ETC_COUNT };

static struct etc_file g_files[ETC_COUNT] = {
	[ETC_RESOLV] = { .path = "/etc/resolv.conf" },
	[ETC_HOSTS] = { .path = "/etc/hosts" },
	[ETC_HOSTNAME] = { .path = "/etc/hostname" },
};

/* An address from the config as text: IPv4-mapped ones as IPv4. */
static void addr16_text(const u8 a[16], char *out)
{
	static const u8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (memcmp(a, mapped, 12) == 0) {
		ip4_addr_t v4;
		memcpy(&v4.addr, a + 12, 4);
		ip4addr_ntoa_r(&v4, out, ADDR_TEXT);
		return;
	}
	ip6_addr_t v6;
	memcpy(v6.addr, a, 16);
	ip6_addr_clear_zone(&v6);
	ip6addr_ntoa_r(&v6, out, ADDR_TEXT);
	for (char *c = out; *c; c++) { /* lwIP writes hex in upper case */
		if (*c >= 'A' && *c <= 'F')
			*c = (char)(*c - 'A' + 'a');
	}
}

/* Append formatted text; false when it did not fit. */
static bool append(char *buf, size_t size, size_t *len, const char *fmt, const char *a,
                   const char *b)
{
	int n = snprintf(buf + *len, size - *len, fmt, a, b);
	if (n < 0 || (size_t)n >= size - *len)
		return false;
	*len += (size_t)n;
	return true;
}

int etc_resolv_conf(const struct config_net *cfg, char *buf, size_t size)
{
	size_t len = 0;
	char addr[ADDR_TEXT];
	buf[0] = 0;
	for (u32 i = 0; i < cfg->dns_count && i < CONFIG_NET_MAX_DNS; i++) {
		addr16_text(cfg->dns[i], addr);
		if (!append(buf, size, &len, "nameserver %s%s\n", addr, ""))
			return -ENOSPC;
	}
	return 0;
}

int etc_hosts(const struct config_net *cfg, const char *hostname, char *buf, size_t size)
{
	static const char *const fixed =
	    "127.0.0.1\tlocalhost\n"
	    "::1\tlocalhost ip6-localhost ip6-loopback\n"
	    "fe00::0\tip6-localnet\n"
	    "ff00::0\tip6-mcastprefix\n"
	    "ff02::1\tip6-allnodes\n"
	    "ff02::2\tip6-allrouters\n";
	size_t len = 0;
	char addr[ADDR_TEXT];
	buf[0] = 0;
	if (!append(buf, size, &len, "%s%s", fixed, ""))
		return -ENOSPC;
	if (cfg->flags & CONFIG_NET_IPV4) {
		ip4_addr_t v4;
		memcpy(&v4.addr, cfg->ipv4_addr, 4);
		ip4addr_ntoa_r(&v4, addr, sizeof(addr));
		if (!append(buf, size, &len, "%s\t%s\n", addr, hostname))
			return -ENOSPC;
	}
	if (cfg->flags & CONFIG_NET_IPV6) {
		addr16_text(cfg->ipv6_addr, addr);
		if (!append(buf, size, &len, "%s\t%s\n", addr, hostname))
			return -ENOSPC;
	}
	return 0;
}

static long etc_generate(struct inode *inode, char *buf, size_t size)
{
	const struct pseudo_node *node = pseudofs_node(inode);
	const struct etc_file *f = &g_files[node->ino - 1];
	memcpy(buf, f->text, MIN(f->size, size));
	return (long)f->size;
}

static int mount_one(struct etc_file *f, u32 index)
{
	f->size = strlen(f->text);
	f->node = (struct pseudo_node){
		.ino = index + 1, .parent = index + 1, .name = f->path + 5,
		.mode = S_IFREG | 0644, .size = f->size,
		.fops = &g_pseudo_generated_fops, .generate = etc_generate,
	};
	/* One filesystem per file: its root is the file. ino says which. */
	struct fs_super *sb = pseudofs_create("etcfile", ETC_DEV, &f->node, 1);
	if (sb == NULL)
		return -ENOMEM;
	sb->read_only = true;
	return vfs_mount_file(f->path, sb);
}

/* Images built FROM scratch often have no /etc; docker makes one for
 * its files, so do we: an empty tmpfs that hides nothing. */
static int ensure_etc(void)
{
	struct inode *root = vfs_root();
	struct inode *etc = NULL;
	int err = vfs_lookup(root, "/etc", LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &etc);
	inode_put(root);
	if (err == 0) {
		inode_put(etc);
		return 0;
	}
	if (err != -ENOENT)
		return err;
	struct fs_super *sb = tmpfs_create(0755, ETC_TMPFS_PAGES);
	if (sb == NULL)
		return -ENOMEM;
	return vfs_mount("/etc", sb);
}

int etc_files_init(const struct config_net *cfg, const char *hostname)
{
	int err = ensure_etc();
	if (err < 0) {
		kprintf("net: no /etc (error %d): resolv.conf, hosts, hostname not served\n", err);
		return err;
	}

	if (etc_resolv_conf(cfg, g_files[ETC_RESOLV].text, ETC_FILE_MAX) < 0 ||
	    etc_hosts(cfg, hostname, g_files[ETC_HOSTS].text, ETC_FILE_MAX) < 0)
		return -ENOSPC;
	snprintf(g_files[ETC_HOSTNAME].text, ETC_FILE_MAX, "%s\n", hostname);
	for (u32 i = 0; i < ETC_COUNT; i++) {
		err = mount_one(&g_files[i], i);
		if (err < 0) {
			kprintf("net: cannot serve %s (error %d)\n", g_files[i].path, err);
			return err;
		}
	}
	return 0;
}
