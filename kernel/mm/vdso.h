/*
 * vdso.h: the vDSO and its vvar page in every user address space
 * (vdso/vdso.c is the user-mode code, vdso/vdso_data.h the shared page).
 *
 * Ownership: vdso_init copies the embedded image into pages of its own
 * and allocates the vvar page, once; every address space maps those same
 * pages read-only (each PTE holding a reference), so a process cannot
 * change what another one runs.
 */
#ifndef CVMIFY_MM_VDSO_H
#define CVMIFY_MM_VDSO_H

#include "lib/types.h"

struct mm;

/* Copy the image and fill the vvar page from the kernel's clock. Panics
 * when out of memory (boot). */
void vdso_init(void);

/* Map vvar (R) and the vDSO (R+X) below mm's mmap area; returns the
 * vDSO's address (for AT_SYSINFO_EHDR), also kept in mm->vdso_base, or
 * 0 when it could not be mapped (the app then makes real syscalls). */
u64 vdso_map(struct mm *mm);

/* The page of a [vdso] or [vvar] VMA at va, with a reference (a fault
 * after MADV_DONTNEED or munmap of part of it brings the same page back). */
struct vma;
int vdso_fault_page(const struct vma *v, u64 va, void **page);

#endif
