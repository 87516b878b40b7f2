/* actr_error_print: an error as people read it (a failing root's last
 * words, the actr tool). */
#include <actr/err.h>
#include <actr/error.h>

#include <stdio.h>
#include <string.h>

/* Writes text's lines, each after indent; a trailing newline adds none. */
static void
print_lines(FILE *f, const char *indent, const char *text)
{
    while (*text) {
        size_t n = strcspn(text, "\n");
        fprintf(f, "%s%.*s\n", indent, (int)n, text);
        text += n;
        if (*text == '\n')
            text++;
    }
}

static void
print_one(FILE *f, const char *indent, const char *title, const actr_error *e)
{
    const char *type = e->type_name ? e->type_name : actr_errname(e->code);
    const char *msg = e->message && *e->message ? e->message : actr_strerror(e->code);
    size_t first = strcspn(msg, "\n");
    fprintf(f, "%s%s%s%s: %.*s\n", indent, title ? title : "", title ? ": " : "",
            type ? type : "error", (int)first, msg);
    char more[64];
    snprintf(more, sizeof more, "%s  ", indent);
    if (msg[first])
        print_lines(f, more, msg + first + 1);
    if (e->boxed_type && (!e->type_name || strcmp(e->boxed_type, e->type_name) != 0))
        fprintf(f, "%s  boxed as: %s\n", indent, e->boxed_type);
    if (e->src_uid)
        fprintf(f, "%s  source actor: %s\n", indent, e->src_uid);
    if (e->relay_count > 0) {
        fprintf(f, "%s  relayed by:", indent);
        for (size_t i = 0; i < e->relay_count; i++)
            fprintf(f, "%s %s", i ? " ->" : "", e->relay_path[i] ? e->relay_path[i] : "?");
        fputc('\n', f);
    }
    if (e->canceller_uid)
        fprintf(f, "%s  cancelled by: %s\n", indent, e->canceller_uid);
    if (e->sender_uid)
        fprintf(f, "%s  sender: %s\n", indent, e->sender_uid);
    if (e->task_name)
        fprintf(f, "%s  task: %s\n", indent, e->task_name);
    if (e->traceback && *e->traceback) {
        fprintf(f, "%s  traceback:\n", indent);
        snprintf(more, sizeof more, "%s    ", indent);
        print_lines(f, more, e->traceback);
    }
}

void
actr_error_print(FILE *f, const char *title, const actr_error *e)
{
    if (!f || !e || e->code == 0)
        return;
    if (e->count <= 1 || !e->list) {
        print_one(f, "", title, e);
        return;
    }
    fprintf(f, "%s%s%zu errors:\n", title ? title : "", title ? ": " : "", e->count);
    for (size_t i = 0; i < e->count; i++) {
        char t[32];
        snprintf(t, sizeof t, "[%zu]", i + 1);
        print_one(f, "  ", t, &e->list[i]);
    }
    fflush(f);
}
