/*
 * elf.h: the program loader: maps an ELF64 x86-64 program (and its
 * PT_INTERP loader) into an address space. Parsing and checking live in
 * elf_parse.h (which also carries the ELF structures).
 *
 * Trust: the executable and its interpreter come from the root disk,
 * which is authenticated, but a writer bug or a hostile image author must
 * not become a kernel memory error: elf_parse checks every header field
 * before anything here uses it.
 */
#ifndef CVMIFY_PROC_ELF_H
#define CVMIFY_PROC_ELF_H

#include "lib/types.h"
#include "proc/elf_parse.h"

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
	u32 file_mode;    /* the program file's mode, owner and group (set-id exec) */
	u32 file_uid;
	u32 file_gid;
};

/* Map the program at path (absolute or relative to cwd) and, for a
 * dynamic program, its PT_INTERP loader into mm. Both need exec
 * permission for the caller's credentials (vfs_open_exec). Returns 0 or
 * -errno (-ENOEXEC for a bad ELF). */
int elf_load(struct mm *mm, struct inode *cwd, const char *path, struct elf_image *out);

#endif
