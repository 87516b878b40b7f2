/* An owned copy of spawn options (hilevel/spawncopy.h). */
#define _GNU_SOURCE
#include "hilevel/spawncopy.h"

#include <stdlib.h>
#include <string.h>

#include <actr/error.h>

static char *
keep(struct hl_spawn_copy *c, const char *s)
{
    char *d = s ? strdup(s) : NULL;
    if (d)
        c->strs[c->nstrs++] = d;
    return d;
}

/* A copied array of n strings (the array itself is kept as a string). */
static const char *const *
keep_list(struct hl_spawn_copy *c, const char *const *v, size_t n, int *fail)
{
    if (!n)
        return NULL;
    char **a = calloc(n, sizeof *a);
    if (!a) {
        *fail = 1;
        return NULL;
    }
    c->strs[c->nstrs++] = (char *)a;
    for (size_t i = 0; i < n; i++)
        if (!(a[i] = keep(c, v[i] ? v[i] : "")))
            *fail = 1;
    return (const char *const *)a;
}

int
hl_spawn_copy_init(struct hl_spawn_copy *dst, const actr_spawn_opts *src)
{
    static const actr_spawn_opts none;
    const actr_spawn_opts *o = src ? src : &none;
    struct hl_spawn_copy c = {.has = 1, .o = *o};
    int fail = 0;
    c.strs = calloc(1 + 2 * (o->nenable + o->nbind) + 2, sizeof *c.strs);
    if (!c.strs)
        return actr_error_set(ACTR_ENOMEM, "out of memory copying spawn options");
    if (o->exe && !(c.o.exe = keep(&c, o->exe)))
        fail = 1;
    c.o.enable = keep_list(&c, o->enable, o->nenable, &fail);
    c.o.bind = keep_list(&c, o->bind, o->nbind, &fail);
    if (fail) {
        hl_spawn_copy_free(&c);
        return actr_error_set(ACTR_ENOMEM, "out of memory copying spawn options");
    }
    *dst = c;
    return 0;
}

void
hl_spawn_copy_free(struct hl_spawn_copy *c)
{
    for (size_t i = 0; i < c->nstrs; i++)
        free(c->strs[i]);
    free(c->strs);
    memset(c, 0, sizeof *c);
}
