/*
 * socket_opt.c: SOL_SOCKET options common to every family, kept in
 * struct socket; the family sees each set after it was kept (to apply
 * SO_KEEPALIVE, SO_REUSEADDR ... to its protocol) and answers every
 * other level itself.
 */
#include "lib/string.h"
#include "net/socket.h"
#include "syscalls/linux_abi/errno.h"
#include "syscalls/linux_abi/time.h"

#define BUF_MIN 2304          /* Linux's SOCK_MIN_RCVBUF, roughly */
#define BUF_MAX (16u << 20)   /* what rmem_max/wmem_max allow here */
#define NS_PER_SEC 1000000000ULL
#define NS_PER_USEC 1000ULL

static int int_of(const void *val, u32 len, int *out)
{
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

static int put(void *val, u32 *len, const void *v, u32 size)
{
	u32 n = MIN(*len, size);
	memcpy(val, v, n);
	*len = n;
	return 0;
}

static int put_int(void *val, u32 *len, int v)
{
	return put(val, len, &v, sizeof(v));
}

static int set_timeout(const void *val, u32 len, u64 *out)
{
	struct linux_timeval tv;
	if (len < sizeof(tv))
		return -EINVAL;
	memcpy(&tv, val, sizeof(tv));
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	if (tv.tv_sec < 0)
		*out = 0;
	else
		*out = (u64)tv.tv_sec * NS_PER_SEC + (u64)tv.tv_usec * NS_PER_USEC;
	return 0;
}

static int get_timeout(u64 ns, void *val, u32 *len)
{
	struct linux_timeval tv = { (s64)(ns / NS_PER_SEC), (s64)(ns % NS_PER_SEC / NS_PER_USEC) };
	return put(val, len, &tv, sizeof(tv));
}

static u32 clamp_buf(int v)
{
	u32 b = v < 0 ? 0 : (u32)v;
	return b < BUF_MIN ? BUF_MIN : b > BUF_MAX ? BUF_MAX : b;
}

/* Keep a SOL_SOCKET option; -ENOPROTOOPT when it is not one we know. */
static int keep(struct socket *s, int name, const void *val, u32 len)
{
	int v = 0;
	if (name == SO_RCVTIMEO)
		return set_timeout(val, len, &s->rcvtimeo_ns);
	if (name == SO_SNDTIMEO)
		return set_timeout(val, len, &s->sndtimeo_ns);
	if (name == SO_LINGER) {
		if (len < sizeof(s->linger))
			return -EINVAL;
		memcpy(&s->linger, val, sizeof(s->linger));
		return 0;
	}
	int err = int_of(val, len, &v);
	if (err)
		return err;
	switch (name) {
	case SO_REUSEADDR: s->reuseaddr = v != 0; return 0;
	case SO_REUSEPORT: s->reuseport = v != 0; return 0;
	case SO_KEEPALIVE: s->keepalive = v != 0; return 0;
	case SO_BROADCAST: s->broadcast = v != 0; return 0;
	case SO_PASSCRED: s->passcred = v != 0; return 0;
	case SO_OOBINLINE: s->oobinline = v != 0; return 0;
	case SO_RCVBUF: case SO_RCVBUFFORCE: s->rcvbuf = clamp_buf(v); return 0;
	case SO_SNDBUF: case SO_SNDBUFFORCE: s->sndbuf = clamp_buf(v); return 0;
	case SO_RCVLOWAT: s->rcvlowat = v < 1 ? 1 : (u32)v; return 0;
	case SO_DEBUG: case SO_DONTROUTE: case SO_SNDLOWAT: return 0;
	default: return -ENOPROTOOPT;
	}
}

int socket_setopt(struct socket *s, int level, int name, const void *val, u32 len)
{
	if (level != SOL_SOCKET)
		return s->ops->setopt ? s->ops->setopt(s, level, name, val, len) : -ENOPROTOOPT;
	int err = keep(s, name, val, len);
	if (err)
		return err;
	if (s->ops->setopt == NULL)
		return 0;
	err = s->ops->setopt(s, level, name, val, len);
	return err == -ENOPROTOOPT ? 0 : err;
}

int socket_getopt(struct socket *s, int level, int name, void *val, u32 *len)
{
	if (level != SOL_SOCKET || name == SO_ERROR || name == SO_PEERCRED)
		return s->ops->getopt ? s->ops->getopt(s, level, name, val, len) : -ENOPROTOOPT;
	switch (name) {
	case SO_TYPE: return put_int(val, len, s->type);
	case SO_DOMAIN: return put_int(val, len, s->family);
	case SO_PROTOCOL: return put_int(val, len, s->protocol);
	case SO_ACCEPTCONN: return put_int(val, len, s->listening);
	case SO_REUSEADDR: return put_int(val, len, s->reuseaddr);
	case SO_REUSEPORT: return put_int(val, len, s->reuseport);
	case SO_KEEPALIVE: return put_int(val, len, s->keepalive);
	case SO_BROADCAST: return put_int(val, len, s->broadcast);
	case SO_PASSCRED: return put_int(val, len, s->passcred);
	case SO_OOBINLINE: return put_int(val, len, s->oobinline);
	case SO_RCVBUF: return put_int(val, len, (int)(2 * s->rcvbuf)); /* Linux reports twice */
	case SO_SNDBUF: return put_int(val, len, (int)(2 * s->sndbuf));
	case SO_RCVLOWAT: return put_int(val, len, (int)s->rcvlowat);
	case SO_SNDLOWAT: return put_int(val, len, 1);
	case SO_DEBUG: case SO_DONTROUTE: return put_int(val, len, 0);
	case SO_LINGER: return put(val, len, &s->linger, sizeof(s->linger));
	case SO_RCVTIMEO: return get_timeout(s->rcvtimeo_ns, val, len);
	case SO_SNDTIMEO: return get_timeout(s->sndtimeo_ns, val, len);
	default: return -ENOPROTOOPT;
	}
}
