/*
 * accept.c: TDG.MEM.PAGE.ACCEPT (TDX module ABI): private memory the
 * host added without PAGE.ADD is pending until the TD accepts it; using
 * it before that would fault. RCX = GPA | level (0: 4 KiB, 1: 2 MiB).
 * A 2 MiB accept is tried where a whole aligned 2 MiB block is wanted;
 * if the module refuses it (e.g. the host mapped 4 KiB pages), the block
 * is accepted page by page. A refused 4 KiB accept is fatal: the page is
 * not ours to use.
 */
#include "platform/tdx/tdx.h"
#include "platform/tdx/tdcall.h"
#include "mm/page.h"
#include "lib/kprintf.h"

#define ACCEPT_LEVEL_4K 0ULL
#define ACCEPT_LEVEL_2M 1ULL
#define SIZE_2M (2ULL << 20)

int tdx_accept_page(u64 gpa, bool huge)
{
    struct tdx_regs regs = { .rcx = gpa | (huge ? ACCEPT_LEVEL_2M : ACCEPT_LEVEL_4K) };
    return tdx_tdcall(TDG_MEM_PAGE_ACCEPT, &regs) == TDX_SUCCESS ? 0 : -1;
}

/* Accept [base, end) except pages of td.fd's own sections (added and
 * measured by the host already; accepting them again would fail). */
int tdx_accept_range(u64 base, u64 end)
{
    u64 pa = ALIGN_UP(base, PAGE_SIZE);
    end = ALIGN_DOWN(end, PAGE_SIZE);
    while (pa < end) {
        if (pa % SIZE_2M == 0 && end - pa >= SIZE_2M && !tdvf_overlaps(pa, SIZE_2M) &&
            tdx_accept_page(pa, true) == 0) {
            pa += SIZE_2M;
            continue;
        }
        if (!tdvf_overlaps(pa, PAGE_SIZE) && tdx_accept_page(pa, false) != 0) {
            kprintf("tdx: TDG.MEM.PAGE.ACCEPT of %lx refused\n", pa);
            return -1;
        }
        pa += PAGE_SIZE;
    }
    return 0;
}
