/* Linux capability numbers, capget/capset structs and securebits. */
#ifndef LINUX_ABI_CAPABILITY_H
#define LINUX_ABI_CAPABILITY_H

#include "lib/types.h"

#define CAP_CHOWN 0
#define CAP_DAC_OVERRIDE 1
#define CAP_DAC_READ_SEARCH 2
#define CAP_FOWNER 3
#define CAP_FSETID 4
#define CAP_KILL 5
#define CAP_SETGID 6
#define CAP_SETUID 7
#define CAP_SETPCAP 8
#define CAP_LINUX_IMMUTABLE 9
#define CAP_NET_BIND_SERVICE 10
#define CAP_NET_RAW 13
#define CAP_SYS_CHROOT 18
#define CAP_SYS_PTRACE 19
#define CAP_SYS_ADMIN 21
#define CAP_SYS_NICE 23
#define CAP_SYS_RESOURCE 24
#define CAP_MKNOD 27
#define CAP_AUDIT_WRITE 29
#define CAP_SETFCAP 31
#define CAP_MAC_OVERRIDE 32
#define CAP_LAST_CAP 40

#define CAP_BIT(c) (1ull << (c))
#define CAP_ALL (CAP_BIT(CAP_LAST_CAP + 1) - 1)

/* The set docker grants a container by default (and so does cvmify). */
#define CAP_DOCKER_DEFAULT                                                              \
	(CAP_BIT(CAP_CHOWN) | CAP_BIT(CAP_DAC_OVERRIDE) | CAP_BIT(CAP_FOWNER) |         \
	 CAP_BIT(CAP_FSETID) | CAP_BIT(CAP_KILL) | CAP_BIT(CAP_SETGID) |                \
	 CAP_BIT(CAP_SETUID) | CAP_BIT(CAP_SETPCAP) | CAP_BIT(CAP_NET_BIND_SERVICE) |   \
	 CAP_BIT(CAP_NET_RAW) | CAP_BIT(CAP_SYS_CHROOT) | CAP_BIT(CAP_MKNOD) |          \
	 CAP_BIT(CAP_AUDIT_WRITE) | CAP_BIT(CAP_SETFCAP))

/* What a change of the fs uid between 0 and non-0 adds or removes. */
#define CAP_FS_MASK                                                                     \
	(CAP_BIT(CAP_CHOWN) | CAP_BIT(CAP_DAC_OVERRIDE) | CAP_BIT(CAP_DAC_READ_SEARCH) | \
	 CAP_BIT(CAP_FOWNER) | CAP_BIT(CAP_FSETID) | CAP_BIT(CAP_LINUX_IMMUTABLE) |      \
	 CAP_BIT(CAP_MAC_OVERRIDE) | CAP_BIT(CAP_MKNOD))

#define LINUX_CAPABILITY_VERSION_1 0x19980330u
#define LINUX_CAPABILITY_VERSION_2 0x20071026u
#define LINUX_CAPABILITY_VERSION_3 0x20080522u

struct linux_cap_header {
	u32 version;
	s32 pid;
};

struct linux_cap_data {
	u32 effective;
	u32 permitted;
	u32 inheritable;
};

/* securebits */
#define SECBIT_NOROOT 0x01
#define SECBIT_NOROOT_LOCKED 0x02
#define SECBIT_NO_SETUID_FIXUP 0x04
#define SECBIT_NO_SETUID_FIXUP_LOCKED 0x08
#define SECBIT_KEEP_CAPS 0x10
#define SECBIT_KEEP_CAPS_LOCKED 0x20
#define SECBIT_NO_CAP_AMBIENT_RAISE 0x40
#define SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED 0x80
#define SECBITS_ALL 0xff

#endif
