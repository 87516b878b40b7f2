/* A small JSON reader for the capture files, and a msgpack-vs-JSON
 * comparison that reads msgpack with msgpack-c (not with our reader, so
 * the tests check our decoder against an independent one). */
#include <check.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire_json.h"

struct jp {
    const char *p, *end;
};

static void
ws(struct jp *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' ||
                             *s->p == '\r'))
        s->p++;
}

static int parse_value(struct jp *s, wire_json *out, int depth);

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int
parse_u4(struct jp *s, unsigned *cp)
{
    if (s->end - s->p < 4)
        return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(s->p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + (unsigned)h;
    }
    s->p += 4;
    *cp = v;
    return 0;
}

static size_t
put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

static int
parse_string(struct jp *s, char **out, size_t *outlen)
{
    if (s->p >= s->end || *s->p != '"')
        return -1;
    s->p++;
    /* The decoded text is never longer than the escaped one. */
    const char *q = s->p;
    while (q < s->end && *q != '"') {
        if (*q == '\\')
            q++;
        q++;
    }
    if (q >= s->end)
        return -1;
    char *buf = malloc((size_t)(q - s->p) + 1);
    size_t n = 0;
    while (*s->p != '"') {
        char c = *s->p++;
        if (c != '\\') {
            buf[n++] = c;
            continue;
        }
        c = *s->p++;
        unsigned cp;
        switch (c) {
        case '"': case '\\': case '/':
            buf[n++] = c;
            break;
        case 'b': buf[n++] = '\b'; break;
        case 'f': buf[n++] = '\f'; break;
        case 'n': buf[n++] = '\n'; break;
        case 'r': buf[n++] = '\r'; break;
        case 't': buf[n++] = '\t'; break;
        case 'u':
            if (parse_u4(s, &cp) < 0)
                goto bad;
            if (cp >= 0xd800 && cp <= 0xdbff && s->end - s->p >= 6 &&
                s->p[0] == '\\' && s->p[1] == 'u') {
                unsigned lo;
                s->p += 2;
                if (parse_u4(s, &lo) < 0)
                    goto bad;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            n += put_utf8(buf + n, cp);
            break;
        default:
            goto bad;
        }
    }
    s->p++;
    buf[n] = 0;
    *out = buf;
    *outlen = n;
    return 0;
bad:
    free(buf);
    return -1;
}

static int
parse_container(struct jp *s, wire_json *out, int depth, bool obj)
{
    size_t cap = 4;
    out->type = obj ? WJ_OBJ : WJ_ARR;
    out->items = calloc(cap, sizeof *out->items);
    if (obj) {
        out->keys = calloc(cap, sizeof *out->keys);
        out->keylens = calloc(cap, sizeof *out->keylens);
    }
    s->p++;
    ws(s);
    if (s->p < s->end && *s->p == (obj ? '}' : ']')) {
        s->p++;
        return 0;
    }
    for (;;) {
        if (out->n == cap) {
            cap *= 2;
            out->items = realloc(out->items, cap * sizeof *out->items);
            if (obj) {
                out->keys = realloc(out->keys, cap * sizeof *out->keys);
                out->keylens = realloc(out->keylens, cap * sizeof *out->keylens);
            }
        }
        ws(s);
        if (obj) {
            if (parse_string(s, &out->keys[out->n], &out->keylens[out->n]) < 0)
                return -1;
            ws(s);
            if (s->p >= s->end || *s->p++ != ':') {
                free(out->keys[out->n]);
                return -1;
            }
        }
        memset(&out->items[out->n], 0, sizeof out->items[0]);
        int rc = parse_value(s, &out->items[out->n], depth + 1);
        out->n++;
        if (rc < 0)
            return -1;
        ws(s);
        if (s->p >= s->end)
            return -1;
        char c = *s->p++;
        if (c == ',')
            continue;
        if (c == (obj ? '}' : ']'))
            return 0;
        return -1;
    }
}

static int
parse_value(struct jp *s, wire_json *out, int depth)
{
    if (depth > 64)
        return -1;
    ws(s);
    if (s->p >= s->end)
        return -1;
    char c = *s->p;
    if (c == '{' || c == '[')
        return parse_container(s, out, depth, c == '{');
    if (c == '"') {
        out->type = WJ_STR;
        return parse_string(s, &out->str, &out->len);
    }
    if (s->end - s->p >= 4 && memcmp(s->p, "null", 4) == 0) {
        out->type = WJ_NULL;
        s->p += 4;
        return 0;
    }
    if (s->end - s->p >= 4 && memcmp(s->p, "true", 4) == 0) {
        out->type = WJ_BOOL;
        out->b = true;
        s->p += 4;
        return 0;
    }
    if (s->end - s->p >= 5 && memcmp(s->p, "false", 5) == 0) {
        out->type = WJ_BOOL;
        s->p += 5;
        return 0;
    }
    char tmp[64];
    size_t n = 0;
    bool frac = false;
    while (s->p < s->end && n < sizeof tmp - 1 &&
           strchr("+-0123456789.eE", *s->p)) {
        if (strchr(".eE", *s->p))
            frac = true;
        tmp[n++] = *s->p++;
    }
    if (n == 0)
        return -1;
    tmp[n] = 0;
    out->type = WJ_NUM;
    out->num = strtod(tmp, NULL);
    out->is_int = !frac;
    if (!frac)
        out->i = strtoll(tmp, NULL, 10);
    return 0;
}

static void
free_inner(wire_json *j)
{
    free(j->str);
    for (size_t i = 0; i < j->n; i++) {
        free_inner(&j->items[i]);
        if (j->keys)
            free(j->keys[i]);
    }
    free(j->items);
    free(j->keys);
    free(j->keylens);
}

wire_json *
wire_json_parse(const char *text, size_t len)
{
    struct jp s = {text, text + len};
    wire_json *j = calloc(1, sizeof *j);
    if (parse_value(&s, j, 0) < 0) {
        wire_json_free(j);
        return NULL;
    }
    ws(&s);
    if (s.p != s.end) {
        wire_json_free(j);
        return NULL;
    }
    return j;
}

void
wire_json_free(wire_json *j)
{
    if (!j)
        return;
    free_inner(j);
    free(j);
}

const wire_json *
wire_json_get(const wire_json *obj, const char *key)
{
    if (!obj || obj->type != WJ_OBJ)
        return NULL;
    size_t kl = strlen(key);
    for (size_t i = 0; i < obj->n; i++) {
        if (obj->keylens[i] == kl && memcmp(obj->keys[i], key, kl) == 0)
            return &obj->items[i];
    }
    return NULL;
}

static bool
eq_obj(const wire_json *j, const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        return j->type == WJ_NULL;
    case MSGPACK_OBJECT_BOOLEAN:
        return j->type == WJ_BOOL && j->b == o->via.boolean;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return j->type == WJ_NUM && j->is_int && j->i >= 0 &&
               (uint64_t)j->i == o->via.u64;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return j->type == WJ_NUM && j->is_int && j->i == o->via.i64;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return j->type == WJ_NUM && j->num == o->via.f64;
    case MSGPACK_OBJECT_STR:
        return j->type == WJ_STR && j->len == o->via.str.size &&
               memcmp(j->str, o->via.str.ptr, j->len) == 0;
    case MSGPACK_OBJECT_ARRAY:
        if (j->type != WJ_ARR || j->n != o->via.array.size)
            return false;
        for (size_t i = 0; i < j->n; i++) {
            if (!eq_obj(&j->items[i], &o->via.array.ptr[i]))
                return false;
        }
        return true;
    case MSGPACK_OBJECT_MAP:
        if (j->type != WJ_OBJ || j->n != o->via.map.size)
            return false;
        for (size_t i = 0; i < j->n; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            if (kv->key.type != MSGPACK_OBJECT_STR ||
                kv->key.via.str.size != j->keylens[i] ||
                memcmp(kv->key.via.str.ptr, j->keys[i], j->keylens[i]) != 0 ||
                !eq_obj(&j->items[i], &kv->val))
                return false;
        }
        return true;
    default:
        return false;   /* bin and ext never occur in the captures */
    }
}

bool
wire_json_eq_msgpack(const wire_json *j, const uint8_t *mp, size_t len)
{
    msgpack_zone zone;
    msgpack_object obj;
    size_t off = 0;
    bool eq = false;

    if (!j)
        return false;
    msgpack_zone_init(&zone, 2048);
    if (msgpack_unpack((const char *)mp, len, &off, &zone, &obj) ==
            MSGPACK_UNPACK_SUCCESS && off == len)
        eq = eq_obj(j, &obj);
    msgpack_zone_destroy(&zone);
    return eq;
}

/* ----------------------------------------------------------- captures */

const char *const wire_capture_files[] = {
    "spawn.jsonl", "func.jsonl", "context.jsonl", "error.jsonl",
    "ctx_cancel.jsonl", "actor_cancel_peer.jsonl", "overrun.jsonl",
    "overrun_small.jsonl", "registry.jsonl", "unknown.jsonl",
};
const size_t wire_capture_nfiles =
    sizeof wire_capture_files / sizeof wire_capture_files[0];

void
wire_capture_load(const char *file, wire_capture *cap)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/tractor-captures/%s",
             ACTR_TEST_TOP, file);
    FILE *f = fopen(path, "r");
    if (!f)
        ck_abort_msg("tractor capture %s is missing: the wire tests need "
                     "tests/data/tractor-captures/ of this repository", path);
    memset(cap, 0, sizeof *cap);
    snprintf(cap->name, sizeof cap->name, "%s", file);
    char *line = NULL;
    size_t lcap = 0;
    ssize_t n;
    size_t cap_lines = 0;
    while ((n = getline(&line, &lcap, f)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (n == 0)
            continue;
        wire_json *j = wire_json_parse(line, (size_t)n);
        ck_assert_msg(j != NULL, "%s: a line is not valid JSON", file);
        if (!cap->header) {
            cap->header = j;
            continue;
        }
        if (cap->nlines == cap_lines) {
            cap_lines = cap_lines ? cap_lines * 2 : 64;
            cap->lines = realloc(cap->lines, cap_lines * sizeof *cap->lines);
        }
        wire_capline *cl = &cap->lines[cap->nlines++];
        memset(cl, 0, sizeof *cl);
        cl->json = j;
        const wire_json *hex = wire_json_get(j, "hex");
        if (hex) {
            ck_assert_msg(hex->type == WJ_STR && hex->len % 2 == 0,
                          "%s: bad hex field", file);
            cl->frame_len = hex->len / 2;
            cl->frame = malloc(cl->frame_len ? cl->frame_len : 1);
            for (size_t i = 0; i < cl->frame_len; i++) {
                int hi = hexval(hex->str[2 * i]), lo = hexval(hex->str[2 * i + 1]);
                ck_assert_msg(hi >= 0 && lo >= 0, "%s: bad hex digit", file);
                cl->frame[i] = (uint8_t)(hi * 16 + lo);
            }
        }
    }
    free(line);
    fclose(f);
    ck_assert_msg(cap->header != NULL, "%s: empty capture file", path);
}

void
wire_capture_free(wire_capture *cap)
{
    wire_json_free(cap->header);
    for (size_t i = 0; i < cap->nlines; i++) {
        wire_json_free(cap->lines[i].json);
        free(cap->lines[i].frame);
    }
    free(cap->lines);
    memset(cap, 0, sizeof *cap);
}

/* ------------------------------------------------------------ test helpers */

void
wire_test_hex2bin(const char *hex, uint8_t *out, size_t *len)
{
    size_t n = 0;
    for (const char *p = hex; *p;) {
        if (*p == ' ') {
            p++;
            continue;
        }
        unsigned v;
        ck_assert(sscanf(p, "%2x", &v) == 1);
        out[n++] = (uint8_t)v;
        p += 2;
    }
    *len = n;
}

bool
wire_test_str_is(actr_str s, const char *c)
{
    return s.len == strlen(c) && memcmp(s.ptr, c, s.len) == 0;
}

actr_str
wire_test_str(const char *c)
{
    actr_str s = {(char *)c, strlen(c)};
    return s;
}
