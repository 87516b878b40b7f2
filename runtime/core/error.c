/* Per-task error detail (actr/error.h). */
#define _GNU_SOURCE
#include "core/core.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S actri_sched

/* Errors recorded outside any task (libev callbacks, before actr_run). */
static struct errslot loop_slot;

struct errslot *
actri_errslot_cur(void)
{
    return S.current ? &S.current->err : &loop_slot;
}

void
actri_error_free_fields(actr_error *e)
{
    free((char *)e->message);
    free((char *)e->type_name);
    free((char *)e->traceback);
    free((char *)e->src_uid);
    free((char *)e->canceller_uid);
    free((char *)e->task_name);
    memset(e, 0, sizeof *e);
}

static const char *
dupstr(const char *s, int *fail)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *fail = 1;
    return d;
}

int
actri_error_copy(actr_error *dst, const actr_error *src)
{
    int fail = 0;
    actr_error e = {0};
    e.code = src->code;
    e.message = dupstr(src->message ? src->message : actr_strerror(src->code), &fail);
    e.type_name = dupstr(src->type_name, &fail);
    e.traceback = dupstr(src->traceback, &fail);
    e.src_uid = dupstr(src->src_uid, &fail);
    e.canceller_uid = dupstr(src->canceller_uid, &fail);
    e.task_name = dupstr(src->task_name, &fail);
    if (fail) {
        actri_error_free_fields(&e);
        return ACTR_ENOMEM;
    }
    *dst = e;
    return 0;
}

void
actri_errslot_free(struct errslot *s)
{
    for (size_t i = 0; i < s->n; i++)
        actri_error_free_fields(&s->items[i]);
    free(s->items);
    s->items = NULL;
    s->n = 0;
    memset(&s->pub, 0, sizeof s->pub);
}

void
actri_errslot_take(struct errslot *s, actr_error *items, size_t n)
{
    actri_errslot_free(s);
    if (n == 0) {
        free(items);
        return;
    }
    s->items = items;
    s->n = n;
    s->pub = items[0];
    s->pub.count = n;
    s->pub.list = items;
    for (size_t i = 0; i < n; i++) {
        items[i].count = 1;
        items[i].list = &items[i];
    }
}

int
actri_error_code(int code, const char *static_msg)
{
    struct errslot *s = actri_errslot_cur();
    actri_errslot_free(s);
    s->pub.code = code;
    s->pub.message = static_msg ? static_msg : actr_strerror(code);
    s->pub.count = 1;
    s->pub.list = &s->pub;
    return code;
}

const actr_error *
actr_last_error(void)
{
    return &actri_errslot_cur()->pub;
}

int
actr_error_set(int code, const char *fmt, ...)
{
    if (!fmt)
        return actri_error_code(code, NULL);
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *msg = NULL;
    if (len >= (int)sizeof buf && (msg = malloc((size_t)len + 1)) != NULL) {
        va_start(ap, fmt);
        vsnprintf(msg, (size_t)len + 1, fmt, ap);
        va_end(ap);
    }
    actr_error *item = calloc(1, sizeof *item);
    actr_error e = {.code = code, .message = msg ? msg : buf};
    if (!item || actri_error_copy(item, &e) < 0) {
        free(item);
        free(msg);
        return actri_error_code(code, "(out of memory for the error message)");
    }
    free(msg);
    actri_errslot_take(actri_errslot_cur(), item, 1);
    return code;
}

int
actr_error_set_detail(const actr_error *e)
{
    return actr_error_set_list(e, 1);
}

int
actr_error_set_list(const actr_error *errs, size_t n)
{
    if (n == 0 || !errs) {
        actr_error_clear();
        return 0;
    }
    actr_error *items = calloc(n, sizeof *items);
    if (!items)
        return actri_error_code(errs[0].code, "(out of memory for the error detail)");
    for (size_t i = 0; i < n; i++) {
        if (actri_error_copy(&items[i], &errs[i]) < 0) {
            while (i-- > 0)
                actri_error_free_fields(&items[i]);
            free(items);
            return actri_error_code(errs[0].code, "(out of memory for the error detail)");
        }
    }
    actri_errslot_take(actri_errslot_cur(), items, n);
    return errs[0].code;
}

void
actr_error_clear(void)
{
    actri_errslot_free(actri_errslot_cur());
}

void
actri_errslot_to_loop(struct errslot *src)
{
    actri_errslot_free(&loop_slot);
    loop_slot = *src;
    if (loop_slot.n == 0 && loop_slot.pub.code != 0)
        loop_slot.pub.list = &loop_slot.pub;
    memset(src, 0, sizeof *src);
}
