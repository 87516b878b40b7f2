/* The C emitter, endpoint stubs: typed caller stubs over actr/portal.h
 * and actr/ctx.h (and, for streams and contexts, over the hilevel layer's
 * actr/broadcast.h, actr/service.h and actr/cluster.h), the callee's impl
 * declarations and typed helpers (in
 * the header, all static inline: a program pays only for what it uses),
 * and the trampolines the module descriptor points at (in the source).
 *
 * How values cross a stub (one rule for parameters, stream values and
 * started values): scalars, enums, strings, bytes and `any` by value;
 * structs, lists and maps by const pointer (borrowed, never NULL); an
 * optional `T?` as a const pointer to a T, NULL when absent. Values that
 * come back (results, received stream values, started values) go to a
 * pointer to caller storage of the C type, owned by the caller. */
#include "emit.h"

#include <string.h>

#include "names.h"

/* How a value of type t is passed in. */
typedef enum pform {
    PF_VALUE = 1,   /* T name */
    PF_PTR,         /* const T *name, never NULL */
    PF_BOXED,       /* T? of a struct: const T *name, NULL = absent; stored as T * */
    PF_OPT          /* other T?: const T *name, NULL = absent; stored as {has, value} */
} pform;

static pform
form_of(const typeref *t)
{
    switch (t->form) {
    case TY_SCALAR:
        return PF_VALUE;
    case TY_NAMED:
        return t->target->kind == D_ENUM ? PF_VALUE : PF_PTR;
    case TY_OPT:
        return t->comp->boxed ? PF_BOXED : PF_OPT;
    default:
        return PF_PTR;
    }
}

/* A parameter list being built, one declaration per entry. */
typedef struct plist {
    const char **v;
    size_t n;
} plist;

static plist
pl_new(arena *a, const decl *d)
{
    plist l = {arena_alloc(a, ((size_t)d->nfields + 8) * sizeof(char *)), 0};
    return l;
}

static void
pl_add(plist *l, const char *s)
{
    l->v[l->n++] = s;
}

/* text as a block comment filled to 80 columns ("\n * " in text counts
 * as a space, so callers may pre-break their literals anywhere). */
static void
emit_comment(strbuf *b, const char *text)
{
    size_t col = 2;
    sb_puts(b, "/*");
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == '\n' || (*p == '*' && p[1] == ' ' && p > text && p[-1] == ' '))
            p++;
        size_t n = strcspn(p, " \n");
        if (n == 0)
            break;
        if (col > 2 && col + 1 + n > 80) {
            sb_puts(b, "\n *");
            col = 2;
        }
        sb_putc(b, ' ');
        sb_put(b, p, n);
        col += 1 + n;
        p += n;
    }
    sb_puts(b, " */\n");
}

/* The declaration of an input value of type t called name. */
static const char *
in_decl(arena *a, const typeref *t, const char *name)
{
    switch (form_of(t)) {
    case PF_VALUE: {
        strbuf b = {0};
        emit_member(&b, t->ctype, name);
        const char *s = arena_strdup(a, b.ptr);
        sb_free(&b);
        return s;
    }
    case PF_PTR:
        return arena_printf(a, "const %s *%s", t->ctype, name);
    default:
        return arena_printf(a, "const %s *%s", t->elem->ctype, name);
    }
}

/* The declaration of an output pointer to a value of type t. */
static const char *
out_decl(arena *a, const typeref *t, const char *name)
{
    strbuf b = {0};
    emit_member(&b, arena_printf(a, "%s *", t->ctype), name);
    const char *s = arena_strdup(a, b.ptr);
    sb_free(&b);
    return s;
}

/* Prints "lead name(p1, p2, ...)tail" wrapped at 96 columns, continuation
 * lines aligned after the parenthesis. */
static void
emit_proto(strbuf *b, const char *lead, const char *name, const plist *l, const char *tail)
{
    size_t col = strlen(lead) + strlen(name) + 1, indent = col;
    sb_printf(b, "%s%s(", lead, name);
    if (l->n == 0) {
        sb_puts(b, "void");
        col += 4;
    }
    for (size_t i = 0; i < l->n; i++) {
        size_t w = strlen(l->v[i]) + (i + 1 < l->n ? 1 : 1 + strlen(tail));
        if (i > 0) {
            if (col + 1 + w > 96) {
                sb_printf(b, ",\n%*s", (int)indent, "");
                col = indent;
            } else {
                sb_puts(b, ", ");
                col += 2;
            }
        }
        sb_puts(b, l->v[i]);
        col += strlen(l->v[i]);
    }
    sb_printf(b, ")%s\n", tail);
}

/* A name for a generated parameter or local of d's functions: base
 * itself unless a parameter of d is called so; then base + "_", which no
 * IDL name can be (names may not end with '_'). */
static const char *
fx(arena *a, const decl *d, const char *base)
{
    for (const field *f = d->fields; f != NULL; f = f->next)
        if (strcmp(f->name, base) == 0)
            return arena_printf(a, "%s_", base);
    return base;
}

/* Statements storing input value src (declared by in_decl) into dst. */
static void
emit_store(strbuf *b, const typeref *t, const char *src, const char *dst)
{
    switch (form_of(t)) {
    case PF_VALUE:
        sb_printf(b, "    %s = %s;\n", dst, src);
        break;
    case PF_PTR:
        sb_printf(b, "    %s = *%s;\n", dst, src);
        break;
    case PF_BOXED:
        /* the encoder only reads through it */
        sb_printf(b, "    %s = (%s)%s;\n", dst, t->ctype, src);
        break;
    case PF_OPT:
        sb_printf(b, "    if (%s != NULL) {\n        %s.has = true;\n        %s.value = *%s;\n"
                  "    }\n", src, dst, dst, src);
        break;
    }
}

/* "if (x == NULL || y == NULL) return ACTR_EINVAL;" for the required
 * pointer parameters of d, if any. */
static void
emit_null_checks(strbuf *b, const decl *d)
{
    int n = 0;
    for (const field *f = d->fields; f != NULL; f = f->next) {
        if (form_of(f->type) != PF_PTR)
            continue;
        sb_printf(b, "%s%s == NULL", n++ ? " || " : "    if (", f->name);
    }
    if (n > 0)
        sb_puts(b, ")\n        return ACTR_EINVAL;\n");
}

/* The body of a function that passes input value v (type t) as a
 * `const void *` to call "fn(handle, <value>)". */
static void
emit_pass_value(strbuf *b, const typeref *t, const char *fn, const char *handle)
{
    switch (form_of(t)) {
    case PF_VALUE:
    case PF_BOXED:
        sb_printf(b, "    return %s(%s, &v);\n", fn, handle);
        break;
    case PF_PTR:
        sb_printf(b, "    if (v == NULL)\n        return ACTR_EINVAL;\n    return %s(%s, v);\n",
                  fn, handle);
        break;
    case PF_OPT:
        sb_printf(b, "    %s tmp;\n\n    memset(&tmp, 0, sizeof tmp);\n", t->ctype);
        emit_store(b, t, "v", "tmp");
        sb_printf(b, "    return %s(%s, &tmp);\n", fn, handle);
        break;
    }
}

/* ------------------------------------------------------------ header */

typedef struct semit {
    strbuf *b;
    module *m;
    arena *a;
    const decl *d;
    const char *pre;        /* "<module>_<snake name>" */
    int idx;                /* index in the module's endpoint table */
} semit;

static void
add_params(semit *s, plist *l)
{
    for (const field *f = s->d->fields; f != NULL; f = f->next)
        pl_add(l, in_decl(s->a, f->type, f->name));
}

/* Declares the locals of an opening stub and fills its args struct. */
static void
emit_fill_args(semit *s, const char *args, int with_ctx)
{
    strbuf *b = s->b;
    sb_printf(b, "    %s %s;\n", s->d->cname, args);
    if (with_ctx)
        sb_printf(b, "    actr_ctx *%s = NULL;\n    int %s;\n", fx(s->a, s->d, "c"),
                  fx(s->a, s->d, "rc"));
    sb_putc(b, '\n');
    emit_null_checks(b, s->d);
    sb_printf(b, "    memset(&%s, 0, sizeof %s);\n", args, args);
    for (const field *f = s->d->fields; f != NULL; f = f->next)
        emit_store(b, f->type, f->name, arena_printf(s->a, "%s.%s", args, f->name));
}

static const char *
ep_ref(semit *s)
{
    return arena_printf(s->a, "&%s_module.endpoints[%d]", s->m->name, s->idx);
}

static void emit_endpoint_accessor(semit *s);

/* run_in_actor: P_run spawns a child and calls the endpoint in it,
 * P_run_result waits for what it returned. */
static void
emit_caller_run(semit *s)
{
    strbuf *b = s->b;
    arena *a = s->a;
    const decl *d = s->d;
    const char *an = fx(a, d, "an"), *name = fx(a, d, "name"), *opts = fx(a, d, "opts");
    const char *portal = fx(a, d, "portal"), *args = fx(a, d, "args"), *out = fx(a, d, "out");
    plist l = pl_new(a, d);

    emit_comment(b, arena_printf(a, "run_in_actor: spawns a child actor called %s in the actor "
                                 "nursery %s (%s: NULL = defaults, as actr_actor_nursery_start), "
                                 "calls %s in it and stores the child's portal in *%s (owned by "
                                 "the nursery). The nursery cancels the child once its result has "
                                 "come; read it with %s_run_result. Returns 0 or an error of "
                                 "actr_actor_nursery_run. Cancellation point.", name, an, opts,
                                 d->name, portal, s->pre));
    pl_add(&l, arena_printf(a, "actr_actor_nursery *%s", an));
    pl_add(&l, arena_printf(a, "const char *%s", name));
    pl_add(&l, arena_printf(a, "const actr_spawn_opts *%s", opts));
    add_params(s, &l);
    pl_add(&l, arena_printf(a, "actr_portal **%s", portal));
    sb_puts(b, "static inline ACTR_NODISCARD int\n");
    emit_proto(b, "", arena_printf(a, "%s_run", s->pre), &l, "");
    sb_puts(b, "{\n");
    emit_fill_args(s, args, 0);
    sb_printf(b, "    return actr_actor_nursery_run(%s, %s, %s, %s, &%s, %s);\n}\n\n", an, name,
              opts, ep_ref(s), args, portal);

    plist r = pl_new(a, d);
    pl_add(&r, arena_printf(a, "actr_portal *%s", portal));
    if (d->result)
        pl_add(&r, out_decl(a, d->result, out));
    emit_comment(b, arena_printf(a, "Waits for the result of the child started by %s_run%s. "
                                 "Cached: every call returns the same outcome. Returns 0 or the "
                                 "child's error (actr_portal_result). Cancellation point.", s->pre,
                                 d->result ? arena_printf(a, " and stores it in *%s (a fresh copy "
                                 "each call, owned by the caller; NULL discards it)", out) : ""));
    sb_puts(b, "static inline ACTR_NODISCARD int\n");
    emit_proto(b, "", arena_printf(a, "%s_run_result", s->pre), &r, "");
    sb_printf(b, "{\n    return actr_portal_result(%s, %s);\n}\n\n", portal,
              d->result ? out : "NULL");
}

static void
emit_caller_fn(semit *s)
{
    strbuf *b = s->b;
    arena *a = s->a;
    const decl *d = s->d;
    const char *p = fx(a, d, "p"), *out = fx(a, d, "out"), *args = fx(a, d, "args");
    plist l = pl_new(a, d);

    emit_comment(b, arena_printf(a, "Calls %s on the actor behind %s and waits for its result%s. "
                                 "Returns 0 or an error of actr/portal.h. Cancellation point.",
                                 d->name, p, d->result ? arena_printf(a, ", stored in *%s (owned "
                                 "by the caller; NULL discards it)", out) : " (nil)"));
    pl_add(&l, arena_printf(a, "actr_portal *%s", p));
    add_params(s, &l);
    if (d->result)
        pl_add(&l, out_decl(a, d->result, out));
    sb_puts(b, "static inline ACTR_NODISCARD int\n");
    emit_proto(b, "", s->pre, &l, "");
    sb_puts(b, "{\n");
    emit_fill_args(s, args, 0);
    sb_printf(b, "    return actr_portal_call(%s, %s, &%s, %s);\n}\n\n", p, ep_ref(s), args,
              d->result ? out : "NULL");
    emit_caller_run(s);
    emit_endpoint_accessor(s);
}

/* One static inline wrapper "ret name(params) { body }" with a comment. */
static void
emit_wrapper(semit *s, const char *comment, const char *ret, const char *sfx,
             const plist *l, const char *body)
{
    emit_comment(s->b, comment);
    sb_printf(s->b, "static inline %s\n", ret);
    emit_proto(s->b, "", arena_printf(s->a, "%s%s", s->pre, sfx), l, "");
    sb_printf(s->b, "{\n%s}\n\n", body);
}

/* Wrapper of a generic call on the typed handle "h" with an output or no
 * value: ret name(T *h[, V *v]) { return fn((base *)h[, v]); } */
static void
emit_forward(semit *s, const char *comment, const char *ret, const char *sfx,
             const char *handle_t, const char *base_t, const char *fn, const typeref *outv,
             int discard)
{
    plist l = {arena_alloc(s->a, 2 * sizeof(char *)), 0};
    pl_add(&l, arena_printf(s->a, "%s *h", handle_t));
    if (outv != NULL)
        pl_add(&l, out_decl(s->a, outv, "v"));
    const char *body = arena_printf(s->a, "    return %s((%s *)h%s);\n", fn, base_t,
                                    outv != NULL ? ", v" : discard ? ", NULL" : "");
    emit_wrapper(s, comment, ret, sfx, &l, body);
}

/* Wrapper sending input value v of type t (NULL t: nil) through fn. */
static void
emit_sender(semit *s, const char *comment, const char *sfx, const char *handle_t,
            const char *base_t, const char *fn, const typeref *t)
{
    plist l = {arena_alloc(s->a, 2 * sizeof(char *)), 0};
    pl_add(&l, arena_printf(s->a, "%s *h", handle_t));
    strbuf body = {0};
    const char *cast = arena_printf(s->a, "(%s *)h", base_t);
    if (t == NULL) {
        sb_printf(&body, "    return %s(%s, NULL);\n", fn, cast);
    } else {
        pl_add(&l, in_decl(s->a, t, "v"));
        emit_pass_value(&body, t, fn, cast);
    }
    emit_wrapper(s, comment, "ACTR_NODISCARD int", sfx, &l, body.ptr);
    sb_free(&body);
}

static void
emit_base(semit *s, const char *handle_t, const char *base_t, const char *sfx,
          const char *what)
{
    plist l = {arena_alloc(s->a, sizeof(char *)), 0};
    pl_add(&l, arena_printf(s->a, "%s *h", handle_t));
    const char *hdr = strcmp(base_t, "actr_bcast_sub") == 0 ? "actr/broadcast.h" : "actr/ctx.h";
    emit_wrapper(s, arena_printf(s->a, "The generic %s behind h (%s), for the calls "
                                 "without a typed\n * wrapper.", what, hdr),
                 arena_printf(s->a, "%s *", base_t), sfx, &l,
                 arena_printf(s->a, "    return (%s *)h;\n", base_t));
}

/* P_endpoint: the endpoint's descriptor, for the generic calls that take
 * one (actr_service_define, actr_ctx_gather, ...). */
static void
emit_endpoint_accessor(semit *s)
{
    plist l = {NULL, 0};
    emit_wrapper(s, arena_printf(s->a, "The descriptor of %s (actr/module.h), for the generic "
                                 "calls that take an endpoint.", s->d->name),
                 "const actr_endpoint *", "_endpoint", &l,
                 arena_printf(s->a, "    return %s;\n", ep_ref(s)));
}

/* S22: a subscriber of the stream (actr/broadcast.h): P_subscribe and
 * the typed P_sub_* on the handle P_sub. */
static void
emit_broadcast(semit *s, const typeref *recv_t, const typeref *send_t)
{
    arena *a = s->a;
    const char *sub_t = arena_printf(a, "%s_sub", s->pre);
    plist l = {arena_alloc(a, 3 * sizeof(char *)), 0};
    pl_add(&l, arena_printf(a, "%s *h", s->pre));
    pl_add(&l, "const actr_bcast_opts *opts");
    pl_add(&l, arena_printf(a, "%s **out", sub_t));
    emit_wrapper(s, arena_printf(a, "Subscribes to the stream of h (S22, actr/broadcast.h): "
                                 "from now on the subscriber stored in *out receives every value "
                                 "h receives, and may send; close it with %s_close. (opts: NULL "
                                 "= defaults.) Returns 0 or an error (actr_ctx_subscribe).",
                                 sub_t), "ACTR_NODISCARD int", "_subscribe", &l,
                 arena_printf(a, "    actr_bcast_sub *sub = NULL;\n    int rc = "
                              "actr_ctx_subscribe((actr_ctx *)h, opts, &sub);\n\n"
                              "    if (rc >= 0)\n        *out = (%s *)sub;\n    return rc;\n",
                              sub_t));
    emit_forward(s, "Receives the subscriber's next value into *v (its own copy, owned by "
                 "the\n * caller). Returns 0, ACTR_ELAGGED when it fell behind its buffer, "
                 "ACTR_EPIPE\n * at the end of the stream, or an error (actr_bcast_recv). "
                 "Cancellation point.", "ACTR_NODISCARD int", "_sub_recv", sub_t,
                 "actr_bcast_sub", "actr_bcast_recv", recv_t, 0);
    if (send_t != NULL)
        emit_sender(s, "Sends v on the stream (borrowed). Returns 0 or an error "
                    "(actr_bcast_send).\n * Cancellation point.", "_sub_send", sub_t,
                    "actr_bcast_sub", "actr_bcast_send", send_t);
    plist c = {arena_alloc(a, sizeof(char *)), 0};
    pl_add(&c, arena_printf(a, "%s *h", sub_t));
    emit_wrapper(s, "Unsubscribes and frees h; the other subscribers go on.", "void",
                 "_sub_close", &c, "    actr_bcast_close((actr_bcast_sub *)h);\n");
    emit_base(s, sub_t, "actr_bcast_sub", "_sub_base", "subscriber");
}

/* A stub that packs its parameters into the endpoint's args struct and
 * returns call (a printf format whose %s is the args local's name). */
static void
emit_args_stub(semit *s, const char *comment, const char *sfx, const plist *l,
               const char *call)
{
    const char *args = fx(s->a, s->d, "args");
    emit_comment(s->b, comment);
    sb_puts(s->b, "static inline ACTR_NODISCARD int\n");
    emit_proto(s->b, "", arena_printf(s->a, "%s%s", s->pre, sfx), l, "");
    sb_puts(s->b, "{\n");
    emit_fill_args(s, args, 0);
    sb_puts(s->b, "    return ");
    sb_printf(s->b, call, args);
    sb_puts(s->b, ";\n}\n\n");
}

/* S23 and clusters: the context as a service (actr/service.h), started
 * here or asked of a daemon, and gathered over many portals
 * (actr/cluster.h). */
static void
emit_ctx_hilevel(semit *s)
{
    arena *a = s->a;
    const decl *d = s->d;
    const char *m = fx(a, d, "m"), *name = fx(a, d, "name"), *opts = fx(a, d, "opts");
    const char *started = fx(a, d, "started"), *daemon = fx(a, d, "daemon");
    const char *ps = fx(a, d, "ps"), *n = fx(a, d, "n"), *out = fx(a, d, "out");
    const char *st = d->started ? started : "NULL";
    const char *st_doc = d->started ? arena_printf(a, " (its started value into *%s, owned "
                                                   "by the caller; NULL discards it)", started)
                                    : "";

    plist l = pl_new(a, d);
    pl_add(&l, arena_printf(a, "actr_service_mngr *%s", m));
    pl_add(&l, arena_printf(a, "const char *%s", name));
    pl_add(&l, arena_printf(a, "const actr_service_opts *%s", opts));
    add_params(s, &l);
    if (d->started)
        pl_add(&l, out_decl(a, d->started, started));
    emit_args_stub(s, arena_printf(a, "start_service (S23, actr/service.h): spawns a daemon "
                                   "child called %s in the service manager %s (%s: its spawn "
                                   "options, enabling this module, and restart policy) and opens "
                                   "%s in it as the service's supervising context%s; a service "
                                   "of that name already running is returned as is. Returns 0 or "
                                   "an error (actr_service_start). Cancellation point.", name, m,
                                   opts, d->name, st_doc), "_start_service", &l,
                   arena_printf(a, "actr_service_start(%s, %s, %s, %s, &%%s, %s)", m, name,
                                opts, ep_ref(s), st));

    plist r = pl_new(a, d);
    pl_add(&r, arena_printf(a, "actr_portal *%s", daemon));
    pl_add(&r, arena_printf(a, "const char *%s", name));
    add_params(s, &r);
    if (d->started)
        pl_add(&r, out_decl(a, d->started, started));
    emit_args_stub(s, arena_printf(a, "Asks the service manager of the actor behind %s to start "
                                   "its service %s (as it defined it, this context opened with "
                                   "these arguments) or to hand back the one running%s. Returns "
                                   "0 or an error (actr_service_remote_start). Cancellation "
                                   "point.", daemon, name, st_doc), "_request_service", &r,
                   arena_printf(a, "actr_service_remote_start(%s, %s, %s, &%%s, %s, NULL)",
                                daemon, name, ep_ref(s), st));

    plist g = pl_new(a, d);
    pl_add(&g, arena_printf(a, "actr_portal *const *%s", ps));
    pl_add(&g, arena_printf(a, "size_t %s", n));
    add_params(s, &g);
    pl_add(&g, arena_printf(a, "const actr_ctx_opts *%s", opts));
    pl_add(&g, arena_printf(a, "actr_ctx_group **%s", out));
    if (d->started)
        pl_add(&g, out_decl(a, d->started, started));
    emit_args_stub(s, arena_printf(a, "gather_contexts (actr/cluster.h): opens %s with these "
                                   "arguments on each of %s[0..%s) concurrently and stores the "
                                   "group in *%s (close it with actr_ctx_group_close)%s. Returns "
                                   "0, or the first error (the rest cancelled, nothing left) "
                                   "(actr_ctx_gather). Cancellation point.", d->name, ps, n, out,
                                   d->started ? arena_printf(a, "; the started values go to "
                                                             "%s[0..%s) (owned by the caller; "
                                                             "NULL discards them)", started, n)
                                              : ""), "_gather", &g,
                   arena_printf(a, "actr_ctx_gather(%s, %s, %s, &%%s, 0, %s, %s, %s)", ps, n,
                                ep_ref(s), opts, out, st));

    plist gg = {arena_alloc(a, 2 * sizeof(char *)), 0};
    pl_add(&gg, "actr_ctx_group *g");
    pl_add(&gg, "size_t i");
    emit_wrapper(s, arena_printf(a, "Context i of a group gathered with %s_gather, typed "
                                 "(owned by the group;\n * NULL when i is out of range).",
                                 s->pre), arena_printf(a, "%s *", s->pre), "_group_get", &gg,
                 arena_printf(a, "    return (%s *)actr_ctx_group_get(g, i);\n", s->pre));
}

static void
emit_caller_gen(semit *s)
{
    strbuf *b = s->b;
    arena *a = s->a;
    const decl *d = s->d;
    const char *p = fx(a, d, "p"), *out = fx(a, d, "out"), *args = fx(a, d, "args");
    const char *c = fx(a, d, "c"), *rc = fx(a, d, "rc");
    plist l = pl_new(a, d);

    emit_comment(b, arena_printf(a, "Opens the generator %s on the actor behind %s and stores its "
                                 "stream in *%s, which the caller closes with %s_close. Returns 0 "
                                 "or an error of actr/portal.h (nothing to close). Cancellation "
                                 "point.", d->name, p, out, s->pre));
    pl_add(&l, arena_printf(a, "actr_portal *%s", p));
    add_params(s, &l);
    pl_add(&l, arena_printf(a, "%s **%s", s->pre, out));
    sb_puts(b, "static inline ACTR_NODISCARD int\n");
    emit_proto(b, "", arena_printf(a, "%s_open", s->pre), &l, "");
    sb_puts(b, "{\n");
    emit_fill_args(s, args, 1);
    sb_printf(b, "    %s = actr_stream_open(%s, %s, &%s, &%s);\n    if (%s >= 0)\n"
              "        *%s = (%s *)%s;\n    return %s;\n}\n\n", rc, p, ep_ref(s), args, c, rc,
              out, s->pre, c, rc);
    emit_forward(s, "Receives the next yielded value into *v (owned by the caller). Returns "
                 "0,\n * ACTR_EPIPE when the generator has ended, or an error (actr/ctx.h). "
                 "Cancellation point.", "ACTR_NODISCARD int", "_recv", s->pre, "actr_ctx",
                 "actr_ctx_recv", d->yield, 0);
    emit_forward(s, "Ends the stream and frees h, always; a generator still running is "
                 "cancelled.\n * Returns 0 or its error (actr_ctx_close).", "int", "_close",
                 s->pre, "actr_ctx", "actr_ctx_close", NULL, 0);
    emit_base(s, s->pre, "actr_ctx", "_base", "stream");
    emit_broadcast(s, d->yield, NULL);
    emit_endpoint_accessor(s);
}

static void
emit_caller_ctx(semit *s)
{
    strbuf *b = s->b;
    arena *a = s->a;
    const decl *d = s->d;
    const char *p = fx(a, d, "p"), *out = fx(a, d, "out"), *args = fx(a, d, "args");
    const char *c = fx(a, d, "c"), *rc = fx(a, d, "rc"), *opts = fx(a, d, "opts");
    const char *started = fx(a, d, "started");
    plist l = pl_new(a, d);

    emit_comment(b, arena_printf(a, "Opens the context %s on the actor behind %s (%s: NULL = "
                                 "defaults), waits for its started value%s and stores the context "
                                 "in *%s, which the caller closes with %s_close. Returns 0 or an "
                                 "error of actr/portal.h (nothing to close). Cancellation point.",
                                 d->name, p, opts, d->started ? arena_printf(a, " (into *%s, owned "
                                 "by the caller; NULL discards it)", started) : " (nil)", out,
                                 s->pre));
    pl_add(&l, arena_printf(a, "actr_portal *%s", p));
    add_params(s, &l);
    pl_add(&l, arena_printf(a, "const actr_ctx_opts *%s", opts));
    pl_add(&l, arena_printf(a, "%s **%s", s->pre, out));
    if (d->started)
        pl_add(&l, out_decl(a, d->started, started));
    sb_puts(b, "static inline ACTR_NODISCARD int\n");
    emit_proto(b, "", arena_printf(a, "%s_open", s->pre), &l, "");
    sb_puts(b, "{\n");
    emit_fill_args(s, args, 1);
    sb_printf(b, "    %s = actr_ctx_open(%s, %s, &%s, %s, &%s, %s);\n    if (%s >= 0)\n"
              "        *%s = (%s *)%s;\n    return %s;\n}\n\n", rc, p, ep_ref(s), args, opts, c,
              d->started ? started : "NULL", rc, out, s->pre, c, rc);
    if (d->stream_out != NULL) {
        emit_sender(s, "Sends v to the callee on the stream (borrowed; queued, not delivered).\n"
                    " * Returns 0 or an error (actr_ctx_send). Cancellation point.", "_send",
                    s->pre, "actr_ctx", "actr_ctx_send", d->stream_in);
        emit_forward(s, "Receives the callee's next stream value into *v (owned by the "
                     "caller).\n * Returns 0, ACTR_EPIPE at the end of the stream, or an "
                     "error (actr_ctx_recv).\n * Cancellation point.", "ACTR_NODISCARD int",
                     "_recv", s->pre, "actr_ctx", "actr_ctx_recv", d->stream_out, 0);
        emit_forward(s, "This side will send no more (Stop). Returns 0 or ACTR_ECLOSED.",
                     "int", "_done", s->pre, "actr_ctx", "actr_ctx_done", NULL, 0);
    }
    emit_forward(s, d->result ? "Waits for the final result and stores it in *v (a fresh "
                 "copy each call,\n * owned by the caller; NULL discards it). Returns 0, "
                 "ACTR_ECTXCANCEL after our\n * own _cancel, or an error (actr_ctx_result). "
                 "Cancellation point."
                 : "Waits for the final result (nil). Returns 0, ACTR_ECTXCANCEL after our "
                 "own\n * _cancel, or an error (actr_ctx_result). Cancellation point.",
                 "ACTR_NODISCARD int", "_result", s->pre, "actr_ctx", "actr_ctx_result",
                 d->result, 1);
    emit_forward(s, "Asks the callee's runtime to cancel the remote task (bounded wait).\n"
                 " * Returns 0 or ACTR_ECLOSED (actr_ctx_cancel).", "int", "_cancel", s->pre,
                 "actr_ctx", "actr_ctx_cancel", NULL, 0);
    emit_forward(s, "Ends the dialog and frees h, always. Returns 0 or the remote error\n"
                 " * (actr_ctx_close). Cancellation point.", "int", "_close", s->pre,
                 "actr_ctx", "actr_ctx_close", NULL, 0);
    emit_base(s, s->pre, "actr_ctx", "_base", "context");
    if (d->stream_out != NULL)
        emit_broadcast(s, d->stream_out, d->stream_in);
    emit_ctx_hilevel(s);
    emit_endpoint_accessor(s);
}

static void
emit_impl_decl(semit *s, const char *lead)
{
    arena *a = s->a;
    const decl *d = s->d;
    plist l = pl_new(a, d);
    if (d->kind == D_FN)
        pl_add(&l, arena_printf(a, "actr_call *%s", fx(a, d, "call")));
    else
        pl_add(&l, arena_printf(a, "%s_call *%s", s->pre, fx(a, d, "call")));
    add_params(s, &l);
    if (d->result != NULL)
        pl_add(&l, out_decl(a, d->result, fx(a, d, "out")));
    emit_proto(s->b, lead, arena_printf(a, "%s_impl", s->pre), &l, ";");
}

static void
emit_callee(semit *s)
{
    strbuf *b = s->b;
    arena *a = s->a;
    const decl *d = s->d;
    const char *call_t = arena_printf(a, "%s_call", s->pre);

    const char *base = d->kind == D_FN ? fx(a, d, "call")
                     : arena_printf(a, "%s_base(%s)", call_t, fx(a, d, "call"));
    strbuf t = {0};
    sb_printf(&t, "Implemented by the program that serves %s: the runtime calls it in the task "
              "serving the request (where no definition is linked, calls fail with "
              "AttributeError). Parameters are borrowed for the call.", d->name);
    if (d->result != NULL)
        sb_printf(&t, " *%s is zeroed storage for the result, borrowed by the runtime until "
                  "it is sent, unless actr_call_own_result(%s) hands it over.",
                  fx(a, d, "out"), base);
    if (d->kind == D_CONTEXT)
        sb_printf(&t, " Calls %s_started once before it streams or returns.", call_t);
    sb_printf(&t, " Returns 0 or a negative code; actr_call_fail(%s, type, fmt, ...) names "
              "the error.", base);
    emit_comment(b, t.ptr);
    sb_free(&t);
    emit_impl_decl(s, "int ");
    sb_putc(b, '\n');
    if (d->kind == D_FN)
        return;

    if (d->kind == D_GEN) {
        emit_sender(s, "Yields v to the caller (borrowed). Returns 0 or an error "
                    "(actr_call_send).\n * Cancellation point.", "_call_yield", call_t,
                    "actr_call", "actr_call_send", d->yield);
    } else {
        emit_sender(s, d->started ? "Sends the started value v to the opener, once. Returns "
                    "0 or an error\n * (actr_call_started)."
                    : "Tells the opener the context has started (value nil), once. Returns 0\n"
                    " * or an error (actr_call_started).", "_call_started", call_t, "actr_call",
                    "actr_call_started", d->started);
        if (d->stream_out != NULL) {
            emit_sender(s, "Sends v to the caller on the stream (borrowed). Returns 0 or an "
                        "error\n * (actr_call_send). Cancellation point.", "_call_send", call_t,
                        "actr_call", "actr_call_send", d->stream_out);
            emit_forward(s, "Receives the caller's next stream value into *v (owned by the "
                         "callee).\n * Returns 0, ACTR_EPIPE once the caller is done, or an "
                         "error (actr_call_recv).\n * Cancellation point.",
                         "ACTR_NODISCARD int", "_call_recv", call_t, "actr_call",
                         "actr_call_recv", d->stream_in, 0);
            emit_forward(s, "This side will send no more (Stop). Returns 0 or ACTR_ECLOSED.",
                         "int", "_call_done", call_t, "actr_call", "actr_call_done", NULL, 0);
        }
    }
    emit_base(s, call_t, "actr_call", "_call_base", "call");
}

/* "---- <signature>, called as "ns:func"" and the endpoint's doc. */
static void
emit_ep_banner(semit *s)
{
    strbuf sig = {0}, w = {0};
    emit_signature(&sig, s->d);
    sb_puts(s->b, "/* ---- ");
    emit_comment_text(s->b, sig.ptr);
    sb_puts(s->b, ", called as ");
    emit_cstring(&w, arena_printf(s->a, "%s:%s", s->m->ns, s->d->wire));
    emit_comment_text(s->b, w.ptr);
    sb_puts(s->b, " */\n");
    sb_free(&w);
    sb_free(&sig);
}

void
emit_stub_header(strbuf *b, module *m, arena *a)
{
    sb_puts(b, "\n/* ------------------------------------------------------------ stubs\n"
               " * Caller side: typed calls through a portal (actr/portal.h, actr/ctx.h).\n"
               " * Callee side: <endpoint>_impl, written by the program that serves the\n"
               " * endpoint, with typed helpers on its call handle. Values go in by value\n"
               " * (scalars, enums, string, bytes, any) or by const pointer (structs, lists,\n"
               " * maps: never NULL, else ACTR_EINVAL; an optional T?: a pointer to a T, NULL\n"
               " * when absent), and are only borrowed. Values come out into caller\n"
               " * storage and are owned by the caller (free with the type's _free, or\n"
               " * actr_codec_free). Handles are opaque (an actr_ctx for the caller, an\n"
               " * actr_call for the callee); _base gives the generic one. */\n");
    int any = 0;
    for (decl *d = m->decls; d != NULL; d = d->next) {
        if (d->kind != D_GEN && d->kind != D_CONTEXT)
            continue;
        const char *pre = arena_printf(a, "%s_%s", m->name, name_snake(a, d->name));
        sb_printf(b, "%stypedef struct %s %s;\ntypedef struct %s_call %s_call;\n",
                  any++ ? "" : "\n", pre, pre, pre, pre);
        if (d->kind == D_GEN || d->stream_out != NULL)
            sb_printf(b, "typedef struct %s_sub %s_sub;\n", pre, pre);
    }

    sb_puts(b, "\n/* ------------------------------------------------------------ caller side */\n");
    int idx = 0;
    for (decl *d = m->decls; d != NULL; d = d->next) {
        if (d->kind < D_FN)
            continue;
        semit s = {b, m, a, d, arena_printf(a, "%s_%s", m->name, name_snake(a, d->name)),
                   idx++};
        sb_putc(b, '\n');
        emit_ep_banner(&s);
        emit_doc(b, "", d->doc);
        sb_putc(b, '\n');
        if (d->kind == D_FN)
            emit_caller_fn(&s);
        else if (d->kind == D_GEN)
            emit_caller_gen(&s);
        else
            emit_caller_ctx(&s);
        b->ptr[--b->len] = '\0';       /* each ends with a blank line */
    }

    sb_puts(b, "\n/* ------------------------------------------------------------ callee side */\n");
    for (decl *d = m->decls; d != NULL; d = d->next) {
        if (d->kind < D_FN)
            continue;
        semit s = {b, m, a, d, arena_printf(a, "%s_%s", m->name, name_snake(a, d->name)), 0};
        sb_putc(b, '\n');
        emit_ep_banner(&s);
        sb_putc(b, '\n');
        emit_callee(&s);
        b->ptr[--b->len] = '\0';
    }
}

/* ------------------------------------------------------------ source */

const char *
emit_invoke_name(const module *m, const decl *d, arena *a)
{
    return arena_printf(a, "%s_%s_invoke", m->name, name_snake(a, d->name));
}

/* The argument passed to the impl for parameter f of the args struct *a. */
static void
emit_unpack(strbuf *b, const field *f)
{
    switch (form_of(f->type)) {
    case PF_VALUE:
    case PF_BOXED:
        sb_printf(b, "a->%s", f->name);
        break;
    case PF_PTR:
        sb_printf(b, "&a->%s", f->name);
        break;
    case PF_OPT:
        sb_printf(b, "a->%s.has ? &a->%s.value : NULL", f->name, f->name);
        break;
    }
}

void
emit_stub_source(strbuf *b, module *m, arena *a)
{
    sb_puts(b, "\n/* ------------------------------------------------------------ trampolines\n"
               " * actr_endpoint.invoke of each endpoint: unpacks the decoded arguments and\n"
               " * calls the program's <endpoint>_impl. The impls are weak references here,\n"
               " * so a program that serves some endpoints or none (a pure caller) links;\n"
               " * calling an endpoint whose impl is absent fails with AttributeError. */\n\n"
               "#if defined(__GNUC__) || defined(__clang__)\n"
               "#define ACTR_GEN_WEAK __attribute__((weak))\n"
               "#else\n"
               "#error \"actrc output needs weak symbols (GCC or Clang)\"\n"
               "#endif\n");
    for (decl *d = m->decls; d != NULL; d = d->next) {
        if (d->kind < D_FN)
            continue;
        semit s = {b, m, a, d, arena_printf(a, "%s_%s", m->name, name_snake(a, d->name)), 0};
        sb_putc(b, '\n');
        emit_impl_decl(&s, "ACTR_GEN_WEAK int ");
        sb_printf(b, "\nstatic int\n%s(actr_call *call, const void *args, void *result)\n{\n",
                  emit_invoke_name(m, d, a));
        if (d->fields != NULL)
            sb_printf(b, "    const %s *a = args;\n", d->cname);
        else
            sb_puts(b, "    (void)args;\n");
        if (d->result == NULL)
            sb_puts(b, "    (void)result;\n");
        sb_putc(b, '\n');
        sb_printf(b, "    if (%s_impl == NULL)\n        return actr_call_fail(call, "
                  "\"AttributeError\", \"%%s has no implementation in this actor\",\n"
                  "                              ", s.pre);
        emit_cstring(b, arena_printf(a, "%s:%s", m->ns, d->wire));
        sb_printf(b, ");\n    return %s_impl(", s.pre);
        strbuf call = {0};
        if (d->kind == D_FN)
            sb_puts(&call, "call");
        else
            sb_printf(&call, "(%s_call *)call", s.pre);
        for (const field *f = d->fields; f != NULL; f = f->next) {
            sb_puts(&call, ", ");
            emit_unpack(&call, f);
        }
        if (d->result != NULL)
            sb_puts(&call, ", result");
        /* wrap long argument lists under the parenthesis */
        size_t indent = 11 + strlen(s.pre) + 6, col = indent;
        const char *p = call.ptr;
        while (*p) {
            const char *comma = strstr(p, ", ");
            size_t n = comma ? (size_t)(comma - p) : strlen(p);
            if (p != call.ptr) {
                if (col + 2 + n + 2 > 96) {
                    sb_printf(b, ",\n%*s", (int)indent, "");
                    col = indent;
                } else {
                    sb_puts(b, ", ");
                    col += 2;
                }
            }
            sb_put(b, p, n);
            col += n;
            p += n;
            if (*p)
                p += 2;
        }
        sb_puts(b, ");\n}\n");
        sb_free(&call);
    }
}
