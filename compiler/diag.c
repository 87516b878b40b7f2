/* Error messages with source line and caret. */
#include "diag.h"

#include <stdio.h>

void
loc_linecol(loc at, unsigned *line, unsigned *col)
{
    unsigned l = 1;
    size_t start = 0;
    size_t off = at.file != NULL && at.off <= at.file->len ? at.off : 0;

    for (size_t i = 0; at.file != NULL && i < off; i++) {
        if (at.file->text[i] == '\n') {
            l++;
            start = i + 1;
        }
    }
    *line = l;
    *col = (unsigned)(off - start) + 1;
}

/* Prints the line holding `at` and a caret under its column. Control
 * bytes are shown as '?' so a hostile file cannot drive the terminal. */
static void
show_line(strbuf *b, loc at)
{
    const srcfile *f = at.file;
    size_t off = at.off <= f->len ? at.off : f->len;
    size_t start = off, end = off;

    while (start > 0 && f->text[start - 1] != '\n')
        start--;
    while (end < f->len && f->text[end] != '\n')
        end++;
    if (end - start > 300)
        return;                     /* minified or binary: no excerpt */
    sb_puts(b, "    ");
    for (size_t i = start; i < end; i++) {
        unsigned char c = (unsigned char)f->text[i];
        sb_putc(b, (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c);
    }
    sb_puts(b, "\n    ");
    for (size_t i = start; i < off; i++) {
        unsigned char c = (unsigned char)f->text[i];
        if (c == '\t')
            sb_putc(b, '\t');
        else if ((c & 0xc0) != 0x80)    /* one column per UTF-8 character */
            sb_putc(b, ' ');
    }
    sb_puts(b, "^\n");
}

static int
count(diag *d)
{
    if (d->stopped)
        return 0;
    if (d->nerrors == DIAG_MAX_ERRORS) {
        sb_puts(&d->out, "actrc: error: too many errors, stopping\n");
        d->stopped = 1;
        d->nerrors++;
        return 0;
    }
    d->nerrors++;
    return 1;
}

void
diag_error(diag *d, loc at, const char *fmt, ...)
{
    va_list ap;
    unsigned line, col;

    if (!count(d))
        return;
    if (at.file == NULL) {
        sb_puts(&d->out, "actrc: error: ");
    } else {
        loc_linecol(at, &line, &col);
        sb_printf(&d->out, "%s:%u:%u: error: ", at.file->path, line, col);
    }
    va_start(ap, fmt);
    sb_vprintf(&d->out, fmt, ap);
    va_end(ap);
    sb_putc(&d->out, '\n');
    if (at.file != NULL)
        show_line(&d->out, at);
}

void
diag_plain(diag *d, const char *fmt, ...)
{
    va_list ap;

    if (!count(d))
        return;
    sb_puts(&d->out, "actrc: error: ");
    va_start(ap, fmt);
    sb_vprintf(&d->out, fmt, ap);
    va_end(ap);
    sb_putc(&d->out, '\n');
}
