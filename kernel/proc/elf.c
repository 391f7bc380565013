/*
 * elf.c: load an ELF64 x86-64 program (ET_EXEC, static-pie or dynamic
 * ET_DYN with PT_INTERP) into an address space.
 *
 * Segments become file-backed private VMAs (paged in lazily by fault.c)
 * plus an anonymous VMA for the bss beyond the last file page. Like
 * Linux, a later segment that shares a page with an earlier one replaces
 * it: both map the same file page, since p_vaddr and p_offset are
 * congruent modulo the page size (checked).
 *
 * Trust: the file is from the authenticated root disk, but every field is
 * still checked (sizes, overflow, alignment, order) before it is used.
 */
#include "proc/elf.h"

#include "fs/vfs.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/vma.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/fcntl.h"
#include "syscalls/linux_abi/mman.h"

/* One opened and checked ELF file. */
struct elf_file {
	struct file *file;
	u64 size;
	struct elf64_ehdr ehdr;
	struct elf64_phdr *phdrs;   /* kmalloc'ed, ehdr.e_phnum entries */
	u64 lo;                     /* lowest PT_LOAD page (unbiased) */
	u64 hi;                     /* highest PT_LOAD end (unbiased) */
};

static bool add_overflows(u64 a, u64 b)
{
	return a > ~0ull - b;
}

static int read_exact(struct file *file, void *buf, size_t size, u64 offset)
{
	long n = vfs_pread(file, buf, size, (s64)offset);
	if (n < 0)
		return (int)n;
	return (size_t)n == size ? 0 : -ENOEXEC;
}

static int check_ehdr(const struct elf64_ehdr *h, u64 file_size)
{
	static const u8 magic[4] = {0x7f, 'E', 'L', 'F'};
	if (memcmp(h->e_ident, magic, 4) != 0)
		return -ENOEXEC;
	if (h->e_ident[4] != ELFCLASS64 || h->e_ident[5] != ELFDATA2LSB ||
	    h->e_ident[6] != EV_CURRENT)
		return -ENOEXEC;
	if (h->e_type != ET_EXEC && h->e_type != ET_DYN)
		return -ENOEXEC;
	if (h->e_machine != EM_X86_64 || h->e_version != EV_CURRENT)
		return -ENOEXEC;
	if (h->e_phentsize != sizeof(struct elf64_phdr))
		return -ENOEXEC;
	if (h->e_phnum == 0 || h->e_phnum > ELF_MAX_PHNUM)
		return -ENOEXEC;
	u64 table = (u64)h->e_phnum * sizeof(struct elf64_phdr);
	if (add_overflows(h->e_phoff, table) || h->e_phoff + table > file_size)
		return -ENOEXEC;
	return 0;
}

static int check_load(const struct elf64_phdr *p, u64 file_size, u64 prev_end)
{
	if (p->p_filesz > p->p_memsz || p->p_memsz == 0)
		return -ENOEXEC;
	if (add_overflows(p->p_offset, p->p_filesz) || p->p_offset + p->p_filesz > file_size)
		return -ENOEXEC;
	if (add_overflows(p->p_vaddr, p->p_memsz) || p->p_vaddr + p->p_memsz > USER_TOP)
		return -ENOEXEC;
	if (p->p_align > 1 && (p->p_align & (p->p_align - 1)) != 0)
		return -ENOEXEC;
	if (p->p_vaddr % PAGE_SIZE != p->p_offset % PAGE_SIZE)
		return -ENOEXEC;
	/* The gABI requires PT_LOAD in ascending p_vaddr order; bytes must
	 * not overlap (only a boundary page may be shared). */
	if (p->p_vaddr < prev_end)
		return -ENOEXEC;
	return 0;
}

/* Check the program headers and compute the span of the PT_LOADs. */
static int check_phdrs(struct elf_file *ef)
{
	u64 prev_end = 0;
	bool any_load = false;
	ef->lo = ~0ull;
	ef->hi = 0;
	for (u16 i = 0; i < ef->ehdr.e_phnum; i++) {
		const struct elf64_phdr *p = &ef->phdrs[i];
		if (p->p_type != PT_LOAD)
			continue;
		int err = check_load(p, ef->size, prev_end);
		if (err)
			return err;
		prev_end = p->p_vaddr + p->p_memsz;
		any_load = true;
		ef->lo = MIN(ef->lo, ALIGN_DOWN(p->p_vaddr, PAGE_SIZE));
		ef->hi = MAX(ef->hi, prev_end);
	}
	if (!any_load)
		return -ENOEXEC;
	if (ef->hi - ef->lo > USER_MMAP_TOP - USER_BOTTOM)
		return -ENOEXEC;
	return 0;
}

static void elf_close(struct elf_file *ef)
{
	if (ef->phdrs)
		kfree(ef->phdrs);
	if (ef->file)
		file_put(ef->file);
	memset(ef, 0, sizeof(*ef));
}

static int elf_open(struct inode *cwd, const char *path, struct elf_file *ef)
{
	memset(ef, 0, sizeof(*ef));
	/* A regular file the caller may execute (fs/file.c). */
	int err = vfs_open_exec(cwd, path, &ef->file);
	if (err)
		return err;
	struct inode *ino = ef->file->inode;
	ef->size = ino->size;
	err = read_exact(ef->file, &ef->ehdr, sizeof(ef->ehdr), 0);
	if (err)
		goto fail;
	err = check_ehdr(&ef->ehdr, ef->size);
	if (err)
		goto fail;
	size_t table = (size_t)ef->ehdr.e_phnum * sizeof(struct elf64_phdr);
	ef->phdrs = kmalloc(table);
	if (!ef->phdrs) {
		err = -ENOMEM;
		goto fail;
	}
	err = read_exact(ef->file, ef->phdrs, table, ef->ehdr.e_phoff);
	if (err)
		goto fail;
	err = check_phdrs(ef);
	if (err)
		goto fail;
	return 0;
fail:
	elf_close(ef);
	return err;
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

/* Choose the load bias: 0 for ET_EXEC, a free area for ET_DYN. */
static int choose_bias(struct mm *mm, const struct elf_file *ef, bool is_interp, u64 *bias)
{
	u64 span = ALIGN_UP(ef->hi, PAGE_SIZE) - ef->lo;
	if (ef->ehdr.e_type == ET_EXEC) {
		if (ef->lo < USER_BOTTOM || ef->hi > USER_MMAP_TOP)
			return -ENOEXEC;
		if (!vma_range_free(mm, ef->lo, ALIGN_UP(ef->hi, PAGE_SIZE)))
			return -ENOEXEC;
		*bias = 0;
		return 0;
	}
	u64 base;
	if (!is_interp && vma_range_free(mm, ELF_PIE_BASE, ELF_PIE_BASE + span))
		base = ELF_PIE_BASE;
	else
		base = vma_find_hole(mm, span);
	if (base == 0)
		return -ENOMEM;
	*bias = base - ef->lo;
	return 0;
}

static int map_image(struct mm *mm, struct elf_file *ef, u64 bias)
{
	for (u16 i = 0; i < ef->ehdr.e_phnum; i++) {
		const struct elf64_phdr *p = &ef->phdrs[i];
		if (p->p_type != PT_LOAD)
			continue;
		int err = map_segment(mm, ef, p, bias);
		if (err)
			return err;
	}
	return 0;
}

/* User address of the program headers: PT_PHDR, else the PT_LOAD whose
 * file bytes contain them. 0 when they are not mapped. */
static u64 find_phdr_addr(const struct elf_file *ef, u64 bias)
{
	u64 phoff = ef->ehdr.e_phoff;
	u64 size = (u64)ef->ehdr.e_phnum * sizeof(struct elf64_phdr);
	for (u16 i = 0; i < ef->ehdr.e_phnum; i++) {
		const struct elf64_phdr *p = &ef->phdrs[i];
		if (p->p_type == PT_PHDR)
			return bias + p->p_vaddr;
	}
	for (u16 i = 0; i < ef->ehdr.e_phnum; i++) {
		const struct elf64_phdr *p = &ef->phdrs[i];
		if (p->p_type == PT_LOAD && phoff >= p->p_offset &&
		    phoff + size <= p->p_offset + p->p_filesz)
			return bias + p->p_vaddr + (phoff - p->p_offset);
	}
	return 0;
}

/* Read PT_INTERP into buf (NUL-terminated). 0 = none, 1 = found. */
static int read_interp(const struct elf_file *ef, char *buf, size_t size)
{
	const struct elf64_phdr *interp = NULL;
	for (u16 i = 0; i < ef->ehdr.e_phnum; i++) {
		if (ef->phdrs[i].p_type != PT_INTERP)
			continue;
		if (interp)
			return -ENOEXEC; /* two interpreters */
		interp = &ef->phdrs[i];
	}
	if (!interp)
		return 0;
	if (interp->p_filesz < 2 || interp->p_filesz > size ||
	    add_overflows(interp->p_offset, interp->p_filesz) ||
	    interp->p_offset + interp->p_filesz > ef->size)
		return -ENOEXEC;
	int err = read_exact(ef->file, buf, interp->p_filesz, interp->p_offset);
	if (err)
		return err;
	if (buf[interp->p_filesz - 1] != '\0' || strlen(buf) != interp->p_filesz - 1)
		return -ENOEXEC;
	return 1;
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
	char probe[2];
	err = -ENOEXEC;
	if (ef.ehdr.e_type != ET_DYN || read_interp(&ef, probe, sizeof(probe)) != 0)
		goto out; /* the loader must be position independent and alone */
	u64 bias;
	err = choose_bias(mm, &ef, true, &bias);
	if (err)
		goto out;
	err = map_image(mm, &ef, bias);
	if (err)
		goto out;
	out->interp_base = bias + ef.lo;
	out->entry = bias + ef.ehdr.e_entry;
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
	char *interp = kmalloc(ELF_INTERP_MAX);
	if (!interp) {
		err = -ENOMEM;
		goto out;
	}
	int has_interp = read_interp(&ef, interp, ELF_INTERP_MAX);
	if (has_interp < 0) {
		err = has_interp;
		goto out;
	}
	u64 bias;
	err = choose_bias(mm, &ef, false, &bias);
	if (err)
		goto out;
	err = map_image(mm, &ef, bias);
	if (err)
		goto out;
	out->prog_entry = bias + ef.ehdr.e_entry;
	out->entry = out->prog_entry;
	out->phdr = find_phdr_addr(&ef, bias);
	out->phnum = ef.ehdr.e_phnum;
	out->brk_start = ALIGN_UP(bias + ef.hi, PAGE_SIZE);
	if (has_interp)
		err = load_interp(mm, cwd, interp, out);
out:
	if (interp)
		kfree(interp);
	elf_close(&ef);
	return err;
}
