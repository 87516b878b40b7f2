/* The parser: tokens -> syntax tree, with panic-mode error recovery. */
#include "parser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lexer.h"

/* Deeper type nesting is refused rather than recursed into. */
#define MAX_TYPE_DEPTH 32

typedef struct parser {
    lexer lx;
    token tk;               /* current token */
    uint32_t prev_end;      /* end of the previous token */
    diag *dg;
    arena *ar;
    module *mod;
} parser;

static void
advance(parser *p)
{
    p->prev_end = p->tk.end;
    p->tk = lexer_next(&p->lx);
}

static loc
after_prev(parser *p)
{
    loc at = {p->lx.file, p->prev_end};
    return at;
}

static int
is_ident(parser *p, const char *word)
{
    return p->tk.kind == T_IDENT && strcmp(p->tk.text, word) == 0;
}

static void
describe(parser *p, char *buf, size_t cap)
{
    if (p->tk.kind == T_IDENT || p->tk.kind == T_NUMBER) {
        snprintf(buf, cap, "%s '%.40s'", tok_name(p->tk.kind), p->tk.text);
    } else {
        snprintf(buf, cap, "%s", tok_name(p->tk.kind));
    }
}

/* Reports "expected WHAT, got X". A missing ';' or closing bracket is
 * reported just after the previous token, where it belongs. Errors on an
 * invalid token were reported by the lexer already. */
static void
expected(parser *p, const char *what)
{
    char got[80];
    if (p->tk.kind == T_ERROR)
        return;
    describe(p, got, sizeof got);
    int at_prev = strcmp(what, "';'") == 0 && p->prev_end > 0;
    diag_error(p->dg, at_prev ? after_prev(p) : p->tk.at, "expected %s, got %s", what, got);
}

static int
expect(parser *p, tok kind)
{
    if (p->tk.kind == kind) {
        advance(p);
        return 1;
    }
    expected(p, tok_name(kind));
    return 0;
}

/* Reads an identifier into *name; `what` names it in the message. */
static int
expect_ident(parser *p, const char *what, const char **name, loc *at)
{
    if (p->tk.kind != T_IDENT) {
        expected(p, what);
        return 0;
    }
    *name = p->tk.text;
    if (at != NULL)
        *at = p->tk.at;
    advance(p);
    return 1;
}

/* Optional `as "wire-name"`. */
static int
wire_name(parser *p, const char **wire, loc *at)
{
    if (!is_ident(p, "as"))
        return 1;
    advance(p);
    if (p->tk.kind != T_STRING) {
        expected(p, "a string after 'as'");
        return 0;
    }
    *wire = p->tk.text;
    *at = p->tk.at;
    advance(p);
    return 1;
}

static int
starts_decl(tok t)
{
    return t == T_STRUCT || t == T_ENUM || t == T_FN || t == T_GEN || t == T_CONTEXT
           || t == T_IMPORT || t == T_MODULE;
}

/* Skips to the end of the broken item: past a ';' or before one of the
 * `stops` tokens at the same bracket depth, or before a declaration. */
static void
sync(parser *p, tok stop1, tok stop2)
{
    int depth = 0;
    for (;;) {
        tok k = p->tk.kind;
        if (k == T_EOF || (starts_decl(k) && depth == 0))
            return;
        if (depth == 0 && (k == stop1 || k == stop2))
            return;
        if (k == T_SEMI && depth == 0) {
            advance(p);
            return;
        }
        if (k == T_LBRACE || k == T_LBRACK || k == T_LPAREN) {
            depth++;
        } else if (k == T_RBRACE || k == T_RBRACK || k == T_RPAREN) {
            if (depth == 0)
                return;
            depth--;
        }
        advance(p);
    }
}

/* Loops that recover with sync() call this at the end of each round: if
 * the round consumed nothing, the token cannot start anything and goes. */
static void
progress(parser *p, uint32_t before)
{
    if (p->tk.at.off == before && p->tk.kind != T_EOF)
        advance(p);
}

/* ------------------------------------------------------------ types */

static typeref *
new_type(parser *p, tyform form, loc at)
{
    typeref *t = arena_alloc(p->ar, sizeof *t);
    t->form = form;
    t->at = at;
    return t;
}

static typeref *parse_type(parser *p, int depth);

static typeref *
parse_base(parser *p, int depth)
{
    loc at = p->tk.at;
    if (p->tk.kind != T_IDENT) {
        expected(p, "a type");
        return NULL;
    }
    const char *name = p->tk.text;
    size_t n = p->tk.len;
    advance(p);
    if (strcmp(name, "list") == 0 || strcmp(name, "map") == 0) {
        int is_map = name[0] == 'm';
        typeref *t = new_type(p, is_map ? TY_MAP : TY_LIST, at);
        if (!expect(p, T_LT))
            return NULL;
        if (is_map) {
            if ((t->key = parse_type(p, depth + 1)) == NULL || !expect(p, T_COMMA))
                return NULL;
        }
        if ((t->elem = parse_type(p, depth + 1)) == NULL || !expect(p, T_GT))
            return NULL;
        return t;
    }
    scalar sc = scalar_lookup(name, n);
    if (sc != 0) {
        typeref *t = new_type(p, TY_SCALAR, at);
        t->sc = sc;
        return t;
    }
    typeref *t = new_type(p, TY_NAMED, at);
    t->name = name;
    if (p->tk.kind == T_DOT) {
        advance(p);
        t->qual = name;
        if (!expect_ident(p, "a type name after '.'", &t->name, NULL))
            return NULL;
    }
    return t;
}

static typeref *
parse_type(parser *p, int depth)
{
    if (depth > MAX_TYPE_DEPTH) {
        diag_error(p->dg, p->tk.at, "type nested deeper than %d levels", MAX_TYPE_DEPTH);
        return NULL;
    }
    typeref *t = parse_base(p, depth);
    while (t != NULL && p->tk.kind == T_QUESTION) {
        typeref *o = new_type(p, TY_OPT, t->at);
        o->elem = t;
        t = o;
        advance(p);
    }
    return t;
}

/* ------------------------------------------------------------ declarations */

/* NAME ':' TYPE [as "wire"]; the terminator is the caller's. */
static field *
parse_field(parser *p, const char *what)
{
    field *f = arena_alloc(p->ar, sizeof *f);
    f->doc = p->tk.doc;
    if (!expect_ident(p, what, &f->name, &f->at) || !expect(p, T_COLON))
        return NULL;
    if ((f->type = parse_type(p, 0)) == NULL)
        return NULL;
    f->wire = f->name;
    f->wire_at = f->at;
    if (!wire_name(p, &f->wire, &f->wire_at))
        return NULL;
    return f;
}

static void
parse_struct(parser *p, decl *d)
{
    field **tail = &d->fields;
    tok close;

    if (!expect_ident(p, "a struct name", &d->name, &d->at))
        goto fail;
    if (p->tk.kind == T_LBRACK) {
        d->array = true;
        close = T_RBRACK;
    } else if (p->tk.kind == T_LBRACE) {
        close = T_RBRACE;
    } else {
        expected(p, "'{' or '['");
        goto fail;
    }
    advance(p);
    while (p->tk.kind != close && p->tk.kind != T_EOF && !starts_decl(p->tk.kind)) {
        uint32_t before = p->tk.at.off;
        field *f = parse_field(p, "a field name");
        if (f == NULL) {
            sync(p, close, close);
            progress(p, before);
            continue;
        }
        /* A missing ';' before the next field or the end is reported and
         * forgiven, so the next field is still checked. */
        if (!expect(p, T_SEMI) && p->tk.kind != T_IDENT && p->tk.kind != close) {
            sync(p, close, close);
            progress(p, before);
        }
        *tail = f;
        tail = &f->next;
        d->nfields++;
    }
    if (!expect(p, close))
        return;
    if (p->tk.kind == T_SEMI)
        advance(p);
    return;
fail:
    sync(p, T_EOF, T_EOF);
}

static void
parse_enum(parser *p, decl *d)
{
    member **tail = &d->members;

    if (!expect_ident(p, "an enum name", &d->name, &d->at) || !expect(p, T_LBRACE)) {
        sync(p, T_EOF, T_EOF);
        return;
    }
    while (p->tk.kind != T_RBRACE && p->tk.kind != T_EOF && !starts_decl(p->tk.kind)) {
        uint32_t before = p->tk.at.off;
        member *m = arena_alloc(p->ar, sizeof *m);
        m->doc = p->tk.doc;
        if (!expect_ident(p, "an enum member", &m->name, &m->at)) {
            sync(p, T_COMMA, T_RBRACE);
            if (p->tk.kind == T_COMMA)
                advance(p);
            progress(p, before);
            continue;
        }
        m->wire = m->name;
        m->wire_at = m->at;
        if (!wire_name(p, &m->wire, &m->wire_at)
            || (p->tk.kind != T_COMMA && p->tk.kind != T_RBRACE && !expect(p, T_COMMA))) {
            sync(p, T_COMMA, T_RBRACE);
        }
        *tail = m;
        tail = &m->next;
        d->nmembers++;
        if (p->tk.kind == T_COMMA)
            advance(p);
    }
    if (!expect(p, T_RBRACE))
        return;
    if (p->tk.kind == T_SEMI)
        advance(p);
}

static int
parse_params(parser *p, decl *d)
{
    field **tail = &d->fields;

    if (!expect(p, T_LPAREN))
        return 0;
    while (p->tk.kind != T_RPAREN && p->tk.kind != T_EOF && !starts_decl(p->tk.kind)) {
        uint32_t before = p->tk.at.off;
        field *f = parse_field(p, "a parameter name");
        if (f == NULL || (p->tk.kind != T_COMMA && p->tk.kind != T_RPAREN)) {
            if (f != NULL)
                expected(p, "',' or ')'");
            sync(p, T_COMMA, T_RPAREN);
        } else {
            *tail = f;
            tail = &f->next;
            d->nfields++;
        }
        if (p->tk.kind == T_COMMA)
            advance(p);
        progress(p, before);
    }
    return expect(p, T_RPAREN);
}

/* Optional `window N` after a stream's type: the endpoint's default
 * flow-control window (S27). Returns false after reporting a bad one. */
static bool
parse_window(parser *p, decl *d)
{
    if (!is_ident(p, "window"))
        return true;
    advance(p);
    loc at = p->tk.at;
    if (p->tk.kind != T_NUMBER) {
        expected(p, "a window size (a number of messages) after 'window'");
        return false;
    }
    char *end = NULL;
    unsigned long long n = strtoull(p->tk.text, &end, 10);
    if (!end || *end || n == 0 || n > 1000000) {
        diag_error(p->dg, at, "window '%s' is not a number of messages in 1..1000000",
                   p->tk.text);
        advance(p);
        return false;
    }
    d->window = (uint32_t)n;
    advance(p);
    return true;
}

/* context body: { started: T; stream: A <-> B [window N]; } */
static void
parse_context_body(parser *p, decl *d)
{
    advance(p);     /* { */
    while (p->tk.kind != T_RBRACE && p->tk.kind != T_EOF && !starts_decl(p->tk.kind)) {
        loc at = p->tk.at;
        uint32_t before = at.off;
        if (is_ident(p, "started") || is_ident(p, "stream")) {
            int is_started = strcmp(p->tk.text, "started") == 0;
            advance(p);
            if (!expect(p, T_COLON))
                goto bad;
            if (is_started) {
                if (d->started != NULL)
                    diag_error(p->dg, at, "context '%s' declares 'started' twice", d->name);
                if ((d->started = parse_type(p, 0)) == NULL)
                    goto bad;
            } else {
                if (d->stream_out != NULL)
                    diag_error(p->dg, at, "context '%s' declares 'stream' twice", d->name);
                if ((d->stream_out = parse_type(p, 0)) == NULL || !expect(p, T_BIARROW)
                    || (d->stream_in = parse_type(p, 0)) == NULL || !parse_window(p, d))
                    goto bad;
            }
            if (!expect(p, T_SEMI))
                goto bad;
            continue;
        }
        expected(p, "'started' or 'stream'");
bad:
        sync(p, T_RBRACE, T_RBRACE);
        progress(p, before);
    }
    if (expect(p, T_RBRACE) && p->tk.kind == T_SEMI)
        advance(p);
}

static void
parse_endpoint(parser *p, decl *d)
{
    if (!expect_ident(p, "an endpoint name", &d->name, &d->at))
        goto fail;
    d->wire = d->name;
    d->wire_at = d->at;
    if (!parse_params(p, d))
        goto fail;
    if (d->kind == D_GEN) {
        if (!is_ident(p, "yields")) {
            expected(p, "'yields'");
            goto fail;
        }
        advance(p);
        if ((d->yield = parse_type(p, 0)) == NULL || !parse_window(p, d))
            goto fail;
    } else if (p->tk.kind == T_ARROW) {
        advance(p);
        if ((d->result = parse_type(p, 0)) == NULL)
            goto fail;
    }
    if (!wire_name(p, &d->wire, &d->wire_at))
        goto fail;
    if (d->kind == D_CONTEXT && p->tk.kind == T_LBRACE) {
        parse_context_body(p, d);
        return;
    }
    if (expect(p, T_SEMI))
        return;
fail:
    sync(p, T_EOF, T_EOF);
}

static void
parse_import(parser *p)
{
    import *im = arena_alloc(p->ar, sizeof *im);
    advance(p);
    if (p->tk.kind != T_STRING) {
        expected(p, "a file name string after 'import'");
        sync(p, T_EOF, T_EOF);
        return;
    }
    im->path = p->tk.text;
    im->at = p->tk.at;
    advance(p);
    import **tail = &p->mod->imports;
    while (*tail != NULL)
        tail = &(*tail)->next;
    *tail = im;
    if (!expect(p, T_SEMI))
        sync(p, T_EOF, T_EOF);
}

static void
parse_module_decl(parser *p)
{
    module *m = p->mod;
    loc at = p->tk.at;
    const char *doc = p->tk.doc;
    const char *name = NULL, *ns = NULL;
    loc ns_at;

    advance(p);
    if (!expect_ident(p, "a module name", &name, &at) || !wire_name(p, &ns, &ns_at)
        || !expect(p, T_SEMI)) {
        sync(p, T_EOF, T_EOF);
    }
    if (m->name != NULL) {
        diag_error(p->dg, at, "second module declaration (the file declares '%s')",
                   m->name);
        return;
    }
    if (name == NULL)
        return;
    m->name = name;
    m->ns = ns != NULL ? ns : name;
    m->at = at;
    m->doc = doc;
}

module *
parse_module(srcfile *f, diag *dg, arena *ar)
{
    parser p;
    decl **tail;
    int saw_module = 0;

    memset(&p, 0, sizeof p);
    p.dg = dg;
    p.ar = ar;
    p.mod = arena_alloc(ar, sizeof *p.mod);
    p.mod->file = f;
    p.mod->at.file = f;
    tail = &p.mod->decls;
    lexer_init(&p.lx, f, dg, ar);
    advance(&p);
    while (p.tk.kind != T_EOF && !dg->stopped) {
        declkind kind = 0;
        switch (p.tk.kind) {
        case T_MODULE: saw_module = 1; parse_module_decl(&p); continue;
        case T_IMPORT: parse_import(&p); continue;
        case T_STRUCT: kind = D_STRUCT; break;
        case T_ENUM: kind = D_ENUM; break;
        case T_FN: kind = D_FN; break;
        case T_GEN: kind = D_GEN; break;
        case T_CONTEXT: kind = D_CONTEXT; break;
        default:
            expected(&p, "a declaration (struct, enum, fn, gen, context or import)");
            advance(&p);
            sync(&p, T_EOF, T_EOF);
            continue;
        }
        decl *d = arena_alloc(ar, sizeof *d);
        d->kind = kind;
        d->doc = p.tk.doc;
        d->mod = p.mod;
        d->at = p.tk.at;
        advance(&p);
        if (kind == D_STRUCT)
            parse_struct(&p, d);
        else if (kind == D_ENUM)
            parse_enum(&p, d);
        else
            parse_endpoint(&p, d);
        if (d->name != NULL) {
            *tail = d;
            tail = &d->next;
        }
    }
    if (!saw_module) {
        loc start = {f, 0};
        diag_error(dg, start, "missing 'module NAME;' declaration");
    }
    lexer_fini(&p.lx);
    return p.mod;
}
