/*
 * ec.c: ECDH on NIST P-256 over BearSSL's constant-time p256_m31, for the
 * key release (platform/tdx/kbs.c): an ephemeral key pair and the shared
 * secret with the broker's ephemeral key. Points are uncompressed
 * (0x04 || X || Y, 65 bytes); BearSSL's mul() decodes and checks that the
 * peer's point lies on the curve.
 */
#include <bearssl_ec.h>
#include "crypto/crypto.h"
#include "lib/string.h"
#include "arch/x86_64/arch.h"

/* The group order n of P-256, big-endian (SEC 2, secp256r1). */
static const u8 P256_ORDER[EC_P256_PRIVATE_SIZE] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

bool ec_p256_private_valid(const u8 priv[EC_P256_PRIVATE_SIZE])
{
    bool zero = true;
    for (size_t i = 0; i < EC_P256_PRIVATE_SIZE; i++)
        zero = zero && priv[i] == 0;
    return !zero && memcmp(priv, P256_ORDER, EC_P256_PRIVATE_SIZE) < 0;
}

int ec_p256_public(const u8 priv[EC_P256_PRIVATE_SIZE], u8 pub[EC_P256_POINT_SIZE])
{
    if (!ec_p256_private_valid(priv))
        return -1;
    kernel_fpu_begin();
    size_t len = br_ec_p256_m31.mulgen(pub, priv, EC_P256_PRIVATE_SIZE, BR_EC_secp256r1);
    kernel_fpu_end();
    return len == EC_P256_POINT_SIZE ? 0 : -1;
}

int ec_p256_ecdh(const u8 priv[EC_P256_PRIVATE_SIZE], const u8 peer[EC_P256_POINT_SIZE],
                 u8 shared_x[EC_P256_PRIVATE_SIZE])
{
    u8 point[EC_P256_POINT_SIZE];
    memcpy(point, peer, sizeof(point));
    kernel_fpu_begin();
    u32 ok = br_ec_p256_m31.mul(point, sizeof(point), priv, EC_P256_PRIVATE_SIZE, BR_EC_secp256r1);
    kernel_fpu_end();
    if (ok != 1 || point[0] != 0x04) {
        memzero_explicit(point, sizeof(point));
        return -1;
    }
    memcpy(shared_x, point + 1, EC_P256_PRIVATE_SIZE);
    memzero_explicit(point, sizeof(point));
    return 0;
}
