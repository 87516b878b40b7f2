/* actrc: the command line. Compiles each FILE.actor into DIR/<module>.actor.h
 * and .c (and with -M the make rule DIR/<module>.actor.d); an output is
 * rewritten only when its content changes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actrc.h"
#include "emit.h"
#include "util.h"

static const char usage[] =
    "usage: actrc [-o DIR] [-I DIR]... [-R DIR]... [-M] FILE.actor...\n"
    "\n"
    "Compiles .actor IDL files into C: for each FILE, DIR/<module>.actor.h and\n"
    "DIR/<module>.actor.c (types, msgpack codecs, module descriptor).\n"
    "\n"
    "  -o DIR     write the outputs into DIR (default: the current directory)\n"
    "  -I DIR     also look for imported files in DIR (after the importing\n"
    "             file's own directory); may be repeated\n"
    "  -R DIR     like -I, for the directory of actr's own modules (idl/ in\n"
    "             the source tree, pkg-config --variable=idldir actr once\n"
    "             installed): only modules found there may use the actr_\n"
    "             prefix and the wire namespaces self and actr\n"
    "  -M         also write DIR/<module>.actor.d, a make rule listing the\n"
    "             .actor files the outputs depend on\n"
    "  --help     show this text\n"
    "  --version  show the version\n"
    "\n"
    "Errors are printed as file:line:col: error: message; the exit status is 1\n"
    "when any file has errors, 2 on a usage error.\n";

/* Creates dir and its parents. */
static int
make_dirs(const char *dir)
{
    char *p = strdup(dir);
    if (p == NULL)
        return ENOMEM;
    for (char *s = p + 1; ; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                int err = errno;
                free(p);
                return err;
            }
            *s = c;
            if (c == '\0')
                break;
        }
    }
    free(p);
    return 0;
}

/* Writes path unless it already holds exactly text (so make does not
 * rebuild what depends on it); via a temporary file and rename. */
static int
write_if_changed(const char *path, const char *text, size_t len)
{
    char *old = NULL;
    size_t oldlen = 0;
    if (actrc_read_file(NULL, path, &old, &oldlen) == 0) {
        int same = oldlen == len && memcmp(old, text, len) == 0;
        free(old);
        if (same)
            return 0;
    }
    strbuf tmp = {0};
    sb_printf(&tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp.ptr, "wb");
    int err = 0;
    if (f == NULL) {
        err = errno;
    } else {
        if (fwrite(text, 1, len, f) != len)
            err = errno ? errno : EIO;
        if (fclose(f) != 0 && err == 0)
            err = errno;
        if (err == 0 && rename(tmp.ptr, path) != 0)
            err = errno;
        if (err != 0)
            remove(tmp.ptr);
    }
    sb_free(&tmp);
    if (err != 0)
        fprintf(stderr, "actrc: error: cannot write '%s': %s\n", path, strerror(err));
    return err;
}

static int
write_outputs(const char *dir, const actrc_output *out)
{
    static const char *const ext[] = {"h", "c", "d"};
    const char *text[] = {out->header, out->source, out->deps};
    size_t len[] = {out->header_len, out->source_len, out->deps_len};
    size_t dl = strlen(dir);
    int err = 0;

    for (int i = 0; i < 3 && err == 0; i++) {
        if (text[i] == NULL)
            continue;
        strbuf p = {0};
        sb_printf(&p, "%s%s%s.actor.%s", dir, dl && dir[dl - 1] != '/' ? "/" : "",
                  out->module, ext[i]);
        err = write_if_changed(p.ptr, text[i], len[i]);
        sb_free(&p);
    }
    return err;
}

int
main(int argc, char **argv)
{
    const char **incs = xmalloc((size_t)argc * sizeof *incs);
    const char **files = xmalloc((size_t)argc * sizeof *files);
    const char **rts = xmalloc((size_t)argc * sizeof *rts);
    size_t ninc = 0, nfiles = 0, nrt = 0;
    const char *out_dir = NULL;
    int deps = 0, status = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            goto done;
        } else if (strcmp(a, "--version") == 0) {
            puts("actrc " ACTRC_VERSION);
            goto done;
        } else if (strcmp(a, "-M") == 0) {
            deps = 1;
        } else if (a[0] == '-' && (a[1] == 'o' || a[1] == 'I' || a[1] == 'R')) {
            const char *v = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);
            if (v == NULL || v[0] == '\0') {
                fprintf(stderr, "actrc: error: %s needs a directory\n%s", a, usage);
                status = 2;
                goto done;
            }
            if (a[1] == 'o')
                out_dir = v;
            else
                incs[ninc++] = v;
            if (a[1] == 'R')
                rts[nrt++] = v;
        } else if (strcmp(a, "--") == 0) {
            while (++i < argc)
                files[nfiles++] = argv[i];
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "actrc: error: unknown option '%s'\n%s", a, usage);
            status = 2;
            goto done;
        } else {
            files[nfiles++] = a;
        }
    }
    if (nfiles == 0) {
        fprintf(stderr, "actrc: error: no input files\n%s", usage);
        status = 2;
        goto done;
    }
    const char *dir = out_dir ? out_dir : ".";
    int err = make_dirs(dir);
    if (err != 0) {
        fprintf(stderr, "actrc: error: cannot create '%s': %s\n", dir, strerror(err));
        status = 1;
        goto done;
    }
    actrc_options opt = {incs, ninc, dir, deps != 0, NULL, NULL, rts, nrt};
    for (size_t i = 0; i < nfiles; i++) {
        actrc_output out;
        if (actrc_compile(&opt, files[i], NULL, 0, &out) != 0 || write_outputs(dir, &out) != 0)
            status = 1;
        fputs(out.diags, stderr);
        actrc_output_free(&out);
    }
done:
    free(rts);
    free(incs);
    free(files);
    return status;
}
