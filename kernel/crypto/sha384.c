/*
 * sha384.c: SHA-384 over BearSSL's sha2big. Also used for the very first
 * measurement in main, before .data is written: nothing here touches
 * writable globals.
 */
#include <bearssl_hash.h>
#include "crypto/crypto.h"
#include "arch/x86_64/arch.h"

_Static_assert(sizeof(br_sha384_context) <= sizeof(((struct sha384_ctx *)0)->opaque),
               "sha384_ctx too small");

void sha384_init(struct sha384_ctx *ctx)
{
    kernel_fpu_begin();
    br_sha384_init((br_sha384_context *)ctx->opaque);
    kernel_fpu_end();
}

void sha384_update(struct sha384_ctx *ctx, const void *data, size_t size)
{
    kernel_fpu_begin();
    br_sha384_update((br_sha384_context *)ctx->opaque, data, size);
    kernel_fpu_end();
}

void sha384_final(struct sha384_ctx *ctx, u8 out[SHA384_SIZE])
{
    kernel_fpu_begin();
    br_sha384_out((br_sha384_context *)ctx->opaque, out);
    kernel_fpu_end();
}

void sha384(const void *data, size_t size, u8 out[SHA384_SIZE])
{
    struct sha384_ctx ctx;
    sha384_init(&ctx);
    sha384_update(&ctx, data, size);
    sha384_final(&ctx, out);
}
