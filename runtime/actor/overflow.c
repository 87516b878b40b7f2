/* S18: the overflow of a dialog that allows overruns. What arrives for a
 * full receive queue is kept in order in a second, bounded queue; one
 * drainer task per dialog moves it into the receive queue as the reader
 * frees space. Past the bound the oldest overflow is dropped; when the
 * dialog ends what is left is dropped too; either way one warning line
 * gives the number of messages lost. The message loop never waits here
 * (S16). */
#define _GNU_SOURCE
#include "actor/dialog.h"
#include "actor/link.h"

#include <stdlib.h>
#include <string.h>

struct overflow {
    struct msgq q;                /* what arrived for a full queue, in order */
    size_t lost;                  /* overflow that never reached the reader */
    int reported;                 /* the one "lost" warning was written */
    int drainer_on;               /* a drainer task runs (holds a reference) */
    int drainer_stop;
    struct actri_task *drainer;   /* the drainer, while parked */
};

static size_t
bound(const struct dialog *d)
{
    return d->ovf_max ? d->ovf_max : ACTR_CTX_OVERFLOW_MAX;
}

size_t
actri_ovf_len(const struct dialog *d)
{
    return d->ovf ? d->ovf->q.len : 0;
}

size_t
actri_ovf_lost(const struct dialog *d)
{
    return d->ovf ? d->ovf->lost : 0;
}

/* Moves the head of from to the tail of to (copying its bytes). */
static int
move_head(struct msgq *from, struct msgq *to, size_t max)
{
    actr_any pld;
    if (!actri_msgq_pop(from, &pld))
        return 0;
    /* pld stays readable: from is not pushed to before the copy. */
    return actri_msgq_push(to, max, &pld);
}

static void
drop_all(struct overflow *o)
{
    o->lost += o->q.len;
    actri_msgq_clear(&o->q);
}

static int
drainer_task(void *arg)
{
    struct dialog *d = arg;
    struct overflow *o = d->ovf;
    while (!o->drainer_stop) {
        int moved = 0;
        while (o->q.len > 0 && d->q.len < d->qmax) {
            if (move_head(&o->q, &d->q, d->qmax) < 0) {
                o->lost++;               /* out of memory: that one is gone */
                break;
            }
            moved = 1;
        }
        if (moved)
            actri_dialog_wake(d);
        if (o->q.len == 0)
            break;
        o->drainer = actri_task_self();
        int rc = actri_park(ACTR_FOREVER);
        o->drainer = NULL;
        if (rc == ACTR_ECANCELED)
            break;               /* the actor goes away: so does the overflow */
    }
    if (o->drainer_stop || o->q.len > 0)
        drop_all(o);
    o->drainer_on = 0;
    actri_dialog_unref(d);
    return 0;
}

static void
start_drainer(struct dialog *d)
{
    struct overflow *o = d->ovf;
    actr_nursery *svc = d->link->a->svc;
    if (o->drainer_on || !svc)
        return;
    actri_dialog_ref(d);
    o->drainer_on = 1;
    o->drainer_stop = 0;
    actr_task_opts opts = {.name = "drainer"};
    if (actr_nursery_spawn_opts(svc, drainer_task, d, &opts) < 0) {
        o->drainer_on = 0;
        actri_dialog_unref(d);
        actr_log_error(ACTOR_TAG, "dialog %s: no drainer task: overflow dropped", d->cid);
        drop_all(o);
    }
}

void
actri_ovf_keep(struct dialog *d, const actr_msg *m)
{
    if (!d->ovf && !(d->ovf = calloc(1, sizeof *d->ovf))) {
        d->overruns++;
        actr_log_error(ACTOR_TAG, "dialog %s: out of memory, stream message dropped", d->cid);
        return;
    }
    struct overflow *o = d->ovf;
    size_t max = bound(d);
    if (o->q.len >= max) {
        /* Bounded memory: the oldest overflow goes first. */
        actr_any oldest;
        (void)actri_msgq_pop(&o->q, &oldest);
        o->lost++;
        if (o->lost == 1)
            actr_log_runtime(ACTOR_TAG, "dialog %s (%s): overflow past its bound of %zu:"
                             " dropping the oldest", d->cid, actri_dialog_name(d), max);
    }
    if (actri_msgq_push(&o->q, max, &m->u.yield.pld) < 0) {
        o->lost++;
        actr_log_error(ACTOR_TAG, "dialog %s: out of memory, stream message dropped", d->cid);
        return;
    }
    if (o->q.len == 1)
        actr_log_runtime(ACTOR_TAG, "dialog %s (%s): receive queue full (%zu), keeping the"
                         " overflow", d->cid, actri_dialog_name(d), d->qmax);
    start_drainer(d);
}

void
actri_ovf_space(struct dialog *d)
{
    if (d->ovf && d->ovf->drainer)
        actri_wake(d->ovf->drainer, 0);
}

void
actri_ovf_discard(struct dialog *d)
{
    if (d->ovf)
        drop_all(d->ovf);
}

void
actri_ovf_end(struct dialog *d)
{
    struct overflow *o = d->ovf;
    if (!o)
        return;
    if (o->drainer_on) {
        o->drainer_stop = 1;
        actri_ovf_space(d);
    }
    drop_all(o);
    if (o->lost > 0 && !o->reported) {
        o->reported = 1;
        actr_log_warning(ACTOR_TAG, "dialog %s (%s) with %s ended: %zu overflow messages"
                         " lost (receive queue %zu, overflow bound %zu)", d->cid,
                         actri_dialog_name(d), d->link->peer.name, o->lost, d->qmax,
                         bound(d));
    }
    if (!o->drainer_on) {
        /* The last user: the drainer is gone (it holds a reference while
         * it runs, so a dialog being freed has none). */
        if (d->refs == 0) {
            free(o);
            d->ovf = NULL;
        }
    }
}
