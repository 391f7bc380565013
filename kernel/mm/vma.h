/*
 * vma.h: user address spaces: a page-table root plus a sorted list of
 * non-overlapping VMAs (virtual memory areas).
 *
 * Trust: callers (the mmap syscalls, the ELF loader) pass page-aligned,
 * already-checked ranges below USER_TOP. Pages are allocated on first
 * touch (fault.c); a VMA owns one reference on its file, and the address
 * space owns every user page mapped in its page tables.
 */
#ifndef CVMIFY_MM_VMA_H
#define CVMIFY_MM_VMA_H

#include "lib/types.h"

/* Lowest and one-past-highest user address. Page 0 .. USER_BOTTOM stays
 * unmapped so that NULL dereferences fault. USER_TOP is Linux's
 * TASK_SIZE_MAX: the last page below 2^47 stays unmapped, so no
 * instruction can end at the non-canonical boundary (a SYSCALL there
 * would return to a non-canonical rip; see arch/x86_64/user_return.h). */
#define USER_BOTTOM 0x10000ull
#define USER_TOP 0x00007ffffffff000ull
/* Where the initial stack ends and below which mmap allocates top-down. */
#define USER_STACK_TOP 0x00007ffffffff000ull
#define USER_STACK_MAX (8ull << 20)          /* default RLIMIT_STACK */
#define USER_STACK_LIMIT_MAX (1ull << 30)    /* largest stack exec maps */
#define USER_STACK_LIMIT_MIN (64ull << 10)   /* smallest: room for the arguments */
#define USER_MMAP_TOP (USER_STACK_TOP - USER_STACK_MAX - (1ull << 30))

struct file;

/* vma.flags */
#define VMA_SHARED 0x1      /* MAP_SHARED (files: read-only only) */
#define VMA_ANON 0x2        /* no file: zero-filled pages */
#define VMA_STACK 0x4       /* the main stack (for /proc/self/maps) */
#define VMA_HEAP 0x8        /* the brk area (for /proc/self/maps) */
#define VMA_VDSO 0x10       /* the vDSO's code (mm/vdso.c) */
#define VMA_VVAR 0x20       /* the vDSO's data page */
#define VMA_SYSV_SHM 0x40   /* a System V shared memory attach (mm/shm.c) */
#define VMA_MAYWRITE 0x80   /* shared: may be made writable (the file is open
                               for writing and can share its pages) */
#define VMA_NOEXEC 0x100    /* a file on a noexec mount: never PROT_EXEC */

struct vma {
	u64 start;          /* page-aligned, inclusive */
	u64 end;            /* page-aligned, exclusive */
	u32 prot;           /* PROT_READ | PROT_WRITE | PROT_EXEC */
	u32 flags;          /* VMA_* */
	struct file *file;  /* owned reference, NULL when anonymous */
	u64 offset;         /* file offset of start (page-aligned) */
	u64 file_end;       /* file offset where the mapped file bytes stop;
	                       the rest of the page reads as zero (ELF bss) */
	struct vma *next;   /* next higher VMA */
};

struct mm {
	u32 users;          /* tasks using it (a vfork child shares it) */
	u64 *root;          /* PML4 (direct-map address, mm/kpt.h) */
	struct vma *vmas;   /* sorted by start, non-overlapping */
	u64 brk_start;      /* first byte of the heap (end of the program) */
	u64 brk;            /* current break */
	u64 mmap_top;       /* top-down search starts below this */
	u64 stack_top;
	u64 vdso_base;      /* where the vDSO is mapped (0: not) */
	u64 page_count;     /* user pages currently allocated (accounting) */
	u64 peak_pages;     /* the most page_count ever was (VmHWM, ru_maxrss) */
	u64 serial;         /* never reused: what /proc/<pid>/environ is opened on */
	/* where exec put the argv and envp strings (/proc/<pid>/cmdline) */
	u64 arg_start, arg_end, env_start, env_end;
	u64 cpu_mask;       /* CPUs that have it loaded (mm/tlb.c) */
};

/* One more user page in mm (its peak follows). */
static inline void mm_count_page(struct mm *mm)
{
	mm->page_count++;
	if (mm->page_count > mm->peak_pages)
		mm->peak_pages = mm->page_count;
}

/* A new empty address space (kernel half shared), one user; NULL when
 * out of memory. */
struct mm *mm_create(void);
/* Unmap everything, free every user page, page table and VMA. */
void mm_destroy(struct mm *mm);
/* One more user / one less (the last one destroys it). mm_put must not
 * be called on the active address space unless another is loaded first;
 * it loads the kernel-only root when it frees the active one. */
struct mm *mm_get(struct mm *mm);
void mm_put(struct mm *mm);
/* A private copy for fork: same VMAs (file references taken), every
 * present page copied. NULL when out of memory. */
struct mm *mm_copy(struct mm *src);
/* Make mm the live address space (loads CR3). */
void mm_activate(struct mm *mm);

/* The VMA containing addr, or NULL. */
struct vma *vma_find(struct mm *mm, u64 addr);
/* The first VMA ending above addr (may start above it), or NULL. */
struct vma *vma_find_next(struct mm *mm, u64 addr);
/* True when [start, end) overlaps no VMA. */
bool vma_range_free(struct mm *mm, u64 start, u64 end);

/* Add a VMA for [start, end) (must be free). file gains a reference.
 * Returns 0 or -ENOMEM. */
int vma_add(struct mm *mm, u64 start, u64 end, u32 prot, u32 flags,
            struct file *file, u64 offset, u64 file_end);
/* Remove [start, end) from every VMA, splitting at the edges, unmapping
 * and freeing its pages. Returns 0 or -ENOMEM (a split needs a VMA). */
int vma_remove(struct mm *mm, u64 start, u64 end);
/* Change prot on [start, end); every page in it must be mapped by some
 * VMA (-ENOMEM otherwise, like Linux), and a shared VMA without
 * VMA_MAYWRITE never becomes writable and a VMA_NOEXEC one never
 * executable (-EACCES, like Linux). Present pages get new
 * PTE flags. */
int vma_protect(struct mm *mm, u64 start, u64 end, u32 prot);
/* The highest free hole of size bytes below mmap_top; 0 when none. */
u64 vma_find_hole(struct mm *mm, u64 size);
/* Move the mapped pages of [old_start, old_start+size) to new_start
 * (mremap). The target range must have no pages mapped. */
int vma_move_pages(struct mm *mm, u64 old_start, u64 new_start, u64 size);
/* PTE flags for a VMA's prot: always user, W only with PROT_WRITE, NX
 * unless PROT_EXEC. */
u64 vma_pte_flags(u32 prot);

/* Drop the pages of [start, end) so they refault (MADV_DONTNEED). */
void vma_zap(struct mm *mm, u64 start, u64 end);

/* Pages of a file went or moved (truncation, a punched hole, a copy-up):
 * drop the pages for file offsets [start, end) from every address space
 * that maps the file (private mappings only when private_too); a later
 * touch refaults (past the end of the file: SIGBUS). */
struct inode;
void vma_zap_file_range(struct inode *inode, u64 start, u64 end, bool private_too);

/* Does any address space map the file shared with VMA_MAYWRITE (what
 * F_SEAL_WRITE must not meet)? */
bool vma_file_writably_mapped(struct inode *inode);

/* Write /proc/self/maps text for mm into buf; returns the length. */
long vma_format_maps(struct mm *mm, char *buf, size_t size);

#endif
