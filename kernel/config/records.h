/*
 * records.h: the record reader shared by config.c (config.bin) and
 * overrides.c (the host overrides): framing, per-type counts and value
 * checks, and the copies both make. Internal to config/.
 */
#ifndef CVMIFY_CONFIG_RECORDS_H
#define CVMIFY_CONFIG_RECORDS_H

#include "config/config.h"

#define HEADER_SIZE 16
#define RECORD_HEADER_SIZE 8
#define CONFIG_ERROR_SIZE 160

struct record {
    u16 type;
    u32 length;
    const u8 *value;
};

/* Allowed record counts per type: {min, max}; max 0: not allowed. */
struct count_rule {
    u32 min;
    u32 max;
};

/* The reason the last parse failed (config_error returns it). */
extern char g_config_error[CONFIG_ERROR_SIZE];

/* Set g_config_error to "what: record index: why"; returns err. */
int config_fail(int err, const char *what, u32 index, const char *why);

u32 config_get_u32(const u8 *p);

/* Read record index at *offset (framing, padding); advances *offset. */
int config_next_record(const u8 *blob, size_t total, size_t *offset, u32 index,
                       const char *what, struct record *r);

/* Check the header, every record's framing and value, and the counts
 * against rules; counts[] gets the number of records per type. */
int config_scan(const u8 *blob, size_t size, const struct count_rule *rules, const char *what,
                u32 counts[CFG_TYPE_COUNT]);

/* The value rules of an ALLOW_HOST_USER record (overrides.c). */
const char *config_check_host_user(const struct record *r);

/* A NUL-terminated kmalloc'ed copy of a string record, or NULL. */
char *config_dup_value(const struct record *r);
/* A zeroed NULL-terminated array for n strings, or NULL. */
char **config_new_vector(size_t n);
/* Free an array from config_new_vector and its strings. */
void config_free_vector(char **v);

#endif
