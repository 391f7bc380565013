/*
 * test_elf.c: proc/elf_parse.c against small hand-built ELF files: three
 * valid templates (static, static-pie, dynamic) and, derived from them,
 * hostile headers that must each be refused with the right -errno and no
 * sanitizer report; the load bias choice against a fake address space;
 * AT_PHDR; and a deterministic byte-flip fuzzer. Real binaries compiled
 * by the host gcc are checked in test_elf_real.c.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "elf_mem.h"
#include "mm/vma.h"
#include "syscalls/linux_abi/errno.h"

#define FILE_SIZE 0x2000
#define PHOFF 64
#define INTERP_OFF 0x300
#define INTERP_PATH "/lib64/ld-linux-x86-64.so.2"

enum template { T_STATIC, T_PIE, T_DYNAMIC };

/* A zeroed FILE_SIZE buffer holding one of the templates. Text: one page
 * at base (file offset 0, R+X), data: 0x800 file bytes at base + 0x1000
 * with bss up to base + 0x4000 (R+W). */
struct file_buf {
	u8 *data;
	size_t size;
};

static struct elf64_ehdr *ehdr(struct file_buf *f)
{
	return (struct elf64_ehdr *)f->data;
}

static struct elf64_phdr *phdr(struct file_buf *f, int i)
{
	return (struct elf64_phdr *)(f->data + PHOFF + i * sizeof(struct elf64_phdr));
}

static void set_phdr(struct file_buf *f, int i, u32 type, u32 flags, u64 offset, u64 vaddr,
                     u64 filesz, u64 memsz, u64 align)
{
	struct elf64_phdr p = {type, flags, offset, vaddr, vaddr, filesz, memsz, align};
	memcpy(phdr(f, i), &p, sizeof(p));
}

static struct file_buf make(enum template t)
{
	struct file_buf f = {calloc(1, FILE_SIZE), FILE_SIZE};
	u64 base = t == T_STATIC ? 0x400000 : 0;
	struct elf64_ehdr *h = ehdr(&f);
	memcpy(h->e_ident, "\x7f" "ELF", 4);
	h->e_ident[4] = ELFCLASS64;
	h->e_ident[5] = ELFDATA2LSB;
	h->e_ident[6] = EV_CURRENT;
	h->e_type = t == T_STATIC ? ET_EXEC : ET_DYN;
	h->e_machine = EM_X86_64;
	h->e_version = EV_CURRENT;
	h->e_entry = base + 0x200;
	h->e_phoff = PHOFF;
	h->e_ehsize = sizeof(*h);
	h->e_phentsize = sizeof(struct elf64_phdr);
	int i = 0;
	if (t == T_DYNAMIC) {
		set_phdr(&f, i++, PT_PHDR, PF_R, PHOFF, PHOFF, 5 * 56, 5 * 56, 8);
		set_phdr(&f, i++, PT_INTERP, PF_R, INTERP_OFF, INTERP_OFF, sizeof(INTERP_PATH),
		         sizeof(INTERP_PATH), 1);
		memcpy(f.data + INTERP_OFF, INTERP_PATH, sizeof(INTERP_PATH));
	}
	set_phdr(&f, i++, PT_LOAD, PF_R | PF_X, 0, base, 0x1000, 0x1000, 0x1000);
	set_phdr(&f, i++, PT_LOAD, PF_R | PF_W, 0x1000, base + 0x1000, 0x800, 0x3000, 0x1000);
	set_phdr(&f, i++, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16);
	h->e_phnum = (u16)i;
	return f;
}

static int parse(struct file_buf *f, struct elf_info *info)
{
	return elf_mem_parse(f->data, f->size, info);
}

/* f must be refused with err and leave nothing allocated; frees f. */
static void expect_refused(struct file_buf f, int err, int line)
{
	struct elf_info info;
	int got = elf_mem_parse(f.data, f.size, &info);
	if (got != err) {
		fprintf(stderr, "  FAIL line %d: got %d, want %d\n", line, got, err);
		g_check_failures++;
	}
	if (got != 0)
		CHECK(info.phdrs == NULL && info.interp == NULL);
	else
		elf_info_free(&info);
	free(f.data);
}
#define REFUSED(f, err) expect_refused((f), (err), __LINE__)

static void templates_accepted(void)
{
	struct elf_info info;
	struct file_buf f = make(T_STATIC);
	CHECK_EQ(parse(&f, &info), 0);
	CHECK_EQ(info.kind, ELF_KIND_STATIC);
	CHECK_EQ(info.lo, 0x400000);
	CHECK_EQ(info.hi, 0x404000);
	CHECK(info.interp == NULL);
	CHECK(!info.exec_stack);
	CHECK_EQ(elf_phdr_addr(&info, 0), 0x400000 + PHOFF);
	elf_info_free(&info);
	free(f.data);

	f = make(T_PIE);
	CHECK_EQ(parse(&f, &info), 0);
	CHECK_EQ(info.kind, ELF_KIND_STATIC_PIE);
	CHECK_EQ(info.lo, 0);
	CHECK_EQ(info.hi, 0x4000);
	elf_info_free(&info);
	free(f.data);

	f = make(T_DYNAMIC);
	CHECK_EQ(parse(&f, &info), 0);
	CHECK_EQ(info.kind, ELF_KIND_DYNAMIC);
	CHECK(info.interp && strcmp(info.interp, INTERP_PATH) == 0);
	CHECK_EQ(elf_phdr_addr(&info, 0x10000), 0x10000 + PHOFF);
	elf_info_free(&info);
	free(f.data);
}

static void identity_refused(void)
{
	struct file_buf f;
	f = make(T_STATIC), f.data[0] = 0x7e, REFUSED(f, -ENOEXEC);
	f = make(T_STATIC), f.data[4] = 1 /* ELFCLASS32 */, REFUSED(f, -ENOEXEC);
	f = make(T_STATIC), f.data[5] = 2 /* ELFDATA2MSB */, REFUSED(f, -ENOEXEC);
	f = make(T_STATIC), f.data[6] = 0, REFUSED(f, -ENOEXEC);
	f = make(T_STATIC), ehdr(&f)->e_version = 2, REFUSED(f, -ENOEXEC);
	f = make(T_STATIC), ehdr(&f)->e_machine = 3 /* EM_386 */, REFUSED(f, -ENOEXEC);
	f = make(T_STATIC), ehdr(&f)->e_machine = 183 /* EM_AARCH64 */, REFUSED(f, -ENOEXEC);
	f = make(T_STATIC), ehdr(&f)->e_type = 1 /* ET_REL */, REFUSED(f, -ENOEXEC);
	f = make(T_STATIC), ehdr(&f)->e_type = 4 /* ET_CORE */, REFUSED(f, -ENOEXEC);
	f = make(T_STATIC), ehdr(&f)->e_phentsize = 32, REFUSED(f, -ENOEXEC);
}

static void truncated_refused(void)
{
	static const size_t sizes[] = {0, 1, 4, 16, 63};
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct file_buf f = make(T_STATIC);
		f.size = sizes[i];
		REFUSED(f, -ENOEXEC);
	}
	/* The header is there, the program header table is cut short. */
	struct file_buf f = make(T_STATIC);
	f.size = PHOFF + 3 * 56 - 1;
	REFUSED(f, -ENOEXEC);
	/* Segment bytes past the end of the file. */
	f = make(T_STATIC);
	f.size = 0x1000 + 0x800 - 1;
	REFUSED(f, -ENOEXEC);
}

static void phdr_table_refused(void)
{
	struct file_buf f;
	f = make(T_STATIC), ehdr(&f)->e_phnum = 0, REFUSED(f, -ENOEXEC);
	f = make(T_STATIC), ehdr(&f)->e_phnum = 0xffff, REFUSED(f, -ENOEXEC);
	f = make(T_STATIC), ehdr(&f)->e_phnum = ELF_MAX_PHNUM + 1, REFUSED(f, -ENOEXEC);
	f = make(T_STATIC), ehdr(&f)->e_phoff = FILE_SIZE, REFUSED(f, -ENOEXEC);
	f = make(T_STATIC), ehdr(&f)->e_phoff = FILE_SIZE - 56, REFUSED(f, -ENOEXEC);
	f = make(T_STATIC), ehdr(&f)->e_phoff = ~0ull - 8, REFUSED(f, -ENOEXEC);
	/* In a file big enough for either: ELF_MAX_PHNUM entries are fine
	 * (PT_NULL after ours), one more is not. */
	for (int extra = 0; extra <= 1; extra++) {
		f = make(T_STATIC);
		f.data = realloc(f.data, 0x8000);
		memset(f.data + FILE_SIZE, 0, 0x8000 - FILE_SIZE);
		f.size = 0x8000;
		ehdr(&f)->e_phnum = ELF_MAX_PHNUM + extra;
		REFUSED(f, extra ? -ENOEXEC : 0);
	}
}

/* Move both PT_LOADs and the entry point up by delta. */
static void move_image(struct file_buf *f, u64 delta)
{
	phdr(f, 0)->p_vaddr += delta;
	phdr(f, 1)->p_vaddr += delta;
	ehdr(f)->e_entry += delta;
}

static void loads_refused(void)
{
	struct file_buf f;
	/* Overlapping, then unordered PT_LOADs. */
	f = make(T_STATIC), phdr(&f, 1)->p_vaddr = 0x400ff0, phdr(&f, 1)->p_offset = 0xff0,
	REFUSED(f, -ENOEXEC);
	f = make(T_STATIC);
	struct elf64_phdr first = *phdr(&f, 0);
	*phdr(&f, 0) = *phdr(&f, 1);
	*phdr(&f, 1) = first;
	REFUSED(f, -ENOEXEC);
	f = make(T_STATIC), phdr(&f, 1)->p_memsz = 0x7ff, REFUSED(f, -ENOEXEC);
	f = make(T_STATIC), phdr(&f, 1)->p_memsz = 0, phdr(&f, 1)->p_filesz = 0,
	REFUSED(f, -ENOEXEC);
	/* p_vaddr + p_memsz wraps; lands in the kernel half; straddles USER_TOP. */
	f = make(T_STATIC), phdr(&f, 1)->p_vaddr = ~0ull - 0xfff, phdr(&f, 1)->p_offset = 0,
	REFUSED(f, -ENOEXEC);
	f = make(T_PIE), move_image(&f, 0xffffffff80000000ull), REFUSED(f, -ENOEXEC);
	f = make(T_PIE), move_image(&f, USER_TOP - 0x2000), REFUSED(f, -ENOEXEC);
	f = make(T_PIE), move_image(&f, USER_TOP - 0x4000), REFUSED(f, 0);
	/* p_offset + p_filesz wraps, or runs past the file. */
	f = make(T_STATIC), phdr(&f, 1)->p_offset = ~0ull - 0xfff, REFUSED(f, -ENOEXEC);
	f = make(T_STATIC), phdr(&f, 1)->p_offset = FILE_SIZE, REFUSED(f, -ENOEXEC);
	/* Not congruent modulo the page size; alignment not a power of two. */
	f = make(T_STATIC), phdr(&f, 1)->p_offset = 0x1008, REFUSED(f, -ENOEXEC);
	f = make(T_STATIC), phdr(&f, 1)->p_align = 0x3000, REFUSED(f, -ENOEXEC);
	/* No PT_LOAD at all. */
	f = make(T_STATIC), phdr(&f, 0)->p_type = PT_NOTE, phdr(&f, 1)->p_type = PT_NOTE,
	REFUSED(f, -ENOEXEC);
	/* The span between the lowest and highest byte is too big to place. */
	f = make(T_PIE), phdr(&f, 1)->p_vaddr = USER_TOP - 0x4000, REFUSED(f, -ENOEXEC);
	/* The entry point outside every PT_LOAD: unmapped or non-canonical. */
	f = make(T_STATIC), ehdr(&f)->e_entry = 0, REFUSED(f, -ENOEXEC);
	f = make(T_STATIC), ehdr(&f)->e_entry = 0x404000, REFUSED(f, -ENOEXEC);
	f = make(T_PIE), ehdr(&f)->e_entry = 0x8000000000000000ull, REFUSED(f, -ENOEXEC);
	/* Sharing a boundary page is allowed (only bytes may not overlap). */
	f = make(T_STATIC);
	phdr(&f, 0)->p_filesz = phdr(&f, 0)->p_memsz = 0x800;
	phdr(&f, 1)->p_vaddr = 0x400800;
	phdr(&f, 1)->p_offset = 0x800;
	REFUSED(f, 0);
}

static void interp_refused(void)
{
	struct file_buf f;
	/* No NUL at the end, a NUL inside, too short, too long, past the end. */
	f = make(T_DYNAMIC), f.data[INTERP_OFF + sizeof(INTERP_PATH) - 1] = 'x',
	REFUSED(f, -ENOEXEC);
	f = make(T_DYNAMIC), f.data[INTERP_OFF + 5] = 0, REFUSED(f, -ENOEXEC);
	f = make(T_DYNAMIC), phdr(&f, 1)->p_filesz = 1, REFUSED(f, -ENOEXEC);
	f = make(T_DYNAMIC), phdr(&f, 1)->p_filesz = 0, REFUSED(f, -ENOEXEC);
	f = make(T_DYNAMIC), phdr(&f, 1)->p_filesz = ELF_INTERP_MAX + 1, REFUSED(f, -ENOEXEC);
	f = make(T_DYNAMIC), phdr(&f, 1)->p_offset = FILE_SIZE - 4, REFUSED(f, -ENOEXEC);
	f = make(T_DYNAMIC), phdr(&f, 1)->p_offset = ~0ull - 4, REFUSED(f, -ENOEXEC);
	/* Two interpreters (the PT_PHDR entry turned into a second one). */
	f = make(T_DYNAMIC), *phdr(&f, 0) = *phdr(&f, 1), REFUSED(f, -ENOEXEC);
	/* The longest allowed path is accepted. */
	f = make(T_DYNAMIC);
	memset(f.data + 0x1000, 'a', ELF_INTERP_MAX - 1);
	f.data[0x1000 + ELF_INTERP_MAX - 1] = 0;
	phdr(&f, 1)->p_offset = 0x1000;
	phdr(&f, 1)->p_filesz = ELF_INTERP_MAX;
	REFUSED(f, 0);
}

static void gnu_stack_flags(void)
{
	struct elf_info info;
	struct file_buf f = make(T_STATIC);
	phdr(&f, 2)->p_flags = PF_R | PF_W | PF_X;
	CHECK_EQ(parse(&f, &info), 0);
	CHECK(info.exec_stack);
	elf_info_free(&info);
	phdr(&f, 2)->p_type = PT_NULL;
	CHECK_EQ(parse(&f, &info), 0);
	CHECK(!info.exec_stack);
	elf_info_free(&info);
	free(f.data);
}

/* A failing read is passed through and frees what was allocated. */
static void read_errors_propagate(void)
{
	for (int fail_at = 0; fail_at < 3; fail_at++) {
		struct file_buf f = make(T_DYNAMIC);
		struct elf_mem m;
		struct elf_source src = elf_mem_source(&m, f.data, f.size);
		m.fail_at = fail_at;
		struct elf_info info;
		CHECK_EQ(elf_parse(&src, &info), -EIO);
		CHECK(info.phdrs == NULL && info.interp == NULL);
		free(f.data);
	}
}

static void bias_choice(void)
{
	struct elf_info info;
	u64 bias = 1;
	struct fake_space fs = {0};
	struct elf_space space = fake_space_of(&fs);

	struct file_buf f = make(T_STATIC);
	CHECK_EQ(parse(&f, &info), 0);
	CHECK_EQ(elf_choose_bias(&info, false, &space, &bias), 0);
	CHECK_EQ(bias, 0);
	fs.busy_start = 0x403000, fs.busy_end = 0x404000;     /* bss page taken */
	CHECK_EQ(elf_choose_bias(&info, false, &space, &bias), -ENOEXEC);
	elf_info_free(&info);
	/* ET_EXEC below USER_BOTTOM (page 0 stays unmapped). */
	for (int i = 0; i < 2; i++)
		phdr(&f, i)->p_vaddr -= 0x400000;
	ehdr(&f)->e_entry -= 0x400000;
	CHECK_EQ(parse(&f, &info), 0);
	CHECK_EQ(elf_choose_bias(&info, false, &space, &bias), -ENOEXEC);
	elf_info_free(&info);
	free(f.data);

	f = make(T_PIE);
	CHECK_EQ(parse(&f, &info), 0);
	fs = (struct fake_space){.hole = 0x7f0000000000};
	CHECK_EQ(elf_choose_bias(&info, false, &space, &bias), 0);
	CHECK_EQ(bias, ELF_PIE_BASE);
	CHECK_EQ(fs.hole_calls, 0);
	/* Interpreters always take a hole. */
	CHECK_EQ(elf_choose_bias(&info, true, &space, &bias), 0);
	CHECK_EQ(bias, 0x7f0000000000);
	/* The PIE base is taken: a hole. */
	fs.busy_start = ELF_PIE_BASE + 0x2000, fs.busy_end = ELF_PIE_BASE + 0x3000;
	CHECK_EQ(elf_choose_bias(&info, false, &space, &bias), 0);
	CHECK_EQ(bias, 0x7f0000000000);
	/* No hole, or a nonsense one from a broken oracle. */
	static const u64 bad_holes[] = {0, 0x7f0000000001, USER_MMAP_TOP - 0x1000, USER_TOP,
	                                 0x1000, ~0ull & ~0xfffull};
	for (size_t i = 0; i < ARRAY_SIZE(bad_holes); i++) {
		fs.hole = bad_holes[i];
		CHECK_EQ(elf_choose_bias(&info, true, &space, &bias), -ENOMEM);
	}
	elf_info_free(&info);

	/* A PIE too big to sit at ELF_PIE_BASE must not be put there (it
	 * would run past the user half) but may take a hole. */
	phdr(&f, 1)->p_vaddr = 0x400000000000ull + 0x1000;
	phdr(&f, 1)->p_offset = 0x1000;
	CHECK_EQ(parse(&f, &info), 0);
	fs = (struct fake_space){.hole = 0x10000};
	CHECK_EQ(elf_choose_bias(&info, false, &space, &bias), 0);
	CHECK_EQ(bias, 0x10000);
	CHECK_EQ(fs.hole_calls, 1);
	elf_info_free(&info);
	free(f.data);
}

static void phdr_address(void)
{
	struct elf_info info;
	/* PT_PHDR wins; without it, the PT_LOAD holding e_phoff; else 0. */
	struct file_buf f = make(T_DYNAMIC);
	phdr(&f, 0)->p_vaddr = 0x1040;
	CHECK_EQ(parse(&f, &info), 0);
	CHECK_EQ(elf_phdr_addr(&info, ELF_PIE_BASE), ELF_PIE_BASE + 0x1040);
	elf_info_free(&info);
	phdr(&f, 0)->p_type = PT_NOTE;
	CHECK_EQ(parse(&f, &info), 0);
	CHECK_EQ(elf_phdr_addr(&info, ELF_PIE_BASE), ELF_PIE_BASE + PHOFF);
	elf_info_free(&info);
	/* Headers past the first load's file bytes: not mapped. */
	phdr(&f, 2)->p_filesz = PHOFF + 56;
	CHECK_EQ(parse(&f, &info), 0);
	CHECK_EQ(elf_phdr_addr(&info, ELF_PIE_BASE), 0);
	elf_info_free(&info);
	free(f.data);
}

/* xorshift64: deterministic, so a failure reproduces. */
static u64 next_random(u64 *state)
{
	u64 x = *state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

/* What an accepted file must satisfy, whatever the bytes were. */
static void check_invariants(const struct elf_info *info, size_t size)
{
	CHECK(info->lo % PAGE_SIZE == 0 && info->lo < info->hi && info->hi <= USER_TOP);
	CHECK(info->hi - info->lo <= USER_MMAP_TOP - USER_BOTTOM);
	for (u16 i = 0; i < info->ehdr.e_phnum; i++) {
		const struct elf64_phdr *p = &info->phdrs[i];
		if (p->p_type == PT_LOAD)
			CHECK(p->p_filesz <= p->p_memsz && p->p_offset + p->p_filesz <= size);
	}
	if (info->interp)
		CHECK(strlen(info->interp) < ELF_INTERP_MAX && info->kind == ELF_KIND_DYNAMIC);
	struct fake_space fs = {.hole = 0x7f0000000000};
	struct elf_space space = fake_space_of(&fs);
	u64 bias = 0;
	if (elf_choose_bias(info, info->interp == NULL, &space, &bias) == 0) {
		u64 entry = bias + info->ehdr.e_entry;
		CHECK(entry >= USER_BOTTOM && entry < USER_TOP);
	}
	(void)elf_phdr_addr(info, bias);
}

/* Thousands of 1..4 random byte changes in the headers of each template
 * (and a few in the interpreter path): never a crash or sanitizer report,
 * only 0 or -ENOEXEC, and both outcomes must occur. */
static void fuzz_header_flips(void)
{
	u64 state = 0x9e3779b97f4a7c15ull;
	int accepted = 0, refused = 0;
	for (int t = T_STATIC; t <= T_DYNAMIC; t++) {
		struct file_buf pristine = make((enum template)t);
		size_t region = PHOFF + 5 * 56;
		for (int round = 0; round < 4000; round++) {
			struct file_buf f = {malloc(FILE_SIZE), FILE_SIZE};
			memcpy(f.data, pristine.data, FILE_SIZE);
			int flips = 1 + (int)(next_random(&state) % 4);
			for (int k = 0; k < flips; k++) {
				u64 r = next_random(&state);
				size_t at = r % 8 == 0 ? INTERP_OFF + (r >> 8) % 32 : (r >> 8) % region;
				f.data[at] = (r >> 32) % 3 == 0 ? (u8)(r >> 40) : (u8)(f.data[at] ^ (1u << ((r >> 48) % 8)));
			}
			struct elf_info info;
			int err = parse(&f, &info);
			CHECK(err == 0 || err == -ENOEXEC);
			if (err == 0) {
				accepted++;
				check_invariants(&info, f.size);
				elf_info_free(&info);
			} else {
				refused++;
			}
			free(f.data);
		}
		free(pristine.data);
	}
	printf("  fuzz: %d accepted, %d refused\n", accepted, refused);
	CHECK(accepted > 100 && refused > 100);
}

static const struct host_test g_tests[] = {
	{"elf_templates_accepted", templates_accepted},
	{"elf_identity_refused", identity_refused},
	{"elf_truncated_refused", truncated_refused},
	{"elf_phdr_table_refused", phdr_table_refused},
	{"elf_loads_refused", loads_refused},
	{"elf_interp_refused", interp_refused},
	{"elf_gnu_stack_flags", gnu_stack_flags},
	{"elf_read_errors_propagate", read_errors_propagate},
	{"elf_bias_choice", bias_choice},
	{"elf_phdr_address", phdr_address},
	{"elf_fuzz_header_flips", fuzz_header_flips},
};

int main(int argc, char **argv)
{
	/* argv[1] is the golden directory (unused here); argv[2] a test name. */
	return run_tests(g_tests, (int)ARRAY_SIZE(g_tests), argc > 1 ? argc - 1 : argc,
	                 argc > 1 ? argv + 1 : argv);
}
