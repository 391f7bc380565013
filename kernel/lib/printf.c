/*
 * printf.c: a small vsnprintf for the kernel log and for formatting into
 * buffers (procfs text, measurement lines). Never writes past size.
 */
#include "lib/printf.h"
#include "lib/string.h"

struct out {
    char *buf;
    size_t size;
    size_t len;  /* bytes the full output needs */
    bool escape; /* vsnprintf_log: escape %s and %c arguments */
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

/* An argument byte in the log: printable ASCII as is, a backslash
 * doubled, anything else (newlines, escape sequences, non-ASCII) as \xNN,
 * so that text from the app can neither start a line nor steer a
 * terminal. */
static void put_escaped(struct out *o, char c)
{
    const char *digits = "0123456789abcdef";
    u8 b = (u8)c;
    if (b == '\\') {
        put(o, '\\');
        put(o, '\\');
    } else if (b >= 0x20 && b < 0x7f) {
        put(o, c);
    } else {
        put(o, '\\');
        put(o, 'x');
        put(o, digits[b >> 4]);
        put(o, digits[b & 15]);
    }
}

/* text: a %s or %c argument, escaped when formatting for the log. */
static void put_padded(struct out *o, const char *s, size_t n, int width, bool left, char pad,
                       bool text)
{
    size_t fill = width > 0 && (size_t)width > n ? (size_t)width - n : 0;
    if (!left) {
        while (fill--)
            put(o, pad);
    }
    for (size_t i = 0; i < n; i++) {
        if (text && o->escape)
            put_escaped(o, s[i]);
        else
            put(o, s[i]);
    }
    if (left) {
        while (fill--)
            put(o, ' ');
    }
}

static size_t format_unsigned(char *tmp, u64 v, unsigned base, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char rev[24];
    size_t n = 0;
    do {
        rev[n++] = digits[v % base];
        v /= base;
    } while (v);
    for (size_t i = 0; i < n; i++)
        tmp[i] = rev[n - 1 - i];
    return n;
}

static int format(char *buf, size_t size, const char *fmt, va_list ap, bool escape)
{
    struct out o = { buf, size, 0, escape };

    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        fmt++;
        bool left = false;
        char pad = ' ';
        int width = 0;
        int precision = -1;
        int longs = 0;
        bool size_t_arg = false;

        for (;; fmt++) {
            if (*fmt == '-')
                left = true;
            else if (*fmt == '0')
                pad = '0';
            else
                break;
        }
        if (*fmt == '*') {
            width = va_arg(ap, int);
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        if (*fmt == '.') {
            fmt++;
            precision = 0;
            if (*fmt == '*') {
                precision = va_arg(ap, int);
                fmt++;
            }
            while (*fmt >= '0' && *fmt <= '9')
                precision = precision * 10 + (*fmt++ - '0');
        }
        while (*fmt == 'l') {
            longs++;
            fmt++;
        }
        if (*fmt == 'z') {
            size_t_arg = true;
            fmt++;
        }

        char tmp[32];
        size_t n;
        switch (*fmt) {
        case 'd':
        case 'i': {
            s64 v = size_t_arg ? (s64)va_arg(ap, size_t)
                  : longs ? va_arg(ap, long long) : va_arg(ap, int);
            u64 mag = v < 0 ? (u64)0 - (u64)v : (u64)v;
            size_t off = 0;
            if (v < 0)
                tmp[off++] = '-';
            n = off + format_unsigned(tmp + off, mag, 10, false);
            put_padded(&o, tmp, n, width, left, pad, false);
            break;
        }
        case 'u':
        case 'o':
        case 'x':
        case 'X': {
            u64 v = size_t_arg ? va_arg(ap, size_t)
                  : longs ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned int);
            unsigned base = *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16;
            n = format_unsigned(tmp, v, base, *fmt == 'X');
            put_padded(&o, tmp, n, width, left, pad, false);
            break;
        }
        case 'p': {
            u64 v = (u64)(uptr)va_arg(ap, void *);
            tmp[0] = '0';
            tmp[1] = 'x';
            n = 2 + format_unsigned(tmp + 2, v, 16, false);
            put_padded(&o, tmp, n, width, left, pad, false);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            n = precision >= 0 ? strnlen(s, (size_t)precision) : strlen(s);
            put_padded(&o, s, n, width, left, ' ', true);
            break;
        }
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            put_padded(&o, tmp, 1, width, left, ' ', true);
            break;
        case '%':
            put(&o, '%');
            break;
        case 0:
            fmt--; /* a lone '%' at the end */
            break;
        default:
            put(&o, '%');
            put(&o, *fmt);
            break;
        }
    }
    if (size > 0)
        o.buf[o.len < size ? o.len : size - 1] = 0;
    return (int)o.len;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    return format(buf, size, fmt, ap, false);
}

int vsnprintf_log(char *buf, size_t size, const char *fmt, va_list ap)
{
    return format(buf, size, fmt, ap, true);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

void hex_encode(char *out, const void *data, size_t size)
{
    const char *digits = "0123456789abcdef";
    const u8 *p = data;
    for (size_t i = 0; i < size; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * size] = 0;
}

void textbuf_add(struct textbuf *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = t->len < t->size ? t->size - t->len : 0;
    int n = vsnprintf(room ? t->buf + t->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len += (size_t)n;
}
