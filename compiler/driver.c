/* The compilation pipeline: load a file and its imports, parse, check,
 * emit. Nothing here exits or writes files (main.c does that). */
#define _XOPEN_SOURCE 700     /* realpath */
#include "actrc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "checker.h"
#include "emit.h"
#include "parser.h"

/* Longest chain of imports followed. */
#define MAX_IMPORT_DEPTH 64

typedef struct driver {
    const actrc_options *opt;
    arena ar;
    diag dg;
    module *loaded;             /* every module read, newest first */
    module *stack[MAX_IMPORT_DEPTH + 1];    /* modules being loaded */
    int depth;
} driver;

int
actrc_read_file(void *ctx, const char *path, char **data, size_t *len)
{
    struct stat st;
    (void)ctx;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return errno ? errno : ENOENT;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
    }
    if ((size_t)st.st_size > ACTRC_MAX_FILE) {
        fclose(f);
        return EFBIG;
    }
    char *buf = xmalloc((size_t)st.st_size + 1);
    size_t n = fread(buf, 1, (size_t)st.st_size, f);
    int err = ferror(f) ? EIO : 0;
    fclose(f);
    if (err) {
        free(buf);
        return err;
    }
    *data = buf;
    *len = n;
    return 0;
}

/* Lexically normalised path: no "." parts, "x/.." folded. */
static char *
normalize(arena *a, const char *path)
{
    size_t n = strlen(path);
    char *out = arena_alloc(a, n + 2);
    size_t o = 0;
    int absolute = path[0] == '/';
    size_t keep = absolute ? 1 : 0;     /* out[0..keep) is never folded */

    if (absolute)
        out[o++] = '/';
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        const char *e = p;
        while (*e && *e != '/')
            e++;
        size_t len = (size_t)(e - p);
        if (len == 0)
            break;
        if (len == 1 && p[0] == '.') {
            /* skip */
        } else if (len == 2 && p[0] == '.' && p[1] == '.' && o > keep) {
            /* drop the previous part unless it is itself ".." */
            size_t s = o;
            while (s > keep && out[s - 1] != '/')
                s--;
            if (o - s == 2 && out[s] == '.' && out[s + 1] == '.') {
                out[o++] = '/';
                memcpy(out + o, "..", 2);
                o += 2;
                keep = o;
            } else {
                o = s > keep ? s - 1 : keep;
            }
        } else {
            if (o > 0 && out[o - 1] != '/')
                out[o++] = '/';
            memcpy(out + o, p, len);
            o += len;
            if (len == 2 && p[0] == '.' && p[1] == '.')
                keep = o;
        }
        p = e;
    }
    if (o == 0)
        out[o++] = '.';
    out[o] = '\0';
    return out;
}

static char *
join(arena *a, const char *dir, size_t dirlen, const char *path)
{
    if (path[0] == '/' || dirlen == 0)
        return normalize(a, path);
    return normalize(a, arena_printf(a, "%.*s/%s", (int)dirlen, dir, path));
}

static module *load(driver *dv, const char *path, const char *text, size_t len, loc from);

/* 1 if the file at path (normalised) lies directly in one of the -R
 * directories: compared as written, then as real paths. */
static int
in_runtime_dir(driver *dv, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dir = slash == NULL ? "." : slash == path ? "/"
                    : arena_strndup(&dv->ar, path, (size_t)(slash - path));
    char real[PATH_MAX], rreal[PATH_MAX];
    int have_real = realpath(dir, real) != NULL;

    for (size_t i = 0; i < dv->opt->nruntime; i++) {
        const char *r = dv->opt->runtime_dirs[i];
        if (strcmp(normalize(&dv->ar, r), dir) == 0
            || (have_real && realpath(r, rreal) != NULL && strcmp(real, rreal) == 0))
            return 1;
    }
    return 0;
}

static void
report_read(driver *dv, loc from, const char *path, int err)
{
    const char *why = err == EFBIG ? "larger than 4 MiB" : strerror(err);
    if (from.file != NULL)
        diag_error(&dv->dg, from, "cannot read '%s': %s", path, why);
    else
        diag_plain(&dv->dg, "cannot read '%s': %s", path, why);
}

/* Finds an import: beside the importing file, then in each -I dir. */
static void
load_import(driver *dv, module *m, import *im)
{
    const char *dir = m->file->path;
    const char *slash = strrchr(dir, '/');
    size_t dirlen = slash ? (size_t)(slash - dir) : 0;
    actrc_read_fn rd = dv->opt->read ? dv->opt->read : actrc_read_file;

    if (slash == dir)
        dirlen = 1;                     /* a file in "/" */
    if (im->path[0] == '\0') {
        diag_error(&dv->dg, im->at, "empty import path");
        return;
    }
    for (size_t i = 0; i <= dv->opt->ninclude; i++) {
        const char *cand = i == 0 ? join(&dv->ar, dir, dirlen, im->path)
                                  : join(&dv->ar, dv->opt->include_dirs[i - 1],
                                         strlen(dv->opt->include_dirs[i - 1]), im->path);
        for (module *k = dv->loaded; k != NULL; k = k->next_loaded) {
            if (strcmp(k->file->path, cand) == 0) {
                if (k->state == 1) {
                    strbuf chain = {0};
                    int start = dv->depth - 1;
                    while (start > 0 && dv->stack[start] != k)
                        start--;
                    for (int j = start; j < dv->depth; j++)
                        sb_printf(&chain, "%s -> ", dv->stack[j]->file->path);
                    sb_puts(&chain, cand);
                    diag_error(&dv->dg, im->at, "import cycle: %s", chain.ptr);
                    sb_free(&chain);
                    return;
                }
                im->mod = k;
                return;
            }
        }
        if (im->path[0] == '/' && i > 0)
            break;
        char *data = NULL;
        size_t len = 0;
        int err = rd(dv->opt->read_ctx, cand, &data, &len);
        if (err == 0) {
            module *got = load(dv, cand, data, len, im->at);
            free(data);
            if (got != NULL && got->name != NULL)
                im->mod = got;
            return;
        }
        if (err != ENOENT) {
            report_read(dv, im->at, cand, err);
            return;
        }
    }
    diag_error(&dv->dg, im->at, "cannot find '%s' (looked beside this file%s)", im->path,
               dv->opt->ninclude ? " and in every -I directory" : "");
}

static module *
load(driver *dv, const char *path, const char *text, size_t len, loc from)
{
    if (len > ACTRC_MAX_FILE) {
        report_read(dv, from, path, EFBIG);
        return NULL;
    }
    if (dv->depth >= MAX_IMPORT_DEPTH) {
        diag_error(&dv->dg, from, "imports nested deeper than %d files", MAX_IMPORT_DEPTH);
        return NULL;
    }
    srcfile *f = arena_alloc(&dv->ar, sizeof *f);
    f->path = path;
    f->text = arena_strndup(&dv->ar, text, len);
    f->len = len;
    module *m = parse_module(f, &dv->dg, &dv->ar);
    m->runtime = in_runtime_dir(dv, path);
    m->state = 1;
    m->next_loaded = dv->loaded;
    dv->loaded = m;
    dv->stack[dv->depth++] = m;
    for (import *im = m->imports; im != NULL && !dv->dg.stopped; im = im->next)
        load_import(dv, m, im);
    dv->depth--;
    m->state = 2;
    return m;
}

/* Checks imported modules before the modules that import them. */
static void
check_all(driver *dv, module *m)
{
    if (m->checked)
        return;
    for (import *im = m->imports; im != NULL; im = im->next)
        if (im->mod != NULL)
            check_all(dv, im->mod);
    check_module(m, &dv->dg, &dv->ar);
}

static void
same_names(driver *dv)
{
    for (module *a = dv->loaded; a != NULL; a = a->next_loaded)
        for (module *b = a->next_loaded; b != NULL; b = b->next_loaded)
            if (a->name != NULL && b->name != NULL && strcmp(a->name, b->name) == 0)
                diag_error(&dv->dg, a->at, "module '%s' is declared again here (first in '%s')",
                           a->name, b->file->path);
}

/* A path as a make target or prerequisite. */
static void
make_path(strbuf *b, const char *p)
{
    for (; *p; p++) {
        if (*p == ' ' || *p == '#' || *p == ':' || *p == '\\')
            sb_putc(b, '\\');
        if (*p == '$')
            sb_putc(b, '$');
        sb_putc(b, *p);
    }
}

static void
collect_deps(module *m, module ***v, size_t *n, size_t *cap)
{
    for (import *im = m->imports; im != NULL; im = im->next) {
        if (im->mod == NULL)
            continue;
        int seen = 0;
        for (size_t i = 0; i < *n; i++)
            seen |= (*v)[i] == im->mod;
        if (seen)
            continue;
        if (*n == *cap) {
            *cap = *cap ? 2 * *cap : 8;
            *v = xrealloc(*v, *cap * sizeof **v);
        }
        (*v)[(*n)++] = im->mod;
        collect_deps(im->mod, v, n, cap);
    }
}

static char *
emit_deps(const actrc_options *opt, module *m, size_t *len)
{
    strbuf b = {0};
    module **v = NULL;
    size_t n = 0, cap = 0;
    const char *dir = opt->out_dir ? opt->out_dir : ".";
    size_t dl = strlen(dir);
    const char *sep = dl > 0 && dir[dl - 1] == '/' ? "" : "/";

    collect_deps(m, &v, &n, &cap);
    for (int i = 0; i < 2; i++) {
        strbuf t = {0};
        sb_printf(&t, "%s%s%s.actor.%c", dir, sep, m->name, i == 0 ? 'h' : 'c');
        make_path(&b, t.ptr);
        sb_puts(&b, i == 0 ? " " : ":");
        sb_free(&t);
    }
    sb_putc(&b, ' ');
    make_path(&b, m->file->path);
    for (size_t i = 0; i < n; i++) {
        sb_puts(&b, " \\\n  ");
        make_path(&b, v[i]->file->path);
    }
    sb_putc(&b, '\n');
    for (size_t i = 0; i < n; i++) {
        sb_putc(&b, '\n');
        make_path(&b, v[i]->file->path);
        sb_puts(&b, ":\n");
    }
    free(v);
    return sb_take(&b, len);
}

int
actrc_compile(const actrc_options *opt, const char *path, const char *text, size_t len,
              actrc_output *out)
{
    static const actrc_options defaults;
    driver dv;
    char *data = NULL;
    loc nowhere = {NULL, 0};

    memset(out, 0, sizeof *out);
    memset(&dv, 0, sizeof dv);
    dv.opt = opt ? opt : &defaults;
    arena_init(&dv.ar);
    size_t pl = strlen(path);
    if (pl < 7 || strcmp(path + pl - 6, ".actor") != 0) {
        diag_plain(&dv.dg, "'%s': input files must have the .actor extension", path);
    } else {
        if (text == NULL) {
            actrc_read_fn rd = dv.opt->read ? dv.opt->read : actrc_read_file;
            int err = rd(dv.opt->read_ctx, path, &data, &len);
            if (err != 0)
                report_read(&dv, nowhere, path, err);
            text = data;
        }
        if (text != NULL) {
            module *m = load(&dv, normalize(&dv.ar, path), text, len, nowhere);
            if (m != NULL) {
                same_names(&dv);
                check_all(&dv, m);
                if (m->name != NULL)
                    out->module = strdup(m->name);
                if (dv.dg.nerrors == 0) {
                    out->header = emit_header(m, &dv.ar, &out->header_len);
                    out->source = emit_source(m, &dv.ar, &out->source_len);
                    if (dv.opt->deps)
                        out->deps = emit_deps(dv.opt, m, &out->deps_len);
                }
            }
        }
    }
    free(data);
    out->nerrors = dv.dg.nerrors;
    out->diags = sb_take(&dv.dg.out, &out->diags_len);
    arena_free(&dv.ar);
    return out->nerrors == 0 ? 0 : -1;
}

void
actrc_output_free(actrc_output *out)
{
    free(out->module);
    free(out->header);
    free(out->source);
    free(out->deps);
    free(out->diags);
    memset(out, 0, sizeof *out);
}
