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
    free((char *)e->boxed_type);
    free((char *)e->traceback);
    free((char *)e->src_uid);
    free((char *)e->canceller_uid);
    free((char *)e->sender_uid);
    free((char *)e->task_name);
    for (size_t i = 0; i < e->relay_count; i++)
        free((char *)e->relay_path[i]);
    free((void *)e->relay_path);
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
    e.boxed_type = dupstr(src->boxed_type, &fail);
    e.traceback = dupstr(src->traceback, &fail);
    e.src_uid = dupstr(src->src_uid, &fail);
    e.canceller_uid = dupstr(src->canceller_uid, &fail);
    e.sender_uid = dupstr(src->sender_uid, &fail);
    e.task_name = dupstr(src->task_name, &fail);
    if (src->relay_count > 0 && src->relay_path) {
        const char **path = calloc(src->relay_count, sizeof *path);
        if (!path) {
            fail = 1;
        } else {
            e.relay_path = path;
            e.relay_count = src->relay_count;
            for (size_t i = 0; i < src->relay_count; i++)
                path[i] = dupstr(src->relay_path[i] ? src->relay_path[i] : "", &fail);
        }
    }
    if (fail) {
        actri_error_free_fields(&e);
        return ACTR_ENOMEM;
    }
    *dst = e;
    return 0;
}

/* Frees what the slot holds, except the masked error. */
static void
slot_free_own(struct errslot *s)
{
    for (size_t i = 0; i < s->n; i++)
        actri_error_free_fields(&s->items[i]);
    free(s->items);
    s->items = NULL;
    s->n = 0;
    memset(&s->pub, 0, sizeof s->pub);
}

void
actri_errslot_free(struct errslot *s)
{
    slot_free_own(s);
    if (s->masked) {
        actri_errslot_free(s->masked);
        free(s->masked);
        s->masked = NULL;
    }
}

/* Empties the slot for a new failure with code. A cancellation recorded
 * over a real failure keeps that failure aside (the masked error), so the
 * layer that reports the task's outcome can still find it (actor/: a
 * cleanup cancelled after a failure must not hide the failure). */
static void
slot_reset(struct errslot *s, int code)
{
    if (code == ACTR_ECANCELED && s->pub.code != 0 && s->pub.code != ACTR_ECANCELED) {
        struct errslot *m = calloc(1, sizeof *m);
        if (m) {
            if (s->masked) {
                actri_errslot_free(s->masked);
                free(s->masked);
            }
            *m = *s;
            m->masked = NULL;
            if (m->n == 0)
                m->pub.list = &m->pub;
            memset(s, 0, sizeof *s);
            s->masked = m;
            return;
        }
    }
    if (code == ACTR_ECANCELED) {
        slot_free_own(s);
        return;
    }
    actri_errslot_free(s);
}

const actr_error *
actri_error_masked(void)
{
    struct errslot *s = actri_errslot_cur();
    return s->masked ? &s->masked->pub : NULL;
}

void
actri_errslot_take(struct errslot *s, actr_error *items, size_t n)
{
    slot_reset(s, n ? items[0].code : 0);
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
    slot_reset(s, code);
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

int
actr_error_dup(const actr_error *e, actr_error **out)
{
    if (!e || !out)
        return actri_error_code(ACTR_EINVAL, "actr_error_dup: no error or out parameter");
    const actr_error *v = e->count > 1 && e->list ? e->list : e;
    size_t n = e->count > 1 && e->list ? e->count : 1;
    actr_error *items = calloc(n, sizeof *items);
    if (!items)
        return actri_error_code(ACTR_ENOMEM, "out of memory copying an error");
    for (size_t i = 0; i < n; i++) {
        if (actri_error_copy(&items[i], &v[i]) < 0) {
            while (i-- > 0)
                actri_error_free_fields(&items[i]);
            free(items);
            return actri_error_code(ACTR_ENOMEM, "out of memory copying an error");
        }
        items[i].count = 1;
        items[i].list = &items[i];
    }
    items[0].count = n;
    *out = items;
    return 0;
}

int
actr_error_restore(const actr_error *e)
{
    if (!e) {
        actr_error_clear();
        return 0;
    }
    return actr_error_set_list(e->count > 1 ? e->list : e, e->count > 1 ? e->count : 1);
}

void
actr_error_free(actr_error *e)
{
    if (!e)
        return;
    size_t n = e->count > 1 ? e->count : 1;
    for (size_t i = 0; i < n; i++)
        actri_error_free_fields(&e[i]);
    free(e);
}

void
actri_errslot_move(struct errslot *dst, struct errslot *src)
{
    if (dst == src)
        return;
    actri_errslot_free(dst);
    *dst = *src;
    if (dst->n == 0 && dst->pub.code != 0)
        dst->pub.list = &dst->pub;
    memset(src, 0, sizeof *src);
}

_Static_assert(sizeof(struct errslot) <= sizeof(((struct actri_errsave *)0)->slot_),
               "actri_errsave too small");

void
actri_error_save(struct actri_errsave *s)
{
    struct errslot *saved = (struct errslot *)(void *)s->slot_;
    memset(saved, 0, sizeof *saved);
    actri_errslot_move(saved, actri_errslot_cur());
}

void
actri_error_restore(struct actri_errsave *s)
{
    actri_errslot_move(actri_errslot_cur(), (struct errslot *)(void *)s->slot_);
}

void
actri_errslot_to_loop(struct errslot *src)
{
    actri_errslot_move(&loop_slot, src);
}
