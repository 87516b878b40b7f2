/* The checker: name rules, resolution of type references, composite
 * types, recursion by value and clashes between generated C names. */
#include "checker.h"

#include <stdlib.h>
#include <string.h>

#include "names.h"

/* Bounds that keep every later pass small and every recursion shallow. */
#define MAX_DECLS 10000
#define MAX_FIELDS 256          /* = ACTR_CODEC_MAX_FIELDS */

typedef struct checker {
    module *m;
    diag *dg;
    arena *ar;
    decl **types;               /* the module's structs and enums, by name */
    size_t ntypes;
} checker;

/* A name with where it came from, for duplicate and clash checks. */
typedef struct nament {
    const char *name;
    const char *what;
    loc at;
    const module *owner;
    size_t idx;
} nament;

typedef struct namelist {
    nament *v;
    size_t n, cap;
} namelist;

static void
nl_add(namelist *l, const char *name, const char *what, loc at, const module *owner)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    nament e = {name, what, at, owner, l->n};
    l->v[l->n++] = e;
}

static int
nament_cmp(const void *a, const void *b)
{
    const nament *x = a, *y = b;
    int r = strcmp(x->name, y->name);
    if (r != 0)
        return r;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Reports every name of l that an earlier entry already has:
 * "duplicate <kind> 'x' (first at file:line:col)". */
static void
report_dups(checker *c, namelist *l, const char *kind)
{
    if (l->n > 1)
        qsort(l->v, l->n, sizeof *l->v, nament_cmp);
    for (size_t i = 1; i < l->n; i++) {
        if (strcmp(l->v[i].name, l->v[i - 1].name) != 0)
            continue;
        size_t first = i - 1;
        while (first > 0 && strcmp(l->v[first - 1].name, l->v[i].name) == 0)
            first--;
        unsigned line, col;
        loc_linecol(l->v[first].at, &line, &col);
        diag_error(c->dg, l->v[i].at, "duplicate %s '%s' (first declared at line %u)", kind,
                   l->v[i].name, line);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

static void
check_ident(checker *c, const char *name, loc at, const char *what, int is_member)
{
    const char *why = name_shape_error(name);
    if (why != NULL)
        diag_error(c->dg, at, "%s name '%s' %s", what, name, why);
    else if (is_member && name_is_reserved(name))
        diag_error(c->dg, at, "%s name '%s' is a C/C++ keyword or reserved identifier; "
                   "rename it (`as \"%s\"` keeps the wire name)", what, name, name);
}

static void
check_wire(checker *c, const char *wire, loc at)
{
    if (wire[0] == '\0')
        diag_error(c->dg, at, "a wire name may not be empty");
}

/* ------------------------------------------------------------ types */

static int
decl_cmp(const void *a, const void *b)
{
    return strcmp((*(decl *const *)a)->name, (*(decl *const *)b)->name);
}

static decl *
find_type(decl **types, size_t n, const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int r = strcmp(name, types[mid]->name);
        if (r == 0)
            return types[mid];
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* Types of an imported module: found by a scan (modules are checked one
 * at a time, so only the current one has a sorted table). */
static decl *
find_type_in(module *m, const char *name)
{
    for (decl *d = m->decls; d != NULL; d = d->next)
        if ((d->kind == D_STRUCT || d->kind == D_ENUM) && strcmp(d->name, name) == 0)
            return d;
    return NULL;
}

static const char *
base_of(arena *a, const char *path)
{
    const char *s = strrchr(path, '/');
    s = s ? s + 1 : path;
    size_t n = strlen(s);
    if (n > 6 && strcmp(s + n - 6, ".actor") == 0)
        n -= 6;
    return arena_strndup(a, s, n);
}

static decl *
lookup(checker *c, typeref *t)
{
    if (t->qual != NULL && strcmp(t->qual, c->m->name) != 0) {
        module *mod = NULL;
        int failed_import = 0;
        for (import *im = c->m->imports; im != NULL; im = im->next) {
            if (im->mod != NULL && im->mod->name != NULL && strcmp(im->mod->name, t->qual) == 0)
                mod = im->mod;
            if (im->mod == NULL && strcmp(base_of(c->ar, im->path), t->qual) == 0)
                failed_import = 1;
        }
        if (mod == NULL) {
            if (!failed_import)
                diag_error(c->dg, t->at, "unknown module '%s' in '%s.%s' (is it imported?)",
                           t->qual, t->qual, t->name);
            return NULL;
        }
        decl *d = find_type_in(mod, t->name);
        if (d == NULL)
            diag_error(c->dg, t->at, "module '%s' has no type '%s'", t->qual, t->name);
        return d;
    }
    decl *d = find_type(c->types, c->ntypes, t->name);
    if (d != NULL)
        return d;
    for (decl *e = c->m->decls; e != NULL; e = e->next) {
        if (e->kind >= D_FN && strcmp(e->name, t->name) == 0) {
            diag_error(c->dg, t->at, "'%s' is an endpoint, not a type", t->name);
            return NULL;
        }
    }
    for (import *im = c->m->imports; im != NULL; im = im->next) {
        if (im->mod != NULL && im->mod->name != NULL && find_type_in(im->mod, t->name)) {
            diag_error(c->dg, t->at, "unknown type '%s' (did you mean '%s.%s'?)", t->name,
                       im->mod->name, t->name);
            return NULL;
        }
    }
    diag_error(c->dg, t->at, "unknown type '%s'", t->name);
    return NULL;
}

static const char *const scalar_ctype[] = {
    [SC_BOOL] = "bool", [SC_I8] = "int8_t", [SC_I16] = "int16_t", [SC_I32] = "int32_t",
    [SC_I64] = "int64_t", [SC_U8] = "uint8_t", [SC_U16] = "uint16_t",
    [SC_U32] = "uint32_t", [SC_U64] = "uint64_t", [SC_F32] = "float",
    [SC_F64] = "double", [SC_STRING] = "actr_str", [SC_BYTES] = "actr_bytes",
    [SC_ANY] = "actr_any",
};

static comp *
intern_comp(checker *c, typeref *t)
{
    comp **tail = &c->m->comps;
    for (comp *k = c->m->comps; k != NULL; k = k->next) {
        if (strcmp(k->key, t->spell) == 0)
            return k;
        tail = &k->next;
    }
    comp *k = arena_alloc(c->ar, sizeof *k);
    k->form = t->form;
    k->key = t->spell;
    k->elem = t->elem;
    k->boxed = t->form == TY_OPT && t->elem->form == TY_NAMED
               && t->elem->target->kind == D_STRUCT;
    k->cname = arena_printf(c->ar, "%s_%s", c->m->name, t->shortn);
    k->at = t->at;
    *tail = k;
    return k;
}

/* Resolves t and everything inside it; 0 if something is undefined. */
static int
resolve(checker *c, typeref *t)
{
    arena *a = c->ar;

    switch (t->form) {
    case TY_SCALAR:
        t->spell = t->shortn = scalar_name(t->sc);
        t->ctype = scalar_ctype[t->sc];
        t->cdesc = arena_printf(a, "&actr_type_%s", t->spell);
        return 1;
    case TY_NAMED: {
        decl *d = lookup(c, t);
        if (d == NULL)
            return 0;
        t->target = d;
        if (d->mod == c->m) {
            t->spell = d->name;
            t->shortn = name_snake(a, d->name);
        } else {
            t->spell = arena_printf(a, "%s.%s", d->mod->name, d->name);
            t->shortn = arena_printf(a, "%s_%s", d->mod->name, name_snake(a, d->name));
        }
        t->ctype = d->cname;
        t->cdesc = arena_printf(a, "&%s_type", d->cname);
        return 1;
    }
    case TY_LIST:
        if (!resolve(c, t->elem))
            return 0;
        t->spell = arena_printf(a, "list<%s>", t->elem->spell);
        t->shortn = arena_printf(a, "%s_list", t->elem->shortn);
        break;
    case TY_MAP: {
        int ok = 1;
        if (t->key->form != TY_SCALAR || t->key->sc != SC_STRING) {
            diag_error(c->dg, t->key->at, "map keys must be string");
            ok = 0;
        }
        if (!resolve(c, t->elem) || !ok)
            return 0;
        t->spell = arena_printf(a, "map<string, %s>", t->elem->spell);
        t->shortn = arena_printf(a, "%s_map", t->elem->shortn);
        break;
    }
    case TY_OPT:
        if (t->elem->form == TY_OPT) {
            diag_error(c->dg, t->at, "an optional of an optional is not a type");
            return 0;
        }
        if (!resolve(c, t->elem))
            return 0;
        t->spell = arena_printf(a, "%s?", t->elem->spell);
        t->shortn = arena_printf(a, "%s_opt", t->elem->shortn);
        break;
    }
    t->comp = intern_comp(c, t);
    t->ctype = t->comp->boxed ? arena_printf(a, "%s *", t->elem->ctype) : t->comp->cname;
    t->cdesc = arena_printf(a, "&%s_type", t->comp->cname);
    return 1;
}

static void
maybe_resolve(checker *c, typeref *t)
{
    if (t != NULL)
        resolve(c, t);
}

/* ------------------------------------------------------------ declarations */

/* Reports wire names used twice in one scope; an entry's owner is NULL
 * when the wire name is just the IDL name (duplicates of those were
 * reported as duplicate names already). */
static void
report_wire_clashes(checker *c, namelist *l, const char *scope)
{
    if (l->n > 1)
        qsort(l->v, l->n, sizeof *l->v, nament_cmp);
    for (size_t i = 1; i < l->n; i++)
        if (strcmp(l->v[i].name, l->v[i - 1].name) == 0
            && (l->v[i].owner != NULL || l->v[i - 1].owner != NULL))
            diag_error(c->dg, l->v[i].at, "wire name '%s' is used twice in %s",
                       l->v[i].name, scope);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static void
check_fields(checker *c, decl *d, const char *what)
{
    namelist names = {0}, wires = {0};
    int n = 0;

    for (field *f = d->fields; f != NULL; f = f->next) {
        if (++n == MAX_FIELDS + 1)
            diag_error(c->dg, f->at, "'%s' has more than %d %ss", d->name, MAX_FIELDS, what);
        check_ident(c, f->name, f->at, what, 1);
        check_wire(c, f->wire, f->wire_at);
        nl_add(&names, f->name, what, f->at, c->m);
        nl_add(&wires, f->wire, what, f->wire_at, f->wire != f->name ? c->m : NULL);
        resolve(c, f->type);
    }
    report_dups(c, &names, what);
    report_wire_clashes(c, &wires, arena_printf(c->ar, "'%s'", d->name));
}

static void
check_members(checker *c, decl *d)
{
    namelist names = {0}, wires = {0};
    if (d->nmembers == 0)
        diag_error(c->dg, d->at, "enum '%s' has no members", d->name);
    for (member *m = d->members; m != NULL; m = m->next) {
        check_ident(c, m->name, m->at, "member", 0);
        check_wire(c, m->wire, m->wire_at);
        nl_add(&names, m->name, "member", m->at, c->m);
        nl_add(&wires, m->wire, "member", m->wire_at, m->wire != m->name ? c->m : NULL);
    }
    report_dups(c, &names, "member");
    report_wire_clashes(c, &wires, arena_printf(c->ar, "'%s'", d->name));
}

/* Depth-first search for a struct that contains itself by value. */
static void
find_cycle(checker *c, decl *d, decl **stack, field **via, size_t depth)
{
    d->visit = 1;
    stack[depth] = d;
    for (field *f = d->fields; f != NULL; f = f->next) {
        typeref *t = f->type;
        if (t->form != TY_NAMED || t->target == NULL || t->target->kind != D_STRUCT
            || t->target->mod != c->m)
            continue;
        via[depth] = f;
        if (t->target->visit == 1) {
            strbuf path = {0};
            size_t start = depth;
            while (stack[start] != t->target)
                start--;
            for (size_t i = start; i <= depth; i++)
                sb_printf(&path, "%s%s.%s", i > start ? " -> " : "", stack[i]->name,
                          via[i]->name);
            diag_error(c->dg, f->at, "struct '%s' contains itself by value (%s); make a "
                       "field on that path optional or a list", t->target->name, path.ptr);
            sb_free(&path);
        } else if (t->target->visit == 0) {
            find_cycle(c, t->target, stack, via, depth + 1);
        }
    }
    d->visit = 2;
}

/* ------------------------------------------------------------ C names */

static void
gen_names(checker *c, module *m, namelist *l)
{
    arena *a = c->ar;
    static const char *const fn_sfx[] = {"", "_type", "_encode", "_decode", "_encode_buf",
                                         "_decode_buf", "_free", "_fields"};
    for (decl *d = m->decls; d != NULL; d = d->next) {
        const char *what = d->kind == D_STRUCT ? arena_printf(a, "struct '%s'", d->name)
                         : d->kind == D_ENUM ? arena_printf(a, "enum '%s'", d->name)
                         : arena_printf(a, "endpoint '%s'", d->name);
        if (d->kind == D_ENUM) {
            nl_add(l, d->cname, what, d->at, m);
            nl_add(l, arena_printf(a, "%s_type", d->cname), what, d->at, m);
            nl_add(l, arena_printf(a, "%s_members", d->cname), what, d->at, m);
            for (member *mb = d->members; mb != NULL; mb = mb->next)
                nl_add(l, arena_printf(a, "%s_%s", d->ucname,
                                       name_upper(a, name_snake(a, mb->name))),
                       arena_printf(a, "member '%s' of enum '%s'", mb->name, d->name),
                       mb->at, m);
            continue;
        }
        /* an endpoint's argument struct has a descriptor, no codecs */
        for (size_t i = 0; i < sizeof fn_sfx / sizeof fn_sfx[0]; i++)
            if (d->kind == D_STRUCT || i < 2 || i == 7)
                nl_add(l, arena_printf(a, "%s%s", d->cname, fn_sfx[i]), what, d->at, m);
        if (d->kind != D_STRUCT) {
            const char *pre = arena_printf(a, "%s_%s", m->name, name_snake(a, d->name));
            const char *sfx[NAME_EP_SUFFIX_MAX];
            size_t n = name_endpoint_suffixes(d, sfx, NAME_EP_SUFFIX_MAX);
            nl_add(l, arena_printf(a, "%s_params", pre), what, d->at, m);
            for (size_t i = 0; i < n; i++)
                nl_add(l, arena_printf(a, "%s%s", pre, sfx[i]), what, d->at, m);
        }
    }
    for (comp *k = m->comps; k != NULL; k = k->next) {
        const char *what = arena_printf(a, "type %s", k->key);
        if (!k->boxed) {
            nl_add(l, k->cname, what, k->at, m);
            nl_add(l, arena_printf(a, "%s_free", k->cname), what, k->at, m);
        }
        nl_add(l, arena_printf(a, "%s_type", k->cname), what, k->at, m);
        if (k->form == TY_MAP)
            nl_add(l, arena_printf(a, "%s_entry", k->cname), what, k->at, m);
    }
    nl_add(l, arena_printf(a, "%s_module", m->name), "the module descriptor", m->at, m);
    nl_add(l, arena_printf(a, "%s_endpoints", m->name), "the endpoint table", m->at, m);
    nl_add(l, arena_printf(a, "%s_types", m->name), "the type table", m->at, m);
}

static void
collect_imports(module *m, module ***seen, size_t *n, size_t *cap)
{
    for (import *im = m->imports; im != NULL; im = im->next) {
        if (im->mod == NULL || im->mod->name == NULL)
            continue;
        int dup = 0;
        for (size_t i = 0; i < *n; i++)
            if ((*seen)[i] == im->mod)
                dup = 1;
        if (dup)
            continue;
        if (*n == *cap) {
            *cap = *cap ? 2 * *cap : 8;
            *seen = xrealloc(*seen, *cap * sizeof **seen);
        }
        (*seen)[(*n)++] = im->mod;
        collect_imports(im->mod, seen, n, cap);
    }
}

static int
nament_find(const namelist *l, const char *name)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int r = strcmp(name, l->v[mid].name);
        if (r == 0)
            return (int)mid;
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

/* Endpoint parameters are C parameters of the generated stubs, in scope
 * beside the generated names those stubs use: a parameter may not be
 * one of them (sorted in l), nor take libactr's prefixes, nor be memset. */
static void
check_param_names(checker *c, const namelist *l)
{
    for (decl *d = c->m->decls; d != NULL; d = d->next) {
        if (d->kind < D_FN)
            continue;
        for (field *f = d->fields; f != NULL; f = f->next) {
            int i = nament_find(l, f->name);
            if (i >= 0)
                diag_error(c->dg, f->at, "parameter name '%s' is the C name of %s%s%s; "
                           "rename it (`as \"%s\"` keeps the wire name)", f->name,
                           l->v[i].what, l->v[i].owner != c->m ? " in module " : "",
                           l->v[i].owner != c->m ? l->v[i].owner->name : "", f->name);
            else if (strncmp(f->name, "actr_", 5) == 0 || strncmp(f->name, "actri_", 6) == 0
                     || strncmp(f->name, "ACTR_", 5) == 0 || strcmp(f->name, "memset") == 0)
                diag_error(c->dg, f->at, "parameter name '%s' would hide a name the generated "
                           "stubs use (actr_*, ACTR_*, memset); rename it (`as \"%s\"` keeps "
                           "the wire name)", f->name, f->name);
        }
    }
}

/* Every identifier the generated header declares (with those of the
 * headers it includes) must be unique. */
static void
check_cnames(checker *c)
{
    namelist l = {0};
    module **mods = NULL;
    size_t nmods = 0, cap = 0;
    const char **pairs = NULL;
    size_t npairs = 0, pcap = 0;

    gen_names(c, c->m, &l);
    collect_imports(c->m, &mods, &nmods, &cap);
    for (size_t i = 0; i < nmods; i++)
        gen_names(c, mods[i], &l);
    free(mods);
    if (l.n > 1)
        qsort(l.v, l.n, sizeof *l.v, nament_cmp);
    for (size_t i = 1; i < l.n; i++) {
        nament *x = &l.v[i - 1], *y = &l.v[i];
        if (strcmp(x->name, y->name) != 0)
            continue;
        if (x->owner == y->owner && x->owner != c->m)
            continue;                   /* reported when that module was checked */
        if (strcmp(x->what, y->what) == 0 && x->at.off == y->at.off && x->owner == y->owner)
            continue;                   /* same item twice (a duplicate name) */
        nament *here = y->owner == c->m ? y : x->owner == c->m ? x : NULL;
        nament *other = here == y ? x : y;
        /* one message per pair of clashing items, not per identifier */
        const char *pair = arena_printf(c->ar, "%s\n%s", x->what, y->what);
        int seen = 0;
        for (size_t k = 0; k < npairs && !seen; k++)
            seen = strcmp(pairs[k], pair) == 0;
        if (seen)
            continue;
        if (npairs == pcap) {
            pcap = pcap ? 2 * pcap : 8;
            pairs = xrealloc(pairs, pcap * sizeof *pairs);
        }
        pairs[npairs++] = pair;
        loc at = here != NULL ? here->at : c->m->at;
        if (here == NULL)
            here = x;
        diag_error(c->dg, at, "C name '%s' of %s clashes with the one of %s%s%s", here->name,
                   here->what, other->what, other->owner != c->m ? " in module " : "",
                   other->owner != c->m ? other->owner->name : "");
    }
    free(pairs);
    check_param_names(c, &l);
    free(l.v);
}

/* ------------------------------------------------------------ module */

static void
check_header(checker *c)
{
    module *m = c->m;
    if (m->name == NULL)
        return;
    const char *why = name_shape_error(m->name);
    int lower = 1;
    for (const char *p = m->name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            lower = 0;
    if (why != NULL)
        diag_error(c->dg, m->at, "module name '%s' %s", m->name, why);
    else if (!lower)
        diag_error(c->dg, m->at, "module name '%s' must be lower case (a-z, 0-9, _)", m->name);
    else if (!m->runtime && (strcmp(m->name, "actr") == 0 || strncmp(m->name, "actr_", 5) == 0
                             || strncmp(m->name, "actri", 5) == 0))
        diag_error(c->dg, m->at, "module name '%s' would generate names in libactr's "
                   "namespace (actr_*, actri*), kept for actr's own modules (read from an "
                   "actrc -R directory)", m->name);
    const char *base = base_of(c->ar, m->file->path);
    if (strcmp(base, m->name) != 0)
        diag_error(c->dg, m->at, "module '%s' must be in a file named '%s.actor', not '%s'",
                   m->name, m->name, m->file->path);
    if (m->ns[0] == '\0' || strchr(m->ns, ':') != NULL)
        diag_error(c->dg, m->at, "the wire namespace of module '%s' must be non-empty and "
                   "without ':'", m->name);
    else if (!m->runtime && (strcmp(m->ns, "self") == 0 || strcmp(m->ns, "actr") == 0))
        diag_error(c->dg, m->at, "the wire namespace '%s' is the runtime's own (its built-in "
                   "endpoints); give module '%s' another one with `as \"...\"`", m->ns,
                   m->name);
    namelist mods = {0};
    for (import *im = m->imports; im != NULL; im = im->next) {
        if (im->mod == NULL || im->mod->name == NULL)
            continue;
        if (strcmp(im->mod->name, m->name) == 0)
            diag_error(c->dg, im->at, "'%s' declares module '%s', the name of this module",
                       im->path, m->name);
        else
            nl_add(&mods, im->mod->name, "import of module", im->at, m);
    }
    report_dups(c, &mods, "import of module");
}

void
check_module(module *m, diag *dg, arena *ar)
{
    checker c = {m, dg, ar, NULL, 0};
    namelist types = {0}, eps = {0}, wires = {0};
    size_t ndecls = 0;

    if (m->checked || m->name == NULL)
        return;
    m->checked = true;
    check_header(&c);
    for (decl *d = m->decls; d != NULL; d = d->next) {
        if (++ndecls == MAX_DECLS + 1) {
            diag_error(dg, d->at, "more than %d declarations in one module", MAX_DECLS);
            return;
        }
        const char *snake = name_snake(ar, d->name);
        if (d->kind == D_STRUCT || d->kind == D_ENUM) {
            check_ident(&c, d->name, d->at, d->kind == D_STRUCT ? "struct" : "enum", 0);
            if (scalar_lookup(d->name, strlen(d->name)) != 0 || strcmp(d->name, "list") == 0
                || strcmp(d->name, "map") == 0)
                diag_error(dg, d->at, "'%s' is a built-in type name", d->name);
            nl_add(&types, d->name, "type", d->at, m);
            d->cname = arena_printf(ar, "%s_%s", m->name, snake);
        } else {
            check_ident(&c, d->name, d->at, "endpoint", 0);
            check_wire(&c, d->wire, d->wire_at);
            nl_add(&eps, d->name, "endpoint", d->at, m);
            nl_add(&wires, d->wire, "endpoint", d->wire_at, d->wire != d->name ? m : NULL);
            d->cname = arena_printf(ar, "%s_%s_args", m->name, snake);
        }
        d->ucname = name_upper(ar, d->cname);
    }
    /* sorted type table for lookups (before report_dups reorders nothing
     * of ours: it sorts its own list) */
    c.types = arena_alloc(ar, (types.n + 1) * sizeof *c.types);
    for (decl *d = m->decls; d != NULL; d = d->next)
        if (d->kind == D_STRUCT || d->kind == D_ENUM)
            c.types[c.ntypes++] = d;
    if (c.ntypes > 1)
        qsort(c.types, c.ntypes, sizeof *c.types, decl_cmp);
    report_dups(&c, &types, "type");
    report_dups(&c, &eps, "endpoint");
    report_wire_clashes(&c, &wires, "this module's endpoints");

    for (decl *d = m->decls; d != NULL; d = d->next) {
        switch (d->kind) {
        case D_STRUCT:
            check_fields(&c, d, "field");
            break;
        case D_ENUM:
            check_members(&c, d);
            break;
        default:
            check_fields(&c, d, "parameter");
            maybe_resolve(&c, d->result);
            maybe_resolve(&c, d->yield);
            maybe_resolve(&c, d->started);
            maybe_resolve(&c, d->stream_out);
            maybe_resolve(&c, d->stream_in);
            break;
        }
    }
    decl **stack = arena_alloc(ar, (ndecls + 1) * sizeof *stack);
    field **via = arena_alloc(ar, (ndecls + 1) * sizeof *via);
    for (decl *d = m->decls; d != NULL; d = d->next)
        if (d->kind == D_STRUCT && d->visit == 0)
            find_cycle(&c, d, stack, via, 0);
    if (dg->nerrors == 0)
        check_cnames(&c);
}
