/* actr/chan.h: bounded channels between the tasks of one process.
 * Elements are fixed-size values copied in and out (send a pointer to
 * pass ownership of a heap object). FIFO for elements and for waiting
 * tasks. Capacity 0 is a rendezvous: send returns once a receiver took
 * the element. Verbs as for every dialog in actr: `done` says "nothing
 * more will be sent" (receivers drain, then get ACTR_EPIPE), `close`
 * frees. */
#ifndef ACTR_CHAN_H
#define ACTR_CHAN_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"

ACTR_BEGIN_DECLS

typedef struct actr_chan actr_chan;

/* Creates a channel of elements of elem_size bytes (> 0) holding up to
 * capacity elements. Callable anywhere. Returns 0 and sets *out,
 * ACTR_EINVAL, ACTR_ENOMEM. */
ACTR_API ACTR_NODISCARD int actr_chan_open(actr_chan **out, size_t elem_size,
                                           size_t capacity);

/* Copies elem into the channel, blocking while it is full (capacity 0:
 * until a receiver takes it). Returns 0; ACTR_ECLOSED when the channel is
 * done or closed (the element was not sent); ACTR_ETIMEDOUT;
 * ACTR_ECANCELED. Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_chan_send(actr_chan *ch, const void *elem,
                                           int64_t deadline);

/* Takes the oldest element into *elem, blocking while there is none.
 * Returns 0; ACTR_EPIPE when the channel is done and drained; ACTR_ECLOSED
 * when it was closed while waiting; ACTR_ETIMEDOUT; ACTR_ECANCELED.
 * Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_chan_recv(actr_chan *ch, void *elem,
                                           int64_t deadline);

/* Non-blocking send: like send, but ACTR_EAGAIN instead of blocking. Not a
 * cancellation point; callable from libev callbacks (wakes a receiver). */
ACTR_API ACTR_NODISCARD int actr_chan_try_send(actr_chan *ch, const void *elem);

/* Non-blocking recv: like recv, but ACTR_EAGAIN instead of blocking. Not a
 * cancellation point; callable from libev callbacks. */
ACTR_API ACTR_NODISCARD int actr_chan_try_recv(actr_chan *ch, void *elem);

/* Half-close: no more sends (they return ACTR_ECLOSED, and so do senders
 * blocked now); receivers drain what is buffered, then get ACTR_EPIPE.
 * Idempotent; does not block; callable anywhere. */
ACTR_API void actr_chan_done(actr_chan *ch);

/* Frees ch. Tasks blocked on it are woken with ACTR_ECLOSED and must not
 * touch it again; buffered elements are dropped (free what they own
 * first). Does not block; callable anywhere. NULL is ignored. */
ACTR_API void actr_chan_close(actr_chan *ch);

/* Number of elements buffered now. */
ACTR_API size_t actr_chan_len(const actr_chan *ch);

ACTR_END_DECLS

#endif
