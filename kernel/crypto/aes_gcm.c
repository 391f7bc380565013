/*
 * aes_gcm.c: AES-256-GCM over BearSSL, for the encrypted root disk.
 * AES-NI + PCLMUL when CPUID has them, else the constant-time ct64 AES
 * and ctmul64 GHASH (never table-based code). BearSSL runs on the crypto
 * stack (crypto_stack.h); expanded keys live in a fixed pool of slots in
 * .bss.secret.
 */
#include <bearssl_aead.h>
#include <bearssl_block.h>
#include <bearssl_hash.h>
#include "crypto/crypto.h"
#include "crypto/crypto_stack.h"
#include "lib/string.h"
#include "syscalls/linux_abi/errno.h"

#define KEY_SLOTS 4

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

__attribute__((section(".bss.secret"), aligned(64)))
static struct aes_gcm_key g_key_slots[KEY_SLOTS];
static bool g_key_used[KEY_SLOTS];

static const char *g_gcm_impl = "none";

struct aes_gcm_key *aes_gcm_key_alloc(void)
{
    for (int i = 0; i < KEY_SLOTS; i++) {
        if (!g_key_used[i]) {
            g_key_used[i] = true;
            return &g_key_slots[i];
        }
    }
    return NULL;
}

void aes_gcm_key_free(struct aes_gcm_key *key)
{
    aes_gcm_key_wipe(key);
    for (int i = 0; i < KEY_SLOTS; i++) {
        if (key == &g_key_slots[i])
            g_key_used[i] = false;
    }
}

struct init_call {
    struct gcm_state *s;
    const u8 *key_bytes;
};

static u64 run_init(void *arg)
{
    struct init_call *c = arg;
    const br_block_ctr_class *ni = br_aes_x86ni_ctr_get_vtable();
    br_ghash gh = br_ghash_pclmul_get();
    if (ni && gh) {
        br_aes_x86ni_ctr_init(&c->s->aes.ni, c->key_bytes, 32);
        g_gcm_impl = "x86ni+pclmul";
    } else {
        br_aes_ct64_ctr_init(&c->s->aes.ct64, c->key_bytes, 32);
        gh = br_ghash_ctmul64;
        g_gcm_impl = "ct64";
    }
    br_gcm_init(&c->s->gcm, &c->s->aes.vtable, gh);
    return 0;
}

void aes_gcm_key_init(struct aes_gcm_key *key, const u8 key_bytes[32])
{
    struct init_call c = {(struct gcm_state *)key->opaque, key_bytes};
    crypto_call(run_init, &c);
}

void aes_gcm_key_wipe(struct aes_gcm_key *key)
{
    memzero_explicit(key, sizeof(*key));
}

struct run_call {
    struct gcm_state *s;
    const u8 *iv;
    void *buf;
    size_t size;
    u8 *tag;        /* encrypt: written */
    const u8 *want; /* decrypt: checked */
};

static u64 run_gcm(void *arg)
{
    struct run_call *c = arg;
    br_gcm_reset(&c->s->gcm, c->iv, AES_GCM_IV_SIZE);
    br_gcm_flip(&c->s->gcm);
    br_gcm_run(&c->s->gcm, c->want == NULL, c->buf, c->size);
    if (c->want == NULL) {
        br_gcm_get_tag(&c->s->gcm, c->tag);
        return 1;
    }
    return br_gcm_check_tag(&c->s->gcm, c->want);
}

int aes_gcm_decrypt(struct aes_gcm_key *key, const u8 iv[AES_GCM_IV_SIZE],
                    void *buf, size_t size, const u8 tag[AES_GCM_TAG_SIZE])
{
    struct run_call c = {(struct gcm_state *)key->opaque, iv, buf, size, NULL, tag};
    if (!crypto_call(run_gcm, &c)) {
        memzero_explicit(buf, size);
        return -EIO;
    }
    return 0;
}

void aes_gcm_encrypt(struct aes_gcm_key *key, const u8 iv[AES_GCM_IV_SIZE],
                     void *buf, size_t size, u8 tag[AES_GCM_TAG_SIZE])
{
    struct run_call c = {(struct gcm_state *)key->opaque, iv, buf, size, tag, NULL};
    crypto_call(run_gcm, &c);
}

const char *aes_gcm_impl_name(void)
{
    return g_gcm_impl;
}
