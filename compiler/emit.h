/* compiler/emit.h: the C emitter (a checked module -> .h and .c text). */
#ifndef ACTRC_EMIT_H
#define ACTRC_EMIT_H

#include "ast.h"

#define ACTRC_VERSION "0.1.0"

/* The text of <module>.actor.h / .actor.c (malloc'd, NUL-terminated). */
char *emit_header(module *m, arena *a, size_t *len);
char *emit_source(module *m, arena *a, size_t *len);

/* Shared by both halves. */
void emit_banner(strbuf *b, const module *m);
/* s as a C string literal, quotes included; safe for any bytes. */
void emit_cstring(strbuf *b, const char *s);
/* s made safe inside a C comment: no comment delimiters, trigraphs or
 * control bytes, valid UTF-8. */
void emit_comment_text(strbuf *b, const char *s);
/* "T name" with the pointer star hugging the name ("ticker_quote *prev"). */
void emit_member(strbuf *b, const char *ctype, const char *name);

#endif
