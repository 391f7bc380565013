/*
 * elf.h: ELF64 structures (System V gABI + x86-64 psABI values) and the
 * program loader.
 *
 * Trust: the executable and its interpreter come from the root disk,
 * which is authenticated, but a writer bug or a hostile image author must
 * not become a kernel memory error: every header field is bounds- and
 * overflow-checked before use.
 */
#ifndef CVMIFY_PROC_ELF_H
#define CVMIFY_PROC_ELF_H

#include "lib/types.h"

#define EI_NIDENT 16
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62

#define PT_NULL 0
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define PT_NOTE 4
#define PT_PHDR 6
#define PT_TLS 7
#define PT_GNU_STACK 0x6474e551

#define PF_X 1
#define PF_W 2
#define PF_R 4

struct elf64_ehdr {
	u8 e_ident[EI_NIDENT];
	u16 e_type;
	u16 e_machine;
	u32 e_version;
	u64 e_entry;
	u64 e_phoff;
	u64 e_shoff;
	u32 e_flags;
	u16 e_ehsize;
	u16 e_phentsize;
	u16 e_phnum;
	u16 e_shentsize;
	u16 e_shnum;
	u16 e_shstrndx;
};
_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header is 64 bytes");

struct elf64_phdr {
	u32 p_type;
	u32 p_flags;
	u64 p_offset;
	u64 p_vaddr;
	u64 p_paddr;
	u64 p_filesz;
	u64 p_memsz;
	u64 p_align;
};
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header is 56 bytes");

/* Limits we accept (Linux: program headers must fit in 64 KiB). */
#define ELF_MAX_PHNUM 512
#define ELF_INTERP_MAX 4096
/* Where position-independent executables go (like Linux's ELF_ET_DYN_BASE). */
#define ELF_PIE_BASE 0x0000555555554000ull

struct mm;
struct inode;

/* What exec_stack needs to build the auxiliary vector. */
struct elf_image {
	u64 entry;        /* where the CPU starts: the interpreter's entry if any */
	u64 prog_entry;   /* AT_ENTRY: the program's own entry */
	u64 phdr;         /* AT_PHDR: user address of the program headers */
	u64 phnum;        /* AT_PHNUM */
	u64 interp_base;  /* AT_BASE: 0 without an interpreter */
	u64 brk_start;    /* first byte after the program's highest segment */
};

/* Map the program at path (absolute or relative to cwd) and, for a
 * dynamic program, its PT_INTERP loader into mm. Both need exec
 * permission for the caller's credentials (vfs_open_exec). Returns 0 or
 * -errno (-ENOEXEC for a bad ELF). */
int elf_load(struct mm *mm, struct inode *cwd, const char *path, struct elf_image *out);

#endif
