/* Cancel scopes: the scope tree, cancellation and deadlines. */
#define _GNU_SOURCE
#include "core/core.h"

#include <string.h>

#define S actri_sched

int
actri_scope_chain_cancelled(const struct scope *s)
{
    for (; s; s = s->parent) {
        if (s->state & SCOPE_CANCELLED)
            return 1;
        if (s->flags & ACTR_SCOPE_SHIELD)
            return 0;
    }
    return 0;
}

static void
deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct scope *s = w->data;
    int64_t left = s->deadline - actr_now();
    if (left > 0) {
        /* libev measured from its cached loop time: not there yet. */
        ev_timer_set(w, (double)left / 1e3, 0.);
        ev_timer_start(loop, w);
        return;
    }
    actr_log_cancel("scope", "deadline of a scope of task %s passed",
                    s->task && s->task->name[0] ? s->task->name : "?");
    actri_scope_cancel(s, 1);
}

static void
arm(struct scope *s)
{
    if (ev_is_active(&s->timer))
        ev_timer_stop(S.loop, &s->timer);
    if (s->deadline < 0 || (s->state & SCOPE_CANCELLED))
        return;
    int64_t left = s->deadline - actr_now();
    if (left <= 0) {
        actri_scope_cancel(s, 1);
        return;
    }
    ev_timer_set(&s->timer, (double)left / 1e3, 0.);
    ev_timer_start(S.loop, &s->timer);
}

void
actri_scope_enter_task(struct actri_task *t, struct scope *s, int64_t deadline,
                       unsigned flags)
{
    memset(s, 0, sizeof *s);
    s->task = t;
    s->flags = flags;
    s->state = SCOPE_ENTERED;
    s->deadline = deadline < 0 ? -1 : deadline;
    struct scope *p = t->scope;
    s->parent = p;
    s->next = p->first_child;
    if (p->first_child)
        p->first_child->prev = s;
    p->first_child = s;
    t->scope = s;
    t->cc_gen = 0;
    ev_init(&s->timer, deadline_cb);
    s->timer.data = s;
    if (s->deadline >= 0)
        arm(s);
}

void
actri_scope_leave(struct scope *s)
{
    if (ev_is_active(&s->timer))
        ev_timer_stop(S.loop, &s->timer);
    struct scope *p = s->parent;
    if (s->prev)
        s->prev->next = s->next;
    else if (p)
        p->first_child = s->next;
    if (s->next)
        s->next->prev = s->prev;
    /* Tasks of a nursery may outlive nothing, but nested scopes inside s
     * are gone by LIFO order; keep the links clean anyway. */
    s->next = s->prev = NULL;
    s->state &= ~SCOPE_ENTERED;
    s->task->scope = p;
    s->task->cc_gen = 0;
}

static void
wake_owner(struct scope *c)
{
    struct actri_task *t = c->task;
    if (t && t->scope == c && t->state == T_PARKED)
        actri_wake(t, ACTR_ECANCELED);
}

void
actri_scope_cancel(struct scope *s, int expired)
{
    if (!(s->state & SCOPE_ENTERED) || (s->state & SCOPE_CANCELLED))
        return;
    s->state |= SCOPE_CANCELLED | (expired ? SCOPE_EXPIRED : 0);
    S.cancel_gen++;
    if (ev_is_active(&s->timer))
        ev_timer_stop(S.loop, &s->timer);
    /* Wake every task parked with its innermost scope in the subtree of s,
     * skipping subtrees under a shield (other than s itself). Iterative:
     * the tree can be deep and we may run on a small fiber stack. */
    struct scope *c = s;
    for (;;) {
        int skip = c != s && (c->flags & ACTR_SCOPE_SHIELD);
        if (!skip) {
            wake_owner(c);
            if (c->first_child) {
                c = c->first_child;
                continue;
            }
        }
        while (c != s && !c->next)
            c = c->parent;
        if (c == s)
            break;
        c = c->next;
    }
}

/* ------------------------------------------------------------ public */

static struct scope *
priv(actr_scope *s)
{
    return (struct scope *)(void *)s;
}

static const struct scope *
cpriv(const actr_scope *s)
{
    return (const struct scope *)(const void *)s;
}

int
actr_scope_enter(actr_scope *s, int64_t deadline, unsigned flags)
{
    struct actri_task *t = S.current;
    if (!t || !s)
        return actri_error_code(ACTR_ESTATE, "scope entered outside a task");
    actri_scope_enter_task(t, priv(s), deadline,
                           flags & (ACTR_SCOPE_SHIELD | ACTR_SCOPE_FAIL));
    return 0;
}

int
actr_move_on_after(actr_scope *s, int64_t ms)
{
    return actr_scope_enter(s, actr_deadline_in(ms < 0 ? 0 : ms), 0);
}

int
actr_fail_after(actr_scope *s, int64_t ms)
{
    return actr_scope_enter(s, actr_deadline_in(ms < 0 ? 0 : ms), ACTR_SCOPE_FAIL);
}

int
actr_scope_exit(actr_scope *as)
{
    struct scope *s = priv(as);
    struct actri_task *t = S.current;
    if (!t || !(s->state & SCOPE_ENTERED) || s->task != t || t->scope != s
        || (s->flags & (SCOPE_NURSERY | SCOPE_ROOT)))
        return actri_error_code(ACTR_ESTATE, "scope exited out of order or by"
                                " another task");
    actri_scope_leave(s);
    if ((s->flags & ACTR_SCOPE_FAIL) && (s->state & SCOPE_EXPIRED))
        return actri_error_code(ACTR_ETIMEDOUT, "fail_after deadline passed");
    return 0;
}

void
actr_scope_cancel(actr_scope *s)
{
    if (s)
        actri_scope_cancel(priv(s), 0);
}

void
actr_scope_set_deadline(actr_scope *as, int64_t deadline)
{
    struct scope *s = priv(as);
    if (!(s->state & SCOPE_ENTERED))
        return;
    s->deadline = deadline < 0 ? -1 : deadline;
    arm(s);
}

int64_t
actr_scope_deadline(const actr_scope *s)
{
    return cpriv(s)->deadline;
}

int
actr_scope_cancel_called(const actr_scope *s)
{
    return (cpriv(s)->state & SCOPE_CANCELLED) != 0;
}

int
actr_scope_expired(const actr_scope *s)
{
    return (cpriv(s)->state & SCOPE_EXPIRED) != 0;
}
