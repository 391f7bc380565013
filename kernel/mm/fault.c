/*
 * fault.c: demand paging and copy-on-write for user address spaces.
 *
 * A page appears on its first touch: a zero page for anonymous memory;
 * for a file-backed VMA, the file's page through vfs_get_page (for the
 * root disk, the page cache's own page: an exec of a warm binary
 * decrypts nothing). The write rule of docs/kernel-memory.md decides the
 * PTE: in a private mapping a page is writable only while its PTE holds
 * the only reference; shared pages (page cache, tmpfs, a forked parent's)
 * are mapped read-only and copied on the first write fault. In a shared
 * mapping the PTE maps the file's own page with the VMA's protection.
 *
 * Trust: addr comes from CR2 (our own CPU) or from uaccess.c; the VMA
 * list decides what is allowed, never the PTE left by an earlier fault.
 */
#include "mm/fault.h"

#include "fs/vfs.h"
#include "lib/kprintf.h"
#include "lib/string.h"
#include "mm/kpt.h"
#include "mm/page.h"
#include "mm/tlb.h"
#include "mm/vdso.h"
#include "mm/vma.h"
#include "proc/proc.h"
#include "proc/task.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/mman.h"
#include "syscalls/linux_abi/signal.h"

/* Does the VMA's prot allow this access? (x86 cannot express write-only
 * or exec-only pages: any access right makes the page readable.) */
static bool vma_allows(const struct vma *v, u64 errcode)
{
	if (v->prot == PROT_NONE)
		return false;
	if ((errcode & PF_WRITE) && !(v->prot & PROT_WRITE))
		return false;
	if ((errcode & PF_INSTR) && !(v->prot & PROT_EXEC))
		return false;
	return true;
}

/* Does a present PTE let this access through? */
static bool pte_permits(u64 pte, u64 errcode)
{
	if (!(pte & PTE_U))
		return false;
	if ((errcode & PF_WRITE) && !(pte & PTE_W))
		return false;
	if ((errcode & PF_INSTR) && (pte & PTE_NX))
		return false;
	return true;
}

static bool vma_is_shared(const struct vma *v)
{
	return (v->flags & VMA_SHARED) != 0;
}

/* A private copy of a page (the caller keeps its reference on src). */
static void *copy_of(const void *src)
{
	void *page = page_alloc();
	if (page != NULL)
		memcpy(page, src, PAGE_SIZE);
	return page;
}

/* The page of a file-backed VMA at page_va, with a reference. A page
 * that crosses the mapped bytes' end (an ELF segment's file size) is a
 * private copy with zeros after it; a page wholly past it is zero. */
static int file_page(const struct vma *v, u64 page_va, bool write, void **page)
{
	u64 off = v->offset + (page_va - v->start);
	if (off >= v->file_end) {
		*page = page_alloc(); /* whole page past the mapped bytes */
		return *page != NULL ? 0 : -ENOMEM;
	}
	/* Linux: a page wholly past the end of a regular file is SIGBUS
	 * (the file shrank, or was mapped past its end). */
	struct inode *inode = v->file->inode;
	if (inode != NULL && inode_is_reg(inode) && off >= ALIGN_UP(inode->size, PAGE_SIZE))
		return -ENXIO;
	int err = vfs_get_page(v->file, off, write, page);
	if (err < 0)
		return err;
	u64 valid = v->file_end - off;
	if (valid < PAGE_SIZE) {
		void *copy = copy_of(*page);
		page_put(*page);
		*page = copy;
		if (copy == NULL)
			return -ENOMEM;
		memset((u8 *)copy + valid, 0, PAGE_SIZE - valid);
	}
	return 0;
}

/* The page a not-present fault maps. */
static int new_page(const struct vma *v, u64 page_va, void **page)
{
	if (v->flags & (VMA_VDSO | VMA_VVAR))
		return vdso_fault_page(v, page_va, page);
	if (v->file == NULL) {
		*page = page_alloc();
		return *page != NULL ? 0 : -ENOMEM;
	}
	/* A shared writable mapping always maps the file's own page. */
	bool write = vma_is_shared(v) && (v->prot & PROT_WRITE);
	int err = file_page(v, page_va, write, page);
	if (err == -ENXIO) {
		kprintf("fault: 0x%llx is past the end of the mapped file\n",
		        (unsigned long long)page_va);
		return -EIO;
	}
	if (err < 0 && err != -ENOMEM) {
		kprintf("fault: file read failed (%d) at 0x%llx\n", err,
		        (unsigned long long)page_va);
		/* Any other failure of the file (EIO from a bad block) is the
		 * mapping's fault: SIGBUS. */
		return -EIO;
	}
	return err;
}

/* PTE flags for page in v: the write rule of the file comment. */
static u64 pte_flags_for(const struct vma *v, const void *page)
{
	u64 flags = vma_pte_flags(v->prot);
	if (!vma_is_shared(v) && page_refcount(page) > 1)
		flags &= ~PTE_W;
	return flags;
}

static int map_new(struct mm *mm, const struct vma *v, u64 page_va, u64 errcode)
{
	void *page = NULL;
	int err = new_page(v, page_va, &page);
	if (err < 0)
		return err;
	/* A write to a shared page of a private mapping: copy it now rather
	 * than map it read-only and fault again. */
	if ((errcode & PF_WRITE) && !vma_is_shared(v) && page_refcount(page) > 1) {
		void *copy = copy_of(page);
		page_put(page);
		if (copy == NULL)
			return -ENOMEM;
		page = copy;
	}
	if (pt_map(mm->root, page_va, virt_to_phys(page), pte_flags_for(v, page)) != 0) {
		page_put(page);
		return -ENOMEM; /* no page for a page table */
	}
	mm_count_page(mm);
	return 0;
}

/* A write to a present, read-only page the VMA lets the app write. */
static int make_writable(struct mm *mm, const struct vma *v, u64 page_va, u64 *pte)
{
	void *old = phys_to_virt(*pte & PTE_ADDR_MASK);
	void *page = NULL;
	if (vma_is_shared(v)) {
		/* The file's own page (on the overlay: copied up now). */
		if (v->file == NULL)
			page = page_get(old);
		else if (file_page(v, page_va, true, &page) < 0)
			return -EIO;
	} else if (page_refcount(old) == 1) {
		page = page_get(old); /* the last reference: no copy needed */
	} else {
		page = copy_of(old);
		if (page == NULL)
			return -ENOMEM;
	}
	u64 flags = vma_pte_flags(v->prot);
	*pte = virt_to_phys(page) | PTE_P | flags;
	tlb_flush_range(mm, page_va, page_va + PAGE_SIZE);
	page_put(old);
	return 0;
}

bool vm_handle_user_fault(u64 addr, u64 errcode, struct user_fault_signal *sig)
{
	int err = vm_fault_in(current_task()->mm, addr, errcode);
	if (err == 0)
		return true;
	if (err == -ENOMEM) {
		/* Like Linux's OOM killer: the task dies with SIGKILL. */
		kprintf("fault: out of memory at 0x%llx, killing the app\n",
		        (unsigned long long)addr);
		proc_exit(0, SIGKILL);
	}
	if (err == -EIO) {
		/* Linux: a page of a mapping whose file read fails is SIGBUS. */
		sig->signo = SIGBUS;
		sig->code = BUS_ADRERR;
	} else {
		sig->signo = SIGSEGV;
		sig->code = vm_fault_code(addr);
	}
	return false;
}

static int fault_in(struct mm *mm, u64 addr, u64 errcode)
{
	if (addr >= USER_TOP || !mm)
		return -EFAULT;
	struct vma *v = vma_find(mm, addr);
	if (!v || !vma_allows(v, errcode))
		return -EFAULT;
	u64 page_va = ALIGN_DOWN(addr, PAGE_SIZE);
	u64 *pte = pt_lookup(mm->root, page_va);
	if (!pte || !(*pte & PTE_P))
		return map_new(mm, v, page_va, errcode);
	/* Another CPU may have resolved the fault while this one waited for
	 * the big kernel lock (a thread of the same process): done. */
	if (pte_permits(*pte, errcode))
		return 0;
	if ((errcode & PF_WRITE) && !(*pte & PTE_W) && (*pte & PTE_U))
		return make_writable(mm, v, page_va, pte);
	/* Present and allowed by the VMA: the PTE disagrees with the VMA, a
	 * kernel bug. Do not loop: report a fault. */
	kprintf("fault: present page 0x%llx err 0x%llx not resolvable\n",
	        (unsigned long long)addr, (unsigned long long)errcode);
	return -EFAULT;
}

/* Linux counts every resolved fault of a task in its own address space
 * (the kernel's accesses to user memory too): major when it read the
 * disk. */
int vm_fault_in(struct mm *mm, u64 addr, u64 errcode)
{
	struct task *self = current_task();
	bool own = self != NULL && mm != NULL && self->mm == mm;
	u64 blocks_before = own ? self->rusage.blocks_read : 0;
	int err = fault_in(mm, addr, errcode);
	if (err == 0 && own)
		rusage_fault(blocks_before);
	return err;
}

int vm_fault_code(u64 addr)
{
	struct mm *mm = current_task()->mm;
	if (mm && addr < USER_TOP && vma_find(mm, addr))
		return SEGV_ACCERR;
	return SEGV_MAPERR;
}
