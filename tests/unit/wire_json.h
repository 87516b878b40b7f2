/* Test helpers of the wire suites: a small JSON reader for the capture
 * files, and the captures themselves. */
#ifndef ACTR_TEST_WIRE_JSON_H
#define ACTR_TEST_WIRE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <actr/types.h>

enum wire_jtype { WJ_NULL, WJ_BOOL, WJ_NUM, WJ_STR, WJ_ARR, WJ_OBJ };

typedef struct wire_json {
    enum wire_jtype type;
    bool b;
    bool is_int;            /* WJ_NUM without fraction or exponent */
    int64_t i;
    double num;
    char *str;              /* WJ_STR (UTF-8, NUL-terminated), len bytes */
    size_t len;
    struct wire_json *items; /* WJ_ARR elements / WJ_OBJ values */
    char **keys;            /* WJ_OBJ keys */
    size_t *keylens;
    size_t n;
} wire_json;

/* Parses one JSON text; NULL when it is invalid. */
wire_json *wire_json_parse(const char *s, size_t len);
void wire_json_free(wire_json *j);
/* The value of key in an object, or NULL. */
const wire_json *wire_json_get(const wire_json *obj, const char *key);
/* True when the msgpack value mp[0..len) (read by msgpack-c) equals j:
 * same types, same values, map keys in the same order. */
bool wire_json_eq_msgpack(const wire_json *j, const uint8_t *mp, size_t len);

/* One capture file: its header and its lines in order. */
typedef struct wire_capline {
    wire_json *json;        /* the whole line */
    uint8_t *frame;         /* frame lines: the decoded "hex" field */
    size_t frame_len;
} wire_capline;

typedef struct wire_capture {
    char name[64];
    wire_json *header;
    wire_capline *lines;    /* every line after the header */
    size_t nlines;
} wire_capture;

/* The capture files, in a fixed order. */
extern const char *const wire_capture_files[];
extern const size_t wire_capture_nfiles;

/* Loads ACTR_TEST_TOP/tests/data/tractor-captures/<file>; fails the
 * current test (ck_abort) with a clear message when it cannot. */
void wire_capture_load(const char *file, wire_capture *cap);
void wire_capture_free(wire_capture *cap);

/* Test helpers: hex text (spaces allowed) to bytes; string equality; a
 * borrowed actr_str of a C string. */
void wire_test_hex2bin(const char *hex, uint8_t *out, size_t *len);
bool wire_test_str_is(actr_str s, const char *c);
actr_str wire_test_str(const char *c);

#endif
