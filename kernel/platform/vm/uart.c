/*
 * uart.c: the four 16550 UARTs behind the console channels
 * (docs/boot-config.md): COM1 app stdout + stdin, COM2 app stderr,
 * COM3 kernel log, COM4 control channel. Polled, no interrupts.
 * Trust: the host is the UART; a byte read from COM1 is just input, a
 * byte read from COM4 goes to control_decode (control/frame.c).
 */
#include "platform/platform.h"
#include "arch/x86_64/cpu.h"

#define UART_DATA 0     /* THR (write) / RBR (read) */
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_DLL 0      /* with LCR.DLAB */
#define UART_DLM 1

#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20

/* Give up waiting for a full transmitter after this many polls: the host
 * owns the UART, and a stuck one must not hang the kernel forever. */
#define TX_SPIN_LIMIT 1000000

#define UART_COUNT 4

static const u16 g_uart_port[UART_COUNT] = {
    [CONSOLE_STDOUT] = 0x3f8,
    [CONSOLE_STDERR] = 0x2f8,
    [CONSOLE_LOG] = 0x3e8,
    [CONSOLE_CONTROL] = 0x2e8,
};

static void uart_init_one(u16 port)
{
    cpu_outb(port + UART_IER, 0x00);   /* no interrupts */
    cpu_outb(port + UART_LCR, 0x80);   /* DLAB to set the divisor */
    cpu_outb(port + UART_DLL, 0x01);   /* 115200 baud */
    cpu_outb(port + UART_DLM, 0x00);
    cpu_outb(port + UART_LCR, 0x03);   /* 8N1 */
    /* FIFOs stay off: turning them on clears the receive side, and the
     * launcher may already have typed into COM1. With no FIFO the host's
     * bytes wait in QEMU until we read them, so none is lost. */
    cpu_outb(port + UART_FCR, 0x00);
    cpu_outb(port + UART_MCR, 0x03);   /* DTR, RTS */
}

void platform_console_init(void)
{
    for (size_t i = 0; i < UART_COUNT; i++)
        uart_init_one(g_uart_port[i]);
}

static void uart_putc(u16 port, char c)
{
    for (int spin = 0; spin < TX_SPIN_LIMIT; spin++) {
        if (cpu_inb(port + UART_LSR) & LSR_THR_EMPTY)
            break;
        cpu_pause();
    }
    cpu_outb(port + UART_DATA, (u8)c);
}

void platform_console_write(enum console_channel channel, const char *buf, size_t len)
{
    if ((unsigned)channel >= UART_COUNT)
        channel = CONSOLE_LOG;
    u16 port = g_uart_port[channel];
    for (size_t i = 0; i < len; i++)
        uart_putc(port, buf[i]);
}

bool platform_console_has_input(void)
{
    return (cpu_inb(g_uart_port[CONSOLE_STDOUT] + UART_LSR) & LSR_DATA_READY) != 0;
}

static size_t uart_read(u16 port, char *buf, size_t len)
{
    size_t n = 0;
    while (n < len && (cpu_inb(port + UART_LSR) & LSR_DATA_READY))
        buf[n++] = (char)cpu_inb(port + UART_DATA);
    return n;
}

size_t platform_console_read(char *buf, size_t len)
{
    return uart_read(g_uart_port[CONSOLE_STDOUT], buf, len);
}

size_t platform_control_read(char *buf, size_t len)
{
    return uart_read(g_uart_port[CONSOLE_CONTROL], buf, len);
}
