/*
 * lapic.h: inside the VM backend only: the raw interrupt command
 * register, for the INIT and STARTUP IPIs of AP start-up (smp.c).
 */
#ifndef CVMIFY_PLATFORM_VM_LAPIC_H
#define CVMIFY_PLATFORM_VM_LAPIC_H

#include "lib/types.h"

#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_ASSERT (1u << 14)
#define ICR_LEVEL (1u << 15)

/* The TSC value at which platform_time_ns() reaches ns (time.c). */
u64 time_tsc_at_ns(u64 ns);
/* A rate in Hz as counts per nanosecond, 32.32 fixed point (time.c). */
u64 rate_per_ns(u64 hz);

/* Send an IPI with the given ICR low word to apic_id. */
void lapic_icr(u32 apic_id, u32 low);

#endif
