/*
 * stack_guard.h: the stack protector's canary (stack_guard.c).
 *
 * Our code is built with -fstack-protector-strong and a global guard
 * (-mstack-protector-guard=global, since %fs belongs to the app): a
 * protected function saves __stack_chk_guard in its frame and checks it
 * on return; a mismatch calls __stack_chk_fail, which panics.
 */
#ifndef CVMIFY_ARCH_STACK_GUARD_H
#define CVMIFY_ARCH_STACK_GUARD_H

#include "lib/types.h"

/* Give the canary a random value. Called by boot.S before kmain, when no
 * protected frame is live; writes only .bss, so the kernel image is
 * still unchanged for measure_kernel_image. */
void stack_guard_init(void);

/* Where the canary came from ("rdseed", "rdrand", or "tsc" when the CPU
 * has neither: weak, logged, and a full kernel stops later anyway
 * because random_init needs the CPU's entropy). For the boot log. */
const char *stack_guard_source(void);

#endif
