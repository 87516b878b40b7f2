/* Wait queues, and the event, lock and semaphore built on them. */
#define _GNU_SOURCE
#include "core/core.h"

#define S actri_sched

void
actri_waitq_push(struct actr_waitq *q, struct waiter *w)
{
    w->q = q;
    w->next = NULL;
    w->prev = q->last_;
    if (q->last_)
        ((struct waiter *)q->last_)->next = w;
    else
        q->first_ = w;
    q->last_ = w;
}

void
actri_waitq_remove(struct waiter *w)
{
    struct actr_waitq *q = w->q;
    if (!q)
        return;
    if (w->prev)
        w->prev->next = w->next;
    else
        q->first_ = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->last_ = w->prev;
    w->q = NULL;
    w->next = w->prev = NULL;
}

struct waiter *
actri_waitq_pop_parked(struct actr_waitq *q)
{
    struct waiter *w;
    while ((w = q->first_) != NULL) {
        actri_waitq_remove(w);
        if (w->task->state == T_PARKED)
            return w;
    }
    return NULL;
}

int
actri_waitq_block(struct actr_waitq *q, struct actri_task *t, void *data,
                  int64_t deadline)
{
    struct waiter w = {.task = t, .data = data};
    actri_waitq_push(q, &w);
    int rc = actri_park(deadline);
    actri_waitq_remove(&w);
    return rc;
}

static int
fail(int rc)
{
    return actri_error_code(rc, rc == ACTR_ETIMEDOUT ? "deadline passed"
                            : rc == ACTR_ECANCELED ? "task cancelled" : NULL);
}

/* ------------------------------------------------------------ event */

void
actr_event_init(actr_event *e)
{
    e->waiters_.first_ = e->waiters_.last_ = NULL;
    e->set_ = 0;
}

void
actr_event_set(actr_event *e)
{
    e->set_ = 1;
    struct waiter *w;
    while ((w = actri_waitq_pop_parked(&e->waiters_)) != NULL)
        actri_wake(w->task, 0);
}

void
actr_event_clear(actr_event *e)
{
    e->set_ = 0;
}

int
actr_event_is_set(const actr_event *e)
{
    return e->set_ != 0;
}

int
actr_event_wait(actr_event *e, int64_t deadline)
{
    struct actri_task *t;
    int rc = actri_enter_blocking(&t);
    if (rc < 0)
        return rc;
    while (!e->set_) {
        rc = actri_waitq_block(&e->waiters_, t, NULL, deadline);
        if (rc < 0)
            return fail(rc);
    }
    return 0;
}

/* ------------------------------------------------------------ lock */

void
actr_lock_init(actr_lock *l)
{
    l->waiters_.first_ = l->waiters_.last_ = NULL;
    l->owner_ = NULL;
}

int
actr_lock_acquire(actr_lock *l, int64_t deadline)
{
    struct actri_task *t;
    int rc = actri_enter_blocking(&t);
    if (rc < 0)
        return rc;
    if (l->owner_ == t)
        return actri_error_code(ACTR_ESTATE, "lock already held by this task");
    if (!l->owner_) {
        l->owner_ = t;
        return 0;
    }
    rc = actri_waitq_block(&l->waiters_, t, NULL, deadline);
    if (rc < 0)
        return fail(rc);
    /* Woken with 0 only by a release that handed us the lock. */
    return l->owner_ == t ? 0 : fail(ACTR_ESTATE);
}

int
actr_lock_release(actr_lock *l)
{
    if (!S.current || l->owner_ != S.current)
        return actri_error_code(ACTR_ESTATE, "lock not held by this task");
    struct waiter *w = actri_waitq_pop_parked(&l->waiters_);
    l->owner_ = w ? w->task : NULL;
    if (w)
        actri_wake(w->task, 0);
    return 0;
}

/* ------------------------------------------------------------ semaphore */

void
actr_sem_init(actr_sem *s, uint64_t count)
{
    s->waiters_.first_ = s->waiters_.last_ = NULL;
    s->count_ = count;
}

int
actr_sem_try_acquire(actr_sem *s)
{
    if (s->count_ == 0)
        return ACTR_EAGAIN;
    s->count_--;
    return 0;
}

int
actr_sem_acquire(actr_sem *s, int64_t deadline)
{
    struct actri_task *t;
    int rc = actri_enter_blocking(&t);
    if (rc < 0)
        return rc;
    if (s->count_ > 0) {
        s->count_--;
        return 0;
    }
    rc = actri_waitq_block(&s->waiters_, t, NULL, deadline);
    /* Woken with 0 only by a release that handed us its unit. */
    return rc < 0 ? fail(rc) : 0;
}

void
actr_sem_release(actr_sem *s)
{
    struct waiter *w = actri_waitq_pop_parked(&s->waiters_);
    if (w)
        actri_wake(w->task, 0);
    else
        s->count_++;
}
