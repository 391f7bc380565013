/*
 * hmac.c: HMAC-SHA-384 and HKDF-SHA-384 over BearSSL.
 */
#include <bearssl_hmac.h>
#include <bearssl_kdf.h>
#include "crypto/crypto.h"
#include "lib/string.h"
#include "arch/x86_64/arch.h"

struct hmac_state {
    br_hmac_key_context key;
    br_hmac_context run;
};

_Static_assert(sizeof(struct hmac_state) <= sizeof(((struct hmac_sha384_ctx *)0)->opaque),
               "hmac_sha384_ctx too small");

void hmac_sha384_init(struct hmac_sha384_ctx *ctx, const void *key, size_t key_size)
{
    struct hmac_state *s = (struct hmac_state *)ctx->opaque;
    kernel_fpu_begin();
    br_hmac_key_init(&s->key, &br_sha384_vtable, key, key_size);
    br_hmac_init(&s->run, &s->key, 0);
    kernel_fpu_end();
}

void hmac_sha384_update(struct hmac_sha384_ctx *ctx, const void *data, size_t size)
{
    struct hmac_state *s = (struct hmac_state *)ctx->opaque;
    kernel_fpu_begin();
    br_hmac_update(&s->run, data, size);
    kernel_fpu_end();
}

void hmac_sha384_final(struct hmac_sha384_ctx *ctx, u8 out[SHA384_SIZE])
{
    struct hmac_state *s = (struct hmac_state *)ctx->opaque;
    kernel_fpu_begin();
    br_hmac_out(&s->run, out);
    kernel_fpu_end();
    memzero_explicit(ctx, sizeof(*ctx));
}

void hmac_sha384(const void *key, size_t key_size, const void *data, size_t size,
                 u8 out[SHA384_SIZE])
{
    struct hmac_sha384_ctx ctx;
    hmac_sha384_init(&ctx, key, key_size);
    hmac_sha384_update(&ctx, data, size);
    hmac_sha384_final(&ctx, out);
}

void hkdf_sha384(const void *ikm, size_t ikm_size, const void *salt, size_t salt_size,
                 const void *info, size_t info_size, void *out, size_t out_size)
{
    br_hkdf_context hc;
    kernel_fpu_begin();
    br_hkdf_init(&hc, &br_sha384_vtable, salt, salt_size);
    br_hkdf_inject(&hc, ikm, ikm_size);
    br_hkdf_flip(&hc);
    br_hkdf_produce(&hc, info, info_size, out, out_size);
    kernel_fpu_end();
    memzero_explicit(&hc, sizeof(hc));
}
