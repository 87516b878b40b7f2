#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "base_proto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <actr/err.h>

/* The opener's uid in every Start. */
static const char UID_NAME[] = "bench";
static const char UID_UUID[] = "569bb6db-5a2c-448e-979a-5762aa2d39a5";

/* ------------------------------------------------------------ output */

void
bp_out_init(bp_out *o)
{
    msgpack_sbuffer_init(&o->sb);
    msgpack_packer_init(&o->pk, &o->sb, msgpack_sbuffer_write);
}

void
bp_out_destroy(bp_out *o)
{
    msgpack_sbuffer_destroy(&o->sb);
}

static void
str(msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

#define LIT(pk, s) str((pk), (s), sizeof(s) - 1)

/* Reserves the length prefix; frame_end fills it in. */
static size_t
frame_begin(bp_out *o)
{
    static const char zero[4];
    msgpack_sbuffer_write(&o->sb, zero, 4);
    return o->sb.size - 4;
}

static void
frame_end(bp_out *o, size_t at)
{
    uint32_t n = (uint32_t)(o->sb.size - at - 4);
    uint8_t *p = (uint8_t *)o->sb.data + at;
    p[0] = (uint8_t)n;
    p[1] = (uint8_t)(n >> 8);
    p[2] = (uint8_t)(n >> 16);
    p[3] = (uint8_t)(n >> 24);
}

void
bp_pack_start(bp_out *o, const char *cid, int64_t x)
{
    size_t at = frame_begin(o);
    msgpack_packer *pk = &o->pk;
    msgpack_pack_map(pk, 7);
    LIT(pk, "msg_type");
    LIT(pk, "Start");
    LIT(pk, "cid");
    str(pk, cid, BP_CID_LEN);
    LIT(pk, "ns");
    LIT(pk, BP_NS);
    LIT(pk, "func");
    LIT(pk, BP_FUNC);
    LIT(pk, "kwargs");
    msgpack_pack_map(pk, 1);
    LIT(pk, "x");
    msgpack_pack_int64(pk, x);
    LIT(pk, "uid");
    msgpack_pack_array(pk, 2);
    LIT(pk, UID_NAME);
    LIT(pk, UID_UUID);
    LIT(pk, "pld_spec");
    LIT(pk, "typing.Any");
    frame_end(o, at);
}

void
bp_pack_startack(bp_out *o, const char *cid)
{
    size_t at = frame_begin(o);
    msgpack_packer *pk = &o->pk;
    msgpack_pack_map(pk, 3);
    LIT(pk, "msg_type");
    LIT(pk, "StartAck");
    LIT(pk, "cid");
    str(pk, cid, BP_CID_LEN);
    LIT(pk, "functype");
    LIT(pk, "asyncfunc");
    frame_end(o, at);
}

static void
pack_cid_pld(bp_out *o, const char *type, size_t tlen, const char *cid, int64_t v)
{
    size_t at = frame_begin(o);
    msgpack_packer *pk = &o->pk;
    msgpack_pack_map(pk, 3);
    LIT(pk, "msg_type");
    str(pk, type, tlen);
    LIT(pk, "cid");
    str(pk, cid, BP_CID_LEN);
    LIT(pk, "pld");
    msgpack_pack_int64(pk, v);
    frame_end(o, at);
}

void
bp_pack_return(bp_out *o, const char *cid, int64_t v)
{
    pack_cid_pld(o, "Return", 6, cid, v);
}

void
bp_pack_yield(bp_out *o, const char *cid, int64_t v)
{
    pack_cid_pld(o, "Yield", 5, cid, v);
}

void
bp_cid_make(char cid[BP_CID_LEN + 1], uint64_t seq)
{
    static const char hex[] = "0123456789abcdef";
    /* A fixed random-looking stem, the sequence in the last 16 digits. */
    memcpy(cid, "7c9e6679-7425-40de-", 19);
    uint64_t v = seq * 0x9e3779b97f4a7c15ull;
    char *p = cid + 19;
    for (int i = 0; i < 17; i++) {
        if (i == 4) {
            *p++ = '-';
            continue;
        }
        *p++ = hex[v & 15];
        v >>= 4;
    }
    cid[BP_CID_LEN] = '\0';
}

/* ------------------------------------------------------------ input */

int
bp_in_init(bp_in *in, size_t cap)
{
    in->p = malloc(cap);
    if (!in->p)
        return ACTR_ENOMEM;
    in->len = in->off = 0;
    in->cap = cap;
    return 0;
}

void
bp_in_destroy(bp_in *in)
{
    free(in->p);
    in->p = NULL;
}

int
bp_in_read(bp_in *in, int fd)
{
    if (in->off) {
        memmove(in->p, in->p + in->off, in->len - in->off);
        in->len -= in->off;
        in->off = 0;
    }
    if (in->len == in->cap)
        return ACTR_ETOOBIG;
    for (;;) {
        ssize_t k = read(fd, in->p + in->len, in->cap - in->len);
        if (k > 0) {
            in->len += (size_t)k;
            return (int)k;
        }
        if (k == 0)
            return ACTR_ECLOSED;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? ACTR_EAGAIN : ACTR_EIO;
    }
}

bool
bp_in_next(bp_in *in, const uint8_t **body, size_t *len)
{
    size_t have = in->len - in->off;
    if (have < 4)
        return false;
    const uint8_t *q = in->p + in->off;
    size_t n = (size_t)q[0] | (size_t)q[1] << 8 | (size_t)q[2] << 16 | (size_t)q[3] << 24;
    if (have - 4 < n)
        return false;
    *body = q + 4;
    *len = n;
    in->off += 4 + n;
    return true;
}

static bool
is_str(const msgpack_object *o, const char *s, size_t n)
{
    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n
        && memcmp(o->via.str.ptr, s, n) == 0;
}

#define IS(o, s) is_str((o), (s), sizeof(s) - 1)

static bool
int_of(const msgpack_object *o, int64_t *v)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX) {
        *v = (int64_t)o->via.u64;
        return true;
    }
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *v = o->via.i64;
        return true;
    }
    return false;
}

/* kwargs must be a map whose "x" is an integer. */
static bool
kwarg_x(const msgpack_object *o, int64_t *x)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return false;
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        if (IS(&kv->key, "x"))
            return int_of(&kv->val, x);
    }
    return false;
}

static bool
is_uid(const msgpack_object *o)
{
    return o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size == 2
        && o->via.array.ptr[0].type == MSGPACK_OBJECT_STR
        && o->via.array.ptr[1].type == MSGPACK_OBJECT_STR;
}

int
bp_decode(const uint8_t *body, size_t len, msgpack_zone *zone, bp_msg *m)
{
    msgpack_object o;
    size_t off = 0;
    msgpack_zone_clear(zone);
    if (msgpack_unpack((const char *)body, len, &off, zone, &o) != MSGPACK_UNPACK_SUCCESS)
        return ACTR_EPROTO;
    if (o.type != MSGPACK_OBJECT_MAP)
        return ACTR_ETYPE;
    int kind = -1;
    const msgpack_object *cid = NULL, *ns = NULL, *func = NULL, *kwargs = NULL,
                         *uid = NULL, *pld = NULL, *functype = NULL;
    for (uint32_t i = 0; i < o.via.map.size; i++) {
        const msgpack_object *k = &o.via.map.ptr[i].key, *v = &o.via.map.ptr[i].val;
        if (k->type != MSGPACK_OBJECT_STR)
            return ACTR_ETYPE;
        if (IS(k, "msg_type")) {
            if (IS(v, "Start"))
                kind = BP_START;
            else if (IS(v, "StartAck"))
                kind = BP_STARTACK;
            else if (IS(v, "Return"))
                kind = BP_RETURN;
            else if (IS(v, "Yield"))
                kind = BP_YIELD;
            else
                return ACTR_ETYPE;
        } else if (IS(k, "cid")) {
            cid = v;
        } else if (IS(k, "ns")) {
            ns = v;
        } else if (IS(k, "func")) {
            func = v;
        } else if (IS(k, "kwargs")) {
            kwargs = v;
        } else if (IS(k, "uid")) {
            uid = v;
        } else if (IS(k, "pld")) {
            pld = v;
        } else if (IS(k, "functype")) {
            functype = v;
        }
    }
    if (kind < 0 || !cid || cid->type != MSGPACK_OBJECT_STR)
        return ACTR_ETYPE;
    m->kind = (bp_kind)kind;
    m->cid = cid->via.str.ptr;
    m->cid_len = cid->via.str.size;
    m->val = 0;
    switch (m->kind) {
    case BP_START:
        if (!ns || !IS(ns, BP_NS) || !func || !IS(func, BP_FUNC) || !uid || !is_uid(uid)
            || !kwargs || !kwarg_x(kwargs, &m->val))
            return ACTR_ETYPE;
        break;
    case BP_STARTACK:
        if (!functype || !IS(functype, "asyncfunc"))
            return ACTR_ETYPE;
        break;
    case BP_RETURN:
    case BP_YIELD:
        if (!pld || !int_of(pld, &m->val))
            return ACTR_ETYPE;
        break;
    }
    return 0;
}

/* ------------------------------------------------------------ sockets */

static void
nodelay(bench_tpt t, int fd)
{
    int one = 1;
    if (t == BENCH_TCP)
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int
bp_listen(bench_tpt t, bp_listener *l)
{
    static unsigned seq;
    memset(l, 0, sizeof *l);
    l->tpt = t;
    if (t == BENCH_UNIX) {
        struct sockaddr_un *un = (struct sockaddr_un *)&l->ss;
        un->sun_family = AF_UNIX;
        snprintf(un->sun_path, sizeof un->sun_path, "/tmp/actr-bench-%d-%u.sock",
                 (int)getpid(), seq++);
        unlink(un->sun_path);
        l->sl = sizeof *un;
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&l->ss;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        l->sl = sizeof *in;
    }
    l->fd = socket(l->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l->fd < 0)
        return ACTR_EIO;
    if (bind(l->fd, (struct sockaddr *)&l->ss, l->sl) < 0 || listen(l->fd, 16) < 0
        || getsockname(l->fd, (struct sockaddr *)&l->ss, &l->sl) < 0) {
        bp_listener_close(l);
        return ACTR_EIO;
    }
    return 0;
}

int
bp_accept(bp_listener *l, int *fd)
{
    int s;
    while ((s = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
        if (errno != EINTR)
            return ACTR_EIO;
    nodelay(l->tpt, s);
    *fd = s;
    return 0;
}

int
bp_connect(const bp_listener *l, int *fd)
{
    int s = socket(l->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return ACTR_EIO;
    if (connect(s, (const struct sockaddr *)&l->ss, l->sl) < 0) {
        close(s);
        return ACTR_EIO;
    }
    nodelay(l->tpt, s);
    *fd = s;
    return 0;
}

void
bp_listener_close(bp_listener *l)
{
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    if (l->tpt == BENCH_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)&l->ss;
        if (un->sun_path[0])
            unlink(un->sun_path);
    }
}

int
bp_set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? ACTR_EIO : 0;
}

int
bp_write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t k = write(fd, b, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return ACTR_EIO;
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

int
bp_writev_all(int fd, struct iovec *iov, int cnt)
{
    while (cnt) {
        ssize_t k = writev(fd, iov, cnt);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return ACTR_EIO;
        while (cnt && (size_t)k >= iov->iov_len) {
            k -= (ssize_t)iov->iov_len;
            iov++;
            cnt--;
        }
        if (cnt) {
            iov->iov_base = (uint8_t *)iov->iov_base + k;
            iov->iov_len -= (size_t)k;
        }
    }
    return 0;
}

const char *
bench_tpt_name(bench_tpt t)
{
    return t == BENCH_UNIX ? "unix" : "tcp";
}

const char *
bench_shape_name(bench_shape s)
{
    return s == BENCH_SHAPE_ECHO ? "echo" : "call";
}
