/* Bounded channels between tasks (actr/chan.h). Elements move directly
 * from a sender to a parked receiver (and back) when one waits, so a
 * handoff costs one copy and no buffering. */
#define _GNU_SOURCE
#include "core/core.h"

#include <stdlib.h>
#include <string.h>

struct actr_chan {
    size_t esz;                  /* element size */
    size_t cap;                  /* capacity in elements */
    size_t head;                 /* index of the oldest buffered element */
    size_t len;                  /* buffered elements */
    int done;                    /* no more sends */
    struct actr_waitq senders;   /* parked senders; waiter.data = element */
    struct actr_waitq receivers; /* parked receivers; waiter.data = buffer */
    unsigned char buf[];
};

int
actr_chan_open(actr_chan **out, size_t elem_size, size_t capacity)
{
    if (!out || elem_size == 0 || (capacity && elem_size > (SIZE_MAX - sizeof(actr_chan)) / capacity))
        return actri_error_code(ACTR_EINVAL, "chan_open: bad element size or capacity");
    actr_chan *ch = calloc(1, sizeof *ch + elem_size * capacity);
    if (!ch)
        return actri_error_code(ACTR_ENOMEM, "out of memory");
    ch->esz = elem_size;
    ch->cap = capacity;
    *out = ch;
    return 0;
}

static void
buf_put(actr_chan *ch, const void *elem)
{
    size_t i = ch->head + ch->len;
    if (i >= ch->cap)
        i -= ch->cap;
    memcpy(ch->buf + i * ch->esz, elem, ch->esz);
    ch->len++;
}

static void
buf_get(actr_chan *ch, void *elem)
{
    memcpy(elem, ch->buf + ch->head * ch->esz, ch->esz);
    if (++ch->head == ch->cap)
        ch->head = 0;
    ch->len--;
}

/* Sends without blocking: 0, ACTR_ECLOSED or ACTR_EAGAIN. */
static int
send_now(actr_chan *ch, const void *elem)
{
    if (ch->done)
        return ACTR_ECLOSED;
    struct waiter *w = actri_waitq_pop_parked(&ch->receivers);
    if (w) {
        memcpy(w->data, elem, ch->esz);
        actri_wake(w->task, 0);
        return 0;
    }
    if (ch->len < ch->cap) {
        buf_put(ch, elem);
        return 0;
    }
    return ACTR_EAGAIN;
}

/* Receives without blocking: 0, ACTR_EPIPE or ACTR_EAGAIN. */
static int
recv_now(actr_chan *ch, void *elem)
{
    if (ch->len > 0) {
        buf_get(ch, elem);
        /* A slot freed: move the first parked sender's element in. */
        struct waiter *w = actri_waitq_pop_parked(&ch->senders);
        if (w) {
            buf_put(ch, w->data);
            actri_wake(w->task, 0);
        }
        return 0;
    }
    struct waiter *w = actri_waitq_pop_parked(&ch->senders);
    if (w) {                              /* rendezvous */
        memcpy(elem, w->data, ch->esz);
        actri_wake(w->task, 0);
        return 0;
    }
    return ch->done ? ACTR_EPIPE : ACTR_EAGAIN;
}

static int
fail(int rc)
{
    return actri_error_code(rc, rc == ACTR_ETIMEDOUT ? "deadline passed"
                            : rc == ACTR_ECANCELED ? "task cancelled"
                            : rc == ACTR_EPIPE ? "end of channel"
                            : rc == ACTR_ECLOSED ? "channel closed" : NULL);
}

int
actr_chan_send(actr_chan *ch, const void *elem, int64_t deadline)
{
    struct actri_task *t;
    int rc = actri_enter_blocking(&t);
    if (rc < 0)
        return rc;
    rc = send_now(ch, elem);
    if (rc != ACTR_EAGAIN)
        return rc < 0 ? fail(rc) : 0;
    /* Woken with 0 once a receiver took the element (directly or into
     * the buffer); with ACTR_ECLOSED by done/close. */
    rc = actri_waitq_block(&ch->senders, t, (void *)elem, deadline);
    return rc < 0 ? fail(rc) : 0;
}

int
actr_chan_recv(actr_chan *ch, void *elem, int64_t deadline)
{
    struct actri_task *t;
    int rc = actri_enter_blocking(&t);
    if (rc < 0)
        return rc;
    rc = recv_now(ch, elem);
    if (rc != ACTR_EAGAIN)
        return rc < 0 ? fail(rc) : 0;
    rc = actri_waitq_block(&ch->receivers, t, elem, deadline);
    return rc < 0 ? fail(rc) : 0;
}

int
actr_chan_try_send(actr_chan *ch, const void *elem)
{
    return send_now(ch, elem);
}

int
actr_chan_try_recv(actr_chan *ch, void *elem)
{
    return recv_now(ch, elem);
}

void
actr_chan_done(actr_chan *ch)
{
    if (ch->done)
        return;
    ch->done = 1;
    struct waiter *w;
    while ((w = actri_waitq_pop_parked(&ch->senders)) != NULL)
        actri_wake(w->task, ACTR_ECLOSED);
    /* Receivers park only on an empty buffer with no sender: end of data. */
    while ((w = actri_waitq_pop_parked(&ch->receivers)) != NULL)
        actri_wake(w->task, ACTR_EPIPE);
}

void
actr_chan_close(actr_chan *ch)
{
    if (!ch)
        return;
    struct waiter *w;
    while ((w = actri_waitq_pop_parked(&ch->senders)) != NULL)
        actri_wake(w->task, ACTR_ECLOSED);
    while ((w = actri_waitq_pop_parked(&ch->receivers)) != NULL)
        actri_wake(w->task, ACTR_ECLOSED);
    free(ch);
}

size_t
actr_chan_len(const actr_chan *ch)
{
    return ch->len;
}
