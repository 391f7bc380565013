/*
 * fuzz_elf.c: the ELF parser (proc/elf_parse.c) on any bytes, then the
 * load-address choice and AT_PHDR for what it accepted, with a fake
 * address space whose answers also come from the input. The parser reads
 * through a bounds-checked in-memory source.
 */
#include <stdio.h>

#include "elf_mem.h"
#include "fuzz_input.h"
#include "mm/vma.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 16)
		return 0;
	struct fuzz_input ctl = {data, 16, 0};
	u64 busy = fuzz_u64(&ctl) & ~0xfffull;
	u64 hole = fuzz_u64(&ctl) & ~0xfffull;
	uint8_t *copy = malloc(size - 16);
	memcpy(copy, data + 16, size - 16);
	struct elf_info info;
	if (elf_mem_parse(copy, size - 16, &info) == 0) {
		FUZZ_ASSERT(info.ehdr.e_phnum > 0 && info.phdrs != NULL);
		FUZZ_ASSERT(info.lo <= info.hi);
		struct fake_space fs = {busy, busy + 0x100000, hole, 0, 0};
		struct elf_space space = fake_space_of(&fs);
		for (int interp = 0; interp < 2; interp++) {
			u64 bias = 0;
			if (elf_choose_bias(&info, interp, &space, &bias) == 0) {
				/* Accepted loads stay in user space. */
				FUZZ_ASSERT(bias + info.hi >= bias && bias + info.hi <= USER_TOP);
				(void)elf_phdr_addr(&info, bias);
			}
		}
		elf_info_free(&info);
	}
	free(copy);
	return 0;
}
