/* compiler/ast.h: the syntax tree of an .actor module, plus what the
 * checker resolves on it (C names, composite types). All nodes live in
 * the compilation's arena; lists are singly linked in source order. */
#ifndef ACTRC_AST_H
#define ACTRC_AST_H

#include <stdbool.h>

#include "diag.h"

/* Scalar types, in IDL spelling order. */
typedef enum scalar {
    SC_BOOL = 1, SC_I8, SC_I16, SC_I32, SC_I64, SC_U8, SC_U16, SC_U32, SC_U64,
    SC_F32, SC_F64, SC_STRING, SC_BYTES, SC_ANY
} scalar;

typedef enum tyform {
    TY_SCALAR = 1,
    TY_LIST,       /* list<elem> */
    TY_MAP,        /* map<key, elem>; key must be string */
    TY_OPT,        /* elem? */
    TY_NAMED       /* [qual.]name: a struct or enum */
} tyform;

struct decl;
struct comp;
struct module;

typedef struct typeref {
    tyform form;
    scalar sc;                  /* TY_SCALAR */
    struct typeref *elem;       /* LIST, MAP value, OPT */
    struct typeref *key;        /* MAP */
    const char *qual;           /* NAMED: module qualifier or NULL */
    const char *name;           /* NAMED */
    loc at;
    /* set by the checker */
    struct decl *target;        /* NAMED: the struct or enum */
    struct comp *comp;          /* LIST, MAP, OPT: the composite type */
    const char *spell;          /* IDL spelling: "list<Quote>", "common.Addr" */
    const char *shortn;         /* C name part: "quote_list", "common_addr" */
    const char *ctype;          /* C member type: "ticker_quote_list", "ticker_quote *" */
    const char *cdesc;          /* descriptor: "&actr_type_i64", "&ticker_quote_type" */
} typeref;

/* A struct field, an endpoint parameter. */
typedef struct field {
    struct field *next;
    const char *name;
    const char *wire;           /* wire name (map key); = name unless `as` */
    typeref *type;
    const char *doc;
    loc at;
    loc wire_at;
} field;

typedef struct member {
    struct member *next;
    const char *name;
    const char *wire;
    const char *doc;
    loc at;
    loc wire_at;
} member;

typedef enum declkind { D_STRUCT = 1, D_ENUM, D_FN, D_GEN, D_CONTEXT } declkind;

typedef struct decl {
    struct decl *next;
    declkind kind;
    const char *name;
    const char *doc;
    loc at;
    struct module *mod;
    /* D_STRUCT: fields; endpoints: params */
    bool array;                 /* struct travels as an array */
    field *fields;
    int nfields;
    /* D_ENUM */
    member *members;
    int nmembers;
    /* endpoints */
    const char *wire;           /* function name on the wire */
    loc wire_at;
    typeref *result;            /* FN, CONTEXT; NULL = nil */
    typeref *yield;             /* GEN */
    typeref *started;           /* CONTEXT; NULL = nil */
    typeref *stream_out;        /* CONTEXT: callee -> caller */
    typeref *stream_in;         /* CONTEXT: caller -> callee */
    uint32_t window;            /* GEN, CONTEXT: default flow-control
                                   window (S27), 0 = none */
    /* set by the checker */
    const char *cname;          /* struct/enum: module_snake; endpoint: module_ep_args */
    const char *ucname;         /* upper-case cname, for enum members */
    int visit;                  /* recursion check state */
    bool emitted;               /* emitter state */
} decl;

typedef struct import {
    struct import *next;
    const char *path;           /* as written */
    loc at;
    struct module *mod;         /* resolved, or NULL */
} import;

/* A composite type used by a module: list, map or optional. Each distinct
 * spelling gets one C type (except boxed optionals: a pointer). */
typedef struct comp {
    struct comp *next;
    tyform form;
    const char *key;            /* canonical spelling, also the descriptor name */
    typeref *elem;              /* a representative element typeref */
    bool boxed;                 /* OPT of a struct: T * */
    const char *cname;          /* module_short */
    loc at;                     /* first use */
    bool emitted;               /* emitter state */
} comp;

typedef struct module {
    srcfile *file;
    const char *name;
    const char *ns;             /* wire namespace; = name unless `as` */
    const char *doc;
    loc at;
    import *imports;
    decl *decls;                /* structs, enums and endpoints in order */
    comp *comps;                /* set by the checker, in first-use order */
    bool runtime;               /* in a -R directory: one of actr's own */
    int state;                  /* loader: 0 new, 1 loading, 2 done */
    bool checked;
    struct module *next_loaded; /* driver's list of every loaded module */
} module;

/* The IDL spelling of a scalar ("i64"). */
const char *scalar_name(scalar s);
/* The scalar whose IDL name is s[0..n), or 0. */
scalar scalar_lookup(const char *s, size_t n);

#endif
