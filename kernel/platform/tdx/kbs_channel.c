/*
 * kbs_channel.c: the wire to the host's key-broker relay: a 16550 UART
 * at COM4 (0x2e8), polled, binary frames (docs/tdx.md, "Key release"):
 *
 *     u8 type | u8 0 | u16 0 | u32 length (LE) | length bytes
 *
 * Trust: the relay is the host, hence untrusted. Frames it sends are
 * read into a private buffer with the length bounded by the caller's
 * maximum before a single payload byte is read; a wrong type, a non-zero
 * reserved field, an oversized length or a silent host (timeout) fail the
 * call. What the frames mean is checked by kbs.c; the protocol is
 * end-to-end protected, so the relay can only refuse service.
 */
#include "platform/tdx/kbs.h"
#include "platform/platform.h"
#include "lib/string.h"
#include "syscalls/linux_abi/errno.h"

#define PORT 0x2e8
#define UART_DATA 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define TX_SPIN_LIMIT 1000000
#define NS_PER_S 1000000000ULL

void kbs_channel_init(void)
{
    platform_outb(PORT + UART_IER, 0x00);
    platform_outb(PORT + UART_LCR, 0x80);
    platform_outb(PORT + 0, 0x01); /* divisor: 115200 */
    platform_outb(PORT + 1, 0x00);
    platform_outb(PORT + UART_LCR, 0x03);
    platform_outb(PORT + UART_FCR, 0x00);
    platform_outb(PORT + UART_MCR, 0x03);
}

static int put_byte(u8 byte)
{
    for (u32 i = 0; !(platform_inb(PORT + UART_LSR) & LSR_THR_EMPTY); i++) {
        if (i == TX_SPIN_LIMIT)
            return -EIO;
    }
    platform_outb(PORT + UART_DATA, byte);
    return 0;
}

static int get_byte(u8 *byte, u64 deadline)
{
    while (!(platform_inb(PORT + UART_LSR) & LSR_DATA_READY)) {
        if (platform_time_ns() > deadline)
            return -ETIMEDOUT;
    }
    *byte = platform_inb(PORT + UART_DATA);
    return 0;
}

int kbs_send(u8 type, const void *payload, u32 size)
{
    u8 header[KBS_HEADER_SIZE] = { type, 0, 0, 0, (u8)size, (u8)(size >> 8), (u8)(size >> 16),
                                   (u8)(size >> 24) };
    for (size_t i = 0; i < sizeof(header); i++) {
        if (put_byte(header[i]) != 0)
            return -EIO;
    }
    const u8 *p = payload;
    for (u32 i = 0; i < size; i++) {
        if (put_byte(p[i]) != 0)
            return -EIO;
    }
    return 0;
}

int kbs_recv(u8 *type, void *payload, u32 max, u32 *size, u32 timeout_s)
{
    u64 deadline = platform_time_ns() + (u64)timeout_s * NS_PER_S;
    u8 header[KBS_HEADER_SIZE];
    for (size_t i = 0; i < sizeof(header); i++) {
        int err = get_byte(&header[i], deadline);
        if (err)
            return err;
    }
    u32 length = (u32)header[4] | (u32)header[5] << 8 | (u32)header[6] << 16 | (u32)header[7] << 24;
    if (header[1] != 0 || header[2] != 0 || header[3] != 0 || length > max)
        return -EILSEQ;
    u8 *p = payload;
    for (u32 i = 0; i < length; i++) {
        int err = get_byte(&p[i], deadline);
        if (err)
            return err;
    }
    *type = header[0];
    *size = length;
    return 0;
}
