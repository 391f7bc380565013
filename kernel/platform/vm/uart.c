/*
 * uart.c: the three 16550 UARTs behind the console channels
 * (docs/boot-config.md): COM1 app stdout + tty input, COM2 app stderr,
 * COM3 kernel log and control lines. Output is polled; COM1 input may
 * raise ISA IRQ 4 (GSI 4 on microvm's I/O APIC) when data is ready.
 * Each channel has a lock so that lines from several CPUs never
 * interleave (innermost: taken with interrupts off, from anywhere).
 * Trust: the host is the UART; a byte read from COM1 is just input.
 */
#include "platform/platform.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/spinlock.h"

#define UART_DATA 0     /* THR (write) / RBR (read) */
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_DLL 0      /* with LCR.DLAB */
#define UART_DLM 1

#define IER_RX_DATA 0x01
#define COM1_GSI 4

#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20

/* Give up waiting for a full transmitter after this many polls: the host
 * owns the UART, and a stuck one must not hang the kernel forever. */
#define TX_SPIN_LIMIT 1000000

static struct spinlock g_uart_lock[3] = {
    SPINLOCK_INIT("com1"), SPINLOCK_INIT("com2"), SPINLOCK_INIT("com3"),
};

static const u16 g_uart_port[3] = {
    [CONSOLE_STDOUT] = 0x3f8,
    [CONSOLE_STDERR] = 0x2f8,
    [CONSOLE_LOG] = 0x3e8,
};

static void uart_init_one(u16 port)
{
    platform_outb(port + UART_IER, 0x00);   /* no interrupts */
    platform_outb(port + UART_LCR, 0x80);   /* DLAB to set the divisor */
    platform_outb(port + UART_DLL, 0x01);   /* 115200 baud */
    platform_outb(port + UART_DLM, 0x00);
    platform_outb(port + UART_LCR, 0x03);   /* 8N1 */
    /* FIFOs stay off: turning them on clears the receive side, and the
     * launcher may already have typed into COM1. With no FIFO the host's
     * bytes wait in QEMU until we read them, so none is lost. */
    platform_outb(port + UART_FCR, 0x00);
    platform_outb(port + UART_MCR, 0x03);   /* DTR, RTS */
}

void platform_console_init(void)
{
    for (size_t i = 0; i < 3; i++)
        uart_init_one(g_uart_port[i]);
}

static void uart_putc(u16 port, char c)
{
    for (int spin = 0; spin < TX_SPIN_LIMIT; spin++) {
        if (platform_inb(port + UART_LSR) & LSR_THR_EMPTY)
            break;
        cpu_pause();
    }
    platform_outb(port + UART_DATA, (u8)c);
}

void platform_console_write(enum console_channel channel, const char *buf, size_t len)
{
    if ((unsigned)channel > CONSOLE_LOG)
        channel = CONSOLE_LOG;
    u16 port = g_uart_port[channel];
    u64 flags = spin_lock_irqsave(&g_uart_lock[channel]);
    for (size_t i = 0; i < len; i++)
        uart_putc(port, buf[i]);
    spin_unlock_irqrestore(&g_uart_lock[channel], flags);
}

bool platform_console_has_input(void)
{
    return (platform_inb(g_uart_port[CONSOLE_STDOUT] + UART_LSR) & LSR_DATA_READY) != 0;
}

size_t platform_console_read(char *buf, size_t len)
{
    u64 flags = spin_lock_irqsave(&g_uart_lock[CONSOLE_STDOUT]);
    size_t n = 0;
    while (n < len && platform_console_has_input())
        buf[n++] = (char)platform_inb(g_uart_port[CONSOLE_STDOUT] + UART_DATA);
    spin_unlock_irqrestore(&g_uart_lock[CONSOLE_STDOUT], flags);
    return n;
}

int platform_console_input_irq(void)
{
    u64 flags = spin_lock_irqsave(&g_uart_lock[CONSOLE_STDOUT]);
    platform_outb(g_uart_port[CONSOLE_STDOUT] + UART_IER, IER_RX_DATA);
    /* OUT2 gates the UART's interrupt line on PC hardware. */
    platform_outb(g_uart_port[CONSOLE_STDOUT] + UART_MCR, 0x0b);
    spin_unlock_irqrestore(&g_uart_lock[CONSOLE_STDOUT], flags);
    return COM1_GSI;
}
