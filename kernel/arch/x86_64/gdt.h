/*
 * gdt.h: IST slots and the segment reload helper (gdt.c, segments.S).
 */
#ifndef CVMIFY_ARCH_GDT_H
#define CVMIFY_ARCH_GDT_H

#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_MACHINE_CHECK 3

/* Reload CS (far return) and the data segments after lgdt. */
void gdt_reload_segments(void);

#endif
