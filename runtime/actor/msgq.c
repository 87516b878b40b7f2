/* The bounded receive queue of a dialog (actor/dialog.h): payload bytes
 * back to back in one arena, their lengths in a ring. */
#define _GNU_SOURCE
#include "actor/dialog.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void
actri_msgq_clear(struct msgq *q)
{
    for (size_t i = 0; i < q->len; i++)
        free(q->ents[(q->head + i) % q->cap].block);
    free(q->held);
    free(q->buf);
    free(q->ents);
    memset(q, 0, sizeof *q);
}

/* Past this the arena of an emptied queue is given back (a burst of big
 * payloads must not pin its peak for the dialog's life). */
#define MSGQ_KEEP_BYTES (256u * 1024u)

/* Room for n more bytes at the arena's tail: slide the live bytes to the
 * front when that makes room, else grow. */
static int
arena_room(struct msgq *q, size_t n)
{
    if (q->len == 0 && q->bcap > MSGQ_KEEP_BYTES && n <= MSGQ_KEEP_BYTES) {
        free(q->buf);
        q->buf = NULL;
        q->bcap = q->bhead = q->btail = 0;
    }
    if (q->bcap - q->btail >= n)
        return 0;
    size_t live = q->btail - q->bhead;
    if (n > SIZE_MAX / 4 - live)
        return ACTR_ENOMEM;
    if (live + n <= q->bcap / 2) {
        /* Amortised: at least bcap / 2 bytes get pushed before the next. */
        memmove(q->buf, q->buf + q->bhead, live);
    } else {
        size_t cap = q->bcap ? q->bcap : 512;
        while (cap < 2 * (live + n))
            cap *= 2;
        unsigned char *b = malloc(cap);
        if (!b)
            return ACTR_ENOMEM;
        if (live)
            memcpy(b, q->buf + q->bhead, live);
        free(q->buf);
        q->buf = b;
        q->bcap = cap;
    }
    q->bhead = 0;
    q->btail = live;
    return 0;
}

/* Room for one more entry in the ring (growing it up to max). */
static int
ring_room(struct msgq *q, size_t max)
{
    if (q->len < q->cap)
        return 0;
    size_t cap = q->cap ? q->cap * 2 : 8;
    if (cap > max)
        cap = max;
    if (cap <= q->cap)
        return ACTR_EOVERRUN;
    struct msgq_ent *ents = malloc(cap * sizeof *ents);
    if (!ents)
        return ACTR_ENOMEM;
    for (size_t i = 0; i < q->len; i++)
        ents[i] = q->ents[(q->head + i) % q->cap];
    free(q->ents);
    q->ents = ents;
    q->cap = cap;
    q->head = 0;
    return 0;
}

/* The popped payload's block is no longer readable once the queue moves. */
static void
drop_held(struct msgq *q)
{
    free(q->held);
    q->held = NULL;
}

int
actri_msgq_push(struct msgq *q, size_t max, const actr_any *pld)
{
    int rc = ring_room(q, max);
    if (rc < 0)
        return rc;
    drop_held(q);
    if (arena_room(q, pld->len) < 0)
        return ACTR_ENOMEM;
    if (pld->len)
        memcpy(q->buf + q->btail, pld->ptr, pld->len);
    q->btail += pld->len;
    q->ents[(q->head + q->len) % q->cap] = (struct msgq_ent){pld->len, NULL, NULL};
    q->len++;
    return 0;
}

int
actri_msgq_push_block(struct msgq *q, size_t max, void *block, const actr_any *pld)
{
    int rc = ring_room(q, max);
    if (rc < 0)
        return rc;
    drop_held(q);
    q->ents[(q->head + q->len) % q->cap] = (struct msgq_ent){pld->len, block, pld->ptr};
    q->len++;
    return 0;
}

int
actri_msgq_pop(struct msgq *q, actr_any *pld)
{
    if (q->len == 0)
        return 0;
    drop_held(q);
    const struct msgq_ent *e = &q->ents[q->head];
    size_t n = e->len;
    if (e->block) {
        q->held = e->block;
        pld->ptr = (uint8_t *)e->ptr;
    } else {
        pld->ptr = n ? q->buf + q->bhead : q->buf;
        q->bhead += n;
    }
    pld->len = n;
    q->head = q->head + 1 == q->cap ? 0 : q->head + 1;
    if (--q->len == 0)
        q->bhead = q->btail = 0;   /* the bytes stay readable until a push */
    return 1;
}
