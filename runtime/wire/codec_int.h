/* wire/codec_int.h: helpers shared by the codec files (not public). */
#ifndef ACTR_WIRE_CODEC_INT_H
#define ACTR_WIRE_CODEC_INT_H

#include <actr/codec.h>

/* Re-encodes obj (nested no deeper than max_depth levels below depth) into
 * a fresh heap buffer of exactly the encoded size, for the IDL's `any`.
 * Returns 0, ACTR_ETOOBIG (too deep, or longer than max_len) or
 * ACTR_ENOMEM. *out is written only on success. */
int actri_codec_any_from_object(const msgpack_object *obj, unsigned depth,
                                unsigned max_depth, size_t max_len, actr_any *out);

/* Name of a msgpack object's type as error messages spell it ("string"). */
const char *actri_codec_objname(const msgpack_object *obj);

/* 1 if s[0..len) is valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int actri_codec_utf8_valid(const char *s, size_t len);

#endif
