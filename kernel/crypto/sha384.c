/*
 * sha384.c: SHA-384 over BearSSL's sha2big, run on the crypto stack
 * (crypto_stack.h; it hashes key material for HMAC too). Also used for
 * the very first measurement in main, before .data is written: nothing
 * here touches .data (the crypto stack and the FPU save area are .bss,
 * outside the measured image).
 */
#include <bearssl_hash.h>
#include "crypto/crypto.h"
#include "crypto/crypto_stack.h"

_Static_assert(sizeof(br_sha384_context) <= sizeof(((struct sha384_ctx *)0)->opaque),
               "sha384_ctx too small");

struct sha_call {
    br_sha384_context *ctx;
    const void *data;
    size_t size;
    u8 *out;
};

static u64 run_init(void *arg)
{
    struct sha_call *c = arg;
    br_sha384_init(c->ctx);
    return 0;
}

static u64 run_update(void *arg)
{
    struct sha_call *c = arg;
    br_sha384_update(c->ctx, c->data, c->size);
    return 0;
}

static u64 run_out(void *arg)
{
    struct sha_call *c = arg;
    br_sha384_out(c->ctx, c->out);
    return 0;
}

void sha384_init(struct sha384_ctx *ctx)
{
    struct sha_call c = {(br_sha384_context *)ctx->opaque, NULL, 0, NULL};
    crypto_call(run_init, &c);
}

void sha384_update(struct sha384_ctx *ctx, const void *data, size_t size)
{
    struct sha_call c = {(br_sha384_context *)ctx->opaque, data, size, NULL};
    crypto_call(run_update, &c);
}

void sha384_final(struct sha384_ctx *ctx, u8 out[SHA384_SIZE])
{
    struct sha_call c = {(br_sha384_context *)ctx->opaque, NULL, 0, out};
    crypto_call(run_out, &c);
}

void sha384(const void *data, size_t size, u8 out[SHA384_SIZE])
{
    struct sha384_ctx ctx;
    sha384_init(&ctx);
    sha384_update(&ctx, data, size);
    sha384_final(&ctx, out);
}
