/* Broadcast (actr/broadcast.h, S22): a ring of encoded values shared by
 * the subscribers of one context, numbered by sequence; each subscriber
 * keeps the number of the next value it reads. The subscriber that has
 * read everything pulls the next value from the context; the others wait
 * on their own event. The ring lives with the context (its attachment)
 * and with its subscribers: the last of the two to go frees it. */
#define _GNU_SOURCE
#include <actr/actr.h>
#include <actr/broadcast.h>

#include <stdlib.h>
#include <string.h>

#include "hilevel/anyval.h"

#define TAG "broadcast"

#define BCAST_MAGIC 0x62636173u    /* "bcas": what a context's attachment is */

struct bcast {
    uint32_t magic;
    actr_ctx *ctx;                /* NULL once closed */
    const actr_type *t;
    void *tmp;                    /* the puller's decode storage */
    actr_any *ring;               /* values first .. head-1 */
    size_t cap, start;            /* ring slots; where `first` sits */
    uint64_t first, head;
    struct actr_bcast_sub *subs;
    int pulling;
    int ended;                    /* the stream is over */
    int end_rc;
    actr_error *end_err;
};

struct actr_bcast_sub {
    struct actr_bcast_sub *next;
    struct bcast *b;
    uint64_t next_seq;
    size_t buffer;
    int skip_lag;
    uint64_t lost;
    actr_event wake;
};

static actr_any *
slot(struct bcast *b, uint64_t seq)
{
    return &b->ring[(b->start + (size_t)(seq - b->first)) % b->cap];
}

static void
wake_all(struct bcast *b)
{
    for (struct actr_bcast_sub *s = b->subs; s; s = s->next)
        actr_event_set(&s->wake);
}

static void
bcast_free(struct bcast *b)
{
    for (uint64_t q = b->first; q < b->head; q++)
        actr_any_free(slot(b, q));
    free(b->ring);
    free(b->tmp);
    actr_error_free(b->end_err);
    free(b);
}

/* The context is closing (its attachment is released). */
static void
on_ctx_close(void *ext)
{
    struct bcast *b = ext;
    b->ctx = NULL;
    wake_all(b);
    if (!b->subs)
        bcast_free(b);
}

/* Room for cap values, the ones kept staying in order. */
static int
grow(struct bcast *b, size_t cap)
{
    if (cap <= b->cap)
        return 0;
    actr_any *r = calloc(cap, sizeof *r);
    if (!r)
        return actr_error_set(ACTR_ENOMEM, "out of memory for a broadcast of %zu values", cap);
    for (uint64_t q = b->first; q < b->head; q++)
        r[q - b->first] = *slot(b, q);
    free(b->ring);
    b->ring = r;
    b->cap = cap;
    b->start = 0;
    return 0;
}

static int
add_sub(struct bcast *b, const actr_bcast_opts *opts, actr_bcast_sub **out)
{
    if (!b->ctx || b->ended || actr_ctx_stream_over(b->ctx))
        return actr_error_set(ACTR_ESTATE, "the stream of context %s is over: nothing to"
                              " subscribe to", b->ctx ? actr_ctx_cid(b->ctx) : "(closed)");
    actr_bcast_sub *s = calloc(1, sizeof *s);
    if (!s)
        return actr_error_set(ACTR_ENOMEM, "out of memory for a subscriber");
    s->buffer = opts && opts->buffer ? opts->buffer : ACTR_CTX_QUEUE_DEFAULT;
    s->skip_lag = opts && opts->skip_lag;
    int rc = grow(b, s->buffer);
    if (rc < 0) {
        free(s);
        return rc;
    }
    s->b = b;
    s->next_seq = b->head;      /* every value from now on */
    actr_event_init(&s->wake);
    s->next = b->subs;
    b->subs = s;
    *out = s;
    return 0;
}

int
actr_ctx_subscribe(actr_ctx *c, const actr_bcast_opts *opts, actr_bcast_sub **out)
{
    if (!c || !out)
        return actr_error_set(ACTR_EINVAL, "actr_ctx_subscribe: no context or out parameter");
    struct bcast *b = actr_ctx_attached(c);
    if (b && b->magic != BCAST_MAGIC)
        return actr_error_set(ACTR_ESTATE, "context %s carries another attachment",
                              actr_ctx_cid(c));
    if (!b) {
        const actr_type *t = actr_ctx_recv_type(c);
        if (!t)
            return actr_error_set(ACTR_ESTATE, "context %s receives no stream",
                                  actr_ctx_cid(c));
        if (actr_ctx_stream_over(c))
            return actr_error_set(ACTR_ESTATE, "the stream of context %s is over: nothing to"
                                  " subscribe to", actr_ctx_cid(c));
        if (!(b = calloc(1, sizeof *b)) || !(b->tmp = calloc(1, t->size))) {
            free(b);
            return actr_error_set(ACTR_ENOMEM, "out of memory for a broadcast");
        }
        b->magic = BCAST_MAGIC;
        b->ctx = c;
        b->t = t;
        int rc = actr_ctx_attach(c, b, on_ctx_close);
        if (rc < 0) {
            bcast_free(b);
            return rc;
        }
    }
    return add_sub(b, opts, out);
}

int
actr_bcast_subscribe(actr_bcast_sub *s, const actr_bcast_opts *opts, actr_bcast_sub **out)
{
    if (!s || !out)
        return actr_error_set(ACTR_EINVAL, "actr_bcast_subscribe: no subscriber or out");
    actr_bcast_opts o = {s->buffer, s->skip_lag};
    return add_sub(s->b, opts ? opts : &o, out);
}

/* Appends the value the puller decoded: encoded once, the oldest value
 * going when the ring is full. */
static int
append(struct bcast *b)
{
    actr_any enc;
    int rc = hl_anyval_encode(b->t, b->tmp, &enc, "broadcast value");
    actr_codec_free(b->t, b->tmp);
    if (rc < 0)
        return rc;
    if (b->head - b->first == b->cap) {
        actr_any_free(slot(b, b->first));
        b->first++;
        b->start = (b->start + 1) % b->cap;
    }
    b->head++;
    *slot(b, b->head - 1) = enc;
    return 0;
}

/* Pulls the next value from the context for everyone. Returns 0 when one
 * was added, else this puller's error (the end is recorded for all). */
static int
pull(struct bcast *b)
{
    b->pulling = 1;
    int rc = actr_ctx_recv(b->ctx, b->tmp);
    b->pulling = 0;
    if (rc == 0)
        rc = append(b);
    else if (!b->ctx)
        rc = actr_error_set(ACTR_ECLOSED, "the context was closed");
    else if (rc != ACTR_ECANCELED && rc != ACTR_ETYPE) {
        b->ended = 1;
        b->end_rc = rc;
        if (actr_error_dup(actr_last_error(), &b->end_err) < 0)
            b->end_err = NULL;
    }
    wake_all(b);                /* a new value, or someone else pulls */
    return rc;
}

int
actr_bcast_recv(actr_bcast_sub *s, void *v)
{
    if (!s || !v)
        return actr_error_set(ACTR_EINVAL, "actr_bcast_recv: no subscriber or value");
    struct bcast *b = s->b;
    for (;;) {
        actr_event_clear(&s->wake);
        uint64_t behind = b->head - s->next_seq;
        if (s->next_seq < b->first || behind > s->buffer) {
            /* Fell behind: on from the newest value. */
            uint64_t lost = behind - 1;
            s->next_seq = b->head - 1;
            s->lost += lost;
            if (!s->skip_lag)
                return actr_error_set(ACTR_ELAGGED, "subscriber lagged by %llu values",
                                      (unsigned long long)lost);
            actr_log_warning(TAG, "a subscriber of %s skipped %llu values it fell behind",
                             b->ctx ? actr_ctx_cid(b->ctx) : "a closed context",
                             (unsigned long long)lost);
        }
        if (s->next_seq < b->head) {
            int rc = hl_anyval_decode(b->t, slot(b, s->next_seq), v, "broadcast value");
            s->next_seq++;
            return rc;
        }
        if (!b->ctx)
            return actr_error_set(ACTR_ECLOSED, "the context was closed");
        if (b->ended) {
            actr_error_restore(b->end_err);
            return b->end_rc;
        }
        if (!b->pulling) {
            int rc = pull(b);
            if (rc < 0 && !b->ended)
                return rc;
            continue;           /* a new value, or the end for everyone */
        }
        int rc = actr_event_wait(&s->wake, ACTR_FOREVER);
        if (rc < 0)
            return rc;
    }
}

int
actr_bcast_send(actr_bcast_sub *s, const void *v)
{
    if (!s)
        return actr_error_set(ACTR_EINVAL, "actr_bcast_send: no subscriber");
    if (!s->b->ctx)
        return actr_error_set(ACTR_ECLOSED, "the context was closed");
    return actr_ctx_send(s->b->ctx, v);
}

uint64_t
actr_bcast_lost(const actr_bcast_sub *s)
{
    return s ? s->lost : 0;
}

void
actr_bcast_close(actr_bcast_sub *s)
{
    if (!s)
        return;
    struct bcast *b = s->b;
    for (actr_bcast_sub **pp = &b->subs; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    free(s);
    if (!b->ctx && !b->subs)
        bcast_free(b);
}
