/* elf_mem.c: see elf_mem.h. */
#include <string.h>

#include "check.h"
#include "elf_mem.h"
#include "syscalls/linux_abi/errno.h"

static int mem_read(void *ctx, void *buf, size_t size, u64 offset)
{
	struct elf_mem *m = ctx;
	int call = m->reads++;
	/* The parser must check bounds before it reads. */
	CHECK(offset <= m->size && size <= m->size - offset);
	if (offset > m->size || size > m->size - offset)
		return -EIO;
	if (call == m->fail_at)
		return -EIO;
	memcpy(buf, m->data + offset, size);
	return 0;
}

struct elf_source elf_mem_source(struct elf_mem *m, const u8 *data, size_t size)
{
	m->data = data;
	m->size = size;
	m->reads = 0;
	m->fail_at = -1;
	struct elf_source src = {.ctx = m, .size = size, .read = mem_read};
	return src;
}

int elf_mem_parse(const u8 *data, size_t size, struct elf_info *out)
{
	struct elf_mem m;
	struct elf_source src = elf_mem_source(&m, data, size);
	return elf_parse(&src, out);
}

static bool fake_range_free(void *ctx, u64 start, u64 end)
{
	struct fake_space *f = ctx;
	f->range_calls++;
	return end <= f->busy_start || start >= f->busy_end;
}

static u64 fake_find_hole(void *ctx, u64 size)
{
	struct fake_space *f = ctx;
	(void)size;
	f->hole_calls++;
	return f->hole;
}

struct elf_space fake_space_of(struct fake_space *f)
{
	struct elf_space space = {.ctx = f, .range_free = fake_range_free,
	                          .find_hole = fake_find_hole};
	return space;
}
