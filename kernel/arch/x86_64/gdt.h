/*
 * gdt.h: IST slots, per-CPU tables and the segment reload helper
 * (gdt.c, segments.S).
 */
#ifndef CVMIFY_ARCH_GDT_H
#define CVMIFY_ARCH_GDT_H

#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_MACHINE_CHECK 3

/* Reload CS (far return) and the data segments after lgdt. */
void gdt_reload_segments(void);

/* An AP's GDT + TSS + IST stacks, made by the boot CPU (NULL: no
 * memory); the AP loads them with gdt_init_ap once its GS is set. */
void *gdt_alloc_ap(void);
void gdt_init_ap(void *tables);

#endif
