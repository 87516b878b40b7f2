/* hilevel/anyval.h: values kept encoded (actr_any) by the hilevel layer:
 * a service's arguments and started value, a broadcast's messages. One
 * encoding, then each reader decodes its own copy. Private. */
#ifndef ACTR_HILEVEL_ANYVAL_H
#define ACTR_HILEVEL_ANYVAL_H

#include <actr/codec.h>

/* An owned copy of src (a zero src gives a zero dst). 0 / ACTR_ENOMEM. */
int hl_anyval_dup(actr_any *dst, const actr_any *src);

/* *v of type t (NULL t or v: nil) encoded into an owned *out. Returns 0,
 * or the codec's error with a detail naming what (e.g. "arguments of
 * m:f"). */
int hl_anyval_encode(const actr_type *t, const void *v, actr_any *out, const char *what);

/* Decodes *src with t into caller storage *out (owned by the caller).
 * Nothing happens for a NULL t or out. Returns 0 or the codec's error. */
int hl_anyval_decode(const actr_type *t, const actr_any *src, void *out, const char *what);

/* 1 for a zero value or an encoded nil. */
int hl_anyval_is_nil(const actr_any *a);

#endif
