/* actr/types.h: the value types shared by generated code, the codecs and
 * the wire layer. A value handed out by a decoder is owned by the caller
 * and released with the matching _free; a value the user builds to send
 * is only borrowed by the encoder. */
#ifndef ACTR_TYPES_H
#define ACTR_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"

ACTR_BEGIN_DECLS

/* A UTF-8 string of len bytes. Strings a codec decodes into an owned
 * value are NUL-terminated as well (ptr[len] == 0), so they can be passed
 * to C string functions; a borrowed view into a frame (a decoded
 * actr_msg, see actr/wire.h) is not, until actr_msg_dup copies it. */
typedef struct actr_str {
    char *ptr;
    size_t len;
} actr_str;

/* An opaque byte string (msgpack bin). */
typedef struct actr_bytes {
    uint8_t *ptr;
    size_t len;
} actr_bytes;

/* One complete msgpack value, kept encoded: the IDL's `any`, and every
 * payload whose type the runtime does not know. */
typedef struct actr_any {
    uint8_t *ptr;
    size_t len;
} actr_any;

ACTR_END_DECLS

#endif
