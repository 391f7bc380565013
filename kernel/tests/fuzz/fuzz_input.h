/*
 * fuzz_input.h: reading a libFuzzer input as a stream of choices. Past
 * the end every read gives 0, so each input is a complete, reproducible
 * script.
 */
#ifndef CVMIFY_FUZZ_INPUT_H
#define CVMIFY_FUZZ_INPUT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct fuzz_input {
	const uint8_t *data;
	size_t size;
	size_t pos;
};

static inline uint64_t fuzz_bytes(struct fuzz_input *in, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t b = in->pos < in->size ? in->data[in->pos++] : 0;
		v |= (uint64_t)b << (8 * i);
	}
	return v;
}

static inline uint8_t fuzz_u8(struct fuzz_input *in) { return (uint8_t)fuzz_bytes(in, 1); }
static inline uint16_t fuzz_u16(struct fuzz_input *in) { return (uint16_t)fuzz_bytes(in, 2); }
static inline uint32_t fuzz_u32(struct fuzz_input *in) { return (uint32_t)fuzz_bytes(in, 4); }
static inline uint64_t fuzz_u64(struct fuzz_input *in) { return fuzz_bytes(in, 8); }

static inline int fuzz_done(const struct fuzz_input *in)
{
	return in->pos >= in->size;
}

/* An invariant of the code under test broke: a crash libFuzzer reports. */
#define FUZZ_ASSERT(cond)                                               \
	do {                                                            \
		if (!(cond)) {                                          \
			fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, \
			        __FILE__, __LINE__);                    \
			abort();                                        \
		}                                                       \
	} while (0)

#endif
