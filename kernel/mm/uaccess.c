/*
 * uaccess.c: copyin/copyout/copyinstr for the current task.
 *
 * Trust: user pointers and sizes are hostile. The range is checked
 * against USER_TOP (no wrap), then each page is resolved through the
 * task's own page tables, demand-paged through the VMA rules if missing,
 * and copied through the direct map. The kernel therefore never
 * dereferences a user address: no kernel-mode user faults, no fixup
 * table, and SMAP stays armed everywhere (arch_stac is never needed).
 */
#include "mm/uaccess.h"

#include "lib/string.h"
#include "mm/fault.h"
#include "mm/kpt.h"
#include "mm/page.h"
#include "mm/vma.h"
#include "proc/task.h"
#include "syscalls/linux_abi/errno.h"

bool user_range_ok(u64 addr, u64 size)
{
	if (addr >= USER_TOP)
		return false;
	return size <= USER_TOP - addr;
}

/* Kernel alias of the user page holding addr, faulting it in if needed
 * exactly as the app's own access would (a write to a copy-on-write page
 * copies it first, so the kernel never writes a page another address
 * space or the page cache still reads); NULL when the task may not
 * access it that way. */
static u8 *user_page(struct mm *mm, u64 addr, bool write)
{
	u64 va = ALIGN_DOWN(addr, PAGE_SIZE);
	u64 *pte = pt_lookup(mm->root, va);
	bool present = pte && (*pte & PTE_P);
	if (!present || (write && !(*pte & PTE_W))) {
		u64 err = PF_USER | (write ? PF_WRITE : 0) | (present ? PF_PRESENT : 0);
		if (vm_fault_in(mm, addr, err) != 0)
			return NULL;
		pte = pt_lookup(mm->root, va);
		if (!pte || !(*pte & PTE_P))
			return NULL;
	}
	if (!(*pte & PTE_U))
		return NULL; /* PROT_NONE page kept supervisor-only */
	if (write && !(*pte & PTE_W))
		return NULL;
	return (u8 *)phys_to_virt(*pte & PTE_ADDR_MASK);
}

/* The kernel alias of the part of [addr, addr + size) that lies in
 * addr's page, its length in *chunk; NULL when the task may not access
 * it that way. */
static u8 *user_piece(struct mm *mm, u64 addr, size_t size, bool write, size_t *chunk)
{
	u8 *page = user_page(mm, addr, write);
	if (!page)
		return NULL;
	size_t off = addr % PAGE_SIZE;
	*chunk = MIN(size, PAGE_SIZE - off);
	return page + off;
}

int copyin(void *dst, u64 user_src, size_t size)
{
	return copyin_from(current_task()->mm, dst, user_src, size);
}

int copyout(u64 user_dst, const void *src, size_t size)
{
	return copyout_to(current_task()->mm, user_dst, src, size);
}

int copyout_to(struct mm *mm, u64 user_dst, const void *src, size_t size)
{
	if (!user_range_ok(user_dst, size))
		return -EFAULT;
	const u8 *in = src;
	while (size > 0) {
		size_t chunk;
		u8 *piece = user_piece(mm, user_dst, size, true, &chunk);
		if (!piece)
			return -EFAULT;
		memcpy(piece, in, chunk);
		in += chunk;
		user_dst += chunk;
		size -= chunk;
	}
	return 0;
}

int clear_user(u64 user_dst, size_t size)
{
	struct mm *mm = current_task()->mm;
	if (!user_range_ok(user_dst, size))
		return -EFAULT;
	while (size > 0) {
		size_t chunk;
		u8 *piece = user_piece(mm, user_dst, size, true, &chunk);
		if (!piece)
			return -EFAULT;
		memset(piece, 0, chunk);
		user_dst += chunk;
		size -= chunk;
	}
	return 0;
}

long copyinstr(char *dst, u64 user_src, size_t size)
{
	struct mm *mm = current_task()->mm;
	size_t len = 0;
	while (len < size) {
		if (user_src >= USER_TOP)
			return -EFAULT;
		size_t chunk;
		const u8 *piece = user_piece(mm, user_src, size - len, false, &chunk);
		if (!piece)
			return -EFAULT;
		for (size_t i = 0; i < chunk; i++) {
			dst[len] = (char)piece[i];
			if (dst[len] == '\0')
				return (long)len;
			len++;
		}
		user_src += chunk;
	}
	if (size > 0)
		dst[size - 1] = '\0';
	return -ENAMETOOLONG;
}

int copyout_str_field(u64 user_dst, const char *s, size_t field_size)
{
	if (field_size == 0)
		return 0;
	size_t len = strnlen(s, field_size - 1);
	if (copyout(user_dst, s, len) != 0)
		return -EFAULT;
	return clear_user(user_dst + len, field_size - len);
}

int copyin_from(struct mm *mm, void *dst, u64 user_src, size_t size)
{
	if (!user_range_ok(user_src, size))
		return -EFAULT;
	u8 *out = dst;
	while (size > 0) {
		size_t chunk;
		u8 *piece = user_piece(mm, user_src, size, false, &chunk);
		if (!piece)
			return -EFAULT;
		memcpy(out, piece, chunk);
		out += chunk;
		user_src += chunk;
		size -= chunk;
	}
	return 0;
}

u32 *user_u32_ptr(u64 addr, bool write, u64 *pa_out)
{
	if (addr % sizeof(u32) != 0 || !user_range_ok(addr, sizeof(u32)))
		return NULL;
	u8 *page = user_page(current_task()->mm, addr, write);
	if (!page)
		return NULL;
	if (pa_out)
		*pa_out = virt_to_phys(page) + addr % PAGE_SIZE;
	return (u32 *)(page + addr % PAGE_SIZE);
}
