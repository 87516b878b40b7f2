/* Blocking calls in flight on an object that its close cancels and waits
 * for (hilevel/calls.h). */
#include "hilevel/calls.h"

#include <actr/actr.h>

void
hl_calls_init(struct hl_call_set *cs)
{
    cs->head = NULL;
    cs->n = 0;
    actr_event_init(&cs->idle);
    actr_event_set(&cs->idle);
}

int
hl_calls_enter(struct hl_call_set *cs, struct hl_inflight *c)
{
    int rc = actr_scope_enter(&c->sc, ACTR_FOREVER, 0);
    if (rc < 0)
        return rc;
    c->set = cs;
    c->prev = NULL;
    c->next = cs->head;
    if (cs->head)
        cs->head->prev = c;
    cs->head = c;
    cs->n++;
    actr_event_clear(&cs->idle);
    return 0;
}

void
hl_calls_leave(struct hl_inflight *c)
{
    struct hl_call_set *cs = c->set;
    if (c->prev)
        c->prev->next = c->next;
    else
        cs->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (--cs->n == 0)
        actr_event_set(&cs->idle);
    actr_scope_exit(&c->sc);
}

void
hl_calls_cancel_wait(struct hl_call_set *cs)
{
    for (struct hl_inflight *c = cs->head; c; c = c->next)
        actr_scope_cancel(&c->sc);
    actr_scope sh;
    if (actr_scope_enter(&sh, ACTR_FOREVER, ACTR_SCOPE_SHIELD) < 0)
        return;
    (void)actr_event_wait(&cs->idle, ACTR_FOREVER);
    actr_scope_exit(&sh);
}
