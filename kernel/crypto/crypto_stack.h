/*
 * crypto_stack.h: where BearSSL runs, and what holds keys.
 *
 * BearSSL keeps key material in its stack frames: the AES-NI CTR code
 * copies the expanded key into locals on every call, the ct64 code
 * expands it there, HMAC pads the key there. So every BearSSL call runs
 * on one private stack (crypto_call), which is wiped after the call,
 * never on a task's kernel stack (whose pages go back to the page
 * allocator, and so to apps, when the task ends).
 *
 * The crypto stack and the AES key slots (aes_gcm_key_alloc) live in
 * the kernel image's .bss (section .bss.secret), which the direct map
 * leaves out and the page allocator never hands out: no user page and
 * no direct-map alias ever covers them. An unmapped guard page sits
 * below the crypto stack (mm/kpt.c).
 *
 * Calls happen inside kernel_fpu_begin/end, which must not be preempted
 * or nested across CPUs: the crypto stack has one user at a time.
 */
#ifndef CVMIFY_CRYPTO_STACK_H
#define CVMIFY_CRYPTO_STACK_H

#include "lib/types.h"

#define CRYPTO_STACK_SIZE (16 * 1024)
/* How much of the stack's top is wiped after each call. BearSSL's deepest
 * use is about 2.3 KiB (ct64 GCM); tests/host checks that no call
 * reaches below the wiped part. */
#define CRYPTO_STACK_WIPE (4 * 1024)

/* Run fn(arg) on the crypto stack between kernel_fpu_begin/end, then
 * wipe the stack. Returns fn's result. */
u64 crypto_call(u64 (*fn)(void *), void *arg);

/* The stack's bytes (host tests look for leftovers; the kernel's
 * boot checks that it lies outside the direct map). */
const u8 *crypto_stack_area(size_t *size);

/* Fill the stack with a byte (host tests: how deep did a call go). */
void crypto_stack_fill(u8 value);

#endif
