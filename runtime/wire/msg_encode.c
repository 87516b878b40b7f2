/* actr_msg -> frame, byte for byte as tractor's msgspec encoder writes it:
 * a map with msg_type first, then every field in declaration order with
 * defaults written out, ints and heads in their smallest form. */
#include <string.h>

#include "wire/mp.h"
#include "wire/msg_table.h"
#include "wire/msg_trusted.h"

static int
put_str(actr_wbuf *b, const actr_str *s)
{
    if (s->len && !s->ptr)
        return ACTR_EINVAL;
    if (s->len && !actri_utf8_valid((const uint8_t *)s->ptr, s->len))
        return ACTR_EINVAL;
    return mp_put_str(b, s->ptr, s->len);
}

static int
put_uid(actr_wbuf *b, const actr_uid *u)
{
    int rc = mp_put_array(b, 2);
    if (rc == 0)
        rc = put_str(b, &u->name);
    if (rc == 0)
        rc = put_str(b, &u->uuid);
    return rc;
}

/* Writes a raw field after checking it is one value of the field's shape,
 * so we never send what our own decoder (or tractor's) would refuse. An
 * empty value is nil. */
static int
put_raw(actr_wbuf *b, enum fkind k, const actr_any *raw, int trusted)
{
    char what[8];

    if (raw->len == 0) {
        if (k == FK_ANY || k == FK_ADDRS_OPT || k == FK_MAP_OPT ||
            k == FK_PLDMSG_OPT)
            return mp_put_nil(b);
        return ACTR_EINVAL;
    }
    if (!raw->ptr)
        return ACTR_EINVAL;
    if (trusted && k == FK_ANY) {
        /* Our codec wrote it and checked every value in it. */
    } else if (k == FK_PLDMSG_OPT) {
        actr_msg sub;
        if (actr_msg_decode(raw->ptr, raw->len, &sub, NULL) < 0 ||
            (sub.type != ACTR_MSG_STARTED && sub.type != ACTR_MSG_YIELD &&
             sub.type != ACTR_MSG_RETURN))
            return ACTR_EINVAL;
    } else if (actri_msg_check_raw(k, raw->ptr, raw->len, what, sizeof what) < 0) {
        return ACTR_EINVAL;
    }
    return mp_put_raw(b, raw->ptr, raw->len);
}

static int
put_uidlist(actr_wbuf *b, const actr_uidlist *l)
{
    if (!l->items) {
        actr_uid u;
        /* A raw list must hold count uids and nothing else. */
        const uint8_t *p = l->raw.ptr, *end = p + l->raw.len;
        struct mp_val v;
        if (l->raw.len == 0)
            return l->count == 0 ? mp_put_array(b, 0) : ACTR_EINVAL;
        int h = actri_mp_head(p, end, &v);
        if (h < 0 || v.kind != MP_ARRAY || v.n != l->count)
            return ACTR_EINVAL;
        for (size_t i = 0; i < l->count; i++) {
            if (actr_uidlist_get(l, i, &u) < 0)
                return ACTR_EINVAL;
        }
        if (actri_mp_skip(&p, end) < 0 || p != end)
            return ACTR_EINVAL;
        return mp_put_raw(b, l->raw.ptr, l->raw.len);
    }
    int rc = mp_put_array(b, l->count);
    for (size_t i = 0; rc == 0 && i < l->count; i++)
        rc = put_uid(b, &l->items[i]);
    return rc;
}

static int
put_field(actr_wbuf *b, const actr_msg *m, const struct fdesc *f, int trusted)
{
    switch ((enum fkind)f->kind) {
    case FK_STR:
        return put_str(b, CFIELD(m, f, actr_str));
    case FK_STR_DEF: {
        const actr_str *s = CFIELD(m, f, actr_str);
        if (!s->ptr)
            return mp_put_str(b, f->dflt, strlen(f->dflt));
        return put_str(b, s);
    }
    case FK_STR_OPT:
        return CHAS(m, f) ? put_str(b, CFIELD(m, f, actr_str)) : mp_put_nil(b);
    case FK_INT_OPT:
        return CHAS(m, f) ? actri_mp_put_int(b, *CFIELD(m, f, int64_t))
                          : mp_put_nil(b);
    case FK_BOOL:
    case FK_BOOL_DEF:
        return mp_put_bool(b, *CFIELD(m, f, bool));
    case FK_BOOL_OPT:
        return CHAS(m, f) ? mp_put_bool(b, *CFIELD(m, f, bool)) : mp_put_nil(b);
    case FK_U32:
    case FK_U32_EXT:
        return actri_mp_put_int(b, (int64_t)*CFIELD(m, f, uint32_t));
    case FK_UID:
        return put_uid(b, CFIELD(m, f, actr_uid));
    case FK_UID_OPT:
        return CHAS(m, f) ? put_uid(b, CFIELD(m, f, actr_uid)) : mp_put_nil(b);
    case FK_UIDLIST:
        return put_uidlist(b, CFIELD(m, f, actr_uidlist));
    case FK_FUNCTYPE: {
        const char *name = actr_functype_name(*CFIELD(m, f, actr_functype));
        if (!name)
            return ACTR_EINVAL;
        return mp_put_str(b, name, strlen(name));
    }
    case FK_ANY:
    case FK_MAP:
    case FK_MAP_STRKEY:
    case FK_MAP_STRSTR:
    case FK_ADDRS:
    case FK_ADDRS_OPT:
    case FK_MAP_OPT:
    case FK_PLDMSG_OPT:
    case FK_EXT:
        return put_raw(b, (enum fkind)f->kind, CFIELD(m, f, actr_any), trusted);
    }
    return ACTR_EINVAL;
}

/* 1 for an extension field that is not set: it is not written at all. */
static int
absent_ext(const actr_msg *m, const struct fdesc *f)
{
    return (f->kind == FK_EXT && CFIELD(m, f, actr_any)->len == 0) ||
           (f->kind == FK_U32_EXT && !CHAS(m, f));
}

/* The frame of a Yield or Return up to its payload: the length prefix
 * (counting pl more bytes of payload), the map head, msg_type, cid and the
 * pld key; the bytes encode() writes there. Returns the bytes written, 0
 * when the message is not of this simple shape (a cid of 256 bytes or
 * more, an empty payload), or ACTR_EINVAL / ACTR_ENOMEM. */
static int
encode_pld_head(const actr_msg *m, size_t pl, actr_wbuf *out)
{
    static const uint8_t head[] = {0x83, 0xa8, 'm', 's', 'g', '_', 't', 'y', 'p', 'e'};
    const actr_msg_pld *p = m->type == ACTR_MSG_YIELD ? &m->u.yield : &m->u.ret;
    const struct mdesc *md = &actri_msg_desc[m->type];
    size_t cl = p->cid.len;
    if (cl > 255 || (cl && !p->cid.ptr) || pl == 0)
        return 0;
    if (cl && !actri_utf8_valid((const uint8_t *)p->cid.ptr, cl))
        return ACTR_EINVAL;
    size_t ch = cl <= 31 ? 1 : 2;             /* fixstr, or str8 (a uuid4) */
    size_t hl = sizeof head + 1 + md->namelen + 4 + ch + cl + 4;
    if (pl > (size_t)INT32_MAX - 4 - hl)
        return 0;
    size_t body = hl + pl;
    if (mp_room(out, 4 + hl) < 0)
        return ACTR_ENOMEM;
    uint8_t *b = out->ptr + out->len;
    b[0] = (uint8_t)body;
    b[1] = (uint8_t)(body >> 8);
    b[2] = (uint8_t)(body >> 16);
    b[3] = (uint8_t)(body >> 24);
    b += 4;
    memcpy(b, head, sizeof head);
    b += sizeof head;
    *b++ = (uint8_t)(0xa0 | md->namelen);
    memcpy(b, md->name, md->namelen);
    b += md->namelen;
    memcpy(b, "\xa3" "cid", 4);
    b += 4;
    if (ch == 1) {
        *b++ = (uint8_t)(0xa0 | cl);
    } else {
        *b++ = 0xd9;
        *b++ = (uint8_t)cl;
    }
    if (cl)
        memcpy(b, p->cid.ptr, cl);
    b += cl;
    memcpy(b, "\xa3" "pld", 4);
    out->len += 4 + hl;
    return (int)(4 + hl);
}

/* A trusted Yield or Return (the stream's hot path) in one piece: the
 * bytes encode() writes for it, without walking the table. Returns the
 * frame's length, 0 when it is not of the simple shape (encode() then
 * writes it), or an error. */
static int
encode_pld_fast(const actr_msg *m, actr_wbuf *out)
{
    const actr_any *pld = m->type == ACTR_MSG_YIELD ? &m->u.yield.pld : &m->u.ret.pld;
    if (!pld->ptr)
        return 0;
    int h = encode_pld_head(m, pld->len, out);
    if (h <= 0)
        return h;
    if (mp_put_raw(out, pld->ptr, pld->len) < 0) {
        out->len -= (size_t)h;
        return ACTR_ENOMEM;
    }
    return h + (int)pld->len;
}

static inline __attribute__((always_inline)) int
encode_as(const actr_msg *m, actr_wbuf *out, int trusted, const struct actri_lend *ln)
{
    if (!m || !out || m->type <= ACTR_MSG_NONE || m->type >= ACTR_MSG_TYPE_COUNT)
        return ACTR_EINVAL;
    if (trusted && !ln && (m->type == ACTR_MSG_YIELD || m->type == ACTR_MSG_RETURN)) {
        int n = encode_pld_fast(m, out);
        if (n != 0)
            return n;
    }
    const struct mdesc *md = &actri_msg_desc[m->type];
    size_t start = out->len, lent = 0;
    int rc;

    if (mp_room(out, 4 + 64) < 0)
        return ACTR_ENOMEM;
    out->len += 4;  /* the length prefix, patched below */
    size_t nkeys = (size_t)md->nfields + 1;
    for (unsigned i = 0; i < md->nfields; i++)
        if (absent_ext(m, &md->fields[i]))
            nkeys--;
    rc = mp_put_map(out, nkeys);
    if (rc == 0)
        rc = mp_put_str(out, "msg_type", 8);
    if (rc == 0)
        rc = mp_put_str(out, md->name, md->namelen);
    for (unsigned i = 0; rc == 0 && i < md->nfields; i++) {
        const struct fdesc *f = &md->fields[i];
        if (absent_ext(m, f))
            continue;
        rc = mp_put_str(out, f->name, f->namelen);
        if (rc == 0 && ln && (const void *)CFIELD(m, f, actr_any) == (const void *)ln->field)
            rc = ln->put(ln->arg, out, &lent);
        else if (rc == 0)
            rc = put_field(out, m, f, trusted);
    }
    size_t body = out->len - start - 4 + lent;
    if (rc == 0 && (body > UINT32_MAX || body > INT32_MAX - 4))
        rc = ACTR_ETOOBIG;
    if (rc < 0) {
        out->len = start;
        return rc;
    }
    uint8_t *p = out->ptr + start;
    p[0] = (uint8_t)body;
    p[1] = (uint8_t)(body >> 8);
    p[2] = (uint8_t)(body >> 16);
    p[3] = (uint8_t)(body >> 24);
    return (int)(body + 4);
}

static int
encode(const actr_msg *m, actr_wbuf *out, int trusted)
{
    return encode_as(m, out, trusted, NULL);
}

int
actri_msg_encode_lent(const actr_msg *m, const struct actri_lend *ln, actr_wbuf *out)
{
    if (!ln || !ln->field || !ln->put)
        return ACTR_EINVAL;
    return encode_as(m, out, 1, ln);
}

int
actr_msg_encode(const actr_msg *m, actr_wbuf *out)
{
    return encode(m, out, 0);
}

int
actri_msg_encode_trusted(const actr_msg *m, actr_wbuf *out)
{
    return encode(m, out, 1);
}
