/* The lexer of actrc, turned into C by re2c at build time. The input is
 * a whole file with a NUL after its last byte; NUL bytes inside the file
 * are ordinary (invalid) characters, the one at len ends the input. */
#include "lexer.h"

#include <string.h>

void
lexer_init(lexer *l, const srcfile *f, diag *dg, arena *ar)
{
    memset(l, 0, sizeof *l);
    l->file = f;
    l->cur = (const unsigned char *)f->text;
    l->lim = l->cur + f->len;
    l->dg = dg;
    l->ar = ar;
}

void
lexer_fini(lexer *l)
{
    sb_free(&l->doc);
}

static loc
here(const lexer *l, const unsigned char *p)
{
    loc at = {l->file, (uint32_t)(p - (const unsigned char *)l->file->text)};
    return at;
}

/* Appends one doc line, without leading blanks and '*' decorations. */
static void
doc_line(lexer *l, const unsigned char *s, const unsigned char *e)
{
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        e--;
    if (l->doc.len > 0)
        sb_putc(&l->doc, '\n');
    sb_put(&l->doc, (const char *)s, (size_t)(e - s));
}

/* Skips a block comment whose "/" "*" was just read; a doc comment keeps
 * its text. Returns 0, or -1 if it is not closed. */
static int
block_comment(lexer *l, int is_doc)
{
    const unsigned char *start = l->cur;
    while (l->cur < l->lim) {
        if (l->cur[0] == '*' && l->cur + 1 < l->lim && l->cur[1] == '/')
            break;
        l->cur++;
    }
    if (l->cur >= l->lim) {
        diag_error(l->dg, here(l, l->tok), "unterminated comment");
        return -1;
    }
    if (is_doc) {
        const unsigned char *s = start;
        while (s <= l->cur) {
            const unsigned char *e = s;
            while (e < l->cur && *e != '\n')
                e++;
            const unsigned char *t = s;
            while (t < e && (*t == ' ' || *t == '\t'))
                t++;
            if (t < e && *t == '*')
                t++;
            /* a leading or trailing decoration-only line is dropped */
            int blank = 1;
            for (const unsigned char *k = t; k < e; k++)
                if (*k != ' ' && *k != '\t' && *k != '\r' && *k != '*')
                    blank = 0;
            if (!blank || (s != start && e != l->cur))
                doc_line(l, t, e);
            s = e + 1;
        }
    }
    l->cur += 2;
    return 0;
}

/* Reads a string literal whose opening quote was just read. Escapes:
 * \" \\ \n \t \r \xHH (not \x00). Strings end on the same line. */
static token
string_lit(lexer *l, token t)
{
    strbuf b = {0};
    int bad = 0;

    for (;;) {
        if (l->cur >= l->lim || *l->cur == '\n') {
            diag_error(l->dg, t.at, "unterminated string");
            sb_free(&b);
            t.kind = T_ERROR;
            t.end = (uint32_t)(l->cur - (const unsigned char *)l->file->text);
            return t;
        }
        unsigned char c = *l->cur++;
        if (c == '"')
            break;
        if (c == '\0') {
            if (!bad)
                diag_error(l->dg, here(l, l->cur - 1), "NUL byte in string");
            bad = 1;
            continue;
        }
        if (c != '\\') {
            sb_putc(&b, (char)c);
            continue;
        }
        unsigned char e = l->cur < l->lim ? *l->cur : 0;
        if (l->cur < l->lim && e != '\n')
            l->cur++;
        switch (e) {
        case '"': sb_putc(&b, '"'); break;
        case '\\': sb_putc(&b, '\\'); break;
        case 'n': sb_putc(&b, '\n'); break;
        case 't': sb_putc(&b, '\t'); break;
        case 'r': sb_putc(&b, '\r'); break;
        case 'x': {
            unsigned v = 0, n = 0;
            while (n < 2 && l->cur < l->lim && strchr("0123456789abcdefABCDEF", *l->cur)
                   && *l->cur != '\0') {
                unsigned char h = *l->cur++;
                v = v * 16 + (unsigned)(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
                n++;
            }
            if (n != 2 || v == 0) {
                if (!bad)
                    diag_error(l->dg, here(l, l->cur - n - 2),
                               "\\x needs two hex digits and may not be \\x00");
                bad = 1;
            } else {
                sb_putc(&b, (char)v);
            }
            break;
        }
        default:
            if (!bad)
                diag_error(l->dg, here(l, l->cur - 2), "unknown escape sequence in string");
            bad = 1;
            break;
        }
    }
    t.end = (uint32_t)(l->cur - (const unsigned char *)l->file->text);
    if (bad) {
        sb_free(&b);
        t.kind = T_ERROR;
        return t;
    }
    t.kind = T_STRING;
    t.text = arena_strndup(l->ar, b.ptr ? b.ptr : "", b.len);
    t.len = b.len;
    sb_free(&b);
    return t;
}

static tok
keyword(const unsigned char *s, size_t n)
{
    static const struct { const char *w; tok t; } kw[] = {
        {"module", T_MODULE}, {"import", T_IMPORT}, {"struct", T_STRUCT},
        {"enum", T_ENUM}, {"fn", T_FN}, {"gen", T_GEN}, {"context", T_CONTEXT},
    };
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
        if (strlen(kw[i].w) == n && memcmp(kw[i].w, s, n) == 0)
            return kw[i].t;
    return T_IDENT;
}

token
lexer_next(lexer *l)
{
    token t;

    for (;;) {
        memset(&t, 0, sizeof t);
        l->tok = l->cur;
        t.at = here(l, l->tok);
        /*!re2c
            re2c:define:YYCTYPE = "unsigned char";
            re2c:define:YYCURSOR = "l->cur";
            re2c:define:YYMARKER = "l->mar";
            re2c:define:YYLIMIT = "l->lim";
            re2c:yyfill:enable = 0;
            re2c:eof = 0;

            $ { t.kind = T_EOF; break; }

            [ \t\r\n\f\v]+ { continue; }
            "////" [^\n]* { continue; }
            "///" [^\n]* { doc_line(l, l->tok + 3, l->cur); continue; }
            "//" [^\n]* { continue; }
            "/**/" { continue; }
            "/**" {
                if (block_comment(l, 1) < 0) { t.kind = T_EOF; break; }
                continue;
            }
            "/*" {
                if (block_comment(l, 0) < 0) { t.kind = T_EOF; break; }
                continue;
            }

            [a-zA-Z_][a-zA-Z0-9_]* {
                t.kind = keyword(l->tok, (size_t)(l->cur - l->tok));
                t.len = (size_t)(l->cur - l->tok);
                t.text = arena_strndup(l->ar, (const char *)l->tok, t.len);
                break;
            }
            [0-9][0-9a-zA-Z_]* {
                t.kind = T_NUMBER;
                t.len = (size_t)(l->cur - l->tok);
                t.text = arena_strndup(l->ar, (const char *)l->tok, t.len);
                break;
            }
            ["] { t = string_lit(l, t); break; }

            "<->" { t.kind = T_BIARROW; break; }
            "->"  { t.kind = T_ARROW; break; }
            "{" { t.kind = T_LBRACE; break; }
            "}" { t.kind = T_RBRACE; break; }
            "[" { t.kind = T_LBRACK; break; }
            "]" { t.kind = T_RBRACK; break; }
            "(" { t.kind = T_LPAREN; break; }
            ")" { t.kind = T_RPAREN; break; }
            "<" { t.kind = T_LT; break; }
            ">" { t.kind = T_GT; break; }
            "," { t.kind = T_COMMA; break; }
            ";" { t.kind = T_SEMI; break; }
            ":" { t.kind = T_COLON; break; }
            "?" { t.kind = T_QUESTION; break; }
            "." { t.kind = T_DOT; break; }

            * {
                unsigned char c = *l->tok;
                if (c >= 0x21 && c < 0x7f)
                    diag_error(l->dg, t.at, "unexpected character '%c'", c);
                else
                    diag_error(l->dg, t.at, "unexpected byte 0x%02x", c);
                t.kind = T_ERROR;
                break;
            }
        */
    }
    if (t.end == 0)
        t.end = (uint32_t)(l->cur - (const unsigned char *)l->file->text);
    if (l->doc.len > 0 && t.kind != T_EOF) {
        t.doc = arena_strndup(l->ar, l->doc.ptr, l->doc.len);
        l->doc.len = 0;
    }
    return t;
}

const char *
tok_name(tok t)
{
    switch (t) {
    case T_EOF: return "end of file";
    case T_IDENT: return "identifier";
    case T_STRING: return "string";
    case T_NUMBER: return "number";
    case T_MODULE: return "'module'";
    case T_IMPORT: return "'import'";
    case T_STRUCT: return "'struct'";
    case T_ENUM: return "'enum'";
    case T_FN: return "'fn'";
    case T_GEN: return "'gen'";
    case T_CONTEXT: return "'context'";
    case T_LBRACE: return "'{'";
    case T_RBRACE: return "'}'";
    case T_LBRACK: return "'['";
    case T_RBRACK: return "']'";
    case T_LPAREN: return "'('";
    case T_RPAREN: return "')'";
    case T_LT: return "'<'";
    case T_GT: return "'>'";
    case T_COMMA: return "','";
    case T_SEMI: return "';'";
    case T_COLON: return "':'";
    case T_QUESTION: return "'?'";
    case T_DOT: return "'.'";
    case T_ARROW: return "'->'";
    case T_BIARROW: return "'<->'";
    case T_ERROR: return "invalid token";
    }
    return "token";
}
