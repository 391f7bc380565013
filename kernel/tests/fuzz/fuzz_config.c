/*
 * fuzz_config.c: config.bin and the host overrides, as the host could
 * hand them over (config.bin is measured, so a bad one only matters for
 * a kernel bug; the overrides are never measured). The first two bytes
 * say where config.bin ends and the overrides begin.
 */
#include <stdio.h>

#include "config/config.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t split = ((size_t)data[0] | ((size_t)data[1] << 8)) % (size - 1);
	const uint8_t *blob = data + 2;
	size_t blob_size = split;
	const uint8_t *over = blob + blob_size;
	size_t over_size = size - 2 - blob_size;
	/* Private, exactly-sized copies: ASan sees any overrun. */
	uint8_t *b = malloc(blob_size ? blob_size : 1);
	uint8_t *o = malloc(over_size ? over_size : 1);
	memcpy(b, blob, blob_size);
	memcpy(o, over, over_size);
	struct boot_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	if (config_parse(b, blob_size, &cfg) == 0) {
		FUZZ_ASSERT(cfg.entrypoint != NULL && cfg.argv != NULL);
		for (size_t i = 0; i < cfg.argc; i++)
			FUZZ_ASSERT(cfg.argv[i] != NULL);
		if (over_size > 0)
			(void)config_apply_overrides(&cfg, o, over_size);
		config_free(&cfg);
	}
	free(b);
	free(o);
	return 0;
}
