/*
 * test_elf_real.c: proc/elf_parse.c on real binaries. A tiny program is
 * compiled by the host gcc four ways (static, static-pie, dynamic PIE,
 * dynamic non-PIE) into a temporary directory; each result is checked
 * against two independent oracles: `readelf -hlW` (type, entry, program
 * header count, every PT_LOAD, PT_INTERP, PT_GNU_STACK) and Linux itself
 * (the program prints AT_PHDR, AT_ENTRY and AT_PHNUM from its auxv, so
 * elf_phdr_addr at Linux's bias must give Linux's AT_PHDR). The test
 * binary itself and its ld.so are checked against readelf too, plus
 * busybox and python3.11 when the host has them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "elf_mem.h"
#include "syscalls/linux_abi/errno.h"

#define MAX_LOADS 16

/* What readelf says about a file. */
struct readelf_facts {
	u16 type;
	u64 entry;
	unsigned phnum;
	int load_count;
	struct elf64_phdr loads[MAX_LOADS];   /* p_type unused */
	char interp[512];                     /* "" when none */
	int gnu_stack_flags;                  /* -1 when none */
};

static char g_dir[64];

static u8 *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	u8 *data = malloc(n > 0 ? (size_t)n : 1);
	if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
		free(data);
		data = NULL;
	}
	fclose(f);
	*size = (size_t)n;
	return data;
}

/* readelf's "R E" / "RW " flag letters, which sit between MemSiz and Align. */
static u32 flags_of(const char *text)
{
	u32 flags = 0;
	if (strchr(text, 'R'))
		flags |= PF_R;
	if (strchr(text, 'W'))
		flags |= PF_W;
	if (strchr(text, 'E'))
		flags |= PF_X;
	return flags;
}

/* One "Program Headers:" row: TYPE OFF VADDR PADDR FILESZ MEMSZ FLG ALIGN. */
static void parse_row(const char *line, struct readelf_facts *facts)
{
	char type[32];
	unsigned long long off, vaddr, paddr, filesz, memsz;
	int end = 0;
	if (sscanf(line, " %31s %llx %llx %llx %llx %llx%n", type, &off, &vaddr, &paddr, &filesz,
	           &memsz, &end) != 6)
		return;
	/* The flag letters end where the alignment ("0x...") starts. */
	const char *rest = line + end;
	const char *align = strstr(rest, "0x");
	int letters = align ? (int)(align - rest) : (int)strlen(rest);
	char text[16];
	snprintf(text, sizeof(text), "%.*s", letters, rest);
	u32 flags = flags_of(text);
	if (strcmp(type, "LOAD") == 0 && facts->load_count < MAX_LOADS) {
		struct elf64_phdr *p = &facts->loads[facts->load_count++];
		p->p_offset = off, p->p_vaddr = vaddr, p->p_filesz = filesz;
		p->p_memsz = memsz, p->p_flags = flags;
	} else if (strcmp(type, "GNU_STACK") == 0) {
		facts->gnu_stack_flags = (int)flags;
	}
}

static bool run_readelf(const char *path, struct readelf_facts *facts)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "readelf -hlW '%s'", path);
	FILE *p = popen(cmd, "r");
	if (!p)
		return false;
	memset(facts, 0, sizeof(*facts));
	facts->gnu_stack_flags = -1;
	char line[1024];
	bool in_phdrs = false;
	while (fgets(line, sizeof(line), p)) {
		char *v;
		if ((v = strstr(line, "  Type:")))
			facts->type = strstr(v, "EXEC") ? ET_EXEC : strstr(v, "DYN") ? ET_DYN : 0;
		else if ((v = strstr(line, "Entry point address:")))
			facts->entry = strtoull(v + strlen("Entry point address:"), NULL, 0);
		else if ((v = strstr(line, "Number of program headers:")))
			facts->phnum = (unsigned)strtoul(v + strlen("Number of program headers:"), NULL, 0);
		else if (strstr(line, "Program Headers:"))
			in_phdrs = true;
		else if (strstr(line, "Section to Segment mapping"))
			in_phdrs = false;
		else if ((v = strstr(line, "[Requesting program interpreter: ")))
			sscanf(v + strlen("[Requesting program interpreter: "), "%511[^]]", facts->interp);
		else if (in_phdrs)
			parse_row(line, facts);
	}
	return pclose(p) == 0 && facts->type != 0 && facts->load_count > 0;
}

/* Parse path and compare with readelf; info is left for the caller. */
static bool check_against_readelf(const char *path, struct elf_info *info)
{
	struct readelf_facts facts;
	size_t size;
	u8 *data = read_file(path, &size);
	CHECK(data != NULL);
	CHECK(run_readelf(path, &facts));
	if (!data)
		return false;
	int err = elf_mem_parse(data, size, info);
	free(data);
	CHECK_EQ(err, 0);
	if (err)
		return false;
	CHECK_EQ(info->ehdr.e_type, facts.type);
	CHECK_EQ(info->ehdr.e_entry, facts.entry);
	CHECK_EQ(info->ehdr.e_phnum, facts.phnum);
	int loads = 0;
	u64 hi = 0;
	for (u16 i = 0; i < info->ehdr.e_phnum; i++) {
		const struct elf64_phdr *p = &info->phdrs[i];
		if (p->p_type != PT_LOAD)
			continue;
		CHECK(loads < facts.load_count);
		if (loads >= facts.load_count)
			break;
		const struct elf64_phdr *want = &facts.loads[loads++];
		CHECK_EQ(p->p_offset, want->p_offset);
		CHECK_EQ(p->p_vaddr, want->p_vaddr);
		CHECK_EQ(p->p_filesz, want->p_filesz);
		CHECK_EQ(p->p_memsz, want->p_memsz);
		CHECK_EQ(p->p_flags & (PF_R | PF_W | PF_X), want->p_flags);
		hi = want->p_vaddr + want->p_memsz > hi ? want->p_vaddr + want->p_memsz : hi;
	}
	CHECK_EQ(loads, facts.load_count);
	CHECK_EQ(info->lo, facts.loads[0].p_vaddr & ~(PAGE_SIZE - 1));
	CHECK_EQ(info->hi, hi);
	CHECK(strcmp(info->interp ? info->interp : "", facts.interp) == 0);
	CHECK_EQ(info->exec_stack, facts.gnu_stack_flags >= 0 && (facts.gnu_stack_flags & PF_X));
	printf("  %s: type %u, entry %#llx, %d loads, interp \"%s\"\n", path, facts.type,
	       (unsigned long long)facts.entry, loads, facts.interp);
	return true;
}

/* What Linux put in the program's auxv. */
struct linux_auxv {
	u64 phdr, entry, phnum;
};

static bool run_sample(const char *path, struct linux_auxv *aux)
{
	FILE *p = popen(path, "r");
	if (!p)
		return false;
	unsigned long long phdr = 0, entry = 0, phnum = 0;
	int n = fscanf(p, "%llx %llx %llu", &phdr, &entry, &phnum);
	aux->phdr = phdr, aux->entry = entry, aux->phnum = phnum;
	return pclose(p) == 0 && n == 3;
}

static const char g_sample_source[] =
	"#include <stdio.h>\n"
	"#include <sys/auxv.h>\n"
	"int main(void)\n"
	"{\n"
	"\tprintf(\"%lx %lx %lu\\n\", getauxval(AT_PHDR), getauxval(AT_ENTRY),\n"
	"\t       getauxval(AT_PHNUM));\n"
	"\treturn 0;\n"
	"}\n";

/* Compile the sample with flags into g_dir/name; false if gcc fails. */
static bool compile_sample(const char *name, const char *flags, char *path, size_t size)
{
	char src[128], cmd[512];
	snprintf(src, sizeof(src), "%s/sample.c", g_dir);
	FILE *f = fopen(src, "w");
	if (!f)
		return false;
	fputs(g_sample_source, f);
	fclose(f);
	snprintf(path, size, "%s/%s", g_dir, name);
	snprintf(cmd, sizeof(cmd), "gcc -O1 %s -o '%s' '%s'", flags, path, src);
	return system(cmd) == 0;
}

static void check_sample(const char *name, const char *flags, enum elf_kind kind, u16 type)
{
	char path[128];
	struct elf_info info;
	struct linux_auxv aux;
	bool built = compile_sample(name, flags, path, sizeof(path));
	CHECK(built);
	if (!built || !check_against_readelf(path, &info))
		return;
	CHECK_EQ(info.kind, kind);
	CHECK_EQ(info.ehdr.e_type, type);
	CHECK(run_sample(path, &aux));
	/* Linux's bias, from its AT_ENTRY; then our AT_PHDR must be its. */
	u64 bias = aux.entry - info.ehdr.e_entry;
	CHECK_EQ(elf_phdr_addr(&info, bias), aux.phdr);
	CHECK_EQ(info.ehdr.e_phnum, aux.phnum);
	if (type == ET_EXEC)
		CHECK_EQ(bias, 0);
	/* And our own bias choice puts it where it fits. */
	struct fake_space fs = {.hole = 0x7f0000000000};
	struct elf_space space = fake_space_of(&fs);
	u64 ours = 1;
	CHECK_EQ(elf_choose_bias(&info, false, &space, &ours), 0);
	CHECK_EQ(ours, type == ET_EXEC ? 0 : ELF_PIE_BASE - info.lo);
	elf_info_free(&info);
}

static void static_binary(void)
{
	check_sample("static", "-static", ELF_KIND_STATIC, ET_EXEC);
}

static void static_pie_binary(void)
{
	check_sample("static-pie", "-static-pie", ELF_KIND_STATIC_PIE, ET_DYN);
}

static void dynamic_pie_binary(void)
{
	check_sample("dynamic-pie", "-pie -fPIE", ELF_KIND_DYNAMIC, ET_DYN);
}

static void dynamic_nopie_binary(void)
{
	check_sample("dynamic-nopie", "-no-pie -fno-pie", ELF_KIND_DYNAMIC, ET_EXEC);
}

/* This test binary (ASan-instrumented, dynamic) and its own ld.so, which
 * must look like a loader: ET_DYN without PT_INTERP. */
static void host_binaries(void)
{
	char self[512];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	CHECK(n > 0);
	if (n <= 0)
		return;
	self[n] = 0;
	struct elf_info info;
	if (!check_against_readelf(self, &info))
		return;
	CHECK_EQ(info.kind, ELF_KIND_DYNAMIC);
	char loader[ELF_INTERP_MAX];
	snprintf(loader, sizeof(loader), "%s", info.interp);
	elf_info_free(&info);
	if (!check_against_readelf(loader, &info))
		return;
	CHECK_EQ(info.kind, ELF_KIND_STATIC_PIE);
	struct fake_space fs = {.hole = 0x7f0000000000};
	struct elf_space space = fake_space_of(&fs);
	u64 bias = 0;
	CHECK_EQ(elf_choose_bias(&info, true, &space, &bias), 0);
	CHECK_EQ(bias, 0x7f0000000000 - info.lo);
	elf_info_free(&info);
	/* Realistic extras when this host has them. */
	static const char *const extras[] = {"/bin/busybox", "/usr/bin/python3.11"};
	for (size_t i = 0; i < ARRAY_SIZE(extras); i++) {
		if (access(extras[i], R_OK) != 0)
			continue;
		if (check_against_readelf(extras[i], &info))
			elf_info_free(&info);
	}
}

static const struct host_test g_tests[] = {
	{"elf_real_static", static_binary},
	{"elf_real_static_pie", static_pie_binary},
	{"elf_real_dynamic_pie", dynamic_pie_binary},
	{"elf_real_dynamic_nopie", dynamic_nopie_binary},
	{"elf_real_host_binaries", host_binaries},
};

int main(int argc, char **argv)
{
	snprintf(g_dir, sizeof(g_dir), "/tmp/cvmify-elf-XXXXXX");
	if (!mkdtemp(g_dir)) {
		perror("mkdtemp");
		return 1;
	}
	/* argv[1] is the golden directory (unused here); argv[2] a test name. */
	int status = run_tests(g_tests, (int)ARRAY_SIZE(g_tests), argc > 1 ? argc - 1 : argc,
	                       argc > 1 ? argv + 1 : argv);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", g_dir);
	return status;
}
