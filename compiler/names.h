/* compiler/names.h: how IDL names become C names, and which are banned. */
#ifndef ACTRC_NAMES_H
#define ACTRC_NAMES_H

#include "util.h"

/* "QuoteBook" -> "quote_book", "HTTPServer" -> "http_server". */
char *name_snake(arena *a, const char *s);
/* Upper-cases an ASCII string. */
char *name_upper(arena *a, const char *s);
/* NULL if s may be an IDL name, else why not ("contains '__'"). */
const char *name_shape_error(const char *s);
/* 1 if s is a C or C++ keyword or an identifier the C library or the
 * compiler may define as a macro (errno, NULL, linux, int64_t ...). */
int name_is_reserved(const char *s);

struct decl;
/* The C identifiers actrc emits for endpoint d besides its argument
 * struct and its codecs: the caller's stubs and handle type, the callee's
 * impl, handle type and helpers, the trampoline. Each is a suffix of
 * "<module>_<snake name>"; up to cap of them go to sfx; returns how many
 * there are (at most NAME_EP_SUFFIX_MAX). */
#define NAME_EP_SUFFIX_MAX 32
size_t name_endpoint_suffixes(const struct decl *d, const char **sfx, size_t cap);

#endif
