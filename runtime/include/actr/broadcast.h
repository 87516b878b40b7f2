/* actr/broadcast.h: one context's stream, received by many local tasks
 * (SEMANTICS S22; the seeds' MsgStream.subscribe(), tractor's
 * broadcast_receiver).
 *
 * A context's stream gives each value to one receiver (actr/ctx.h: any
 * number of tasks may wait on a context, each value goes to one of
 * them). Subscribers of its broadcast each get every value instead,
 * from the moment they subscribed, in order. The values are pulled from
 * the context by whichever subscriber has read everything so far and
 * asks for more (there is no extra task); they are kept, encoded once,
 * as long as a subscriber still needs them, up to the largest buffer of
 * the subscribers. A subscriber that falls more than its buffer behind
 * gets ACTR_ELAGGED ("lagged by N": tractor's Lagged) and continues from
 * the newest value; with skip_lag it skips silently instead. Every
 * subscriber may also send on the stream (actr_ctx_send). Cancelling one
 * subscriber (even while it pulls) disturbs no other and loses no value.
 * When the stream ends, each subscriber gets the values it has not read,
 * then the end (ACTR_EPIPE, or the error that ended it, the same for all).
 *
 * The broadcast lives with its context (actr_ctx_attach): closing the
 * context ends every subscription (ACTR_ECLOSED); close the subscriptions
 * too. Every call runs in a task of an actor; blocking calls are
 * cancellation points (actr/task.h). */
#ifndef ACTR_BROADCAST_H
#define ACTR_BROADCAST_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "ctx.h"

ACTR_BEGIN_DECLS

/* One subscriber. */
typedef struct actr_bcast_sub actr_bcast_sub;

/* A subscriber's options; NULL or zeroed fields mean the defaults. */
typedef struct actr_bcast_opts {
    size_t buffer;      /* values it may fall behind; 0 = ACTR_CTX_QUEUE_DEFAULT */
    int skip_lag;       /* 1: falling behind skips to the newest value (a
                           warning is logged) instead of ACTR_ELAGGED */
} actr_bcast_opts;

/* Subscribes to the stream of c (a context or a generator stream): from
 * now on this subscriber receives every value c receives. The first
 * subscription makes c's broadcast; c's own recv should not be used
 * alongside it (it would take values away from every subscriber).
 * Returns 0 and *out (close with actr_bcast_close), ACTR_ESTATE (c's
 * stream is over or c was closed: nothing to subscribe to; or c receives
 * no stream), ACTR_EINVAL, ACTR_ENOMEM. Does not block. */
ACTR_API ACTR_NODISCARD int actr_ctx_subscribe(actr_ctx *c, const actr_bcast_opts *opts,
                                               actr_bcast_sub **out);

/* Another subscriber of the same broadcast (tractor's
 * BroadcastReceiver.subscribe()), with its own options (NULL: those of
 * s). Returns as actr_ctx_subscribe. Does not block. */
ACTR_API ACTR_NODISCARD int actr_bcast_subscribe(actr_bcast_sub *s, const actr_bcast_opts *opts,
                                                 actr_bcast_sub **out);

/* Receives the subscriber's next value into *v (caller storage of the
 * stream's C type, actr_ctx_recv_type; owned by the caller: a copy of its
 * own). Blocks while it has read everything and the stream has no new
 * value. Returns 0; ACTR_ELAGGED when it fell more than its buffer
 * behind (the detail says by how many; the next recv gives the newest
 * value); ACTR_EPIPE at the end of the stream, or the error that ended
 * it (with its detail), once every value was read; ACTR_ECLOSED when the
 * context was closed; ACTR_ETYPE for a value that failed its type check
 * (no subscriber gets it; the one that pulled it is told);
 * ACTR_ECANCELED. Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_bcast_recv(actr_bcast_sub *s, void *v);

/* Sends *v on the context's stream, as actr_ctx_send. Returns as it, or
 * ACTR_ECLOSED when the context was closed. Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_bcast_send(actr_bcast_sub *s, const void *v);

/* How many values this subscriber lost by falling behind, in all. */
ACTR_API uint64_t actr_bcast_lost(const actr_bcast_sub *s);

/* Unsubscribes and frees s; the others go on. NULL is a no-op. Does not
 * block. */
ACTR_API void actr_bcast_close(actr_bcast_sub *s);

ACTR_END_DECLS

#endif
