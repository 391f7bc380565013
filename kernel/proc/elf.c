/*
 * elf.c: load an ELF64 x86-64 program (ET_EXEC, static-pie or dynamic
 * ET_DYN with PT_INTERP) into an address space.
 *
 * elf_parse.c reads and checks the file through a VFS read callback;
 * this file only opens files and maps what the parser accepted. Segments
 * become file-backed private VMAs (paged in lazily by fault.c) plus an
 * anonymous VMA for the bss beyond the last file page. Like Linux, a
 * later segment that shares a page with an earlier one replaces it: both
 * map the same file page, since p_vaddr and p_offset are congruent
 * modulo the page size (checked by the parser).
 *
 * Trust: only elf_info fields that elf_parse checked are used here.
 */
#include "proc/elf.h"

#include "fs/vfs.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/vma.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/mman.h"

/* One opened and checked ELF file. */
struct elf_file {
	struct file *file;
	struct elf_info info;
};

/* elf_source.read over the VFS: a short read means a truncated file. */
static int vfs_read_exact(void *ctx, void *buf, size_t size, u64 offset)
{
	long n = vfs_pread(ctx, buf, size, (s64)offset);
	if (n < 0)
		return (int)n;
	return (size_t)n == size ? 0 : -ENOEXEC;
}

/* elf_space over the address space being built. */
static bool mm_range_free(void *ctx, u64 start, u64 end)
{
	return vma_range_free(ctx, start, end);
}

static u64 mm_find_hole(void *ctx, u64 size)
{
	return vma_find_hole(ctx, size);
}

static void elf_close(struct elf_file *ef)
{
	elf_info_free(&ef->info);
	if (ef->file)
		file_put(ef->file);
	ef->file = NULL;
}

static int elf_open(struct inode *cwd, const char *path, struct elf_file *ef)
{
	memset(ef, 0, sizeof(*ef));
	/* A regular file the caller may execute (fs/file.c). */
	int err = vfs_open_exec(cwd, path, &ef->file);
	if (err)
		return err;
	struct elf_source src = {
		.ctx = ef->file,
		.size = ef->file->inode->size,
		.read = vfs_read_exact,
	};
	err = elf_parse(&src, &ef->info);
	if (err) {
		elf_close(ef);
		return err;
	}
	if (ef->info.exec_stack)
		kprintf("exec: %s asks for an executable stack; it stays NX\n", path);
	return 0;
}

static u32 prot_of(u32 p_flags)
{
	u32 prot = 0;
	if (p_flags & PF_R)
		prot |= PROT_READ;
	if (p_flags & PF_W)
		prot |= PROT_WRITE;
	if (p_flags & PF_X)
		prot |= PROT_EXEC;
	return prot;
}

/* Map one PT_LOAD at bias: file part, then anonymous bss pages. */
static int map_segment(struct mm *mm, struct elf_file *ef, const struct elf64_phdr *p, u64 bias)
{
	u32 prot = prot_of(p->p_flags);
	u64 vaddr = bias + p->p_vaddr;
	u64 start = ALIGN_DOWN(vaddr, PAGE_SIZE);
	u64 file_start = ALIGN_DOWN(p->p_offset, PAGE_SIZE);
	u64 file_end = p->p_offset + p->p_filesz;
	u64 file_map_end = ALIGN_UP(vaddr + p->p_filesz, PAGE_SIZE);
	u64 mem_end = ALIGN_UP(vaddr + p->p_memsz, PAGE_SIZE);
	int err;

	if (p->p_filesz > 0) {
		err = vma_remove(mm, start, file_map_end);
		if (err)
			return err;
		err = vma_add(mm, start, file_map_end, prot, 0, ef->file, file_start, file_end);
		if (err)
			return err;
	} else {
		file_map_end = start;
	}
	if (mem_end > file_map_end) {
		err = vma_remove(mm, file_map_end, mem_end);
		if (err)
			return err;
		err = vma_add(mm, file_map_end, mem_end, prot, VMA_ANON, NULL, 0, 0);
		if (err)
			return err;
	}
	return 0;
}

/* Choose the bias (elf_parse.c) and map every PT_LOAD there. */
static int map_image(struct mm *mm, struct elf_file *ef, bool is_interp, u64 *bias)
{
	struct elf_space space = {
		.ctx = mm,
		.range_free = mm_range_free,
		.find_hole = mm_find_hole,
	};
	int err = elf_choose_bias(&ef->info, is_interp, &space, bias);
	if (err)
		return err;
	for (u16 i = 0; i < ef->info.ehdr.e_phnum; i++) {
		const struct elf64_phdr *p = &ef->info.phdrs[i];
		if (p->p_type != PT_LOAD)
			continue;
		err = map_segment(mm, ef, p, *bias);
		if (err)
			return err;
	}
	return 0;
}

static int load_interp(struct mm *mm, struct inode *cwd, const char *path,
                       struct elf_image *out)
{
	struct elf_file ef;
	int err = elf_open(cwd, path, &ef);
	if (err) {
		kprintf("exec: interpreter %s: error %d\n", path, err);
		return err;
	}
	/* The loader must be position independent and need no loader itself. */
	err = -ENOEXEC;
	if (ef.info.kind != ELF_KIND_STATIC_PIE)
		goto out;
	u64 bias;
	err = map_image(mm, &ef, true, &bias);
	if (err)
		goto out;
	out->interp_base = bias + ef.info.lo;
	out->entry = bias + ef.info.ehdr.e_entry;
out:
	elf_close(&ef);
	return err;
}

int elf_load(struct mm *mm, struct inode *cwd, const char *path, struct elf_image *out)
{
	struct elf_file ef;
	memset(out, 0, sizeof(*out));
	int err = elf_open(cwd, path, &ef);
	if (err)
		return err;
	u64 bias;
	err = map_image(mm, &ef, false, &bias);
	if (err)
		goto out;
	out->prog_entry = bias + ef.info.ehdr.e_entry;
	out->entry = out->prog_entry;
	out->phdr = elf_phdr_addr(&ef.info, bias);
	out->phnum = ef.info.ehdr.e_phnum;
	out->brk_start = ALIGN_UP(bias + ef.info.hi, PAGE_SIZE);
	out->file_mode = ef.file->inode->mode;
	if (vfs_mount_flags(ef.file->inode) & VFS_MOUNT_NOSUID)
		out->file_mode &= ~(u32)(S_ISUID | S_ISGID); /* nosuid: no set-id exec */
	out->file_uid = ef.file->inode->uid;
	out->file_gid = ef.file->inode->gid;
	if (ef.info.interp)
		err = load_interp(mm, cwd, ef.info.interp, out);
out:
	elf_close(&ef);
	return err;
}
