/*
 * accept.c: TDG.MEM.PAGE.ACCEPT (TDX module ABI): private memory the
 * host added without PAGE.ADD is pending until the TD accepts it; using
 * it before that would fault. RCX = GPA | level (0: 4 KiB, 1: 2 MiB).
 * A 2 MiB accept is tried where a whole aligned 2 MiB block is wanted;
 * if the module refuses it (e.g. the host mapped 4 KiB pages), the block
 * is accepted page by page. A refused 4 KiB accept is fatal: the page is
 * not ours to use.
 *
 * Lazy accept: memmap.c accepts at boot only what the kernel touches
 * before its page allocator runs; the aligned 2 MiB blocks above stay
 * pending (one bit each in g_pending) and are accepted when the page
 * allocator first hands out a page of theirs (platform_ram_prepare).
 * Each block is accepted once: its bit is the only record, so a page
 * the host removed and re-added later is never accepted again (an
 * access faults instead of silently using a zeroed page). Callers hold
 * the big kernel lock (the page allocator's rule), so no two CPUs accept
 * the same block.
 */
#include "platform/tdx/tdx.h"
#include "platform/tdx/tdcall.h"
#include "mm/page.h"
#include "lib/kprintf.h"
#include "panic.h"
#include "platform/platform.h"

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

#define BLOCKS (DIRECT_MAP_MAX / SIZE_2M)

static u64 g_pending[BLOCKS / 64]; /* 1: a 2 MiB block left pending at boot */
static u64 g_lazy_blocks;          /* blocks accepted on first use */

static bool pending(u64 block) { return (g_pending[block / 64] >> (block % 64)) & 1; }

int tdx_accept_later(u64 base, u64 end)
{
    if (end > DIRECT_MAP_MAX || base > end)
        return -1;
    u64 first = ALIGN_UP(base, SIZE_2M), last = ALIGN_DOWN(end, SIZE_2M);
    if (first >= last)
        return tdx_accept_range(base, end);
    if (tdx_accept_range(base, first) != 0 || tdx_accept_range(last, end) != 0)
        return -1;
    for (u64 pa = first; pa < last; pa += SIZE_2M) {
        if (tdvf_overlaps(pa, SIZE_2M)) { /* partly td.fd's: accept the rest now */
            if (tdx_accept_range(pa, pa + SIZE_2M) != 0)
                return -1;
            continue;
        }
        u64 block = pa / SIZE_2M;
        g_pending[block / 64] |= 1ULL << (block % 64);
    }
    return 0;
}

int tdx_accept_pending(u64 pa, u64 size)
{
    if (size == 0)
        return 0;
    for (u64 at = ALIGN_DOWN(pa, SIZE_2M); at < pa + size; at += SIZE_2M) {
        u64 block = at / SIZE_2M;
        if (block >= BLOCKS || !pending(block))
            continue;
        if (tdx_accept_range(at, at + SIZE_2M) != 0)
            return -1;
        g_pending[block / 64] &= ~(1ULL << (block % 64));
        g_lazy_blocks++;
    }
    return 0;
}

u64 tdx_lazy_accepted_bytes(void)
{
    return g_lazy_blocks * SIZE_2M;
}

void platform_ram_prepare(u64 pa, size_t size)
{
    if (!tdx_active())
        return;
    if (tdx_accept_pending(pa, size) != 0)
        panic("td: cannot accept RAM at %lx", pa);
}
