/*
 * fault.c: demand paging for user address spaces.
 *
 * A page is allocated on its first touch: zero for anonymous memory, and
 * for a file-backed VMA filled from the file through vfs_get_page (lazy:
 * big libraries like libpython are mostly never touched, and each page
 * read from the root disk costs an AES-GCM decrypt). MAP_PRIVATE needs no
 * copy-on-write because every page is already a private copy.
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

/* Fill a fresh zeroed page with the file bytes it maps. */
static int fill_from_file(const struct vma *v, u64 page_va, void *kpage)
{
	u64 off = v->offset + (page_va - v->start);
	if (off >= v->file_end)
		return 0; /* whole page past the mapped bytes: stays zero */
	int err = vfs_get_page(v->file, off, kpage);
	if (err < 0)
		return err;
	u64 valid = v->file_end - off;
	if (valid < PAGE_SIZE)
		memset((u8 *)kpage + valid, 0, PAGE_SIZE - valid);
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

int vm_fault_in(struct mm *mm, u64 addr, u64 errcode)
{
	if (addr >= USER_TOP || !mm)
		return -EFAULT;
	struct vma *v = vma_find(mm, addr);
	if (!v || !vma_allows(v, errcode))
		return -EFAULT;
	u64 page_va = ALIGN_DOWN(addr, PAGE_SIZE);
	u64 *pte = pt_lookup(mm->root, page_va);
	if (pte && (*pte & PTE_P)) {
		/* Another CPU may have faulted the page in while this one
		 * waited for the big kernel lock: then the access works now. */
		if (pte_permits(*pte, errcode))
			return 0;
		/* Present and allowed by the VMA: the PTE disagrees with the
		 * VMA, a kernel bug. Do not loop: report a fault. */
		kprintf("fault: present page 0x%llx err 0x%llx not resolvable\n",
		        (unsigned long long)addr, (unsigned long long)errcode);
		return -EFAULT;
	}
	void *kpage = page_alloc();
	if (!kpage)
		return -ENOMEM;
	if (v->file) {
		int err = fill_from_file(v, page_va, kpage);
		if (err < 0) {
			kprintf("fault: file read failed (%d) at 0x%llx\n", err,
			        (unsigned long long)addr);
			page_free(kpage);
			/* Out of memory stays itself; any other failure of the
			 * file (EIO from a bad block) is the mapping's fault. */
			return err == -ENOMEM ? -ENOMEM : -EIO;
		}
	}
	if (pt_map(mm->root, page_va, virt_to_phys(kpage), vma_pte_flags(v->prot)) != 0) {
		page_free(kpage);
		return -ENOMEM; /* no page for a page table */
	}
	mm->page_count++;
	return 0;
}

int vm_fault_code(u64 addr)
{
	struct mm *mm = current_task()->mm;
	if (mm && addr < USER_TOP && vma_find(mm, addr))
		return SEGV_ACCERR;
	return SEGV_MAPERR;
}
