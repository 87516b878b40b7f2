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
/* A doc comment at the given indent: one line, or a block. */
void emit_doc(strbuf *b, const char *indent, const char *doc);
/* An endpoint as the IDL spells it: "fn add(a: i64, b: i64) -> i64". */
void emit_signature(strbuf *b, const decl *d);

/* Endpoint stubs (emit_stubs.c): the header section (handle types,
 * caller stubs, impl declarations, callee helpers) and the source
 * section (weak impl declarations and trampolines). */
void emit_stub_header(strbuf *b, module *m, arena *a);
void emit_stub_source(strbuf *b, module *m, arena *a);
/* The name of endpoint d's trampoline, for the descriptor. */
const char *emit_invoke_name(const module *m, const decl *d, arena *a);

#endif
