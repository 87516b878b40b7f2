/* wire/mp.h: the small msgpack reader and writer of the wire layer.
 *
 * Hand-written rather than msgpack-c's unpacker because the decode path
 * must point into the frame instead of building an object tree in a zone,
 * and because one header read per field is all a known message needs
 * (tests/bench/bench_wire.c measures the difference). Reading never trusts
 * a length: every size is checked against the end of the buffer. */
#ifndef ACTR_WIRE_MP_H
#define ACTR_WIRE_MP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <actr/err.h>
#include <actr/wire.h>

enum mp_kind {
    MP_NIL, MP_BOOL, MP_INT, MP_FLOAT, MP_STR, MP_BIN, MP_ARRAY, MP_MAP, MP_EXT
};

/* The head of one msgpack value. For str/bin/ext the data pointer and
 * length n; for array/map the element count n (the elements follow). */
struct mp_val {
    enum mp_kind kind;
    bool big;              /* MP_INT above INT64_MAX: the value is in u */
    uint32_t n;
    union {
        int64_t i;
        uint64_t u;
        double f;
        bool b;
        const uint8_t *data;
    } v;
};

static inline uint16_t
mp_be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t
mp_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t
mp_be64(const uint8_t *p)
{
    return ((uint64_t)mp_be32(p) << 32) | mp_be32(p + 4);
}

/* Reads the head at p (str/bin/ext bodies included). Returns the bytes it
 * spans, or -1 when it is truncated or is the never-used byte 0xc1. */
int actri_mp_head(const uint8_t *p, const uint8_t *end, struct mp_val *v);

/* actri_mp_head with the one-byte heads (fixint, fixstr, fixmap,
 * fixarray) inline: they are most of what a message is made of. */
static inline int
mp_head(const uint8_t *p, const uint8_t *end, struct mp_val *v)
{
    if (p < end) {
        uint8_t c = p[0];
        if (c <= 0x7f) {
            v->kind = MP_INT;
            v->big = false;
            v->v.i = c;
            return 1;
        }
        if (c >= 0xa0 && c <= 0xbf) {
            size_t n = c & 0x1f;
            if ((size_t)(end - p) - 1 < n)
                return -1;
            v->kind = MP_STR;
            v->n = (uint32_t)n;
            v->v.data = p + 1;
            return (int)(1 + n);
        }
        if (c <= 0x9f) {
            v->kind = c <= 0x8f ? MP_MAP : MP_ARRAY;
            v->n = c & 0x0f;
            return 1;
        }
    }
    return actri_mp_head(p, end, v);
}

/* Skips one complete value at *pp, any depth (iteratively: no recursion
 * limit, no stack growth). Returns 0, or -1 if malformed or truncated. */
int actri_mp_skip(const uint8_t **pp, const uint8_t *end);

/* Name of a kind for error texts ("map", "str", ...). */
const char *actri_mp_kind_name(enum mp_kind k);

/* True when s[0..n) is valid UTF-8 (no overlongs, no surrogates). */
bool actri_utf8_valid(const uint8_t *s, size_t n);

/* ---------------------------------------------------------- writer */

int actri_wbuf_grow(actr_wbuf *b, size_t need);

static inline int
mp_room(actr_wbuf *b, size_t n)
{
    if (b->cap - b->len >= n)
        return 0;
    return actri_wbuf_grow(b, n);
}

static inline void
mp_put_be16(uint8_t *p, uint16_t x)
{
    p[0] = (uint8_t)(x >> 8);
    p[1] = (uint8_t)x;
}

static inline void
mp_put_be32(uint8_t *p, uint32_t x)
{
    p[0] = (uint8_t)(x >> 24);
    p[1] = (uint8_t)(x >> 16);
    p[2] = (uint8_t)(x >> 8);
    p[3] = (uint8_t)x;
}

/* Container and string heads in their smallest form, as msgspec writes. */
static inline int
mp_put_head(actr_wbuf *b, size_t n, uint8_t fix, unsigned fixmax,
            uint8_t c8, uint8_t c16, uint8_t c32)
{
    if (n > UINT32_MAX)
        return ACTR_ETOOBIG;
    if (mp_room(b, 5) < 0)
        return ACTR_ENOMEM;
    uint8_t *p = b->ptr + b->len;
    if (n <= fixmax) {
        p[0] = (uint8_t)(fix | n);
        b->len += 1;
    } else if (c8 && n <= 0xff) {
        p[0] = c8;
        p[1] = (uint8_t)n;
        b->len += 2;
    } else if (n <= 0xffff) {
        p[0] = c16;
        mp_put_be16(p + 1, (uint16_t)n);
        b->len += 3;
    } else {
        p[0] = c32;
        mp_put_be32(p + 1, (uint32_t)n);
        b->len += 5;
    }
    return 0;
}

static inline int
mp_put_map(actr_wbuf *b, size_t n)
{
    return mp_put_head(b, n, 0x80, 15, 0, 0xde, 0xdf);
}

static inline int
mp_put_array(actr_wbuf *b, size_t n)
{
    return mp_put_head(b, n, 0x90, 15, 0, 0xdc, 0xdd);
}

static inline int
mp_put_raw(actr_wbuf *b, const void *data, size_t n)
{
    if (mp_room(b, n) < 0)
        return ACTR_ENOMEM;
    if (n)
        memcpy(b->ptr + b->len, data, n);
    b->len += n;
    return 0;
}

static inline int
mp_put_str(actr_wbuf *b, const char *s, size_t n)
{
    int rc = mp_put_head(b, n, 0xa0, 31, 0xd9, 0xda, 0xdb);
    return rc < 0 ? rc : mp_put_raw(b, s, n);
}

static inline int
mp_put_byte(actr_wbuf *b, uint8_t c)
{
    if (mp_room(b, 1) < 0)
        return ACTR_ENOMEM;
    b->ptr[b->len++] = c;
    return 0;
}

static inline int
mp_put_nil(actr_wbuf *b)
{
    return mp_put_byte(b, 0xc0);
}

static inline int
mp_put_bool(actr_wbuf *b, bool v)
{
    return mp_put_byte(b, v ? 0xc3 : 0xc2);
}

/* Smallest form: non-negative values as (fix)uint, negative as (fix)int. */
int actri_mp_put_int(actr_wbuf *b, int64_t v);

#endif
