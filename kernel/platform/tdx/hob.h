/*
 * hob.h: the TD HOB parser (hob.c); pure, so the host tests run it on
 * hostile lists.
 */
#ifndef CVMIFY_PLATFORM_TDX_HOB_H
#define CVMIFY_PLATFORM_TDX_HOB_H

#include "lib/types.h"

struct hob_ram {
    u64 base;
    u64 size;
    bool unaccepted; /* EFI_RESOURCE_MEMORY_UNACCEPTED: accept before use */
};

#define HOB_ERR_PHIT 1
#define HOB_ERR_TRUNCATED 2
#define HOB_ERR_LENGTH 3
#define HOB_ERR_RANGE 4
#define HOB_ERR_TOO_MANY 5

/* Parse the HOB list copied from the TD_HOB section (size bytes, loaded
 * at hob_gpa). RAM ranges (accepted or not) below gpa_limit go to out.
 * 0 or HOB_ERR_*. */
int hob_parse(const u8 *hob, size_t size, u64 hob_gpa, u64 gpa_limit,
              struct hob_ram *out, size_t max, size_t *count);

const char *hob_error(int err);

#endif
