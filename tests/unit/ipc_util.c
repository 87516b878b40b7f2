/* Helpers of the ipc suites (see ipc_util.h). */
#include "ipc_util.h"

#include "core_util.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

int
ipc_test_fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1;                       /* the DIR's own fd */
}

void
ipc_test_unix_path(char *buf, size_t cap, char *url, size_t url_cap)
{
    static unsigned seq;
    snprintf(buf, cap, "/tmp/actr-ipc-test-%d-%u.sock", (int)getpid(), seq++);
    unlink(buf);
    if (url)
        snprintf(url, url_cap, "unix://%s", buf);
}

static actr_str
s_(const char *s)
{
    return (actr_str){(char *)s, strlen(s)};
}

void
ipc_test_aid(actr_msg *m, const char *name, const char *uuid)
{
    memset(m, 0, sizeof *m);
    m->type = ACTR_MSG_AID;
    m->u.aid.name = s_(name);
    m->u.aid.uuid = s_(uuid);
    m->u.aid.has_pid = true;
    m->u.aid.pid = getpid();
}

void
ipc_test_yield(actr_msg *m, const char *cid, uint64_t v, uint8_t scratch[9])
{
    size_t n;
    if (v < 128) {
        scratch[0] = (uint8_t)v;
        n = 1;
    } else if (v <= 0xffff) {
        scratch[0] = 0xcd;
        scratch[1] = (uint8_t)(v >> 8);
        scratch[2] = (uint8_t)v;
        n = 3;
    } else {
        scratch[0] = 0xce;
        for (int i = 0; i < 4; i++)
            scratch[1 + i] = (uint8_t)(v >> (24 - 8 * i));
        n = 5;
    }
    memset(m, 0, sizeof *m);
    m->type = ACTR_MSG_YIELD;
    m->u.yield.cid = s_(cid);
    m->u.yield.pld = (actr_any){scratch, n};
}

int64_t
ipc_test_uint(const actr_any *raw)
{
    const uint8_t *p = raw->ptr;
    if (raw->len == 1 && p[0] < 128)
        return p[0];
    if (raw->len == 3 && p[0] == 0xcd)
        return (p[1] << 8) | p[2];
    if (raw->len == 5 && p[0] == 0xce)
        return ((int64_t)p[1] << 24) | (p[2] << 16) | (p[3] << 8) | p[4];
    if (raw->len == 2 && p[0] == 0xcc)
        return p[1];
    return -1;
}

int
raw_connect(const actr_addr *a)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    if (a->kind == ACTR_ADDR_UNIX) {
        struct sockaddr_un *un = (struct sockaddr_un *)&ss;
        un->sun_family = AF_UNIX;
        snprintf(un->sun_path, sizeof un->sun_path, "%s", a->path);
        sl = sizeof *un;
    } else if (strchr(a->host, ':')) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(a->port);
        if (inet_pton(AF_INET6, a->host, &in6->sin6_addr) != 1)
            return -1;
        sl = sizeof *in6;
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        in->sin_port = htons(a->port);
        if (inet_pton(AF_INET, a->host, &in->sin_addr) != 1)
            return -1;
        sl = sizeof *in;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int
raw_write(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

int
raw_frame(int fd, const void *body, size_t n)
{
    uint8_t pre[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
    if (raw_write(fd, pre, 4) < 0)
        return -1;
    return raw_write(fd, body, n);
}

int
raw_msg(int fd, const actr_msg *m)
{
    actr_wbuf b = ACTR_WBUF_INIT;
    int rc = actr_msg_encode(m, &b);
    if (rc >= 0)
        rc = raw_write(fd, b.ptr, b.len);
    actr_wbuf_destroy(&b);
    return rc < 0 ? -1 : 0;
}

static int
read_full(int fd, void *p, size_t n)
{
    uint8_t *b = p;
    while (n > 0) {
        ssize_t k = read(fd, b, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

ssize_t
raw_read_frame(int fd, uint8_t **body)
{
    uint8_t pre[4];
    if (read_full(fd, pre, 4) < 0)
        return -1;
    size_t n = (size_t)pre[0] | ((size_t)pre[1] << 8) | ((size_t)pre[2] << 16)
             | ((size_t)pre[3] << 24);
    if (n > (64u << 20))
        return -1;
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
        return -1;
    if (read_full(fd, b, n) < 0) {
        free(b);
        return -1;
    }
    *body = b;
    return (ssize_t)n;
}

int
raw_handshake(int fd, const char *name)
{
    actr_msg aid;
    ipc_test_aid(&aid, name, "00000000-0000-4000-8000-00000000raw1");
    if (raw_msg(fd, &aid) < 0)
        return -1;
    uint8_t *body;
    ssize_t n = raw_read_frame(fd, &body);
    if (n < 0)
        return -1;
    actr_msg m;
    int rc = actr_msg_decode(body, (size_t)n, &m, NULL);
    int ok = rc == 0 && m.type == ACTR_MSG_AID;
    free(body);
    return ok ? 0 : -1;
}

void
raw_reset(int fd)
{
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

static void
put_str(uint8_t **p, const char *s)
{
    size_t n = strlen(s);
    /* Tests use short strings only: fixstr or str8. */
    if (n < 32) {
        *(*p)++ = (uint8_t)(0xa0 | n);
    } else {
        *(*p)++ = 0xd9;
        *(*p)++ = (uint8_t)n;
    }
    memcpy(*p, s, n);
    *p += n;
}

uint8_t *
raw_map_of_strings(size_t *len, size_t npairs, ...)
{
    va_list ap;
    uint8_t *buf = malloc(1 + npairs * 2 * 258), *p = buf;
    *p++ = (uint8_t)(0x80 | npairs);
    va_start(ap, npairs);
    for (size_t i = 0; i < npairs; i++) {
        put_str(&p, va_arg(ap, const char *));
        const char *v = va_arg(ap, const char *);
        if (v)
            put_str(&p, v);
        else
            *p++ = 0xc0;
    }
    va_end(ap);
    *len = (size_t)(p - buf);
    return buf;
}

pthread_t
raw_spawn(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    if (pthread_create(&t, NULL, fn, arg) != 0)
        abort();
    return t;
}

/* ------------------------------------------------------------ channels */

actr_listener *
ipc_test_listen_kind(int i, const actr_ipc_opts *opts)
{
    actr_addr a;
    char path[128], url[160];
    if (i == 0) {
        ck_assert_actr_ok(actr_addr_parse("tcp://127.0.0.1:0", &a));
    } else {
        ipc_test_unix_path(path, sizeof path, url, sizeof url);
        ck_assert_actr_ok(actr_addr_parse(url, &a));
    }
    actr_listener *l;
    ck_assert_actr_ok(actr_listener_open(&a, 1, opts, &l));
    return l;
}

void
ipc_test_handshake_as(actr_ipc *ch, const char *name, const char *uuid)
{
    actr_msg aid;
    ipc_test_aid(&aid, name, uuid);
    ck_assert_actr_ok(actr_ipc_handshake(ch, &aid.u.aid, actr_deadline_in(5000)));
}

actr_ipc *
ipc_test_dial(const actr_listener *l, size_t i, const actr_ipc_opts *opts)
{
    actr_ipc *ch;
    ck_assert_actr_ok(actr_ipc_connect(actr_listener_addr(l, i), opts, &ch,
                                       actr_deadline_in(5000)));
    ipc_test_handshake_as(ch, "client", "22222222-2222-4222-8222-222222222222");
    return ch;
}
