/*
 * elf_parse.c: read and check an ELF64 x86-64 executable through a read
 * callback (see elf_parse.h); proc/elf.c maps what this accepted.
 *
 * Trust: nothing in the file is believed until checked here: header
 * identity, program header table bounds, each PT_LOAD (sizes, overflow,
 * alignment, order, user half), the entry point, PT_INTERP (length, NUL,
 * within the file, only one). Depends only on kernel/lib, kmalloc and
 * the user address limits, so it also builds on the host.
 */
#include "proc/elf_parse.h"

#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/vma.h"
#include "syscalls/linux_abi/errno.h"

static bool add_overflows(u64 a, u64 b)
{
	return a > ~0ull - b;
}

/* [offset, offset + size) lies inside a file of file_size bytes. */
static bool in_file(u64 offset, u64 size, u64 file_size)
{
	return !add_overflows(offset, size) && offset + size <= file_size;
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
	if (!in_file(h->e_phoff, table, file_size))
		return -ENOEXEC;
	return 0;
}

static int check_load(const struct elf64_phdr *p, u64 file_size, u64 prev_end)
{
	if (p->p_filesz > p->p_memsz || p->p_memsz == 0)
		return -ENOEXEC;
	if (!in_file(p->p_offset, p->p_filesz, file_size))
		return -ENOEXEC;
	if (add_overflows(p->p_vaddr, p->p_memsz) || p->p_vaddr + p->p_memsz > USER_TOP)
		return -ENOEXEC;
	if (p->p_align > 1 && (p->p_align & (p->p_align - 1)) != 0)
		return -ENOEXEC;
	/* Segments are mapped from the file page by page. */
	if (p->p_vaddr % PAGE_SIZE != p->p_offset % PAGE_SIZE)
		return -ENOEXEC;
	/* The gABI requires PT_LOAD in ascending p_vaddr order; bytes must
	 * not overlap (only a boundary page may be shared). */
	if (p->p_vaddr < prev_end)
		return -ENOEXEC;
	return 0;
}

/* Check every PT_LOAD and compute the span [lo, hi) they cover. */
static int check_loads(struct elf_info *info)
{
	u64 prev_end = 0;
	bool any_load = false;
	info->lo = ~0ull;
	info->hi = 0;
	for (u16 i = 0; i < info->ehdr.e_phnum; i++) {
		const struct elf64_phdr *p = &info->phdrs[i];
		if (p->p_type != PT_LOAD)
			continue;
		int err = check_load(p, info->file_size, prev_end);
		if (err)
			return err;
		prev_end = p->p_vaddr + p->p_memsz;
		any_load = true;
		info->lo = MIN(info->lo, ALIGN_DOWN(p->p_vaddr, PAGE_SIZE));
		info->hi = MAX(info->hi, prev_end);
	}
	if (!any_load)
		return -ENOEXEC;
	if (info->hi - info->lo > USER_MMAP_TOP - USER_BOTTOM)
		return -ENOEXEC;
	return 0;
}

/* The entry point must lie inside a PT_LOAD: then, once biased, it is a
 * mapped, canonical user address (iretq to a non-canonical rip would
 * fault in the kernel, not in the app). */
static int check_entry(const struct elf_info *info)
{
	u64 entry = info->ehdr.e_entry;
	for (u16 i = 0; i < info->ehdr.e_phnum; i++) {
		const struct elf64_phdr *p = &info->phdrs[i];
		if (p->p_type == PT_LOAD && entry >= p->p_vaddr && entry - p->p_vaddr < p->p_memsz)
			return 0;
	}
	return -ENOEXEC;
}

/* The PT_INTERP header, or NULL; two of them is an error. */
static int find_interp(const struct elf_info *info, const struct elf64_phdr **out)
{
	*out = NULL;
	for (u16 i = 0; i < info->ehdr.e_phnum; i++) {
		if (info->phdrs[i].p_type != PT_INTERP)
			continue;
		if (*out)
			return -ENOEXEC;
		*out = &info->phdrs[i];
	}
	return 0;
}

/* Copy PT_INTERP into info->interp: a path of at least one byte, its NUL
 * last and nowhere else, within the file and ELF_INTERP_MAX. */
static int read_interp(const struct elf_source *src, struct elf_info *info,
                       const struct elf64_phdr *p)
{
	if (p->p_filesz < 2 || p->p_filesz > ELF_INTERP_MAX ||
	    !in_file(p->p_offset, p->p_filesz, info->file_size))
		return -ENOEXEC;
	size_t size = (size_t)p->p_filesz;
	char *path = kmalloc(size);
	if (!path)
		return -ENOMEM;
	int err = src->read(src->ctx, path, size, p->p_offset);
	if (!err && (path[size - 1] != '\0' || strnlen(path, size) != size - 1))
		err = -ENOEXEC;
	if (err) {
		kfree(path);
		return err;
	}
	info->interp = path;
	return 0;
}

/* A PT_GNU_STACK with PF_X asks for an executable stack (the last one
 * decides, as in Linux). We only record the wish: the stack stays NX. */
static bool wants_exec_stack(const struct elf_info *info)
{
	bool exec = false;
	for (u16 i = 0; i < info->ehdr.e_phnum; i++) {
		if (info->phdrs[i].p_type == PT_GNU_STACK)
			exec = (info->phdrs[i].p_flags & PF_X) != 0;
	}
	return exec;
}

static int parse(const struct elf_source *src, struct elf_info *out)
{
	if (src->size < sizeof(out->ehdr))
		return -ENOEXEC;
	int err = src->read(src->ctx, &out->ehdr, sizeof(out->ehdr), 0);
	if (err)
		return err;
	err = check_ehdr(&out->ehdr, out->file_size);
	if (err)
		return err;
	size_t table = (size_t)out->ehdr.e_phnum * sizeof(struct elf64_phdr);
	out->phdrs = kmalloc(table);
	if (!out->phdrs)
		return -ENOMEM;
	err = src->read(src->ctx, out->phdrs, table, out->ehdr.e_phoff);
	if (err)
		return err;
	err = check_loads(out);
	if (err)
		return err;
	err = check_entry(out);
	if (err)
		return err;
	const struct elf64_phdr *interp;
	err = find_interp(out, &interp);
	if (err)
		return err;
	if (interp) {
		err = read_interp(src, out, interp);
		if (err)
			return err;
	}
	out->exec_stack = wants_exec_stack(out);
	if (out->interp)
		out->kind = ELF_KIND_DYNAMIC;
	else
		out->kind = out->ehdr.e_type == ET_EXEC ? ELF_KIND_STATIC : ELF_KIND_STATIC_PIE;
	return 0;
}

int elf_parse(const struct elf_source *src, struct elf_info *out)
{
	memset(out, 0, sizeof(*out));
	out->file_size = src->size;
	int err = parse(src, out);
	if (err)
		elf_info_free(out);
	return err;
}

void elf_info_free(struct elf_info *info)
{
	if (info->phdrs)
		kfree(info->phdrs);
	if (info->interp)
		kfree(info->interp);
	memset(info, 0, sizeof(*info));
}

/* A hole from the oracle must be page-aligned and fit in user space. */
static bool hole_ok(u64 base, u64 span)
{
	return base != 0 && base % PAGE_SIZE == 0 && base >= USER_BOTTOM &&
	       !add_overflows(base, span) && base + span <= USER_MMAP_TOP;
}

int elf_choose_bias(const struct elf_info *info, bool is_interp, const struct elf_space *space,
                    u64 *bias)
{
	u64 end = ALIGN_UP(info->hi, PAGE_SIZE);
	u64 span = end - info->lo;
	if (info->ehdr.e_type == ET_EXEC) {
		if (info->lo < USER_BOTTOM || info->hi > USER_MMAP_TOP)
			return -ENOEXEC;
		if (!space->range_free(space->ctx, info->lo, end))
			return -ENOEXEC;
		*bias = 0;
		return 0;
	}
	u64 base;
	if (!is_interp && hole_ok(ELF_PIE_BASE, span) &&
	    space->range_free(space->ctx, ELF_PIE_BASE, ELF_PIE_BASE + span))
		base = ELF_PIE_BASE;
	else
		base = space->find_hole(space->ctx, span);
	if (!hole_ok(base, span))
		return -ENOMEM;
	/* Unsigned wrap is intended: bias + p_vaddr lands in [base, base + span). */
	*bias = base - info->lo;
	return 0;
}

u64 elf_phdr_addr(const struct elf_info *info, u64 bias)
{
	u64 phoff = info->ehdr.e_phoff;
	u64 size = (u64)info->ehdr.e_phnum * sizeof(struct elf64_phdr);
	for (u16 i = 0; i < info->ehdr.e_phnum; i++) {
		const struct elf64_phdr *p = &info->phdrs[i];
		if (p->p_type == PT_PHDR)
			return bias + p->p_vaddr;
	}
	for (u16 i = 0; i < info->ehdr.e_phnum; i++) {
		const struct elf64_phdr *p = &info->phdrs[i];
		if (p->p_type == PT_LOAD && phoff >= p->p_offset &&
		    phoff + size <= p->p_offset + p->p_filesz)
			return bias + p->p_vaddr + (phoff - p->p_offset);
	}
	return 0;
}
