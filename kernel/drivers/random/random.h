/*
 * random.h: the kernel CSPRNG, for /dev/urandom, /dev/random, getrandom()
 * and AT_RANDOM.
 *
 * An HMAC-DRBG (SHA-384) seeded from the CPU's RDSEED (RDRAND as a
 * fallback) through the arch helpers; never from the host. Reseeded
 * from the CPU periodically. If the CPU gives no entropy at init the
 * kernel panics: there is no honest fallback.
 */
#ifndef CVMIFY_DRIVERS_RANDOM_H
#define CVMIFY_DRIVERS_RANDOM_H

#include "lib/types.h"

/* Seed the generator; call once at boot before anyone reads. */
int random_init(void);

/* Fill buf with size random bytes (any size). */
void random_bytes(void *buf, size_t size);

#endif
