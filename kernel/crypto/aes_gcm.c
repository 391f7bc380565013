/*
 * aes_gcm.c: AES-256-GCM over BearSSL, for the encrypted root disk.
 * AES-NI + PCLMUL when CPUID has them, else the constant-time ct64 AES
 * and ctmul64 GHASH (never table-based code).
 */
#include <bearssl_aead.h>
#include <bearssl_block.h>
#include <bearssl_hash.h>
#include "crypto/crypto.h"
#include "lib/string.h"
#include "arch/x86_64/arch.h"
#include "syscalls/linux_abi/errno.h"

struct gcm_state {
    union {
        const br_block_ctr_class *vtable;
        br_aes_x86ni_ctr_keys ni;
        br_aes_ct64_ctr_keys ct64;
    } aes;
    br_gcm_context gcm;
};

_Static_assert(sizeof(struct gcm_state) <= sizeof(((struct aes_gcm_key *)0)->opaque),
               "aes_gcm_key too small");

static const char *g_gcm_impl = "none";

void aes_gcm_key_init(struct aes_gcm_key *key, const u8 key_bytes[32])
{
    struct gcm_state *s = (struct gcm_state *)key->opaque;
    kernel_fpu_begin();
    const br_block_ctr_class *ni = br_aes_x86ni_ctr_get_vtable();
    br_ghash gh = br_ghash_pclmul_get();
    if (ni && gh) {
        br_aes_x86ni_ctr_init(&s->aes.ni, key_bytes, 32);
        g_gcm_impl = "x86ni+pclmul";
    } else {
        br_aes_ct64_ctr_init(&s->aes.ct64, key_bytes, 32);
        gh = br_ghash_ctmul64;
        g_gcm_impl = "ct64";
    }
    br_gcm_init(&s->gcm, &s->aes.vtable, gh);
    kernel_fpu_end();
}

void aes_gcm_key_wipe(struct aes_gcm_key *key)
{
    memzero_explicit(key, sizeof(*key));
}

int aes_gcm_decrypt(struct aes_gcm_key *key, const u8 iv[AES_GCM_IV_SIZE],
                    void *buf, size_t size, const u8 tag[AES_GCM_TAG_SIZE])
{
    struct gcm_state *s = (struct gcm_state *)key->opaque;
    kernel_fpu_begin();
    br_gcm_reset(&s->gcm, iv, AES_GCM_IV_SIZE);
    br_gcm_flip(&s->gcm);
    br_gcm_run(&s->gcm, 0, buf, size);
    u32 ok = br_gcm_check_tag(&s->gcm, tag);
    kernel_fpu_end();
    if (!ok) {
        memzero_explicit(buf, size);
        return -EIO;
    }
    return 0;
}

void aes_gcm_encrypt(struct aes_gcm_key *key, const u8 iv[AES_GCM_IV_SIZE],
                     void *buf, size_t size, u8 tag[AES_GCM_TAG_SIZE])
{
    struct gcm_state *s = (struct gcm_state *)key->opaque;
    kernel_fpu_begin();
    br_gcm_reset(&s->gcm, iv, AES_GCM_IV_SIZE);
    br_gcm_flip(&s->gcm);
    br_gcm_run(&s->gcm, 1, buf, size);
    br_gcm_get_tag(&s->gcm, tag);
    kernel_fpu_end();
}

const char *aes_gcm_impl_name(void)
{
    return g_gcm_impl;
}
