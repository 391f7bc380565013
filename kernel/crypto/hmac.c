/*
 * hmac.c: HMAC-SHA-384 and HKDF-SHA-384 over BearSSL, run on the crypto
 * stack (crypto_stack.h): HMAC keeps the padded key in its frames.
 */
#include <bearssl_hmac.h>
#include <bearssl_kdf.h>
#include "crypto/crypto.h"
#include "crypto/crypto_stack.h"
#include "lib/string.h"

struct hmac_state {
    br_hmac_key_context key;
    br_hmac_context run;
};

_Static_assert(sizeof(struct hmac_state) <= sizeof(((struct hmac_sha384_ctx *)0)->opaque),
               "hmac_sha384_ctx too small");

struct hmac_call {
    struct hmac_state *s;
    const void *data; /* the key for init */
    size_t size;
    u8 *out;
};

static u64 run_hmac_init(void *arg)
{
    struct hmac_call *c = arg;
    br_hmac_key_init(&c->s->key, &br_sha384_vtable, c->data, c->size);
    br_hmac_init(&c->s->run, &c->s->key, 0);
    return 0;
}

static u64 run_hmac_update(void *arg)
{
    struct hmac_call *c = arg;
    br_hmac_update(&c->s->run, c->data, c->size);
    return 0;
}

static u64 run_hmac_out(void *arg)
{
    struct hmac_call *c = arg;
    br_hmac_out(&c->s->run, c->out);
    return 0;
}

void hmac_sha384_init(struct hmac_sha384_ctx *ctx, const void *key, size_t key_size)
{
    struct hmac_call c = {(struct hmac_state *)ctx->opaque, key, key_size, NULL};
    crypto_call(run_hmac_init, &c);
}

void hmac_sha384_update(struct hmac_sha384_ctx *ctx, const void *data, size_t size)
{
    struct hmac_call c = {(struct hmac_state *)ctx->opaque, data, size, NULL};
    crypto_call(run_hmac_update, &c);
}

void hmac_sha384_final(struct hmac_sha384_ctx *ctx, u8 out[SHA384_SIZE])
{
    struct hmac_call c = {(struct hmac_state *)ctx->opaque, NULL, 0, out};
    crypto_call(run_hmac_out, &c);
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

struct hkdf_call {
    const void *ikm, *salt, *info;
    size_t ikm_size, salt_size, info_size;
    void *out;
    size_t out_size;
};

/* The whole HKDF, context included, lives on the crypto stack. */
static u64 run_hkdf(void *arg)
{
    struct hkdf_call *c = arg;
    br_hkdf_context hc;
    br_hkdf_init(&hc, &br_sha384_vtable, c->salt, c->salt_size);
    br_hkdf_inject(&hc, c->ikm, c->ikm_size);
    br_hkdf_flip(&hc);
    br_hkdf_produce(&hc, c->info, c->info_size, c->out, c->out_size);
    memzero_explicit(&hc, sizeof(hc));
    return 0;
}

void hkdf_sha384(const void *ikm, size_t ikm_size, const void *salt, size_t salt_size,
                 const void *info, size_t info_size, void *out, size_t out_size)
{
    struct hkdf_call c = {ikm, salt, info, ikm_size, salt_size, info_size, out, out_size};
    crypto_call(run_hkdf, &c);
}
