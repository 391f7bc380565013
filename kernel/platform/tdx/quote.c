/*
 * quote.c: turning a TDREPORT into a quote.
 *
 * In a TD: TDG.VP.VMCALL<GetQuote> (GHCI, sub-function 0x10002; QEMU
 * passes it to its quote-generation-socket). R12 = the shared GPA of a
 * buffer, R13 = its size. The buffer: u64 version (1), u64 status, u32
 * in_len, u32 out_len, then data: the TDREPORT going in, the quote coming
 * back. The host writes status and the quote asynchronously: poll until
 * status leaves IN_FLIGHT, with a deadline. Everything read back is host
 * input: status must be SUCCESS, out_len must fit the buffer and the
 * caller's space; the quote is copied to private memory before anyone
 * looks at it (it is checked by the key broker, not here).
 *
 * In a plain VM: the relay's simulated quoting enclave (KBS_SIM_QUOTE).
 */
#include "platform/tdx/kbs.h"
#include "platform/tdx/tdx.h"
#include "platform/platform.h"
#include "lib/string.h"
#include "lib/kprintf.h"
#include "syscalls/linux_abi/errno.h"

#define GET_QUOTE_BUFFER 0x4000         /* 16 KiB: a v4/v5 quote is ~5-8 KiB */
#define QUOTE_HEADER 24
#define GET_QUOTE_SUCCESS 0ULL
#define GET_QUOTE_IN_FLIGHT 0xffffffffffffffffULL
#define QUOTE_TIMEOUT_NS (60ULL * 1000000000ULL)
#define SIM_QUOTE_TIMEOUT_S 60

struct quote_header {
    u64 version;
    u64 status;
    u32 in_len;
    u32 out_len;
};

static long tdx_quote(const u8 report[TDX_REPORT_SIZE], u8 *quote, size_t max)
{
    u64 dma;
    volatile u8 *buf = platform_shared_alloc(GET_QUOTE_BUFFER, &dma);
    if (buf == NULL)
        return -ENOMEM;
    struct quote_header h = { .version = 1, .status = 0, .in_len = TDX_REPORT_SIZE, .out_len = 0 };
    memcpy((void *)buf, &h, sizeof(h));
    memcpy((void *)(buf + QUOTE_HEADER), report, TDX_REPORT_SIZE);
    long result = -EIO;
    if (tdx_get_quote_vmcall(dma | tdx_shared_bit(), GET_QUOTE_BUFFER) == 0) {
        u64 deadline = platform_time_ns() + QUOTE_TIMEOUT_NS;
        do {
            memcpy(&h, (const void *)buf, sizeof(h)); /* one snapshot of host data */
        } while (h.status == GET_QUOTE_IN_FLIGHT && platform_time_ns() < deadline);
        if (h.status != GET_QUOTE_SUCCESS)
            kprintf("td: GetQuote status %lx\n", h.status);
        else if (h.out_len == 0 || h.out_len > GET_QUOTE_BUFFER - QUOTE_HEADER || h.out_len > max)
            kprintf("td: GetQuote returned %u bytes\n", h.out_len);
        else {
            memcpy(quote, (const void *)(buf + QUOTE_HEADER), h.out_len);
            result = h.out_len;
        }
    }
    platform_shared_free((void *)buf, GET_QUOTE_BUFFER);
    return result;
}

static long sim_quote(const u8 report[TDX_REPORT_SIZE], u8 *quote, size_t max)
{
    u8 type;
    u32 size;
    if (kbs_send(KBS_SIM_QUOTE, report, TDX_REPORT_SIZE) != 0)
        return -EIO;
    int err = kbs_recv(&type, quote, (u32)max, &size, SIM_QUOTE_TIMEOUT_S);
    if (err)
        return err;
    return type == KBS_QUOTE && size > 0 ? (long)size : -EILSEQ;
}

long td_get_quote(const u8 report[TDX_REPORT_SIZE], u8 *quote, size_t max)
{
    return tdx_active() ? tdx_quote(report, quote, max) : sim_quote(report, quote, max);
}
