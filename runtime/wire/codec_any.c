/* Raw msgpack values: the scanner that checks one encoded value without
 * allocating, the re-encoder behind the IDL's `any`, and UTF-8 checks. */
#include "wire/codec_int.h"

#include <stdlib.h>
#include <string.h>

/* The scanner recurses once per nesting level; no caller needs more. */
#define SCAN_DEPTH_CAP 256

static uint64_t
be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Skips n bytes of payload at *pos. */
static int
skip(size_t len, size_t *pos, uint64_t n)
{
    if (n > len - *pos)
        return ACTR_EPROTO;
    *pos += (size_t)n;
    return 0;
}

/* Reads an n-byte big-endian length at *pos. */
static int
getlen(const uint8_t *p, size_t len, size_t *pos, unsigned n, uint64_t *out)
{
    if (n > len - *pos)
        return ACTR_EPROTO;
    *out = be(p + *pos, n);
    *pos += n;
    return 0;
}

static int scan(const uint8_t *p, size_t len, size_t *pos, unsigned depth, unsigned max);

static int
scan_items(const uint8_t *p, size_t len, size_t *pos, unsigned depth, unsigned max,
           uint64_t n)
{
    if (depth + 1 > max)
        return ACTR_ETOOBIG;
    /* Every item takes at least one byte: a count the input cannot hold
     * is refused before anything trusts it. */
    if (n > len - *pos)
        return ACTR_EPROTO;
    for (uint64_t i = 0; i < n; i++) {
        int rc = scan(p, len, pos, depth + 1, max);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int
scan(const uint8_t *p, size_t len, size_t *pos, unsigned depth, unsigned max)
{
    uint64_t n;
    int rc;

    if (*pos >= len)
        return ACTR_EPROTO;
    uint8_t b = p[(*pos)++];
    if (b <= 0x7f || b >= 0xe0)
        return 0;                                       /* fixint */
    if (b <= 0x8f)
        return scan_items(p, len, pos, depth, max, 2u * (b & 0x0fu));
    if (b <= 0x9f)
        return scan_items(p, len, pos, depth, max, b & 0x0fu);
    if (b <= 0xbf)
        return skip(len, pos, b & 0x1fu);               /* fixstr */
    switch (b) {
    case 0xc0: case 0xc2: case 0xc3:
        return 0;
    case 0xc4: case 0xc5: case 0xc6:                    /* bin 8/16/32 */
    case 0xd9: case 0xda: case 0xdb:                    /* str 8/16/32 */
        rc = getlen(p, len, pos, 1u << ((b == 0xc4 || b == 0xd9) ? 0 :
                                        (b == 0xc5 || b == 0xda) ? 1 : 2), &n);
        return rc < 0 ? rc : skip(len, pos, n);
    case 0xc7: case 0xc8: case 0xc9:                    /* ext 8/16/32 */
        rc = getlen(p, len, pos, 1u << (b - 0xc7), &n);
        return rc < 0 ? rc : skip(len, pos, n + 1);
    case 0xca: return skip(len, pos, 4);
    case 0xcb: return skip(len, pos, 8);
    case 0xcc: case 0xd0: return skip(len, pos, 1);
    case 0xcd: case 0xd1: return skip(len, pos, 2);
    case 0xce: case 0xd2: return skip(len, pos, 4);
    case 0xcf: case 0xd3: return skip(len, pos, 8);
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:  /* fixext */
        return skip(len, pos, 1 + (1u << (b - 0xd4)));
    case 0xdc: case 0xdd:                               /* array 16/32 */
        rc = getlen(p, len, pos, b == 0xdc ? 2 : 4, &n);
        return rc < 0 ? rc : scan_items(p, len, pos, depth, max, n);
    case 0xde: case 0xdf:                               /* map 16/32 */
        rc = getlen(p, len, pos, b == 0xde ? 2 : 4, &n);
        return rc < 0 ? rc : scan_items(p, len, pos, depth, max, 2 * n);
    default:
        return ACTR_EPROTO;                             /* 0xc1: never used */
    }
}

int
actr_msgpack_scan(const void *buf, size_t len, unsigned max_depth, size_t *used)
{
    size_t pos = 0;
    if (buf == NULL || used == NULL)
        return ACTR_EINVAL;
    if (max_depth > SCAN_DEPTH_CAP)
        max_depth = SCAN_DEPTH_CAP;
    int rc = scan(buf, len, &pos, 0, max_depth);
    if (rc < 0)
        return rc;
    *used = pos;
    return 0;
}

/* ------------------------------------------------------------ any */

/* Output of the re-encoder: a counting pass (buf NULL) sizes the buffer,
 * a second pass fills it, so an any costs exactly one allocation. */
struct sink {
    uint8_t *buf;
    size_t len;
    size_t cap;
};

static int
sink_write(void *data, const char *b, size_t n)
{
    struct sink *s = data;
    if (s->buf != NULL) {
        if (n > s->cap - s->len)
            return -1;
        memcpy(s->buf + s->len, b, n);
    }
    s->len += n;
    return 0;
}

static int
pack_obj(msgpack_packer *pk, const msgpack_object *o, unsigned depth, unsigned max)
{
    int rc = 0;
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        return msgpack_pack_nil(pk);
    case MSGPACK_OBJECT_BOOLEAN:
        return o->via.boolean ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return msgpack_pack_uint64(pk, o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return msgpack_pack_int64(pk, o->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
        return msgpack_pack_float(pk, (float)o->via.f64);
    case MSGPACK_OBJECT_FLOAT64:
        return msgpack_pack_double(pk, o->via.f64);
    case MSGPACK_OBJECT_STR:
        rc = msgpack_pack_str(pk, o->via.str.size);
        return rc ? rc : msgpack_pack_str_body(pk, o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_BIN:
        rc = msgpack_pack_bin(pk, o->via.bin.size);
        return rc ? rc : msgpack_pack_bin_body(pk, o->via.bin.ptr, o->via.bin.size);
    case MSGPACK_OBJECT_EXT:
        rc = msgpack_pack_ext(pk, o->via.ext.size, o->via.ext.type);
        return rc ? rc : msgpack_pack_ext_body(pk, o->via.ext.ptr, o->via.ext.size);
    case MSGPACK_OBJECT_ARRAY:
        if (depth + 1 > max)
            return ACTR_ETOOBIG;
        rc = msgpack_pack_array(pk, o->via.array.size);
        for (uint32_t i = 0; rc == 0 && i < o->via.array.size; i++)
            rc = pack_obj(pk, &o->via.array.ptr[i], depth + 1, max);
        return rc;
    case MSGPACK_OBJECT_MAP:
        if (depth + 1 > max)
            return ACTR_ETOOBIG;
        rc = msgpack_pack_map(pk, o->via.map.size);
        for (uint32_t i = 0; rc == 0 && i < o->via.map.size; i++) {
            rc = pack_obj(pk, &o->via.map.ptr[i].key, depth + 1, max);
            if (rc == 0)
                rc = pack_obj(pk, &o->via.map.ptr[i].val, depth + 1, max);
        }
        return rc;
    }
    return ACTR_EPROTO;
}

int
actri_codec_any_from_object(const msgpack_object *obj, unsigned depth, unsigned max_depth,
                            size_t max_len, actr_any *out)
{
    struct sink s = {NULL, 0, 0};
    msgpack_packer pk;
    int rc;

    msgpack_packer_init(&pk, &s, sink_write);
    rc = pack_obj(&pk, obj, depth, max_depth);
    if (rc != 0)
        return rc == ACTR_ETOOBIG ? rc : ACTR_EPROTO;
    if (s.len > max_len)
        return ACTR_ETOOBIG;
    s.buf = malloc(s.len);
    if (s.buf == NULL)
        return ACTR_ENOMEM;
    s.cap = s.len;
    s.len = 0;
    if (pack_obj(&pk, obj, depth, max_depth) != 0 || s.len != s.cap) {
        free(s.buf);
        return ACTR_EPROTO;
    }
    out->ptr = s.buf;
    out->len = s.len;
    return 0;
}

const char *
actri_codec_objname(const msgpack_object *obj)
{
    switch (obj->type) {
    case MSGPACK_OBJECT_NIL: return "nil";
    case MSGPACK_OBJECT_BOOLEAN: return "bool";
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "int";
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return "float";
    case MSGPACK_OBJECT_STR: return "string";
    case MSGPACK_OBJECT_BIN: return "bytes";
    case MSGPACK_OBJECT_ARRAY: return "list";
    case MSGPACK_OBJECT_MAP: return "map";
    case MSGPACK_OBJECT_EXT: return "ext";
    }
    return "unknown";
}

int
actri_codec_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;

    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        unsigned n;
        uint32_t cp, min;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1; cp = c & 0x1f; min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2; cp = c & 0x0f; min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3; cp = c & 0x07; min = 0x10000;
        } else {
            return 0;
        }
        if (n > len - i - 1)
            return 0;
        for (unsigned k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += n + 1;
    }
    return 1;
}
