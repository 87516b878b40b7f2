/* Frame body -> actr_msg, borrowing from the body, classifying bad input
 * the way the Python system does: not msgpack (or bad UTF-8) is
 * ACTR_EPROTO, a well-formed value that is not a valid message is
 * ACTR_ETYPE with the cid when one can be read. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wire/mp.h"
#include "wire/msg_table.h"

/* Decoding state: the message being filled and where to report. */
struct dec {
    const uint8_t *body;
    size_t len;
    actr_msg m;
    actr_wire_err *err;
    int depth;          /* 1 while decoding Error._bad_msg */
};

static int
malformed(struct dec *d, const char *fmt, ...)
{
    actr_wire_err *e = d->err;
    va_list ap;

    memset(e, 0, sizeof *e);
    e->fault = ACTR_WIRE_MALFORMED;
    e->type = d->m.type;
    va_start(ap, fmt);
    vsnprintf(e->what, sizeof e->what, fmt, ap);
    va_end(ap);
    return ACTR_EPROTO;
}

/* Finds the value of the first str key equal to name among the n entries
 * at p. Returns 1 and *val, 0 when absent, -1 when malformed. Keys that
 * are not str are stepped over (their message is invalid anyway). */
static int
find_key(const uint8_t *p, const uint8_t *end, uint32_t n, const char *name,
         const uint8_t **val)
{
    size_t nl = strlen(name);
    struct mp_val k;

    for (uint32_t i = 0; i < n; i++) {
        int h = mp_head(p, end, &k);
        if (h < 0)
            return -1;
        if (k.kind == MP_STR && k.n == nl && memcmp(k.v.data, name, nl) == 0) {
            *val = p + h;
            return 1;
        }
        if (actri_mp_skip(&p, end) < 0 || actri_mp_skip(&p, end) < 0)
            return -1;
    }
    return 0;
}

/* A type error was found: if the whole body is valid msgpack, it is a
 * message type error (with the cid when there is a str one), otherwise
 * the frame is malformed. */
static int
type_error(struct dec *d, const char *fmt, ...)
{
    actr_wire_err *e = d->err;
    const uint8_t *p = d->body, *end = d->body + d->len;
    struct mp_val v;
    va_list ap;

    if (actri_mp_skip(&p, end) < 0 || p != end)
        return malformed(d, "invalid msgpack (after a type error)");
    memset(e, 0, sizeof *e);
    e->fault = ACTR_WIRE_MSGTYPE;
    e->type = d->m.type;
    va_start(ap, fmt);
    vsnprintf(e->what, sizeof e->what, fmt, ap);
    va_end(ap);

    p = d->body;
    int h = mp_head(p, end, &v);
    if (h > 0 && v.kind == MP_MAP) {
        const uint8_t *val;
        e->body.ptr = (uint8_t *)d->body;
        e->body.len = d->len;
        if (find_key(p + h, end, v.n, "cid", &val) == 1 &&
            mp_head(val, end, &v) > 0 && v.kind == MP_STR &&
            actri_utf8_valid(v.v.data, v.n)) {
            e->has_cid = true;
            e->cid.ptr = (char *)v.v.data;
            e->cid.len = v.n;
        }
    }
    return ACTR_ETYPE;
}

#define TNAME(d) (actri_msg_desc[(d)->m.type].name)

/* Reads a str value into *s; rc < 0 reported. */
static int
get_str(struct dec *d, const uint8_t **pp, const uint8_t *end,
        const char *fname, actr_str *s)
{
    struct mp_val v;
    int h = mp_head(*pp, end, &v);

    if (h < 0)
        return malformed(d, "%s.%s: truncated", TNAME(d), fname);
    if (v.kind != MP_STR)
        return type_error(d, "%s.%s: expected str, got %s", TNAME(d), fname,
                          actri_mp_kind_name(v.kind));
    if (!actri_utf8_valid(v.v.data, v.n))
        return malformed(d, "%s.%s: invalid UTF-8", TNAME(d), fname);
    s->ptr = (char *)v.v.data;
    s->len = v.n;
    *pp += h;
    return 0;
}

static int
get_uid(struct dec *d, const uint8_t **pp, const uint8_t *end,
        const char *fname, actr_uid *u)
{
    struct mp_val v;
    int h = mp_head(*pp, end, &v);

    if (h < 0)
        return malformed(d, "%s.%s: truncated", TNAME(d), fname);
    if (v.kind != MP_ARRAY || v.n != 2)
        return type_error(d, "%s.%s: expected [str, str], got %s%s", TNAME(d),
                          fname, actri_mp_kind_name(v.kind),
                          v.kind == MP_ARRAY ? " of another length" : "");
    *pp += h;
    int rc = get_str(d, pp, end, fname, &u->name);
    return rc < 0 ? rc : get_str(d, pp, end, fname, &u->uuid);
}

/* Skips one value, reporting malformed input. */
static int
get_extent(struct dec *d, const uint8_t **pp, const uint8_t *end,
           const char *fname, actr_any *raw)
{
    const uint8_t *start = *pp;

    if (actri_mp_skip(pp, end) < 0)
        return malformed(d, "%s.%s: invalid msgpack", TNAME(d), fname);
    raw->ptr = (uint8_t *)start;
    raw->len = (size_t)(*pp - start);
    return 0;
}

static int decode_in(struct dec *d);

static int
get_pldmsg(struct dec *d, const uint8_t **pp, const uint8_t *end,
           const struct fdesc *f, actr_any *raw)
{
    struct mp_val v;
    int rc = get_extent(d, pp, end, f->name, raw);

    if (rc < 0)
        return rc;
    if (mp_head(raw->ptr, end, &v) > 0 && v.kind == MP_NIL) {
        raw->ptr = NULL;
        raw->len = 0;
        return 0;
    }
    struct dec sub = {raw->ptr, raw->len, {.type = ACTR_MSG_NONE}, d->err,
                      d->depth + 1};
    rc = decode_in(&sub);
    if (rc < 0) {
        char inner[sizeof d->err->what];
        memcpy(inner, d->err->what, sizeof inner);
        if (rc == ACTR_EPROTO)
            return malformed(d, "%s.%s: %s", TNAME(d), f->name, inner);
        return type_error(d, "%s.%s: %s", TNAME(d), f->name, inner);
    }
    return 0;
}

static int
get_field(struct dec *d, const struct fdesc *f, const uint8_t **pp,
          const uint8_t *end)
{
    actr_msg *m = &d->m;
    struct mp_val v;
    char what[sizeof d->err->what];
    int h = mp_head(*pp, end, &v);
    int rc;

    if (h < 0)
        return malformed(d, "%s.%s: truncated", TNAME(d), f->name);
    switch ((enum fkind)f->kind) {
    case FK_STR_OPT:
    case FK_UID_OPT:
        *HAS(m, f) = v.kind != MP_NIL;
        if (v.kind == MP_NIL) {
            *pp += h;
            return 0;
        }
        if (f->kind == FK_UID_OPT)
            return get_uid(d, pp, end, f->name, FIELD(m, f, actr_uid));
        /* fall through */
    case FK_STR:
    case FK_STR_DEF:
        return get_str(d, pp, end, f->name, FIELD(m, f, actr_str));
    case FK_UID:
        return get_uid(d, pp, end, f->name, FIELD(m, f, actr_uid));
    case FK_INT_OPT:
        *HAS(m, f) = v.kind != MP_NIL;
        if (v.kind == MP_INT && !v.big)
            *FIELD(m, f, int64_t) = v.v.i;
        else if (v.kind == MP_INT)
            return type_error(d, "%s.%s: int out of range", TNAME(d), f->name);
        else if (v.kind != MP_NIL)
            return type_error(d, "%s.%s: expected int|null, got %s", TNAME(d),
                              f->name, actri_mp_kind_name(v.kind));
        *pp += h;
        return 0;
    case FK_U32_EXT:
        *HAS(m, f) = v.kind != MP_NIL;
        if (v.kind == MP_NIL) {
            *pp += h;
            return 0;
        }
        /* fall through */
    case FK_U32:
        if (v.kind != MP_INT || v.big || v.v.i < 0 || v.v.i > (int64_t)UINT32_MAX)
            return type_error(d, "%s.%s: expected an int in 0..%u, got %s", TNAME(d),
                              f->name, (unsigned)UINT32_MAX, actri_mp_kind_name(v.kind));
        *FIELD(m, f, uint32_t) = (uint32_t)v.v.i;
        *pp += h;
        return 0;
    case FK_BOOL_OPT:
        *HAS(m, f) = v.kind != MP_NIL;
        if (v.kind == MP_NIL) {
            *pp += h;
            return 0;
        }
        /* fall through */
    case FK_BOOL:
    case FK_BOOL_DEF:
        if (v.kind != MP_BOOL)
            return type_error(d, "%s.%s: expected bool, got %s", TNAME(d),
                              f->name, actri_mp_kind_name(v.kind));
        *FIELD(m, f, bool) = v.v.b;
        *pp += h;
        return 0;
    case FK_FUNCTYPE: {
        actr_str s;
        rc = get_str(d, pp, end, f->name, &s);
        if (rc < 0)
            return rc;
        for (int ft = ACTR_FUNCTYPE_ASYNCFUNC; ft <= ACTR_FUNCTYPE_CONTEXT; ft++) {
            const char *name = actr_functype_name((actr_functype)ft);
            if (strlen(name) == s.len && memcmp(name, s.ptr, s.len) == 0) {
                *FIELD(m, f, actr_functype) = (actr_functype)ft;
                return 0;
            }
        }
        return type_error(d, "%s.%s: invalid value '%.*s'", TNAME(d), f->name,
                          (int)(s.len > 40 ? 40 : s.len), s.ptr);
    }
    case FK_UIDLIST: {
        actr_uidlist *l = FIELD(m, f, actr_uidlist);
        const uint8_t *start = *pp;
        if (v.kind != MP_ARRAY)
            return type_error(d, "%s.%s: expected array, got %s", TNAME(d),
                              f->name, actri_mp_kind_name(v.kind));
        *pp += h;
        for (uint32_t i = 0; i < v.n; i++) {
            actr_uid u;
            rc = get_uid(d, pp, end, f->name, &u);
            if (rc < 0)
                return rc;
        }
        l->raw.ptr = (uint8_t *)start;
        l->raw.len = (size_t)(*pp - start);
        l->items = NULL;
        l->count = v.n;
        return 0;
    }
    case FK_ANY:
    case FK_EXT:
        return get_extent(d, pp, end, f->name, FIELD(m, f, actr_any));
    case FK_PLDMSG_OPT:
        return get_pldmsg(d, pp, end, f, FIELD(m, f, actr_any));
    case FK_MAP:
    case FK_MAP_STRKEY:
    case FK_MAP_STRSTR:
    case FK_ADDRS:
    case FK_ADDRS_OPT:
    case FK_MAP_OPT: {
        actr_any *raw = FIELD(m, f, actr_any);
        rc = get_extent(d, pp, end, f->name, raw);
        if (rc < 0)
            return rc;
        rc = actri_msg_check_raw((enum fkind)f->kind, raw->ptr, raw->len,
                                 what, sizeof what);
        if (rc == ACTR_EPROTO)
            return malformed(d, "%s.%s: invalid msgpack or UTF-8", TNAME(d),
                             f->name);
        if (rc < 0)
            return type_error(d, "%s.%s%s", TNAME(d), f->name, what);
        if (v.kind == MP_NIL) {
            raw->ptr = NULL;
            raw->len = 0;
        }
        return 0;
    }
    }
    return malformed(d, "internal: unknown field kind");
}

static bool
required(enum fkind k)
{
    return k == FK_STR || k == FK_BOOL || k == FK_UID || k == FK_UIDLIST || k == FK_U32 ||
           k == FK_FUNCTYPE || k == FK_ANY || k == FK_MAP ||
           k == FK_MAP_STRKEY || k == FK_MAP_STRSTR || k == FK_ADDRS ||
           k == FK_ADDRS_OPT;
}

static bool
is_pld_type(actr_msg_type t)
{
    return t == ACTR_MSG_STARTED || t == ACTR_MSG_YIELD || t == ACTR_MSG_RETURN;
}

/* Finds msg_type among the n entries at p (first entry on the fast path). */
static int
get_type(struct dec *d, const uint8_t *p, const uint8_t *end, uint32_t n)
{
    const uint8_t *val = NULL;
    struct mp_val v;
    int h = mp_head(p, end, &v);

    if (h < 0)
        return malformed(d, "truncated message");
    if (v.kind == MP_STR && actri_name_eq("msg_type", 8, v.v.data, v.n)) {
        val = p + h;
    } else {
        int rc = find_key(p, end, n, "msg_type", &val);
        if (rc < 0)
            return malformed(d, "invalid msgpack");
        if (rc == 0)
            return type_error(d, "message without a msg_type field");
    }
    h = mp_head(val, end, &v);
    if (h < 0)
        return malformed(d, "truncated msg_type");
    if (v.kind != MP_STR)
        return type_error(d, "msg_type: expected str, got %s",
                          actri_mp_kind_name(v.kind));
    d->m.type = actri_msg_type_lookup(v.v.data, v.n);
    if (d->m.type == ACTR_MSG_NONE) {
        if (!actri_utf8_valid(v.v.data, v.n))
            return malformed(d, "msg_type: invalid UTF-8");
        return type_error(d, "unknown msg_type '%.*s'",
                          (int)(v.n > 40 ? 40 : v.n), (const char *)v.v.data);
    }
    if (d->depth > 0 && !is_pld_type(d->m.type))
        return type_error(d, "expected Started|Yield|Return, got %s", TNAME(d));
    return 0;
}

static int
decode_in(struct dec *d)
{
    const uint8_t *p = d->body, *end = d->body + d->len;
    struct mp_val v;
    int rc;

    if (d->len == 0)
        return malformed(d, "empty frame");
    int h = mp_head(p, end, &v);
    if (h < 0)
        return malformed(d, "invalid msgpack");
    if (v.kind != MP_MAP)
        return type_error(d, "expected a message map, got %s",
                          actri_mp_kind_name(v.kind));
    p += h;
    uint32_t n = v.n;
    rc = get_type(d, p, end, n);
    if (rc < 0)
        return rc;

    const struct mdesc *md = &actri_msg_desc[d->m.type];
    /* Only the part of the union this kind uses is cleared (and copied
     * out): an Error is five times the size of a Yield. */
    memset(&d->m.u, 0, md->size - offsetof(actr_msg, u));
    for (unsigned i = 0; i < md->nfields; i++) {
        const struct fdesc *f = &md->fields[i];
        if (f->kind == FK_STR_DEF) {
            actr_str *s = FIELD(&d->m, f, actr_str);
            s->ptr = (char *)f->dflt;
            s->len = strlen(f->dflt);
        }
    }

    uint32_t seen = 0;
    unsigned expect = 0;
    for (uint32_t i = 0; i < n; i++) {
        h = mp_head(p, end, &v);
        if (h < 0)
            return malformed(d, "%s: truncated", TNAME(d));
        if (v.kind != MP_STR) {
            return type_error(d, "%s: expected str keys, got %s", TNAME(d),
                              actri_mp_kind_name(v.kind));
        }
        p += h;
        /* Fields usually come in declaration order: try the next one. */
        unsigned idx = md->nfields;
        if (expect < md->nfields &&
            actri_name_eq(md->fields[expect].name, md->fields[expect].namelen,
                          v.v.data, v.n)) {
            idx = expect;
        } else {
            for (unsigned j = 0; j < md->nfields; j++) {
                if (actri_name_eq(md->fields[j].name, md->fields[j].namelen,
                                  v.v.data, v.n)) {
                    idx = j;
                    break;
                }
            }
        }
        /* A key equal to a field name is ASCII; only others need checking. */
        if (idx == md->nfields && !actri_utf8_valid(v.v.data, v.n))
            return malformed(d, "%s: key with invalid UTF-8", TNAME(d));
        if (idx == md->nfields) {
            /* msg_type itself, or a field we do not know: msgspec ignores
             * unknown fields, so do we (after checking the value). */
            if (actri_mp_skip(&p, end) < 0)
                return malformed(d, "%s: invalid msgpack", TNAME(d));
            continue;
        }
        rc = get_field(d, &md->fields[idx], &p, end);
        if (rc < 0)
            return rc;
        seen |= 1u << idx;
        expect = idx + 1;
    }
    if (p != end)
        return malformed(d, "%s: %zu trailing bytes after the message",
                         TNAME(d), (size_t)(end - p));
    for (unsigned i = 0; i < md->nfields; i++) {
        if (!(seen & (1u << i)) && required((enum fkind)md->fields[i].kind))
            return type_error(d, "%s.%s: missing required field", TNAME(d),
                              md->fields[i].name);
    }
    return 0;
}

/* The stream's hot path: Yield and Return as actr and tractor write them
 * (msg_type, cid, pld: three keys in declaration order) are read straight
 * through, their values validated exactly as decode_in would. Returns 1
 * with *out filled, or 0 for anything else (any doubt: decode_in then
 * decides, and reports). */
static int
decode_pld_fast(const uint8_t *body, size_t len, actr_msg *out)
{
    static const uint8_t head[] = {0x83, 0xa8, 'm', 's', 'g', '_', 't', 'y', 'p', 'e'};
    static const uint8_t yield[] = {0xa5, 'Y', 'i', 'e', 'l', 'd', 0xa3, 'c', 'i', 'd'};
    static const uint8_t ret[] = {0xa6, 'R', 'e', 't', 'u', 'r', 'n', 0xa3, 'c', 'i', 'd'};
    static const uint8_t pld[] = {0xa3, 'p', 'l', 'd'};
    const uint8_t *p = body, *end = body + len;
    actr_msg_type type;
    struct mp_val v;

    if (len < sizeof head + sizeof ret + 1 + sizeof pld + 1 ||
        memcmp(p, head, sizeof head) != 0)
        return 0;
    p += sizeof head;
    if (memcmp(p, yield, sizeof yield) == 0) {
        type = ACTR_MSG_YIELD;
        p += sizeof yield;
    } else if (memcmp(p, ret, sizeof ret) == 0) {
        type = ACTR_MSG_RETURN;
        p += sizeof ret;
    } else {
        return 0;
    }
    int h = mp_head(p, end, &v);
    if (h < 0 || v.kind != MP_STR || !actri_utf8_valid(v.v.data, v.n))
        return 0;
    const uint8_t *cid = v.v.data;
    size_t cidlen = v.n;
    p += h;
    if ((size_t)(end - p) <= sizeof pld || memcmp(p, pld, sizeof pld) != 0)
        return 0;
    p += sizeof pld;
    const uint8_t *val = p;
    if (actri_mp_skip(&p, end) < 0 || p != end)
        return 0;
    actr_msg_pld *m = type == ACTR_MSG_YIELD ? &out->u.yield : &out->u.ret;
    out->type = type;
    out->owned = NULL;
    memset(m, 0, sizeof *m);
    m->cid.ptr = (char *)cid;
    m->cid.len = cidlen;
    m->pld.ptr = (uint8_t *)val;
    m->pld.len = (size_t)(end - val);
    return 1;
}

int
actr_msg_decode(const uint8_t *body, size_t len, actr_msg *out,
                actr_wire_err *err)
{
    if (body && decode_pld_fast(body, len, out))
        return 0;

    actr_wire_err scratch;
    struct dec d;

    d.body = body;
    d.len = len;
    d.m.type = ACTR_MSG_NONE;
    d.m.owned = NULL;
    d.err = err ? err : &scratch;
    d.depth = 0;
    if (!body && len)
        return ACTR_EINVAL;
    int rc = decode_in(&d);
    if (rc < 0)
        return rc;
    memcpy(out, &d.m, actri_msg_desc[d.m.type].size);
    return 0;
}
