/*
 * elf_parse.h: ELF64 structures (System V gABI + x86-64 psABI values) and
 * the pure half of the program loader: read and check the ELF header and
 * the program headers, find the interpreter, choose the load bias and the
 * user address of the program headers (AT_PHDR). No VFS, no page tables:
 * bytes come through a read callback and free address ranges through a
 * second one, so the same source builds on the host for unit tests
 * (kernel/tests/host/test_elf*.c).
 *
 * Trust: the file comes from the authenticated root disk, but a writer
 * bug or a hostile image author must not become a kernel memory error:
 * every field is bounds- and overflow-checked here, before proc/elf.c
 * maps anything.
 */
#ifndef CVMIFY_PROC_ELF_PARSE_H
#define CVMIFY_PROC_ELF_PARSE_H

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
/* Longest PT_INTERP, in bytes including the NUL. */
#define ELF_INTERP_MAX 4096
/* Where position-independent executables go (like Linux's ELF_ET_DYN_BASE). */
#define ELF_PIE_BASE 0x0000555555554000ull

/* The file being parsed: its size and a way to read it. read must fill
 * exactly size bytes at offset and return 0, or return -errno. */
struct elf_source {
	void *ctx;
	u64 size;
	int (*read)(void *ctx, void *buf, size_t size, u64 offset);
};

enum elf_kind {
	ELF_KIND_STATIC,      /* ET_EXEC, no PT_INTERP: runs at its link address */
	ELF_KIND_STATIC_PIE,  /* ET_DYN, no PT_INTERP: static-pie, or ld.so itself */
	ELF_KIND_DYNAMIC,     /* PT_INTERP present (ET_EXEC or ET_DYN) */
};

/* One checked ELF file. All addresses are unbiased (as in the file). */
struct elf_info {
	struct elf64_ehdr ehdr;
	struct elf64_phdr *phdrs;  /* owned (kmalloc), ehdr.e_phnum entries */
	char *interp;              /* owned (kmalloc) NUL-terminated PT_INTERP path, or NULL */
	u64 file_size;
	u64 lo;                    /* lowest PT_LOAD page */
	u64 hi;                    /* end of the highest PT_LOAD (not page-rounded) */
	bool exec_stack;           /* PT_GNU_STACK asks for PF_X (we keep the stack NX) */
	enum elf_kind kind;
};

/* Read and check src. On success out owns its buffers (elf_info_free);
 * on failure nothing is left allocated. Returns 0, -ENOEXEC for a bad or
 * unsupported ELF, -ENOMEM, or the read callback's -errno. */
int elf_parse(const struct elf_source *src, struct elf_info *out);
void elf_info_free(struct elf_info *info);

/* The free-address oracle for elf_choose_bias (mm/vma.c in the kernel). */
struct elf_space {
	void *ctx;
	/* True when [start, end) holds no mapping. */
	bool (*range_free)(void *ctx, u64 start, u64 end);
	/* Start of a free, page-aligned range of size bytes, or 0. */
	u64 (*find_hole)(void *ctx, u64 size);
};

/* Where to load: bias 0 for ET_EXEC (whose range must be free and inside
 * the user mmap area); for ET_DYN, ELF_PIE_BASE for a program when it is
 * free, else (and always for an interpreter) a hole from space. Returns 0,
 * -ENOEXEC or -ENOMEM (no room). */
int elf_choose_bias(const struct elf_info *info, bool is_interp, const struct elf_space *space,
                    u64 *bias);

/* AT_PHDR: user address of the program headers at bias. PT_PHDR if there
 * is one, else inside the PT_LOAD whose file bytes contain them; 0 when
 * they are not mapped. */
u64 elf_phdr_addr(const struct elf_info *info, u64 bias);

#endif
