/*
 * measure.h: the boot measurement chain (docs/measurements.md).
 *
 * R0 = 48 zero bytes; R1 = SHA-384(R0 || kernel); R2 = SHA-384(R1 ||
 * config); R3 = SHA-384(R2 || disk_root). The order is fixed; calling out
 * of order panics. /dev/attestation reads the values with
 * measurements_get().
 */
#ifndef CVMIFY_MEASURE_H
#define CVMIFY_MEASURE_H

#include "lib/types.h"
#include "crypto/crypto.h"

struct measurements {
    u8 kernel[SHA384_SIZE];
    u8 config[SHA384_SIZE];
    u8 disk_root[SHA384_SIZE];
    u8 rtmr[SHA384_SIZE]; /* the running register; R3 once all three are in */
    int stage;            /* how many values are extended: 0..3 */
};

/* Hash [__measured_start, __measured_end) and extend. The first C action
 * of kmain: it must run before anything writes to .data. */
void measure_kernel_image(void);

/* Hash config.bin (the private copy) and extend. */
void measure_config(const void *blob, size_t size);

/* Extend the disk root (48 bytes, already checked against the config). */
void measure_disk_root(const u8 root[SHA384_SIZE]);

/* Host overrides are not part of the software register (VM mode shows
 * the bundle's values); on td.fd's kernel they go into RTMR3
 * (docs/measurements.md). */
void measure_overrides(const void *blob, size_t size);

/* The values so far (stage tells which are valid). */
const struct measurements *measurements_get(void);

/* Log "measure: <name> <hex>" lines on COM3 for the values so far. */
void measurements_log(void);

#endif
