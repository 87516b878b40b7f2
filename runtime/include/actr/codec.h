/* actr/codec.h: typed msgpack codecs driven by type descriptors.
 *
 * actrc emits, for every IDL type, a C type plus a constant descriptor
 * (actr_type) telling this generic codec how the C value is laid out and
 * how it travels: structs as maps keyed by field name (or as arrays when
 * declared so), enums as member-name strings, optionals as nil when
 * absent. The generated <type>_encode/_decode/_free functions are thin
 * wrappers over the three calls below.
 *
 * Two levels:
 *   - object level, to embed a value inside an enclosing message:
 *     actr_codec_encode() writes into a msgpack_packer, actr_codec_decode()
 *     reads a msgpack_object (for instance a Start message's kwargs);
 *   - buffer level: actr_codec_encode_buf() appends one value to a
 *     msgpack_sbuffer, actr_codec_decode_buf() reads exactly one value
 *     from a byte buffer.
 *
 * Ownership: an encoder only borrows the value. A decoder hands back a
 * value owned by the caller: every string, bytes, any, list, map and boxed
 * optional is a private heap copy (nothing points into the input), decoded
 * strings are NUL-terminated, and actr_codec_free() releases it all. Free
 * is safe on a zero-initialised value and on whatever a failed decode left
 * (a failed decode frees what it built and leaves the value zeroed).
 *
 * Errors: decoding returns ACTR_ETYPE (wrong msgpack type, missing required
 * field, unknown enum member), ACTR_ERANGE (number does not fit),
 * ACTR_ETOOBIG (beyond a limit), ACTR_EPROTO (bytes are not one msgpack
 * value), ACTR_ENOMEM; the optional actr_codec_err record receives the
 * code and a message naming the field path, e.g.
 *   Quote.price: expected f64, got string
 *   Book.levels[3].qty: 300 out of range for u8
 *   Registry.addrs["a.b"]: expected list, got nil
 * None of these calls blocks; none is a cancellation point. */
#ifndef ACTR_CODEC_H
#define ACTR_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "api.h"
#include "err.h"
#include "types.h"

ACTR_BEGIN_DECLS

/* What a descriptor describes. */
typedef enum actr_kind {
    ACTR_KIND_BOOL = 1,   /* bool */
    ACTR_KIND_I8,         /* int8_t .. int64_t */
    ACTR_KIND_I16,
    ACTR_KIND_I32,
    ACTR_KIND_I64,
    ACTR_KIND_U8,         /* uint8_t .. uint64_t */
    ACTR_KIND_U16,
    ACTR_KIND_U32,
    ACTR_KIND_U64,
    ACTR_KIND_F32,        /* float */
    ACTR_KIND_F64,        /* double */
    ACTR_KIND_STRING,     /* actr_str */
    ACTR_KIND_BYTES,      /* actr_bytes */
    ACTR_KIND_ANY,        /* actr_any: one raw msgpack value */
    ACTR_KIND_LIST,       /* struct { T *items; size_t len; } */
    ACTR_KIND_MAP,        /* struct { E *items; size_t len; }, E = { actr_str key; T value; } */
    ACTR_KIND_OPTIONAL,   /* struct { bool has; T value; } or, boxed, T * */
    ACTR_KIND_STRUCT,     /* a generated struct */
    ACTR_KIND_ENUM        /* a generated C enum, members numbered from 0 */
} actr_kind;

/* actr_type.flags */
#define ACTR_TYPE_ARRAY 0x1u  /* STRUCT: travels as a msgpack array in field order */
#define ACTR_TYPE_BOXED 0x2u  /* OPTIONAL: held as a pointer, NULL when absent */

struct actr_type;

/* One field of a struct descriptor. */
typedef struct actr_field {
    const char *name;               /* wire name: the map key */
    size_t offset;                  /* offsetof the member in the C struct */
    const struct actr_type *type;   /* OPTIONAL kind = may be absent */
} actr_field;

/* A type descriptor. Generated code defines these as constants; the
 * runtime never modifies them. Unused members are 0/NULL. */
typedef struct actr_type {
    actr_kind kind;
    unsigned flags;                 /* ACTR_TYPE_* */
    const char *name;               /* IDL spelling, used in error messages */
    size_t size;                    /* sizeof the C representation */
    const struct actr_type *elem;   /* LIST item, MAP value, OPTIONAL value */
    size_t entry_size;              /* MAP: sizeof one entry */
    size_t value_offset;            /* MAP: value in entry; OPTIONAL (unboxed): value */
    const actr_field *fields;       /* STRUCT */
    const char *const *members;     /* ENUM: wire names, index = C value */
    size_t count;                   /* STRUCT: fields; ENUM: members */
} actr_type;

/* Descriptors of the scalar types, shared by all generated code. */
ACTR_API extern const actr_type actr_type_bool;
ACTR_API extern const actr_type actr_type_i8;
ACTR_API extern const actr_type actr_type_i16;
ACTR_API extern const actr_type actr_type_i32;
ACTR_API extern const actr_type actr_type_i64;
ACTR_API extern const actr_type actr_type_u8;
ACTR_API extern const actr_type actr_type_u16;
ACTR_API extern const actr_type actr_type_u32;
ACTR_API extern const actr_type actr_type_u64;
ACTR_API extern const actr_type actr_type_f32;
ACTR_API extern const actr_type actr_type_f64;
ACTR_API extern const actr_type actr_type_string;
ACTR_API extern const actr_type actr_type_bytes;
ACTR_API extern const actr_type actr_type_any;

/* Most fields a struct descriptor may have (actrc enforces it). */
#define ACTR_CODEC_MAX_FIELDS 256

/* Decoding limits. A value beyond one of them fails with ACTR_ETOOBIG. */
typedef struct actr_codec_limits {
    size_t max_str;       /* bytes in one string */
    size_t max_bytes;     /* bytes in one bytes value or one encoded any */
    size_t max_list;      /* items in one list (or array-encoded struct) */
    size_t max_map;       /* entries in one map (or map-encoded struct) */
    unsigned max_depth;   /* nested lists/maps/structs, outermost = 1 */
} actr_codec_limits;

/* Defaults used when a call gets NULL limits: 16 MiB strings, 64 MiB
 * bytes, 1M list items, 1M map entries, depth 32 (msgpack-c's own
 * unpacker nests no deeper than 32 either). */
#define ACTR_CODEC_LIMITS_DEFAULT {16u << 20, 64u << 20, 1000000u, 1000000u, 32u}
ACTR_API extern const actr_codec_limits actr_codec_default_limits;

/* Error record filled by a failing call (a successful call leaves it
 * alone). msg is NUL-terminated and names the field path. */
#define ACTR_CODEC_ERR_MAX 256
typedef struct actr_codec_err {
    int code;                     /* the ACTR_E* the call returned */
    char msg[ACTR_CODEC_ERR_MAX];
} actr_codec_err;

/* Writes *val (laid out as type t describes) to pk as one msgpack value.
 * Returns 0; ACTR_EINVAL for a value that cannot be encoded (NULL items
 * with a non-zero length, an enum outside its members, an any that is not
 * exactly one msgpack value, nesting deeper than 100); ACTR_ETOOBIG for a
 * length msgpack cannot represent; ACTR_ENOMEM when the packer's write
 * fails. On failure pk may hold a partial value: discard its buffer. err
 * may be NULL. */
ACTR_API ACTR_NODISCARD int actr_codec_encode(msgpack_packer *pk, const actr_type *t,
                                              const void *val, actr_codec_err *err);

/* Decodes obj into *out (t->size bytes of caller storage, treated as
 * uninitialised). lim NULL = actr_codec_default_limits; err may be NULL.
 * Returns 0 and the caller then owns *out (free it with actr_codec_free);
 * or a negative code (see the top of this file) with *out zeroed and
 * nothing leaked. Extra map keys of a struct are ignored; a key given
 * twice is ACTR_ETYPE. */
ACTR_API ACTR_NODISCARD int actr_codec_decode(const msgpack_object *obj, const actr_type *t,
                                              void *out, const actr_codec_limits *lim,
                                              actr_codec_err *err);

/* Releases everything a decoded value owns and zeroes it. Safe on a
 * zeroed value; never call it on a value whose pointers are borrowed. */
ACTR_API void actr_codec_free(const actr_type *t, void *val);

/* Appends one encoded value to sb (initialised by the caller). Same
 * returns as actr_codec_encode; on failure sb->size is restored. */
ACTR_API ACTR_NODISCARD int actr_codec_encode_buf(msgpack_sbuffer *sb, const actr_type *t,
                                                  const void *val, actr_codec_err *err);

/* Decodes buf[0..len), which must hold exactly one msgpack value (else
 * ACTR_EPROTO), into *out; otherwise as actr_codec_decode. The bytes are
 * scanned before msgpack-c unpacks them, so a forged element count
 * cannot make it allocate more than the input can hold; msgpack-c itself
 * nests no deeper than 32 (deeper input is ACTR_EPROTO even when
 * lim->max_depth allows it). Allocates msgpack-c's unpack zone besides
 * what the decoded value owns. */
ACTR_API ACTR_NODISCARD int actr_codec_decode_buf(const void *buf, size_t len,
                                                  const actr_type *t, void *out,
                                                  const actr_codec_limits *lim,
                                                  actr_codec_err *err);

/* Checks that buf[0..len) starts with one complete msgpack value nested
 * no deeper than max_depth and stores its length in *used. Returns 0,
 * ACTR_EPROTO (malformed or truncated) or ACTR_ETOOBIG (too deep). */
ACTR_API ACTR_NODISCARD int actr_msgpack_scan(const void *buf, size_t len,
                                              unsigned max_depth, size_t *used);

ACTR_END_DECLS

#endif
