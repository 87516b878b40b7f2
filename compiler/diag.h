/* compiler/diag.h: source files and error reporting for actrc. Every
 * error is printed as `file:line:col: error: message`, then the source
 * line and a caret under the offending column. */
#ifndef ACTRC_DIAG_H
#define ACTRC_DIAG_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* A loaded .actor file; text is NUL-terminated (text[len] == 0). */
typedef struct srcfile {
    const char *path;
    const char *text;
    size_t len;
} srcfile;

/* A position: a byte offset into a file (line and column are computed
 * only when an error is printed). */
typedef struct loc {
    const srcfile *file;
    uint32_t off;
} loc;

/* After this many errors the compilation stops. */
#define DIAG_MAX_ERRORS 50

typedef struct diag {
    strbuf out;      /* all messages, in order */
    int nerrors;
    int stopped;     /* DIAG_MAX_ERRORS reached */
} diag;

void diag_error(diag *d, loc at, const char *fmt, ...) ACTRC_PRINTF(3, 4);
/* An error with no position (a file that cannot be read). */
void diag_plain(diag *d, const char *fmt, ...) ACTRC_PRINTF(2, 3);
/* 1-based line and column of a location. */
void loc_linecol(loc at, unsigned *line, unsigned *col);

#endif
