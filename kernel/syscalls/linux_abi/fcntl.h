/* Linux open flags, AT_* flags and fcntl commands (x86-64 values). */
#ifndef LINUX_ABI_FCNTL_H
#define LINUX_ABI_FCNTL_H

#define O_ACCMODE 00000003
#define O_RDONLY 00000000
#define O_WRONLY 00000001
#define O_RDWR 00000002
#define O_CREAT 00000100
#define O_EXCL 00000200
#define O_NOCTTY 00000400
#define O_TRUNC 00001000
#define O_APPEND 00002000
#define O_NONBLOCK 00004000
#define O_DSYNC 00010000
#define O_ASYNC 00020000 /* FASYNC: SIGIO to the owner when I/O is possible */
#define O_DIRECT 00040000
#define O_LARGEFILE 00100000
#define O_DIRECTORY 00200000
#define O_NOFOLLOW 00400000
#define O_NOATIME 01000000
#define O_CLOEXEC 02000000
#define O_PATH 010000000
#define O_TMPFILE 020200000

#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_EACCESS 0x200
#define AT_SYMLINK_FOLLOW 0x400
#define AT_NO_AUTOMOUNT 0x800
#define AT_EMPTY_PATH 0x1000

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#define F_SETOWN 8
#define F_GETOWN 9
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC 1
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38

/* File seals (memfd_create with MFD_ALLOW_SEALING). */
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#define F_SEAL_FUTURE_WRITE 0x0010
#define F_SEAL_ALL 0x001f

/* memfd_create flags */
#define MFD_CLOEXEC 0x0001
#define MFD_ALLOW_SEALING 0x0002
#define MFD_HUGETLB 0x0004
#define MFD_NAME_MAX 249 /* NAME_MAX minus "memfd:" */

/* struct flock's l_type */
#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2

/* flock(2) operations */
#define LOCK_SH 1
#define LOCK_EX 2
#define LOCK_NB 4
#define LOCK_UN 8

/* fallocate(2) modes */
#define FALLOC_FL_KEEP_SIZE 0x01
#define FALLOC_FL_PUNCH_HOLE 0x02

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

#define F_OK 0
#define X_OK 1
#define W_OK 2
#define R_OK 4

#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2

#ifndef __ASSEMBLY__
#include "lib/types.h"

/* struct flock (x86-64: off_t is 64-bit). */
struct linux_flock {
	s16 l_type;
	s16 l_whence;
	s32 pad0;
	s64 l_start;
	s64 l_len;
	s32 l_pid;
	s32 pad1;
};
_Static_assert(sizeof(struct linux_flock) == 32, "struct flock is 32 bytes");
#endif

#endif
