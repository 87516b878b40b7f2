/* compiler/actrc.h: the compiler as a library. Everything but the
 * command line lives behind this entry point, which neither exits nor
 * writes files, so tests and the fuzz harness call it directly. */
#ifndef ACTRC_H
#define ACTRC_H

#include <stdbool.h>
#include <stddef.h>

/* Largest .actor file actrc reads. */
#define ACTRC_MAX_FILE (4u << 20)

/* Reads a whole file: on success returns 0 and a malloc'd buffer (the
 * caller frees it); otherwise returns an errno value (ENOENT: try the
 * next import directory). */
typedef int (*actrc_read_fn)(void *ctx, const char *path, char **data, size_t *len);

typedef struct actrc_options {
    const char *const *include_dirs;   /* -I and -R, in order */
    size_t ninclude;
    const char *out_dir;               /* -o, used in the -M rule; NULL = "." */
    bool deps;                         /* -M: produce the make rule */
    actrc_read_fn read;                /* NULL = the file system */
    void *read_ctx;
    /* -R: directories of the runtime's own modules (also in include_dirs).
     * A module whose file lies in one of them may take libactr's C prefix
     * (actr_) and the reserved wire namespaces (self, actr), and gets the
     * runtime's header layout: only its named types are public. */
    const char *const *runtime_dirs;
    size_t nruntime;
} actrc_options;

typedef struct actrc_output {
    char *module;          /* module name = output base name, or NULL */
    char *header;          /* <module>.actor.h text, or NULL on errors */
    size_t header_len;
    char *source;          /* <module>.actor.c text */
    size_t source_len;
    char *deps;            /* the -M rule text, when asked */
    size_t deps_len;
    char *diags;           /* every error message, possibly "" */
    size_t diags_len;
    int nerrors;
} actrc_output;

/* Compiles the .actor file `path`: its text is `text` (len bytes) or,
 * when text is NULL, read with opt->read. Imports are read with
 * opt->read. Returns 0 with the generated texts in *out, or -1 with the
 * messages in out->diags. Either way release *out with actrc_output_free. */
int actrc_compile(const actrc_options *opt, const char *path, const char *text, size_t len,
                  actrc_output *out);

void actrc_output_free(actrc_output *out);

/* The default reader (regular files up to ACTRC_MAX_FILE). */
int actrc_read_file(void *ctx, const char *path, char **data, size_t *len);

#endif
