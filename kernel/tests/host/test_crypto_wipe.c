/*
 * test_crypto_wipe.c: no key material stays behind on a stack after a
 * crypto call. BearSSL's AES-NI CTR code copies the expanded key to its
 * stack frame on every call (and the ct64 code expands it there); the
 * first round key of AES-256 is the key itself. After each wrapper
 * returns, neither the caller's stack below it nor the crypto stack the
 * wrapper ran BearSSL on may hold those bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <bearssl_aead.h>
#include <bearssl_block.h>
#include <bearssl_hash.h>

#include "check.h"
#include "crypto/crypto.h"
#include "crypto/crypto_stack.h"

#define SCAN_BELOW (64 * 1024)

static const u8 g_key[32] = {
	0x9a, 0x3c, 0x51, 0xe7, 0x02, 0x6b, 0xd4, 0x18, 0x77, 0xc0, 0x2e, 0xf5, 0x43, 0x8d, 0x19, 0xa6,
	0x5e, 0xb1, 0x0c, 0x93, 0x68, 0xfa, 0x27, 0x4d, 0xe2, 0x36, 0x81, 0x5f, 0xcb, 0x0a, 0x74, 0xd9,
};

/* Does [p, p + size) contain needle? Reads dead stack: no ASan. */
__attribute__((no_sanitize_address, noinline)) static bool contains(const u8 *p, size_t size,
                                                                     const u8 *needle, size_t n)
{
	for (size_t i = 0; i + n <= size; i++) {
		size_t j = 0;
		while (j < n && p[i + j] == needle[j])
			j++;
		if (j == n)
			return true;
	}
	return false;
}

/* The stack the caller's callees used: just below our own frame. */
__attribute__((no_sanitize_address, noinline)) static bool below_sp_contains(const u8 *needle,
                                                                            size_t n)
{
	u8 *sp = __builtin_frame_address(0);
	return contains(sp - SCAN_BELOW, SCAN_BELOW, needle, n);
}

static bool key_left_anywhere(void)
{
	size_t size;
	const u8 *stack = crypto_stack_area(&size);
	/* Round keys 0 and 1 of AES-256 are the two key halves. */
	return below_sp_contains(g_key, 16) || below_sp_contains(g_key + 16, 16) ||
	       contains(stack, size, g_key, 16) || contains(stack, size, g_key + 16, 16);
}

__attribute__((noinline)) static void decrypt_one_block(struct aes_gcm_key *key)
{
	u8 iv[AES_GCM_IV_SIZE] = {1, 2, 3};
	u8 tag[AES_GCM_TAG_SIZE];
	static u8 block[4096];
	aes_gcm_encrypt(key, iv, block, sizeof(block), tag);
	CHECK_EQ(aes_gcm_decrypt(key, iv, block, sizeof(block), tag), 0);
}

static void test_crypto_gcm_leaves_no_key_on_stacks(void)
{
	struct aes_gcm_key *key = aes_gcm_key_alloc();
	CHECK(key != NULL);
	if (key == NULL)
		return;
	aes_gcm_key_init(key, g_key);
	decrypt_one_block(key);
	CHECK(!key_left_anywhere());
	aes_gcm_key_free(key);
	CHECK(!contains((const u8 *)key, sizeof(*key), g_key, 16));
}

static void test_crypto_hkdf_leaves_no_key_on_stacks(void)
{
	u8 out[32];
	hkdf_sha384(g_key, sizeof(g_key), "salt", 4, "info", 4, out, sizeof(out));
	/* HMAC pads the key (k ^ ipad): look for the padded first block. */
	u8 ipad[16];
	for (int i = 0; i < 16; i++)
		ipad[i] = (u8)(g_key[i] ^ 0x36);
	CHECK(!below_sp_contains(ipad, sizeof(ipad)));
	size_t size;
	const u8 *stack = crypto_stack_area(&size);
	CHECK(!contains(stack, size, ipad, sizeof(ipad)));
}

/* The ct64 fallback (CPUs without AES-NI) on the crypto stack, as
 * aes_gcm.c would run it: it expands the key into its own frame. */
static u64 run_ct64_gcm(void *arg)
{
	u8 *block = arg;
	br_aes_ct64_ctr_keys aes;
	br_gcm_context gcm;
	br_aes_ct64_ctr_init(&aes, g_key, 32);
	br_gcm_init(&gcm, &aes.vtable, br_ghash_ctmul64);
	br_gcm_reset(&gcm, "0123456789ab", 12);
	br_gcm_flip(&gcm);
	br_gcm_run(&gcm, 1, block, 4096);
	memset(&aes, 0, sizeof(aes));
	memset(&gcm, 0, sizeof(gcm));
	return 0;
}

/* Every wrapper's deepest BearSSL call stays inside the wiped top of the
 * crypto stack: the bytes below it keep the fill pattern. */
static void test_crypto_stack_depth_within_wipe(void)
{
	crypto_stack_fill(0xa5);
	struct aes_gcm_key *key = aes_gcm_key_alloc();
	aes_gcm_key_init(key, g_key);
	decrypt_one_block(key);
	aes_gcm_key_free(key);
	static u8 block[4096];
	crypto_call(run_ct64_gcm, block);
	u8 out[SHA384_SIZE];
	hkdf_sha384(g_key, sizeof(g_key), "salt", 4, "info", 4, out, 32);
	hmac_sha384(g_key, sizeof(g_key), block, sizeof(block), out);
	sha384(block, sizeof(block), out);

	size_t size;
	const u8 *stack = crypto_stack_area(&size);
	size_t untouched = 0;
	while (untouched < size && stack[untouched] == 0xa5)
		untouched++;
	CHECK(untouched >= size - CRYPTO_STACK_WIPE);
	CHECK(!contains(stack, size, g_key, 16));
	crypto_stack_fill(0);
}

/* The key slots come from a fixed pool; a freed slot is wiped and reused. */
static void test_crypto_key_pool(void)
{
	struct aes_gcm_key *a = aes_gcm_key_alloc();
	struct aes_gcm_key *b = aes_gcm_key_alloc();
	CHECK(a != NULL && b != NULL && a != b);
	aes_gcm_key_free(a);
	struct aes_gcm_key *c = aes_gcm_key_alloc();
	CHECK(c == a);
	aes_gcm_key_free(b);
	aes_gcm_key_free(c);
}

int main(int argc, char **argv)
{
	static const struct host_test tests[] = {
		{"crypto_gcm_leaves_no_key_on_stacks", test_crypto_gcm_leaves_no_key_on_stacks},
		{"crypto_hkdf_leaves_no_key_on_stacks", test_crypto_hkdf_leaves_no_key_on_stacks},
		{"crypto_stack_depth_within_wipe", test_crypto_stack_depth_within_wipe},
		{"crypto_key_pool", test_crypto_key_pool},
	};
	/* argv[1] is the golden directory (unused here); argv[2] a test name. */
	return run_tests(tests, (int)(sizeof(tests) / sizeof(tests[0])), argc > 1 ? argc - 1 : argc,
	                 argc > 1 ? argv + 1 : argv);
}
