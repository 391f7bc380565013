/*
 * uart.c: the four 16550 UARTs behind the console channels
 * (docs/boot-config.md): COM1 app stdout + stdin, COM2 app stderr,
 * COM3 kernel log, and the control channel at 0x2e0 (COM4's 0x2e8 is the
 * key-release wire in TD modes, platform/tdx/kbs_channel.c). Output is
 * polled; COM1 input may raise ISA IRQ 4 (GSI 4 on microvm's I/O APIC)
 * when data is ready, the control UART IRQ 3 (COM2 and COM4, on the same
 * line, never enable interrupts).
 * Each channel has a lock so that lines from several CPUs never
 * interleave (innermost: taken with interrupts off, from anywhere).
 * Trust: the host is the UART; a byte read from COM1 is just input, a
 * byte read from the control UART goes to control_decode
 * (control/frame.c).
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
#define UART_SCR 7      /* scratch: what is written reads back, if the UART is there */
#define UART_DLL 0      /* with LCR.DLAB */
#define UART_DLM 1

#define IER_RX_DATA 0x01
#define COM1_GSI 4
#define CONTROL_GSI 3
#define UART_COUNT 4

#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20

/* Give up waiting for a full transmitter after this many polls: the host
 * owns the UART, and a stuck one must not hang the kernel forever. */
#define TX_SPIN_LIMIT 1000000

static struct spinlock g_uart_lock[UART_COUNT] = {
    SPINLOCK_INIT("com1"), SPINLOCK_INIT("com2"), SPINLOCK_INIT("com3"), SPINLOCK_INIT("control"),
};

static const u16 g_uart_port[UART_COUNT] = {
    [CONSOLE_STDOUT] = 0x3f8,
    [CONSOLE_STDERR] = 0x2f8,
    [CONSOLE_LOG] = 0x3e8,
    [CONSOLE_CONTROL] = 0x2e0,
};

/* A UART the machine does not have reads as 0xff everywhere, which would
 * look like input forever (a QEMU started by hand without the control
 * UART, say): such a channel is marked absent and reads nothing. */
static bool g_uart_present[UART_COUNT];

static bool uart_probe(u16 port)
{
    platform_outb(port + UART_SCR, 0x5a);
    if (platform_inb(port + UART_SCR) != 0x5a)
        return false;
    platform_outb(port + UART_SCR, 0xa5);
    return platform_inb(port + UART_SCR) == 0xa5;
}

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
    for (size_t i = 0; i < UART_COUNT; i++) {
        g_uart_present[i] = uart_probe(g_uart_port[i]);
        if (g_uart_present[i])
            uart_init_one(g_uart_port[i]);
    }
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
    if ((unsigned)channel >= UART_COUNT)
        channel = CONSOLE_LOG;
    u16 port = g_uart_port[channel];
    if (!g_uart_present[channel])
        return;
    u64 flags = spin_lock_irqsave(&g_uart_lock[channel]);
    for (size_t i = 0; i < len; i++)
        uart_putc(port, buf[i]);
    spin_unlock_irqrestore(&g_uart_lock[channel], flags);
}

bool platform_console_has_input(void)
{
    if (!g_uart_present[CONSOLE_STDOUT])
        return false;
    return (platform_inb(g_uart_port[CONSOLE_STDOUT] + UART_LSR) & LSR_DATA_READY) != 0;
}

static size_t uart_read(enum console_channel channel, char *buf, size_t len)
{
    u16 port = g_uart_port[channel];
    if (!g_uart_present[channel])
        return 0;
    u64 flags = spin_lock_irqsave(&g_uart_lock[channel]);
    size_t n = 0;
    while (n < len && (platform_inb(port + UART_LSR) & LSR_DATA_READY))
        buf[n++] = (char)platform_inb(port + UART_DATA);
    spin_unlock_irqrestore(&g_uart_lock[channel], flags);
    return n;
}

size_t platform_console_read(char *buf, size_t len)
{
    return uart_read(CONSOLE_STDOUT, buf, len);
}

size_t platform_control_read(char *buf, size_t len)
{
    return uart_read(CONSOLE_CONTROL, buf, len);
}

static void uart_enable_rx_irq(enum console_channel channel)
{
    u64 flags = spin_lock_irqsave(&g_uart_lock[channel]);
    platform_outb(g_uart_port[channel] + UART_IER, IER_RX_DATA);
    /* OUT2 gates the UART's interrupt line on PC hardware. */
    platform_outb(g_uart_port[channel] + UART_MCR, 0x0b);
    spin_unlock_irqrestore(&g_uart_lock[channel], flags);
}

int platform_console_input_irq(void)
{
    uart_enable_rx_irq(CONSOLE_STDOUT);
    return COM1_GSI;
}

int platform_control_input_irq(void)
{
    if (!g_uart_present[CONSOLE_CONTROL])
        return -1;
    uart_enable_rx_irq(CONSOLE_CONTROL);
    return CONTROL_GSI;
}
