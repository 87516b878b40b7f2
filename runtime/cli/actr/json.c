/* msgpack <-> JSON for the actr tool, with jansson: the kwargs of a call
 * from `key=value` arguments or a JSON object, and results as JSON. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <msgpack.h>

#include "cli.h"

/* ------------------------------------------------------------ JSON -> msgpack */

static int
pack_json(msgpack_packer *pk, const json_t *v, int depth)
{
    if (depth > 64)
        return -1;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *x;
        if (msgpack_pack_map(pk, json_object_size(v)) < 0)
            return -1;
        json_object_foreach((json_t *)v, k, x) {
            size_t n = strlen(k);
            if (msgpack_pack_str(pk, n) < 0 || msgpack_pack_str_body(pk, k, n) < 0
                || pack_json(pk, x, depth + 1) < 0)
                return -1;
        }
        return 0;
    }
    case JSON_ARRAY: {
        if (msgpack_pack_array(pk, json_array_size(v)) < 0)
            return -1;
        for (size_t i = 0; i < json_array_size(v); i++)
            if (pack_json(pk, json_array_get(v, i), depth + 1) < 0)
                return -1;
        return 0;
    }
    case JSON_STRING: {
        size_t n = json_string_length(v);
        if (msgpack_pack_str(pk, n) < 0 || msgpack_pack_str_body(pk, json_string_value(v), n) < 0)
            return -1;
        return 0;
    }
    case JSON_INTEGER:
        return msgpack_pack_int64(pk, json_integer_value(v));
    case JSON_REAL:
        return msgpack_pack_double(pk, json_real_value(v));
    case JSON_TRUE:
        return msgpack_pack_true(pk);
    case JSON_FALSE:
        return msgpack_pack_false(pk);
    default:
        return msgpack_pack_nil(pk);
    }
}

/* The value of one key=value argument: JSON when it parses, else the
 * text as a string (so name=Bob needs no quotes, n=3 is a number). */
static json_t *
arg_value(const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    return v ? v : json_string(text);
}

int
cli_kwargs(const struct cli *c, char **args, int nargs, const char *json, actr_any *out)
{
    json_t *obj;
    if (json != NULL) {
        json_error_t e;
        if (nargs > 0) {
            cli_err(c, "give the arguments either as key=value or with --json, not both");
            return CLI_USAGE;
        }
        obj = json_loads(json, 0, &e);
        if (!obj) {
            cli_err(c, "--json: invalid JSON at line %d, column %d: %s", e.line, e.column,
                    e.text);
            return CLI_USAGE;
        }
        if (!json_is_object(obj)) {
            cli_err(c, "--json: the arguments must be a JSON object ({\"name\": value, ...})");
            json_decref(obj);
            return CLI_USAGE;
        }
    } else {
        obj = json_object();
        for (int i = 0; i < nargs && obj; i++) {
            char *eq = strchr(args[i], '=');
            if (!eq || eq == args[i]) {
                cli_err(c, "argument \"%s\" is not key=value", args[i]);
                json_decref(obj);
                return CLI_USAGE;
            }
            char *key = strndup(args[i], (size_t)(eq - args[i]));
            json_t *v = arg_value(eq + 1);
            if (!key || !v || json_object_set_new(obj, key, v) < 0) {
                cli_err(c, "argument \"%s\": not valid UTF-8 text", args[i]);
                free(key);
                json_decref(obj);
                return CLI_USAGE;
            }
            free(key);
        }
    }
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int rc = obj ? pack_json(&pk, obj, 0) : -1;
    json_decref(obj);
    if (rc < 0) {
        msgpack_sbuffer_destroy(&sb);
        cli_err(c, "the arguments nest too deeply");
        return CLI_USAGE;
    }
    out->ptr = (uint8_t *)sb.data;      /* the sbuffer's malloc'd block */
    out->len = sb.size;
    return CLI_OK;
}

/* ------------------------------------------------------------ msgpack -> JSON */

static json_t *
hex_string(const char *p, size_t n)
{
    char *s = malloc(2 * n + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++)
        sprintf(s + 2 * i, "%02x", (unsigned char)p[i]);
    json_t *v = json_stringn(s, 2 * n);
    free(s);
    return v;
}

static json_t *to_json(const msgpack_object *o);

/* A map key as an object key: strings as they are, anything else as its
 * JSON text. */
static char *
key_text(const msgpack_object *k)
{
    if (k->type == MSGPACK_OBJECT_STR)
        return strndup(k->via.str.ptr, k->via.str.size);
    json_t *j = to_json(k);
    char *s = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

static json_t *
to_json(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        return json_null();
    case MSGPACK_OBJECT_BOOLEAN:
        return json_boolean(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if (o->via.u64 > INT64_MAX)
            return json_real((double)o->via.u64);
        return json_integer((json_int_t)o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return json_integer((json_int_t)o->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return isfinite(o->via.f64) ? json_real(o->via.f64) : json_null();
    case MSGPACK_OBJECT_STR: {
        json_t *s = json_stringn(o->via.str.ptr, o->via.str.size);
        return s ? s : hex_string(o->via.str.ptr, o->via.str.size);    /* not UTF-8 */
    }
    case MSGPACK_OBJECT_BIN:
        return hex_string(o->via.bin.ptr, o->via.bin.size);
    case MSGPACK_OBJECT_EXT: {
        json_t *e = json_object();
        json_object_set_new(e, "ext", json_integer(o->via.ext.type));
        json_object_set_new(e, "data", hex_string(o->via.ext.ptr, o->via.ext.size));
        return e;
    }
    case MSGPACK_OBJECT_ARRAY: {
        json_t *a = json_array();
        for (uint32_t i = 0; a && i < o->via.array.size; i++)
            json_array_append_new(a, to_json(&o->via.array.ptr[i]));
        return a;
    }
    case MSGPACK_OBJECT_MAP: {
        json_t *m = json_object();
        for (uint32_t i = 0; m && i < o->via.map.size; i++) {
            char *k = key_text(&o->via.map.ptr[i].key);
            if (k)
                json_object_set_new(m, k, to_json(&o->via.map.ptr[i].val));
            free(k);
        }
        return m;
    }
    default:
        return json_null();
    }
}

int
cli_print_json(const actr_any *v, int compact)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    if (v->len == 0 || msgpack_unpack_next(&u, (const char *)v->ptr, v->len, &off)
                           != MSGPACK_UNPACK_SUCCESS) {
        msgpack_unpacked_destroy(&u);
        return -1;
    }
    json_t *j = to_json(&u.data);
    msgpack_unpacked_destroy(&u);
    size_t flags = JSON_ENCODE_ANY | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)
                 | (compact ? JSON_COMPACT : JSON_INDENT(2));
    char *s = j ? json_dumps(j, flags) : NULL;
    json_decref(j);
    if (!s)
        return -1;
    printf("%s\n", s);
    fflush(stdout);
    free(s);
    return 0;
}
