/*
 * crypto.h: the kernel's cryptography, thin wrappers over BearSSL.
 *
 * Callers never include BearSSL headers and never bracket these calls
 * with kernel_fpu_begin/end: each wrapper does that itself, because
 * BearSSL (and the compiler, for its plain C code) may use SSE/AES-NI.
 * BearSSL runs on a private stack that is wiped after each call, so no
 * key schedule stays on a task's kernel stack (crypto_stack.h).
 * Contexts are opaque and owned by the caller. AES-GCM uses AES-NI and
 * PCLMUL when the CPU has them, else BearSSL's constant-time ct64 code.
 */
#ifndef CVMIFY_CRYPTO_H
#define CVMIFY_CRYPTO_H

#include "lib/types.h"

#define SHA384_SIZE 48
#define SHA256_SIZE 32
#define AES_GCM_TAG_SIZE 16
#define AES_GCM_IV_SIZE 12

/* ---- SHA-384 ----------------------------------------------------------- */

struct sha384_ctx {
    _Alignas(16) u8 opaque[256];
};

void sha384_init(struct sha384_ctx *ctx);
void sha384_update(struct sha384_ctx *ctx, const void *data, size_t size);
void sha384_final(struct sha384_ctx *ctx, u8 out[SHA384_SIZE]);
void sha384(const void *data, size_t size, u8 out[SHA384_SIZE]);

/* ---- HMAC-SHA-384 and HKDF-SHA-384 (RFC 2104, RFC 5869) ----------------- */

struct hmac_sha384_ctx {
    _Alignas(16) u8 opaque[768];
};

void hmac_sha384_init(struct hmac_sha384_ctx *ctx, const void *key, size_t key_size);
void hmac_sha384_update(struct hmac_sha384_ctx *ctx, const void *data, size_t size);
void hmac_sha384_final(struct hmac_sha384_ctx *ctx, u8 out[SHA384_SIZE]);
void hmac_sha384(const void *key, size_t key_size, const void *data, size_t size,
                 u8 out[SHA384_SIZE]);

/* Extract-and-expand; out_size <= 255 * 48. */
void hkdf_sha384(const void *ikm, size_t ikm_size, const void *salt, size_t salt_size,
                 const void *info, size_t info_size, void *out, size_t out_size);

/* ---- AES-256-GCM ----------------------------------------------------------- */

struct aes_gcm_key {
    _Alignas(16) u8 opaque[768];
};

/* A key slot from a small pool outside the direct map (crypto_stack.h);
 * NULL when all are taken. aes_gcm_key_free wipes it and gives it back. */
struct aes_gcm_key *aes_gcm_key_alloc(void);
void aes_gcm_key_free(struct aes_gcm_key *key);

/* Expand a 32-byte key. The context holds key material: wipe it with
 * aes_gcm_key_wipe (or free the slot) when done. */
void aes_gcm_key_init(struct aes_gcm_key *key, const u8 key_bytes[32]);
void aes_gcm_key_wipe(struct aes_gcm_key *key);

/* Decrypt buf in place and check the tag (no AAD). Returns 0, or
 * -EIO on a tag mismatch, in which case buf is zeroed: no
 * unauthenticated plaintext ever leaves. */
int aes_gcm_decrypt(struct aes_gcm_key *key, const u8 iv[AES_GCM_IV_SIZE],
                    void *buf, size_t size, const u8 tag[AES_GCM_TAG_SIZE]);

/* Encrypt buf in place and write the tag (tests and tools). */
void aes_gcm_encrypt(struct aes_gcm_key *key, const u8 iv[AES_GCM_IV_SIZE],
                     void *buf, size_t size, u8 tag[AES_GCM_TAG_SIZE]);

/* Which implementation aes_gcm_key_init picked: "x86ni+pclmul" or "ct64". */
const char *aes_gcm_impl_name(void);

/* ---- ECDH on P-256 (ec.c) ---- */

#define EC_P256_PRIVATE_SIZE 32
#define EC_P256_POINT_SIZE 65 /* 0x04 || X || Y */

/* True if priv (big-endian) is in [1, n-1]. */
bool ec_p256_private_valid(const u8 priv[EC_P256_PRIVATE_SIZE]);

/* The public point of a private scalar. 0, or -1 for an invalid scalar. */
int ec_p256_public(const u8 priv[EC_P256_PRIVATE_SIZE], u8 pub[EC_P256_POINT_SIZE]);

/* X coordinate of priv * peer. -1 if peer is not a point on the curve. */
int ec_p256_ecdh(const u8 priv[EC_P256_PRIVATE_SIZE], const u8 peer[EC_P256_POINT_SIZE],
                 u8 shared_x[EC_P256_PRIVATE_SIZE]);

#endif
