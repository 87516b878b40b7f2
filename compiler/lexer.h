/* compiler/lexer.h: tokens of the .actor language (lexer.re, re2c). */
#ifndef ACTRC_LEXER_H
#define ACTRC_LEXER_H

#include "diag.h"
#include "util.h"

typedef enum tok {
    T_EOF = 0,
    T_IDENT,
    T_STRING,       /* text holds the decoded value */
    T_NUMBER,       /* not in the grammar; lexed for a clear error */
    /* keywords */
    T_MODULE, T_IMPORT, T_STRUCT, T_ENUM, T_FN, T_GEN, T_CONTEXT,
    /* punctuation */
    T_LBRACE, T_RBRACE, T_LBRACK, T_RBRACK, T_LPAREN, T_RPAREN,
    T_LT, T_GT, T_COMMA, T_SEMI, T_COLON, T_QUESTION, T_DOT,
    T_ARROW,        /* -> */
    T_BIARROW,      /* <-> */
    T_ERROR         /* already reported */
} tok;

typedef struct token {
    tok kind;
    loc at;
    uint32_t end;           /* offset just past the token */
    const char *text;       /* IDENT: the name; STRING: the value */
    size_t len;             /* length of text */
    const char *doc;        /* doc comment just before the token, or NULL */
} token;

typedef struct lexer {
    const srcfile *file;
    const unsigned char *cur, *lim, *mar, *tok;
    diag *dg;
    arena *ar;
    strbuf doc;             /* doc comment lines seen since the last token */
} lexer;

void lexer_init(lexer *l, const srcfile *f, diag *dg, arena *ar);
void lexer_fini(lexer *l);
/* The next token; errors are reported and come back as T_ERROR. */
token lexer_next(lexer *l);
/* How a token kind is shown in messages ("'{'", "identifier"). */
const char *tok_name(tok t);

#endif
