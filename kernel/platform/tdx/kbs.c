/*
 * kbs.c: the disk key of td.fd's kernel (platform_disk_key). A TD never
 * takes a key from the host: it proves itself to the key broker through
 * the relay (kbs.h) and receives the disk key wrapped to an ephemeral
 * key whose hash is in the quote's REPORTDATA:
 *
 *   report_data = SHA-384("cvmify-kbs/1" || nonce || pub || disk_root) || 0^16
 *   kek = HKDF-SHA-384(ECDH(priv, broker_pub).x, salt = nonce,
 *                      info = "cvmify-kbs/1 disk key" || pub || broker_pub || disk_root)
 *   disk key = AES-256-GCM-decrypt(kek, iv, wrapped, tag)
 *
 * Only the broker, which checked the quote (and so REPORTDATA, hence our
 * pub and nonce), can produce a KEY the tag accepts for our ephemeral
 * key... or anyone who knows our public key: a lying relay could wrap a
 * key of its own. That key would not open the disk, whose root is
 * measured (AES-GCM tags and the tree under DISK_ROOT): the relay can
 * only deny service. The private key, the shared secret and the KEK are
 * wiped after use.
 *
 * A plain VM booted from td.fd (no TDX) uses the development key from
 * fw_cfg when the host gives one (cvmify run --mode td-vm), otherwise the
 * same protocol with the simulated module (--mode tdx-sim).
 */
#include "platform/platform.h"
#include "platform/tdx/kbs.h"
#include "platform/tdx/tdx.h"
#include "crypto/crypto.h"
#include "drivers/random/random.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "syscalls/linux_abi/errno.h"
#include "panic.h"

#define FW_DISK_KEY "opt/cvmify/disk-key"
#define DISK_KEY_SIZE 32
#define ROOT_SIZE 48
#define KEY_FRAME (EC_P256_POINT_SIZE + AES_GCM_IV_SIZE + DISK_KEY_SIZE + AES_GCM_TAG_SIZE)
#define RESPONSE_TIMEOUT_S 120
#define QUOTE_MAX 16384
#define KEYGEN_ATTEMPTS 16
#define BIND_TAG "cvmify-kbs/1"
#define KEK_TAG "cvmify-kbs/1 disk key"

struct session {
    u8 nonce[KBS_NONCE_SIZE];
    u8 priv[EC_P256_PRIVATE_SIZE];
    u8 pub[EC_P256_POINT_SIZE];
    u8 root[ROOT_SIZE];
};

static void put32(u8 *p, u32 v) { memcpy(p, &v, 4); }

static int hello(struct session *s)
{
    u8 frame[4 + ROOT_SIZE];
    put32(frame, KBS_VERSION);
    memcpy(frame + 4, s->root, ROOT_SIZE);
    if (kbs_send(KBS_HELLO, frame, sizeof(frame)) != 0)
        return -EIO;
    u8 type;
    u32 size;
    int err = kbs_recv(&type, s->nonce, sizeof(s->nonce), &size, RESPONSE_TIMEOUT_S);
    if (err)
        return err;
    return type == KBS_CHALLENGE && size == KBS_NONCE_SIZE ? 0 : -EILSEQ;
}

static int keygen(struct session *s)
{
    for (int i = 0; i < KEYGEN_ATTEMPTS; i++) {
        random_bytes(s->priv, sizeof(s->priv));
        if (ec_p256_public(s->priv, s->pub) == 0)
            return 0;
    }
    return -EIO;
}

static void report_data(const struct session *s, u8 out[TDX_REPORTDATA_SIZE])
{
    struct sha384_ctx ctx;
    memset(out, 0, TDX_REPORTDATA_SIZE);
    sha384_init(&ctx);
    sha384_update(&ctx, BIND_TAG, strlen(BIND_TAG));
    sha384_update(&ctx, s->nonce, sizeof(s->nonce));
    sha384_update(&ctx, s->pub, sizeof(s->pub));
    sha384_update(&ctx, s->root, sizeof(s->root));
    sha384_final(&ctx, out);
}

/* ATTEST: our public key, the quote and the event log. */
static int attest(const struct session *s, const u8 *quote, size_t quote_size)
{
    size_t log_size;
    const u8 *log = td_eventlog(&log_size);
    size_t size = EC_P256_POINT_SIZE + 4 + quote_size + 4 + log_size;
    u8 *frame = kmalloc(size);
    if (frame == NULL)
        return -ENOMEM;
    u8 *p = frame;
    memcpy(p, s->pub, EC_P256_POINT_SIZE);
    p += EC_P256_POINT_SIZE;
    put32(p, (u32)quote_size);
    memcpy(p + 4, quote, quote_size);
    p += 4 + quote_size;
    put32(p, (u32)log_size);
    memcpy(p + 4, log, log_size);
    int err = kbs_send(KBS_ATTEST, frame, (u32)size);
    kfree(frame);
    return err;
}

static int unwrap(struct session *s, const u8 frame[KEY_FRAME], u8 key[DISK_KEY_SIZE])
{
    const u8 *broker_pub = frame;
    const u8 *iv = frame + EC_P256_POINT_SIZE;
    const u8 *wrapped = iv + AES_GCM_IV_SIZE;
    const u8 *tag = wrapped + DISK_KEY_SIZE;
    u8 shared[EC_P256_PRIVATE_SIZE], kek[32];
    u8 info[sizeof(KEK_TAG) - 1 + 2 * EC_P256_POINT_SIZE + ROOT_SIZE];
    int result = -EACCES;
    if (ec_p256_ecdh(s->priv, broker_pub, shared) == 0) {
        u8 *p = info;
        memcpy(p, KEK_TAG, sizeof(KEK_TAG) - 1);
        p += sizeof(KEK_TAG) - 1;
        memcpy(p, s->pub, EC_P256_POINT_SIZE);
        memcpy(p + EC_P256_POINT_SIZE, broker_pub, EC_P256_POINT_SIZE);
        memcpy(p + 2 * EC_P256_POINT_SIZE, s->root, ROOT_SIZE);
        hkdf_sha384(shared, sizeof(shared), s->nonce, sizeof(s->nonce), info, sizeof(info), kek,
                    sizeof(kek));
        struct aes_gcm_key gcm;
        aes_gcm_key_init(&gcm, kek);
        memcpy(key, wrapped, DISK_KEY_SIZE);
        if (aes_gcm_decrypt(&gcm, iv, key, DISK_KEY_SIZE, tag) == 0)
            result = 0;
        else
            memzero_explicit(key, DISK_KEY_SIZE);
        aes_gcm_key_wipe(&gcm);
    }
    memzero_explicit(shared, sizeof(shared));
    memzero_explicit(kek, sizeof(kek));
    return result;
}

static int release(struct session *s, u8 key[DISK_KEY_SIZE])
{
    static u8 quote[QUOTE_MAX];
    u8 rd[TDX_REPORTDATA_SIZE];
    static u8 report[TDX_REPORT_SIZE];
    static u8 answer[KEY_FRAME > 256 ? KEY_FRAME : 256];
    kbs_channel_init();
    int err = hello(s);
    if (err) {
        kprintf("kbs: no challenge from the key broker (error %d)\n", err);
        return err;
    }
    if (keygen(s) != 0)
        return -EIO;
    report_data(s, rd);
    td_report(rd, report);
    long quote_size = td_get_quote(report, quote, sizeof(quote));
    if (quote_size < 0) {
        kprintf("kbs: no quote (error %ld)\n", quote_size);
        return (int)quote_size;
    }
    if (attest(s, quote, (size_t)quote_size) != 0)
        return -EIO;
    u8 type;
    u32 size;
    err = kbs_recv(&type, answer, sizeof(answer) - 1, &size, RESPONSE_TIMEOUT_S);
    if (err)
        return err;
    if (type == KBS_REFUSED) {
        answer[size] = 0;
        for (u32 i = 0; i < size; i++) /* host text: printable only */
            if (answer[i] < 0x20 || answer[i] > 0x7e)
                answer[i] = '?';
        kprintf("kbs: the key broker refused: %s\n", (char *)answer);
        return -EACCES;
    }
    if (type != KBS_KEY || size != KEY_FRAME)
        return -EILSEQ;
    return unwrap(s, answer, key);
}

int platform_disk_key(u8 key[DISK_KEY_SIZE], const u8 disk_root[ROOT_SIZE])
{
    if (!tdx_active() && platform_fwcfg_size(FW_DISK_KEY) == DISK_KEY_SIZE) {
        kprintf("td: plain VM: using the host's development disk key\n");
        return platform_fwcfg_read(FW_DISK_KEY, key, DISK_KEY_SIZE);
    }
    struct session *s = kzalloc(sizeof(*s));
    if (s == NULL)
        return -ENOMEM;
    memcpy(s->root, disk_root, ROOT_SIZE);
    int err = release(s, key);
    memzero_explicit(s, sizeof(*s));
    kfree(s);
    if (err == 0)
        kprintf("kbs: disk key released to this %s\n", tdx_active() ? "TD" : "simulated TD");
    return err;
}
