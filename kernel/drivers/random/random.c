/*
 * random.c: the kernel CSPRNG: HMAC-DRBG (NIST SP 800-90A) with
 * HMAC-SHA-384, seeded and periodically reseeded from the CPU (RDSEED,
 * else RDRAND) through arch_random_fill. The host never supplies entropy.
 * Single-threaded: callers do not race.
 */
#include "drivers/random/random.h"
#include "arch/x86_64/arch.h"
#include "crypto/crypto.h"
#include "lib/string.h"
#include "panic.h"

#define SEED_SIZE 64
#define RESEED_INTERVAL 1024 /* generate calls between reseeds */
#define MAX_REQUEST 4096     /* bytes per generate call (reseed granularity) */

static u8 g_key[SHA384_SIZE];
static u8 g_value[SHA384_SIZE];
static u32 g_calls_since_seed;
static bool g_ready;

static void hmac_two(const u8 *key, const u8 *a, size_t a_size, u8 sep, const u8 *data,
                     size_t data_size, u8 out[SHA384_SIZE])
{
	struct hmac_sha384_ctx ctx;
	hmac_sha384_init(&ctx, key, SHA384_SIZE);
	hmac_sha384_update(&ctx, a, a_size);
	hmac_sha384_update(&ctx, &sep, 1);
	if (data_size > 0)
		hmac_sha384_update(&ctx, data, data_size);
	hmac_sha384_final(&ctx, out);
	memzero_explicit(&ctx, sizeof(ctx));
}

/* The DRBG update function with optional provided data. */
static void drbg_update(const u8 *data, size_t size)
{
	hmac_two(g_key, g_value, sizeof(g_value), 0x00, data, size, g_key);
	hmac_sha384(g_key, sizeof(g_key), g_value, sizeof(g_value), g_value);
	if (size == 0)
		return;
	hmac_two(g_key, g_value, sizeof(g_value), 0x01, data, size, g_key);
	hmac_sha384(g_key, sizeof(g_key), g_value, sizeof(g_value), g_value);
}

static bool reseed(void)
{
	u8 seed[SEED_SIZE];
	if (!arch_random_fill(seed, sizeof(seed)))
		return false;
	drbg_update(seed, sizeof(seed));
	memzero_explicit(seed, sizeof(seed));
	g_calls_since_seed = 0;
	return true;
}

int random_init(void)
{
	memset(g_key, 0x00, sizeof(g_key));
	memset(g_value, 0x01, sizeof(g_value));
	if (!reseed())
		return -1;
	g_ready = true;
	return 0;
}

static void generate(u8 *out, size_t size)
{
	if (g_calls_since_seed >= RESEED_INTERVAL && !reseed())
		panic("random: the CPU stopped giving entropy");
	g_calls_since_seed++;
	size_t done = 0;
	while (done < size) {
		hmac_sha384(g_key, sizeof(g_key), g_value, sizeof(g_value), g_value);
		size_t n = size - done < SHA384_SIZE ? size - done : SHA384_SIZE;
		memcpy(out + done, g_value, n);
		done += n;
	}
	drbg_update(NULL, 0);
}

void random_bytes(void *buf, size_t size)
{
	if (!g_ready)
		panic("random_bytes before random_init");
	u8 *out = buf;
	while (size > 0) {
		size_t n = size < MAX_REQUEST ? size : MAX_REQUEST;
		generate(out, n);
		out += n;
		size -= n;
	}
}
