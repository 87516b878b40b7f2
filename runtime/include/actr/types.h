/* actr/types.h: the value types shared by generated code, the codecs and
 * the wire layer. A value handed out by a decoder is owned by the caller
 * and released with the matching _free; a value the user builds to send
 * is only borrowed by the encoder. */
#ifndef ACTR_TYPES_H
#define ACTR_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/* ------------------------------------------------------------ helpers */

/* A view of the NUL-terminated string s, for passing to a stub: no copy,
 * so s must outlive the call; NULL gives the empty string. Does not block. */
static inline actr_str
actr_str_from(const char *s)
{
    actr_str v;
    v.ptr = (char *)(s != NULL ? s : "");
    v.len = s != NULL ? strlen(s) : 0;
    return v;
}

/* A view of a string literal, its length computed at compile time:
 * hello_greet(p, ACTR_STR("world"), &answer). C only (a compound literal). */
#define ACTR_STR(lit) ((actr_str){(char *)("" lit), sizeof(lit) - 1})

/* Free a string, bytes or any value that a stub, a decode or a receive
 * handed over (an out parameter), and zero it; safe on a zeroed value.
 * Never call them on a view (actr_str_from, ACTR_STR): it is borrowed.
 * (Generated types have their own: ticker_quote_free(&q).) */
ACTR_API void actr_str_free(actr_str *s);
ACTR_API void actr_bytes_free(actr_bytes *b);
ACTR_API void actr_any_free(actr_any *a);

ACTR_END_DECLS

#endif
