/* S18: the overflow of a context opened with allow_overruns. What
 * arrives for a full receive queue is kept in order in a second, bounded
 * ring; one drainer task per context moves it into the queue as the
 * reader frees space. Past the bound the oldest overflow is dropped; when
 * the context ends what is left is dropped too; either way one warning
 * line gives the number of messages lost. The message loop never waits
 * here (S16). */
#define _GNU_SOURCE
#include "actor/actor.h"

#include <stdlib.h>
#include <string.h>

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
drop_all(struct actr_ctx *c)
{
    c->ovf_lost += c->ovf.len;
    actri_msgq_clear(&c->ovf);
}

static int
drainer_task(void *arg)
{
    struct actr_ctx *c = arg;
    while (!c->drainer_stop) {
        int moved = 0;
        while (c->ovf.len > 0 && c->q.len < c->qmax) {
            if (move_head(&c->ovf, &c->q, c->qmax) < 0) {
                c->ovf_lost++;           /* out of memory: that one is gone */
                break;
            }
            moved = 1;
        }
        if (moved)
            actri_ctx_wake(c);
        if (c->ovf.len == 0)
            break;
        c->drainer = actri_task_self();
        int rc = actri_park(ACTR_FOREVER);
        c->drainer = NULL;
        if (rc == ACTR_ECANCELED)
            break;               /* the actor goes away: so does the overflow */
    }
    if (c->drainer_stop || c->ovf.len > 0)
        drop_all(c);
    c->drainer_on = 0;
    actri_ctx_unref(c);
    return 0;
}

static void
start_drainer(struct actr_ctx *c)
{
    actr_nursery *svc = c->link->a->svc;
    if (c->drainer_on || !svc)
        return;
    actri_ctx_ref(c);
    c->drainer_on = 1;
    c->drainer_stop = 0;
    actr_task_opts o = {.name = "drainer"};
    if (actr_nursery_spawn_opts(svc, drainer_task, c, &o) < 0) {
        c->drainer_on = 0;
        actri_ctx_unref(c);
        actr_log_error(ACTOR_TAG, "dialog %s: no drainer task: overflow dropped", c->cid);
        drop_all(c);
    }
}

void
actri_ovf_keep(struct actr_ctx *c, const actr_msg *m)
{
    size_t max = c->ovf_max ? c->ovf_max : ACTR_CTX_OVERFLOW_MAX;
    if (c->ovf.len >= max) {
        /* Bounded memory: the oldest overflow goes first. */
        actr_any oldest;
        (void)actri_msgq_pop(&c->ovf, &oldest);
        c->ovf_lost++;
        if (c->ovf_lost == 1)
            actr_log_runtime(ACTOR_TAG, "dialog %s (%s): overflow past its bound of %zu:"
                             " dropping the oldest", c->cid, c->wire_name, max);
    }
    if (actri_msgq_push(&c->ovf, max, &m->u.yield.pld) < 0) {
        c->ovf_lost++;
        actr_log_error(ACTOR_TAG, "dialog %s: out of memory, stream message dropped", c->cid);
        return;
    }
    if (c->ovf.len == 1)
        actr_log_runtime(ACTOR_TAG, "dialog %s (%s): receive queue full (%zu), keeping the"
                         " overflow", c->cid, c->wire_name, c->qmax);
    start_drainer(c);
}

void
actri_ovf_space(struct actr_ctx *c)
{
    if (c->drainer)
        actri_wake(c->drainer, 0);
}

void
actri_ovf_discard(struct actr_ctx *c)
{
    drop_all(c);
}

void
actri_ovf_end(struct actr_ctx *c)
{
    if (c->drainer_on) {
        c->drainer_stop = 1;
        actri_ovf_space(c);
    }
    drop_all(c);
    if (c->ovf_lost > 0 && !c->ovf_reported) {
        c->ovf_reported = 1;
        actr_log_warning(ACTOR_TAG, "dialog %s (%s) with %s ended: %zu overflow messages"
                         " lost (receive queue %zu, overflow bound %zu)", c->cid,
                         c->wire_name ? c->wire_name : "?", c->link->peer.name, c->ovf_lost,
                         c->qmax, c->ovf_max ? c->ovf_max : (size_t)ACTR_CTX_OVERFLOW_MAX);
    }
}
