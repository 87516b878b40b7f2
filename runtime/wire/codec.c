/* The generic typed codec: walks a type descriptor (actr/codec.h) to
 * encode a C value to msgpack, decode and validate a msgpack object into a
 * C value, and free what a decode allocated. Generated code calls only
 * the public entry points at the bottom. */
#include "wire/codec_int.h"
#include "wire/mp.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A user value nested deeper than this is most likely a pointer cycle. */
#define ENCODE_MAX_DEPTH 100
/* Room for the field path of an error message, and steps remembered. */
#define PATH_MAX_LEN 160
#define PATH_SEGS 40

const actr_codec_limits actr_codec_default_limits = ACTR_CODEC_LIMITS_DEFAULT;

#define SCALAR(id, k, cname, ctype) \
    const actr_type actr_type_##id = {k, 0, cname, sizeof(ctype), NULL, 0, 0, NULL, NULL, 0}
SCALAR(bool, ACTR_KIND_BOOL, "bool", bool);
SCALAR(i8, ACTR_KIND_I8, "i8", int8_t);
SCALAR(i16, ACTR_KIND_I16, "i16", int16_t);
SCALAR(i32, ACTR_KIND_I32, "i32", int32_t);
SCALAR(i64, ACTR_KIND_I64, "i64", int64_t);
SCALAR(u8, ACTR_KIND_U8, "u8", uint8_t);
SCALAR(u16, ACTR_KIND_U16, "u16", uint16_t);
SCALAR(u32, ACTR_KIND_U32, "u32", uint32_t);
SCALAR(u64, ACTR_KIND_U64, "u64", uint64_t);
SCALAR(f32, ACTR_KIND_F32, "f32", float);
SCALAR(f64, ACTR_KIND_F64, "f64", double);
SCALAR(string, ACTR_KIND_STRING, "string", actr_str);
SCALAR(bytes, ACTR_KIND_BYTES, "bytes", actr_bytes);
SCALAR(any, ACTR_KIND_ANY, "any", actr_any);

/* One step of the path to the value being worked on. Steps are recorded
 * as pointers and numbers and only formatted when an error is reported:
 * the success path must not pay for error messages. */
enum seg_kind { SEG_FIELD, SEG_INDEX, SEG_KEY, SEG_KEYNO };
struct seg {
    enum seg_kind kind;
    const char *s;          /* FIELD: name; KEY: map key bytes */
    size_t n;               /* INDEX/KEYNO: position; KEY: key length */
};

/* State of one encode or decode call: limits, the error record and the
 * path of the value being worked on, for error messages. */
struct walk {
    const actr_codec_limits *lim;
    actr_codec_err *err;
    const char *root;       /* the outermost type's name */
    unsigned nseg;          /* steps recorded in segs */
    unsigned extra;         /* steps deeper than segs holds */
    struct seg segs[PATH_SEGS];
};

static void
push(struct walk *w, enum seg_kind kind, const char *s, size_t n)
{
    if (w->nseg == PATH_SEGS) {
        w->extra++;
        return;
    }
    struct seg g = {kind, s, n};
    w->segs[w->nseg++] = g;
}

static void
pop(struct walk *w)
{
    if (w->extra > 0)
        w->extra--;
    else if (w->nseg > 0)
        w->nseg--;
}

static void quote_text(char *dst, size_t cap, const char *s, size_t len);

/* Writes "Root.field[3]["key"]: " into buf (at most PATH_MAX_LEN bytes
 * of path; a longer one ends in "..."). Returns the length written. */
static size_t
format_path(const struct walk *w, char *buf, size_t cap)
{
    char piece[64];
    size_t o = 0;
    int cut = w->extra > 0;

    for (unsigned i = 0; i <= w->nseg; i++) {
        if (i == 0) {
            snprintf(piece, sizeof piece, "%s", w->root);
        } else {
            const struct seg *g = &w->segs[i - 1];
            char key[48];
            switch (g->kind) {
            case SEG_FIELD: snprintf(piece, sizeof piece, ".%s", g->s); break;
            case SEG_INDEX: snprintf(piece, sizeof piece, "[%zu]", g->n); break;
            case SEG_KEYNO: snprintf(piece, sizeof piece, "{key %zu}", g->n); break;
            case SEG_KEY:
                quote_text(key, sizeof key, g->s, g->n);
                snprintf(piece, sizeof piece, "[\"%s\"]", key);
                break;
            }
        }
        size_t n = strlen(piece);
        if (o + n > PATH_MAX_LEN) {
            cut = 1;
            break;
        }
        memcpy(buf + o, piece, n);
        o += n;
    }
    if (cut && o + 3 <= cap) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return o;
}

ACTR_PRINTF(3, 4) static int
fail(struct walk *w, int code, const char *fmt, ...)
{
    if (w->err != NULL) {
        va_list ap;
        /* The path is shorter than the record, so the detail has room. */
        size_t n = format_path(w, w->err->msg, sizeof w->err->msg);
        memcpy(w->err->msg + n, ": ", 3);
        n += 2;
        va_start(ap, fmt);
        vsnprintf(w->err->msg + n, sizeof w->err->msg - n, fmt, ap);
        va_end(ap);
        w->err->code = code;
    }
    return code;
}

/* Copies up to 40 bytes of s for an error message, printable ASCII only. */
static void
quote_text(char *dst, size_t cap, const char *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 4 < cap; i++) {
        if (i == 40) {
            memcpy(dst + o, "...", 3);
            o += 3;
            break;
        }
        unsigned char c = (unsigned char)s[i];
        dst[o++] = (c >= 0x20 && c < 0x7f && c != '"') ? (char)c : '?';
    }
    dst[o] = '\0';
}

static int
needs_free(const actr_type *t)
{
    return t->kind >= ACTR_KIND_STRING && t->kind != ACTR_KIND_ENUM;
}

/* Enum storage is a C enum whose size the descriptor records. */
static int64_t
enum_get(const void *p, size_t size)
{
    switch (size) {
    case 1: { int8_t v; memcpy(&v, p, 1); return v; }
    case 2: { int16_t v; memcpy(&v, p, 2); return v; }
    case 4: { int32_t v; memcpy(&v, p, 4); return v; }
    default: { int64_t v; memcpy(&v, p, 8); return v; }
    }
}

static void
enum_set(void *p, size_t size, size_t idx)
{
    switch (size) {
    case 1: { int8_t v = (int8_t)idx; memcpy(p, &v, 1); break; }
    case 2: { int16_t v = (int16_t)idx; memcpy(p, &v, 2); break; }
    case 4: { int32_t v = (int32_t)idx; memcpy(p, &v, 4); break; }
    default: { int64_t v = (int64_t)idx; memcpy(p, &v, 8); break; }
    }
}

/* Lists, maps and optionals share `T *items; size_t len;` or `bool has`
 * heads; memcpy keeps the generic access clear of aliasing rules. */
struct seq {
    void *items;
    size_t len;
};

static struct seq
seq_get(const void *p)
{
    struct seq s;
    memcpy(&s, p, sizeof s);
    return s;
}

static void
seq_set(void *p, void *items, size_t len)
{
    struct seq s = {items, len};
    memcpy(p, &s, sizeof s);
}

/* ------------------------------------------------------------ free */

static void
free_rec(const actr_type *t, void *v)
{
    switch (t->kind) {
    case ACTR_KIND_STRING:
    case ACTR_KIND_BYTES:
    case ACTR_KIND_ANY: {
        struct seq s = seq_get(v);
        free(s.items);
        break;
    }
    case ACTR_KIND_LIST: {
        struct seq s = seq_get(v);
        if (s.items != NULL && needs_free(t->elem))
            for (size_t i = 0; i < s.len; i++)
                free_rec(t->elem, (char *)s.items + i * t->elem->size);
        free(s.items);
        break;
    }
    case ACTR_KIND_MAP: {
        struct seq s = seq_get(v);
        for (size_t i = 0; s.items != NULL && i < s.len; i++) {
            char *e = (char *)s.items + i * t->entry_size;
            free_rec(&actr_type_string, e);
            if (needs_free(t->elem))
                free_rec(t->elem, e + t->value_offset);
        }
        free(s.items);
        break;
    }
    case ACTR_KIND_OPTIONAL:
        if (t->flags & ACTR_TYPE_BOXED) {
            void *p;
            memcpy(&p, v, sizeof p);
            if (p != NULL)
                free_rec(t->elem, p);
            free(p);
        } else {
            bool has;
            memcpy(&has, v, sizeof has);
            if (has)
                free_rec(t->elem, (char *)v + t->value_offset);
        }
        break;
    case ACTR_KIND_STRUCT:
        for (size_t i = 0; i < t->count; i++)
            if (needs_free(t->fields[i].type))
                free_rec(t->fields[i].type, (char *)v + t->fields[i].offset);
        break;
    default:
        break;
    }
}

void
actr_codec_free(const actr_type *t, void *val)
{
    if (t == NULL || val == NULL)
        return;
    free_rec(t, val);
    memset(val, 0, t->size);
}

void
actr_str_free(actr_str *s)
{
    actr_codec_free(&actr_type_string, s);
}

void
actr_bytes_free(actr_bytes *b)
{
    actr_codec_free(&actr_type_bytes, b);
}

void
actr_any_free(actr_any *a)
{
    actr_codec_free(&actr_type_any, a);
}

/* ------------------------------------------------------------ decode */

static int dec(struct walk *w, const actr_type *t, const msgpack_object *o, void *out,
               unsigned depth);

static int
expect(struct walk *w, const actr_type *t, const msgpack_object *o)
{
    return fail(w, ACTR_ETYPE, "expected %s, got %s", t->name, actri_codec_objname(o));
}

/* The range of each integer kind, and storing a value within it. */
static const struct { int64_t min; uint64_t max; } int_range[] = {
    [ACTR_KIND_I8] = {INT8_MIN, INT8_MAX},
    [ACTR_KIND_I16] = {INT16_MIN, INT16_MAX},
    [ACTR_KIND_I32] = {INT32_MIN, INT32_MAX},
    [ACTR_KIND_I64] = {INT64_MIN, INT64_MAX},
    [ACTR_KIND_U8] = {0, UINT8_MAX},
    [ACTR_KIND_U16] = {0, UINT16_MAX},
    [ACTR_KIND_U32] = {0, UINT32_MAX},
    [ACTR_KIND_U64] = {0, UINT64_MAX},
};

/* Stores sv (neg) or uv, already checked against int_range, as t's kind. */
static void
store_int(const actr_type *t, bool neg, int64_t sv, uint64_t uv, void *out)
{
    switch (t->kind) {
    case ACTR_KIND_I8: *(int8_t *)out = (int8_t)(neg ? sv : (int64_t)uv); break;
    case ACTR_KIND_I16: *(int16_t *)out = (int16_t)(neg ? sv : (int64_t)uv); break;
    case ACTR_KIND_I32: *(int32_t *)out = (int32_t)(neg ? sv : (int64_t)uv); break;
    case ACTR_KIND_I64: *(int64_t *)out = neg ? sv : (int64_t)uv; break;
    case ACTR_KIND_U8: *(uint8_t *)out = (uint8_t)uv; break;
    case ACTR_KIND_U16: *(uint16_t *)out = (uint16_t)uv; break;
    case ACTR_KIND_U32: *(uint32_t *)out = (uint32_t)uv; break;
    default: *(uint64_t *)out = uv; break;
    }
}

static int
dec_int(struct walk *w, const actr_type *t, const msgpack_object *o, void *out)
{
    int64_t sv = 0;
    uint64_t uv = 0;
    bool neg;

    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        uv = o->via.u64;
        neg = false;
        if (uv > int_range[t->kind].max)
            return fail(w, ACTR_ERANGE, "%llu out of range for %s",
                        (unsigned long long)uv, t->name);
    } else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        sv = o->via.i64;
        neg = true;
        if (sv < int_range[t->kind].min)
            return fail(w, ACTR_ERANGE, "%lld out of range for %s", (long long)sv, t->name);
    } else {
        return expect(w, t, o);
    }
    store_int(t, neg, sv, uv, out);
    return 0;
}

static int
dec_float(struct walk *w, const actr_type *t, const msgpack_object *o, void *out)
{
    double d;

    /* msgpack peers (Python's msgspec among them) may send 1 for 1.0. */
    if (o->type == MSGPACK_OBJECT_FLOAT32 || o->type == MSGPACK_OBJECT_FLOAT64)
        d = o->via.f64;
    else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        d = (double)o->via.u64;
    else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        d = (double)o->via.i64;
    else
        return expect(w, t, o);
    if (t->kind == ACTR_KIND_F32) {
        if (isfinite(d) && fabs(d) > FLT_MAX)
            return fail(w, ACTR_ERANGE, "%g out of range for f32", d);
        *(float *)out = (float)d;
    } else {
        *(double *)out = d;
    }
    return 0;
}

/* Copies a msgpack str into an owned NUL-terminated actr_str. */
static int
dec_str(struct walk *w, const msgpack_object *o, actr_str *out)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return expect(w, &actr_type_string, o);
    size_t n = o->via.str.size;
    if (n > w->lim->max_str)
        return fail(w, ACTR_ETOOBIG, "string of %zu bytes exceeds the limit of %zu",
                    n, w->lim->max_str);
    if (!actri_codec_utf8_valid(o->via.str.ptr, n))
        return fail(w, ACTR_ETYPE, "string is not valid UTF-8");
    char *p = malloc(n + 1);
    if (p == NULL)
        return fail(w, ACTR_ENOMEM, "out of memory");
    if (n > 0)
        memcpy(p, o->via.str.ptr, n);
    p[n] = '\0';
    out->ptr = p;
    out->len = n;
    return 0;
}

static int
dec_bytes(struct walk *w, const msgpack_object *o, actr_bytes *out)
{
    if (o->type != MSGPACK_OBJECT_BIN)
        return expect(w, &actr_type_bytes, o);
    size_t n = o->via.bin.size;
    if (n > w->lim->max_bytes)
        return fail(w, ACTR_ETOOBIG, "bytes of length %zu exceed the limit of %zu",
                    n, w->lim->max_bytes);
    if (n == 0)
        return 0;
    uint8_t *p = malloc(n);
    if (p == NULL)
        return fail(w, ACTR_ENOMEM, "out of memory");
    memcpy(p, o->via.bin.ptr, n);
    out->ptr = p;
    out->len = n;
    return 0;
}

static int
dec_any(struct walk *w, const msgpack_object *o, actr_any *out, unsigned depth)
{
    int rc = actri_codec_any_from_object(o, depth - 1, w->lim->max_depth,
                                         w->lim->max_bytes, out);
    if (rc == ACTR_ETOOBIG)
        return fail(w, rc, "any value too deep or larger than %zu bytes", w->lim->max_bytes);
    if (rc == ACTR_ENOMEM)
        return fail(w, rc, "out of memory");
    if (rc < 0)
        return fail(w, rc, "any value cannot be re-encoded");
    return 0;
}

static int
enter(struct walk *w, unsigned depth)
{
    if (depth > w->lim->max_depth)
        return fail(w, ACTR_ETOOBIG, "nested deeper than %u levels", w->lim->max_depth);
    return 0;
}

static int
dec_list(struct walk *w, const actr_type *t, const msgpack_object *o, void *out,
         unsigned depth)
{
    int rc;

    if (o->type != MSGPACK_OBJECT_ARRAY)
        return expect(w, t, o);
    if ((rc = enter(w, depth)) < 0)
        return rc;
    size_t n = o->via.array.size;
    if (n > w->lim->max_list)
        return fail(w, ACTR_ETOOBIG, "list of %zu items exceeds the limit of %zu",
                    n, w->lim->max_list);
    if (n == 0)
        return 0;
    char *items = calloc(n, t->elem->size);
    if (items == NULL)
        return fail(w, ACTR_ENOMEM, "out of memory");
    seq_set(out, items, n);         /* from here on, free() sees every item */
    for (size_t i = 0; i < n; i++) {
        push(w, SEG_INDEX, NULL, i);
        rc = dec(w, t->elem, &o->via.array.ptr[i], items + i * t->elem->size, depth);
        pop(w);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int
dec_map(struct walk *w, const actr_type *t, const msgpack_object *o, void *out,
        unsigned depth)
{
    int rc;

    if (o->type != MSGPACK_OBJECT_MAP)
        return expect(w, t, o);
    if ((rc = enter(w, depth)) < 0)
        return rc;
    size_t n = o->via.map.size;
    if (n > w->lim->max_map)
        return fail(w, ACTR_ETOOBIG, "map of %zu entries exceeds the limit of %zu",
                    n, w->lim->max_map);
    if (n == 0)
        return 0;
    char *items = calloc(n, t->entry_size);
    if (items == NULL)
        return fail(w, ACTR_ENOMEM, "out of memory");
    seq_set(out, items, n);
    for (size_t i = 0; i < n; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        char *e = items + i * t->entry_size;
        push(w, SEG_KEYNO, NULL, i);
        rc = dec_str(w, &kv->key, (actr_str *)(void *)e);
        pop(w);
        if (rc < 0)
            return rc;
        push(w, SEG_KEY, kv->key.via.str.ptr, kv->key.via.str.size);
        rc = dec(w, t->elem, &kv->val, e + t->value_offset, depth);
        pop(w);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int
dec_field(struct walk *w, const actr_field *f, const msgpack_object *v, char *base,
          unsigned depth)
{
    push(w, SEG_FIELD, f->name, 0);
    int rc = dec(w, f->type, v, base + f->offset, depth);
    pop(w);
    return rc;
}

static int
missing(struct walk *w, const actr_field *f)
{
    push(w, SEG_FIELD, f->name, 0);
    int rc = fail(w, ACTR_ETYPE, "missing required field");
    pop(w);
    return rc;
}

static int
dec_struct_map(struct walk *w, const actr_type *t, const msgpack_object *o, char *out,
               unsigned depth)
{
    unsigned char seen[ACTR_CODEC_MAX_FIELDS / 8] = {0};
    size_t nf = t->count < ACTR_CODEC_MAX_FIELDS ? t->count : ACTR_CODEC_MAX_FIELDS;
    int rc;

    if (o->via.map.size > w->lim->max_map)
        return fail(w, ACTR_ETOOBIG, "map of %zu entries exceeds the limit of %zu",
                    (size_t)o->via.map.size, w->lim->max_map);
    for (size_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR)
            continue;                           /* not a field name: ignored */
        const char *k = kv->key.via.str.ptr;
        size_t klen = kv->key.via.str.size;
        /* Senders write fields in declaration order: try the i-th first. */
        size_t fi = i;
        if (fi >= nf || strlen(t->fields[fi].name) != klen
            || memcmp(t->fields[fi].name, k, klen) != 0) {
            for (fi = 0; fi < nf; fi++)
                if (strlen(t->fields[fi].name) == klen
                    && memcmp(t->fields[fi].name, k, klen) == 0)
                    break;
        }
        if (fi == nf)
            continue;                           /* unknown field: ignored */
        if (seen[fi / 8] & (1u << (fi % 8))) {
            push(w, SEG_FIELD, t->fields[fi].name, 0);
            rc = fail(w, ACTR_ETYPE, "field given twice");
            pop(w);
            return rc;
        }
        seen[fi / 8] |= (unsigned char)(1u << (fi % 8));
        if ((rc = dec_field(w, &t->fields[fi], &kv->val, out, depth)) < 0)
            return rc;
    }
    for (size_t fi = 0; fi < nf; fi++)
        if (!(seen[fi / 8] & (1u << (fi % 8)))
            && t->fields[fi].type->kind != ACTR_KIND_OPTIONAL)
            return missing(w, &t->fields[fi]);
    return 0;
}

static int
dec_struct(struct walk *w, const actr_type *t, const msgpack_object *o, char *out,
           unsigned depth)
{
    int rc;

    if (t->flags & ACTR_TYPE_ARRAY) {
        if (o->type != MSGPACK_OBJECT_ARRAY)
            return fail(w, ACTR_ETYPE, "expected %s (an array), got %s", t->name,
                        actri_codec_objname(o));
        if ((rc = enter(w, depth)) < 0)
            return rc;
        size_t n = o->via.array.size;
        if (n > w->lim->max_list)
            return fail(w, ACTR_ETOOBIG, "array of %zu items exceeds the limit of %zu",
                        n, w->lim->max_list);
        /* Extra trailing items are ignored, missing optional ones absent. */
        for (size_t i = 0; i < t->count; i++) {
            if (i < n)
                rc = dec_field(w, &t->fields[i], &o->via.array.ptr[i], out, depth);
            else if (t->fields[i].type->kind != ACTR_KIND_OPTIONAL)
                rc = missing(w, &t->fields[i]);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    if (o->type != MSGPACK_OBJECT_MAP)
        return expect(w, t, o);
    if ((rc = enter(w, depth)) < 0)
        return rc;
    return dec_struct_map(w, t, o, out, depth);
}

static int
dec_enum(struct walk *w, const actr_type *t, const msgpack_object *o, void *out)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return expect(w, t, o);
    const char *s = o->via.str.ptr;
    size_t n = o->via.str.size;
    for (size_t i = 0; i < t->count; i++) {
        if (strlen(t->members[i]) == n && memcmp(t->members[i], s, n) == 0) {
            enum_set(out, t->size, i);
            return 0;
        }
    }
    char shown[48];
    quote_text(shown, sizeof shown, s, n);
    return fail(w, ACTR_ETYPE, "\"%s\" is not a member of %s", shown, t->name);
}

static int
dec(struct walk *w, const actr_type *t, const msgpack_object *o, void *out, unsigned depth)
{
    switch (t->kind) {
    case ACTR_KIND_BOOL:
        if (o->type != MSGPACK_OBJECT_BOOLEAN)
            return expect(w, t, o);
        *(bool *)out = o->via.boolean;
        return 0;
    case ACTR_KIND_I8: case ACTR_KIND_I16: case ACTR_KIND_I32: case ACTR_KIND_I64:
    case ACTR_KIND_U8: case ACTR_KIND_U16: case ACTR_KIND_U32: case ACTR_KIND_U64:
        return dec_int(w, t, o, out);
    case ACTR_KIND_F32:
    case ACTR_KIND_F64:
        return dec_float(w, t, o, out);
    case ACTR_KIND_STRING:
        return dec_str(w, o, out);
    case ACTR_KIND_BYTES:
        return dec_bytes(w, o, out);
    case ACTR_KIND_ANY:
        return dec_any(w, o, out, depth + 1);
    case ACTR_KIND_LIST:
        return dec_list(w, t, o, out, depth + 1);
    case ACTR_KIND_MAP:
        return dec_map(w, t, o, out, depth + 1);
    case ACTR_KIND_OPTIONAL:
        if (o->type == MSGPACK_OBJECT_NIL)
            return 0;                           /* absent: stays zeroed */
        if (t->flags & ACTR_TYPE_BOXED) {
            void *p = calloc(1, t->elem->size);
            if (p == NULL)
                return fail(w, ACTR_ENOMEM, "out of memory");
            memcpy(out, &p, sizeof p);
            return dec(w, t->elem, o, p, depth);
        } else {
            bool has = true;
            memcpy(out, &has, sizeof has);
            return dec(w, t->elem, o, (char *)out + t->value_offset, depth);
        }
    case ACTR_KIND_STRUCT:
        return dec_struct(w, t, o, out, depth + 1);
    case ACTR_KIND_ENUM:
        return dec_enum(w, t, o, out);
    }
    return fail(w, ACTR_EINVAL, "bad type descriptor");
}

static void
walk_init(struct walk *w, const actr_type *t, const actr_codec_limits *lim,
          actr_codec_err *err)
{
    w->lim = lim != NULL ? lim : &actr_codec_default_limits;
    w->err = err;
    w->root = t != NULL && t->name != NULL ? t->name : "value";
    w->nseg = 0;
    w->extra = 0;
}

int
actr_codec_decode(const msgpack_object *obj, const actr_type *t, void *out,
                  const actr_codec_limits *lim, actr_codec_err *err)
{
    struct walk w;

    walk_init(&w, t, lim, err);
    if (obj == NULL || t == NULL || out == NULL)
        return fail(&w, ACTR_EINVAL, "NULL argument");
    memset(out, 0, t->size);
    int rc = dec(&w, t, obj, out, 0);
    if (rc < 0)
        actr_codec_free(t, out);
    return rc;
}

/* A stream of integers or booleans is most of what a hot stream carries:
 * one head read straight from the buffer, no unpack zone. Returns 1 when
 * buf is exactly one value of t's kind within its range (*out written),
 * 0 for anything else: the general path then decides, and reports. */
static int
decode_scalar_fast(const uint8_t *buf, size_t len, const actr_type *t, void *out)
{
    struct mp_val v;
    if (len == 0 || mp_head(buf, buf + len, &v) != (int)len)
        return 0;
    if (t->kind == ACTR_KIND_BOOL) {
        if (v.kind != MP_BOOL)
            return 0;
        *(bool *)out = v.v.b;
        return 1;
    }
    if (v.kind != MP_INT)
        return 0;
    /* big: above INT64_MAX, in v.v.u; else v.v.i holds it. */
    bool neg = !v.big && v.v.i < 0;
    uint64_t uv = v.big ? v.v.u : (uint64_t)v.v.i;
    if (neg ? v.v.i < int_range[t->kind].min : uv > int_range[t->kind].max)
        return 0;
    store_int(t, neg, v.v.i, uv, out);
    return 1;
}

int
actr_codec_decode_buf(const void *buf, size_t len, const actr_type *t, void *out,
                      const actr_codec_limits *lim, actr_codec_err *err)
{
    struct walk w;
    size_t used = 0, off = 0;
    msgpack_unpacked u;
    int rc;

    if (buf && t && out && t->kind >= ACTR_KIND_BOOL && t->kind <= ACTR_KIND_U64 &&
        decode_scalar_fast(buf, len, t, out))
        return 0;
    walk_init(&w, t, lim, err);
    if (buf == NULL || t == NULL || out == NULL)
        return fail(&w, ACTR_EINVAL, "NULL argument");
    memset(out, 0, t->size);
    /* Scan first: msgpack-c allocates a container's items as soon as it
     * reads the count, so a 5-byte input could ask for gigabytes. */
    rc = actr_msgpack_scan(buf, len, w.lim->max_depth, &used);
    if (rc == ACTR_ETOOBIG)
        return fail(&w, rc, "nested deeper than %u levels", w.lim->max_depth);
    if (rc < 0)
        return fail(&w, ACTR_EPROTO, "not a valid msgpack value");
    if (used != len)
        return fail(&w, ACTR_EPROTO, "%zu bytes after the value", len - used);
    /* The unpack zone of this thread is kept between decodes (a fresh
     * one is an 8 KiB malloc and free per message); a nested decode, which
     * finds it taken, gets its own. */
    static _Thread_local msgpack_zone *kept;
    static _Thread_local int kept_busy;
    msgpack_zone *zone = NULL;
    if (!kept_busy && (kept || (kept = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE)))) {
        zone = kept;
        kept_busy = 1;
    }
    msgpack_object obj;
    msgpack_unpacked_init(&u);
    msgpack_unpack_return ur = zone ? msgpack_unpack(buf, len, &off, zone, &obj)
                                    : msgpack_unpack_next(&u, buf, len, &off);
    switch (ur) {
    case MSGPACK_UNPACK_SUCCESS:
    case MSGPACK_UNPACK_EXTRA_BYTES:    /* not after the scan: used == len */
        rc = actr_codec_decode(zone ? &obj : &u.data, t, out, w.lim, err);
        break;
    case MSGPACK_UNPACK_NOMEM_ERROR:
        rc = fail(&w, ACTR_ENOMEM, "out of memory");
        break;
    default:
        rc = fail(&w, ACTR_EPROTO, "not a valid msgpack value");
        break;
    }
    if (zone) {
        msgpack_zone_clear(zone);
        kept_busy = 0;
    }
    msgpack_unpacked_destroy(&u);
    return rc;
}

/* ------------------------------------------------------------ encode */

static int enc(struct walk *w, const actr_type *t, const void *v, msgpack_packer *pk,
               unsigned depth);

static int
wrote(struct walk *w, int mrc)
{
    return mrc == 0 ? 0 : fail(w, ACTR_ENOMEM, "write failed");
}

/* Checks a borrowed (ptr, len) pair and writes its msgpack header. */
static int
enc_head(struct walk *w, const void *ptr, size_t len, const char *what)
{
    if (len > 0 && ptr == NULL)
        return fail(w, ACTR_EINVAL, "%s has length %zu but a NULL pointer", what, len);
    if (len > UINT32_MAX)
        return fail(w, ACTR_ETOOBIG, "%s of length %zu cannot be encoded", what, len);
    return 0;
}

static int
enc_str(struct walk *w, const actr_str *s, msgpack_packer *pk)
{
    int rc = enc_head(w, s->ptr, s->len, "string");
    if (rc < 0)
        return rc;
    rc = msgpack_pack_str(pk, s->len);
    return wrote(w, rc ? rc : msgpack_pack_str_body(pk, s->ptr, s->len));
}

static int
enc_struct(struct walk *w, const actr_type *t, const char *v, msgpack_packer *pk,
           unsigned depth)
{
    int rc;
    if (t->flags & ACTR_TYPE_ARRAY)
        rc = wrote(w, msgpack_pack_array(pk, t->count));
    else
        rc = wrote(w, msgpack_pack_map(pk, t->count));
    for (size_t i = 0; rc == 0 && i < t->count; i++) {
        const actr_field *f = &t->fields[i];
        push(w, SEG_FIELD, f->name, 0);
        if (!(t->flags & ACTR_TYPE_ARRAY)) {
            size_t n = strlen(f->name);
            rc = msgpack_pack_str(pk, n);
            rc = wrote(w, rc ? rc : msgpack_pack_str_body(pk, f->name, n));
        }
        if (rc == 0)
            rc = enc(w, f->type, v + f->offset, pk, depth);
        pop(w);
    }
    return rc;
}

static int
enc(struct walk *w, const actr_type *t, const void *v, msgpack_packer *pk, unsigned depth)
{
    int rc;

    if (depth > ENCODE_MAX_DEPTH)
        return fail(w, ACTR_EINVAL, "nested deeper than %d levels (a pointer cycle?)",
                    ENCODE_MAX_DEPTH);
    switch (t->kind) {
    case ACTR_KIND_BOOL:
        return wrote(w, *(const bool *)v ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
    case ACTR_KIND_I8: return wrote(w, msgpack_pack_int64(pk, *(const int8_t *)v));
    case ACTR_KIND_I16: return wrote(w, msgpack_pack_int64(pk, *(const int16_t *)v));
    case ACTR_KIND_I32: return wrote(w, msgpack_pack_int64(pk, *(const int32_t *)v));
    case ACTR_KIND_I64: return wrote(w, msgpack_pack_int64(pk, *(const int64_t *)v));
    case ACTR_KIND_U8: return wrote(w, msgpack_pack_uint64(pk, *(const uint8_t *)v));
    case ACTR_KIND_U16: return wrote(w, msgpack_pack_uint64(pk, *(const uint16_t *)v));
    case ACTR_KIND_U32: return wrote(w, msgpack_pack_uint64(pk, *(const uint32_t *)v));
    case ACTR_KIND_U64: return wrote(w, msgpack_pack_uint64(pk, *(const uint64_t *)v));
    case ACTR_KIND_F32: return wrote(w, msgpack_pack_float(pk, *(const float *)v));
    case ACTR_KIND_F64: return wrote(w, msgpack_pack_double(pk, *(const double *)v));
    case ACTR_KIND_STRING:
        return enc_str(w, v, pk);
    case ACTR_KIND_BYTES: {
        const actr_bytes *b = v;
        if ((rc = enc_head(w, b->ptr, b->len, "bytes")) < 0)
            return rc;
        rc = msgpack_pack_bin(pk, b->len);
        return wrote(w, rc ? rc : msgpack_pack_bin_body(pk, b->ptr, b->len));
    }
    case ACTR_KIND_ANY: {
        const actr_any *a = v;
        size_t used;
        if (a->len == 0)
            return wrote(w, msgpack_pack_nil(pk));      /* a zeroed any is nil */
        if (a->ptr == NULL || actr_msgpack_scan(a->ptr, a->len, 64, &used) < 0
            || used != a->len)
            return fail(w, ACTR_EINVAL, "any is not exactly one msgpack value");
        return wrote(w, pk->callback(pk->data, (const char *)a->ptr, a->len));
    }
    case ACTR_KIND_LIST: {
        struct seq s = seq_get(v);
        if ((rc = enc_head(w, s.items, s.len, "list")) < 0)
            return rc;
        rc = wrote(w, msgpack_pack_array(pk, s.len));
        for (size_t i = 0; rc == 0 && i < s.len; i++) {
            push(w, SEG_INDEX, NULL, i);
            rc = enc(w, t->elem, (const char *)s.items + i * t->elem->size, pk, depth + 1);
            pop(w);
        }
        return rc;
    }
    case ACTR_KIND_MAP: {
        struct seq s = seq_get(v);
        if ((rc = enc_head(w, s.items, s.len, "map")) < 0)
            return rc;
        rc = wrote(w, msgpack_pack_map(pk, s.len));
        for (size_t i = 0; rc == 0 && i < s.len; i++) {
            const char *e = (const char *)s.items + i * t->entry_size;
            push(w, SEG_KEYNO, NULL, i);
            rc = enc_str(w, (const actr_str *)(const void *)e, pk);
            pop(w);
            if (rc < 0)
                break;
            const actr_str *k = (const actr_str *)(const void *)e;
            push(w, SEG_KEY, k->ptr, k->len);
            rc = enc(w, t->elem, e + t->value_offset, pk, depth + 1);
            pop(w);
        }
        return rc;
    }
    case ACTR_KIND_OPTIONAL:
        if (t->flags & ACTR_TYPE_BOXED) {
            const void *p;
            memcpy(&p, v, sizeof p);
            return p == NULL ? wrote(w, msgpack_pack_nil(pk)) : enc(w, t->elem, p, pk, depth + 1);
        } else {
            bool has;
            memcpy(&has, v, sizeof has);
            return !has ? wrote(w, msgpack_pack_nil(pk))
                        : enc(w, t->elem, (const char *)v + t->value_offset, pk, depth);
        }
    case ACTR_KIND_STRUCT:
        return enc_struct(w, t, v, pk, depth + 1);
    case ACTR_KIND_ENUM: {
        int64_t idx = enum_get(v, t->size);
        if (idx < 0 || (uint64_t)idx >= t->count)
            return fail(w, ACTR_EINVAL, "%lld is not a member of %s", (long long)idx, t->name);
        const char *m = t->members[idx];
        size_t n = strlen(m);
        rc = msgpack_pack_str(pk, n);
        return wrote(w, rc ? rc : msgpack_pack_str_body(pk, m, n));
    }
    }
    return fail(w, ACTR_EINVAL, "bad type descriptor");
}

int
actr_codec_encode(msgpack_packer *pk, const actr_type *t, const void *val,
                  actr_codec_err *err)
{
    struct walk w;

    walk_init(&w, t, NULL, err);
    if (pk == NULL || t == NULL || val == NULL)
        return fail(&w, ACTR_EINVAL, "NULL argument");
    return enc(&w, t, val, pk, 0);
}

int
actr_codec_encode_buf(msgpack_sbuffer *sb, const actr_type *t, const void *val,
                      actr_codec_err *err)
{
    msgpack_packer pk;

    if (sb == NULL)
        return actr_codec_encode(NULL, t, val, err);
    size_t before = sb->size;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    int rc = actr_codec_encode(&pk, t, val, err);
    if (rc < 0)
        sb->size = before;
    return rc;
}
