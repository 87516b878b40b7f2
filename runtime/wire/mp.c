/* The wire layer's msgpack primitives: value heads, skipping, UTF-8. */
#include "wire/mp.h"

int
actri_mp_head(const uint8_t *p, const uint8_t *end, struct mp_val *v)
{
    size_t avail = (size_t)(end - p);
    size_t hl;          /* head length before a str/bin/ext body */
    size_t bl = 0;      /* body length */

    if (avail < 1)
        return -1;
    uint8_t c = p[0];
    if (c <= 0x7f) {
        v->kind = MP_INT;
        v->big = false;
        v->v.i = c;
        return 1;
    }
    if (c >= 0xe0) {
        v->kind = MP_INT;
        v->big = false;
        v->v.i = (int8_t)c;
        return 1;
    }
    if (c <= 0x8f || (c >= 0x90 && c <= 0x9f)) {
        v->kind = c <= 0x8f ? MP_MAP : MP_ARRAY;
        v->n = c & 0x0f;
        return 1;
    }
    if (c >= 0xa0 && c <= 0xbf) {
        v->kind = MP_STR;
        hl = 1;
        bl = c & 0x1f;
        goto body;
    }
    switch (c) {
    case 0xc0:
        v->kind = MP_NIL;
        return 1;
    case 0xc2:
    case 0xc3:
        v->kind = MP_BOOL;
        v->v.b = c == 0xc3;
        return 1;
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf: {
        hl = (size_t)1 << (c - 0xcc);
        if (avail < 1 + hl)
            return -1;
        uint64_t u = hl == 1 ? p[1] : hl == 2 ? mp_be16(p + 1)
                   : hl == 4 ? mp_be32(p + 1) : mp_be64(p + 1);
        v->kind = MP_INT;
        v->big = u > INT64_MAX;
        if (v->big)
            v->v.u = u;
        else
            v->v.i = (int64_t)u;
        return (int)(1 + hl);
    }
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3: {
        hl = (size_t)1 << (c - 0xd0);
        if (avail < 1 + hl)
            return -1;
        v->kind = MP_INT;
        v->big = false;
        v->v.i = hl == 1 ? (int8_t)p[1] : hl == 2 ? (int16_t)mp_be16(p + 1)
               : hl == 4 ? (int32_t)mp_be32(p + 1) : (int64_t)mp_be64(p + 1);
        return (int)(1 + hl);
    }
    case 0xca:
    case 0xcb:
        hl = c == 0xca ? 4 : 8;
        if (avail < 1 + hl)
            return -1;
        v->kind = MP_FLOAT;
        if (hl == 4) {
            uint32_t w = mp_be32(p + 1);
            float f;
            memcpy(&f, &w, sizeof f);
            v->v.f = f;
        } else {
            uint64_t w = mp_be64(p + 1);
            memcpy(&v->v.f, &w, sizeof v->v.f);
        }
        return (int)(1 + hl);
    case 0xd9: case 0xda: case 0xdb:
    case 0xc4: case 0xc5: case 0xc6: {
        bool str = c >= 0xd9;
        size_t w = (size_t)1 << (str ? c - 0xd9 : c - 0xc4);
        if (avail < 1 + w)
            return -1;
        v->kind = str ? MP_STR : MP_BIN;
        hl = 1 + w;
        bl = w == 1 ? p[1] : w == 2 ? mp_be16(p + 1) : mp_be32(p + 1);
        goto body;
    }
    case 0xdc: case 0xdd: case 0xde: case 0xdf: {
        size_t w = (c & 1) ? 4 : 2;
        if (avail < 1 + w)
            return -1;
        v->kind = c <= 0xdd ? MP_ARRAY : MP_MAP;
        v->n = w == 2 ? mp_be16(p + 1) : mp_be32(p + 1);
        return (int)(1 + w);
    }
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
        /* fixext 1/2/4/8/16: type byte then the data */
        v->kind = MP_EXT;
        hl = 2;
        bl = (size_t)1 << (c - 0xd4);
        goto body;
    case 0xc7: case 0xc8: case 0xc9: {
        size_t w = (size_t)1 << (c - 0xc7);
        if (avail < 2 + w)
            return -1;
        v->kind = MP_EXT;
        bl = w == 1 ? p[1] : w == 2 ? mp_be16(p + 1) : mp_be32(p + 1);
        hl = 2 + w;
        goto body;
    }
    default: /* 0xc1 */
        return -1;
    }
body:
    if (avail < hl || avail - hl < bl || hl + bl > INT32_MAX)
        return -1;
    v->n = (uint32_t)bl;
    v->v.data = p + hl;
    return (int)(hl + bl);
}

int
actri_mp_skip(const uint8_t **pp, const uint8_t *end)
{
    const uint8_t *p = *pp;
    /* Values still to skip. Every value takes at least one byte, so a
     * count beyond the bytes left is truncated input, which also keeps
     * the counter far from overflowing. */
    uint64_t todo = 1;
    struct mp_val v;

    while (todo > 0) {
        int n = mp_head(p, end, &v);
        if (n < 0)
            return -1;
        p += n;
        todo--;
        if (v.kind == MP_ARRAY)
            todo += v.n;
        else if (v.kind == MP_MAP)
            todo += (uint64_t)v.n * 2;
        if (todo > (uint64_t)(end - p))
            return -1;
    }
    *pp = p;
    return 0;
}

const char *
actri_mp_kind_name(enum mp_kind k)
{
    static const char *const names[] = {
        "nil", "bool", "int", "float", "str", "bin", "array", "map", "ext"
    };
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

bool
actri_utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;

    for (;;) {
        /* Fast path: runs of ASCII, eight bytes at a time. */
        while (n - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        while (i < n && s[i] < 0x80)
            i++;
        if (i == n)
            return true;
        uint8_t c = s[i];
        size_t len;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
}

int
actri_mp_put_int(actr_wbuf *b, int64_t v)
{
    if (mp_room(b, 9) < 0)
        return ACTR_ENOMEM;
    uint8_t *p = b->ptr + b->len;
    if (v >= 0) {
        uint64_t u = (uint64_t)v;
        if (u <= 0x7f) {
            p[0] = (uint8_t)u;
            b->len += 1;
        } else if (u <= 0xff) {
            p[0] = 0xcc;
            p[1] = (uint8_t)u;
            b->len += 2;
        } else if (u <= 0xffff) {
            p[0] = 0xcd;
            mp_put_be16(p + 1, (uint16_t)u);
            b->len += 3;
        } else if (u <= 0xffffffffu) {
            p[0] = 0xce;
            mp_put_be32(p + 1, (uint32_t)u);
            b->len += 5;
        } else {
            p[0] = 0xcf;
            mp_put_be32(p + 1, (uint32_t)(u >> 32));
            mp_put_be32(p + 5, (uint32_t)u);
            b->len += 9;
        }
    } else if (v >= -32) {
        p[0] = (uint8_t)(int8_t)v;
        b->len += 1;
    } else if (v >= INT8_MIN) {
        p[0] = 0xd0;
        p[1] = (uint8_t)(int8_t)v;
        b->len += 2;
    } else if (v >= INT16_MIN) {
        p[0] = 0xd1;
        mp_put_be16(p + 1, (uint16_t)(int16_t)v);
        b->len += 3;
    } else if (v >= INT32_MIN) {
        p[0] = 0xd2;
        mp_put_be32(p + 1, (uint32_t)(int32_t)v);
        b->len += 5;
    } else {
        uint64_t u = (uint64_t)v;
        p[0] = 0xd3;
        mp_put_be32(p + 1, (uint32_t)(u >> 32));
        mp_put_be32(p + 5, (uint32_t)u);
        b->len += 9;
    }
    return 0;
}
