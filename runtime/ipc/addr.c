/* Transport addresses: URLs in the API, [host, port] / [dir, file] arrays
 * on the wire (DESIGN.md Decisions; tractor's TCPAddress and UDSAddress
 * unwrap to the same pairs). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <actr/err.h>
#include <actr/ipc.h>

#include "wire/mp.h"

#define TCP_SCHEME "tcp://"
#define UNIX_SCHEME "unix://"

static int
copy_text(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        return ACTR_ETOOBIG;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 0;
}

/* A TCP host: an IPv6 literal (it has a ':'), or a name or IPv4 literal
 * of letters, digits, '.', '-' and '_' (so that it formats back into a
 * URL that means the same). */
static int
host_ok(const char *h)
{
    if (!h[0])
        return 0;
    if (strchr(h, ':')) {
        unsigned char bin[16];
        return inet_pton(AF_INET6, h, bin) == 1;
    }
    for (const char *c = h; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '-' || *c == '_'))
            return 0;
    return 1;
}

static int
parse_port(const char *s, uint16_t *out)
{
    unsigned long v = 0;
    if (!*s)
        return ACTR_EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return ACTR_EINVAL;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > 65535)
            return ACTR_EINVAL;
    }
    *out = (uint16_t)v;
    return 0;
}

/* One '/'-separated component of a multiaddr at *s: its bounds, and *s
 * moved past it. 0, or ACTR_EINVAL when there is none. */
static int
ma_next(const char **s, const char **p, size_t *n)
{
    if (**s != '/')
        return ACTR_EINVAL;
    *p = *s + 1;
    *n = strcspn(*p, "/");
    *s = *p + *n;
    return *n ? 0 : ACTR_EINVAL;
}

static int
ma_is(const char *p, size_t n, const char *z)
{
    return strlen(z) == n && memcmp(p, z, n) == 0;
}

static int
hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* tractor's multiaddr strings (discovery/_multiaddr.py): /ip4/H/tcp/P,
 * /ip6/H/tcp/P, /dns/H/tcp/P (dns4, dns6 too) and /unix/PATH, where PATH
 * is the absolute socket path without its leading '/' (tractor's form:
 * /unix/tmp/a.sock) or percent-encoded (the multiaddr spec's:
 * /unix/%2Ftmp%2Fa.sock). */
static int
parse_multiaddr(const char *s, actr_addr *a)
{
    const char *p;
    size_t n;
    int rc;
    if (ma_next(&s, &p, &n) < 0)
        return ACTR_EINVAL;
    if (ma_is(p, n, "unix")) {
        if (*s != '/' || !s[1])
            return ACTR_EINVAL;
        char path[ACTR_ADDR_PATH_MAX];
        size_t k = 0;
        for (const char *c = s + 1; *c; c++) {
            char ch = *c;
            if (ch == '%') {
                int hi = hexval(c[1]), lo = hi < 0 ? -1 : hexval(c[2]);
                if (lo < 0 || (hi == 0 && lo == 0))
                    return ACTR_EINVAL;
                ch = (char)(hi * 16 + lo);
                c += 2;
            }
            if (k + 2 >= sizeof path)
                return ACTR_ETOOBIG;
            if (k == 0 && ch != '/')
                path[k++] = '/';
            path[k++] = ch;
        }
        path[k] = 0;
        a->kind = ACTR_ADDR_UNIX;
        return copy_text(a->path, sizeof a->path, path, k);
    }
    int ip4 = ma_is(p, n, "ip4"), ip6 = ma_is(p, n, "ip6");
    if (!ip4 && !ip6 && !ma_is(p, n, "dns") && !ma_is(p, n, "dns4") && !ma_is(p, n, "dns6"))
        return ACTR_EINVAL;
    const char *h;
    size_t hn;
    if (ma_next(&s, &h, &hn) < 0)
        return ACTR_EINVAL;
    if ((rc = copy_text(a->host, sizeof a->host, h, hn)) < 0)
        return rc;
    unsigned char bin[16];
    if ((ip4 && inet_pton(AF_INET, a->host, bin) != 1) ||
        (ip6 && inet_pton(AF_INET6, a->host, bin) != 1) || !host_ok(a->host))
        return ACTR_EINVAL;
    if (ma_next(&s, &p, &n) < 0 || !ma_is(p, n, "tcp") || ma_next(&s, &p, &n) < 0 || *s)
        return ACTR_EINVAL;
    char port[8];
    if (n >= sizeof port)
        return ACTR_EINVAL;
    memcpy(port, p, n);
    port[n] = 0;
    a->kind = ACTR_ADDR_TCP;
    return parse_port(port, &a->port);
}

int
actr_addr_parse(const char *url, actr_addr *out)
{
    actr_addr a;
    int rc;

    if (!url || !out)
        return ACTR_EINVAL;
    memset(&a, 0, sizeof a);
    if (url[0] == '/') {
        if ((rc = parse_multiaddr(url, &a)) < 0)
            return rc;
        *out = a;
        return 0;
    }
    if (strncmp(url, UNIX_SCHEME, strlen(UNIX_SCHEME)) == 0) {
        const char *path = url + strlen(UNIX_SCHEME);
        if (!*path)
            return ACTR_EINVAL;
        a.kind = ACTR_ADDR_UNIX;
        if ((rc = copy_text(a.path, sizeof a.path, path, strlen(path))) < 0)
            return rc;
        *out = a;
        return 0;
    }
    if (strncmp(url, TCP_SCHEME, strlen(TCP_SCHEME)) != 0)
        return ACTR_EINVAL;
    const char *h = url + strlen(TCP_SCHEME);
    const char *hend, *colon;
    if (*h == '[') {
        h++;
        hend = strchr(h, ']');
        if (!hend || hend[1] != ':')
            return ACTR_EINVAL;
        colon = hend + 1;
    } else {
        colon = strrchr(h, ':');
        if (!colon)
            return ACTR_EINVAL;
        hend = colon;
        if (memchr(h, ':', (size_t)(hend - h)))
            return ACTR_EINVAL;       /* an IPv6 literal needs brackets */
    }
    if (hend == h)
        return ACTR_EINVAL;
    a.kind = ACTR_ADDR_TCP;
    if ((rc = copy_text(a.host, sizeof a.host, h, (size_t)(hend - h))) < 0)
        return rc;
    if (!host_ok(a.host))
        return ACTR_EINVAL;
    if ((rc = parse_port(colon + 1, &a.port)) < 0)
        return rc;
    *out = a;
    return 0;
}

static int
addr_valid(const actr_addr *a)
{
    if (!a)
        return 0;
    if (a->kind == ACTR_ADDR_TCP)
        return a->host[0] && memchr(a->host, '\0', sizeof a->host) != NULL;
    if (a->kind == ACTR_ADDR_UNIX)
        return a->path[0] && memchr(a->path, '\0', sizeof a->path) != NULL;
    return 0;
}

int
actr_addr_format(const actr_addr *a, char *buf, size_t cap)
{
    char tmp[ACTR_ADDR_URL_MAX];
    size_t n;

    if (!addr_valid(a) || (!buf && cap))
        return ACTR_EINVAL;
    if (a->kind == ACTR_ADDR_UNIX) {
        n = (size_t)snprintf(tmp, sizeof tmp, "%s%s", UNIX_SCHEME, a->path);
    } else {
        int v6 = strchr(a->host, ':') != NULL;
        n = (size_t)snprintf(tmp, sizeof tmp, "%s%s%s%s:%u", TCP_SCHEME, v6 ? "[" : "",
                             a->host, v6 ? "]" : "", (unsigned)a->port);
    }
    if (n >= cap)
        return ACTR_ERANGE;
    memcpy(buf, tmp, n + 1);
    return (int)n;
}

/* Splits a socket path the way tractor's UDSAddress does: the directory
 * and the file name. A bare name lives in ".". */
static void
split_path(const char *path, const char **dir, size_t *dlen, const char **file)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        *dir = ".";
        *dlen = 1;
        *file = path;
    } else if (slash == path) {
        *dir = "/";
        *dlen = 1;
        *file = slash + 1;
    } else {
        *dir = path;
        *dlen = (size_t)(slash - path);
        *file = slash + 1;
    }
}

int
actr_addr_encode(const actr_addr *a, actr_wbuf *out)
{
    if (!addr_valid(a) || !out)
        return ACTR_EINVAL;
    size_t len0 = out->len;
    int rc = mp_put_array(out, 2);
    if (rc == 0 && a->kind == ACTR_ADDR_TCP) {
        rc = mp_put_str(out, a->host, strlen(a->host));
        if (rc == 0)
            rc = actri_mp_put_int(out, a->port);
    } else if (rc == 0) {
        const char *dir, *file;
        size_t dlen;
        split_path(a->path, &dir, &dlen, &file);
        rc = mp_put_str(out, dir, dlen);
        if (rc == 0)
            rc = mp_put_str(out, file, strlen(file));
    }
    if (rc < 0) {
        out->len = len0;
        return rc == ACTR_ETOOBIG ? ACTR_EINVAL : rc;
    }
    return 0;
}

/* Reads a str value with no NUL inside it. */
static int
read_str(const uint8_t **pp, const uint8_t *end, const uint8_t **s, size_t *n)
{
    struct mp_val v;
    int k = actri_mp_head(*pp, end, &v);
    if (k < 0 || v.kind != MP_STR || memchr(v.v.data, '\0', v.n))
        return ACTR_EPROTO;
    *s = v.v.data;
    *n = v.n;
    *pp += k;
    return 0;
}

int
actr_addr_decode(const uint8_t *buf, size_t len, actr_addr *out)
{
    const uint8_t *p = buf, *end = buf + len;
    struct mp_val v;
    actr_addr a;
    const uint8_t *s1;
    size_t n1;

    if (!buf || !out)
        return ACTR_EINVAL;
    int k = actri_mp_head(p, end, &v);
    if (k < 0 || v.kind != MP_ARRAY || v.n != 2)
        return ACTR_EPROTO;
    p += k;
    if (read_str(&p, end, &s1, &n1) < 0)
        return ACTR_EPROTO;
    memset(&a, 0, sizeof a);
    k = actri_mp_head(p, end, &v);
    if (k < 0)
        return ACTR_EPROTO;
    if (v.kind == MP_INT) {
        if (v.big || v.v.i < 0 || v.v.i > 65535 || n1 == 0 || memchr(s1, 0, n1))
            return ACTR_EPROTO;
        p += k;
        a.kind = ACTR_ADDR_TCP;
        a.port = (uint16_t)v.v.i;
        if (copy_text(a.host, sizeof a.host, (const char *)s1, n1) < 0)
            return ACTR_ETOOBIG;
        if (!host_ok(a.host))
            return ACTR_EPROTO;
    } else {
        const uint8_t *s2;
        size_t n2;
        /* A file name: not empty and without '/' (else it would not come
         * back as the same [dir, file]), and no NUL in either part (a C
         * path ends there). */
        if (read_str(&p, end, &s2, &n2) < 0 || n2 == 0 || memchr(s2, '/', n2) ||
            memchr(s1, 0, n1) || memchr(s2, 0, n2))
            return ACTR_EPROTO;
        a.kind = ACTR_ADDR_UNIX;
        int bare = n1 == 0 || (n1 == 1 && s1[0] == '.');
        int root = n1 == 1 && s1[0] == '/';
        size_t need = bare ? n2 : n1 + (root ? 0 : 1) + n2;
        if (need >= sizeof a.path)
            return ACTR_ETOOBIG;
        char *d = a.path;
        if (!bare) {
            memcpy(d, s1, n1);
            d += n1;
            if (!root)
                *d++ = '/';
        }
        memcpy(d, s2, n2);
        d[n2] = '\0';
    }
    *out = a;
    return (int)(p - buf);
}

int
actr_addr_list_decode(const actr_any *raw, actr_addr **out, size_t *n)
{
    if (!raw || !out || !n)
        return ACTR_EINVAL;
    if (raw->len == 0 || (raw->len == 1 && raw->ptr[0] == 0xc0)) {
        *out = NULL;
        *n = 0;
        return 0;
    }
    const uint8_t *p = raw->ptr, *end = raw->ptr + raw->len;
    struct mp_val v;
    int k = actri_mp_head(p, end, &v);
    if (k < 0 || v.kind != MP_ARRAY)
        return ACTR_EPROTO;
    p += k;
    /* Each address takes at least 3 bytes: bound the count before malloc. */
    if (v.n > (size_t)(end - p) / 3)
        return ACTR_EPROTO;
    actr_addr *list = NULL;
    if (v.n) {
        list = calloc(v.n, sizeof *list);
        if (!list)
            return ACTR_ENOMEM;
    }
    for (uint32_t i = 0; i < v.n; i++) {
        k = actr_addr_decode(p, (size_t)(end - p), &list[i]);
        if (k < 0) {
            free(list);
            return k;
        }
        p += k;
    }
    if (p != end) {
        free(list);
        return ACTR_EPROTO;
    }
    *out = list;
    *n = v.n;
    return 0;
}

int
actr_addr_list_encode(const actr_addr *addrs, size_t n, actr_wbuf *out)
{
    if (!out || (n && !addrs))
        return ACTR_EINVAL;
    size_t len0 = out->len;
    int rc = mp_put_array(out, n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = actr_addr_encode(&addrs[i], out);
    if (rc < 0) {
        out->len = len0;
        return rc == ACTR_ETOOBIG ? ACTR_EINVAL : rc;
    }
    return 0;
}
