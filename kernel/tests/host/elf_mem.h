/* elf_mem.h: helpers for the ELF parser tests: an elf_source over a
 * buffer in memory (every read is bounds-checked, so a parser that reads
 * past the file fails the test) and a fake address space for
 * elf_choose_bias. */
#ifndef CVMIFY_TESTS_HOST_ELF_MEM_H
#define CVMIFY_TESTS_HOST_ELF_MEM_H

#include "proc/elf_parse.h"

struct elf_mem {
	const u8 *data;
	size_t size;
	int reads;          /* read calls so far */
	int fail_at;        /* read call number that returns -EIO; -1 never */
};

/* A source over m (m->reads reset, fail_at = -1). */
struct elf_source elf_mem_source(struct elf_mem *m, const u8 *data, size_t size);

/* Parse size bytes at data. */
int elf_mem_parse(const u8 *data, size_t size, struct elf_info *out);

/* A fake address space: [busy_start, busy_end) is taken; find_hole
 * returns hole (whatever the test wants, even nonsense). */
struct fake_space {
	u64 busy_start, busy_end;
	u64 hole;
	int range_calls, hole_calls;
};

struct elf_space fake_space_of(struct fake_space *f);

#endif
