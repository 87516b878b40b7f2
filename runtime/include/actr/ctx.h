/* actr/ctx.h: contexts and streams, both sides (SEMANTICS S6-S11, S16-S17).
 *
 * A context is one dialog between a task of the caller (actr_ctx) and the
 * task that serves it in the callee (actr_call), named by a cid. For a
 * CONTEXT endpoint the callee reports started(value) once, both sides may
 * then stream values to each other, and the callee's return value is the
 * result. A generator stream (GEN endpoint) is a context whose callee
 * only yields. Values travel encoded with the endpoint's descriptors
 * (actr/module.h): caller -> callee with ep->stream_in, callee -> caller
 * with ep->stream_out (or ep->yield for a GEN endpoint); a context opened
 * by name uses raw values (actr_any) for all of them.
 *
 * Verbs (DESIGN.md Decisions): send/recv on the stream; done sends Stop
 * ("I will send no more": the peer's recv then returns ACTR_EPIPE, the
 * normal end of stream, distinct from ACTR_ECLOSED, a dead transport);
 * result (cached, S9); cancel; close (ends the dialog as leaving
 * tractor's open_context block does, and always frees).
 *
 * Every blocking call here is a cancellation point and takes no deadline:
 * bound it with a cancel scope (actr/scope.h). Remote failures are
 * reported as in actr/portal.h, raised at the next operation on the
 * context (S10: an error is never hidden behind queued payload). Each
 * side's receive queue is bounded (S16, ACTR_CTX_QUEUE_DEFAULT): a value
 * arriving for a full queue is dropped and answered with a StreamOverrun
 * error to its sender (S17), unless the context allows overruns. With a
 * window (S27: actr_ctx_opts.window, actr_call_stream_opts, the IDL's
 * `window N`) a sender instead waits in send while N of its values are
 * not taken yet, between actr peers that negotiate it. A side
 * that receives no stream (a generator's callee) answers the first value
 * sent to it with a MsgTypeError error and drops every one; it goes on.
 * A peer that breaks the opening (no StartAck before a CancelAck, or
 * before a generator's or context's Return) fails the open with
 * ACTR_EPROTO instead of waiting.
 *
 * A context is opening until its open returns, then started, streaming
 * once a value went either way, result once actr_ctx_result took the
 * outcome, closed once actr_ctx_close ran. An operation that makes no
 * sense in its state fails with ACTR_ESTATE and a detail naming the
 * operation, the dialog and the state. Any number of tasks may use one
 * context: every task parked on it is woken by what arrives (each stream
 * value goes to one of them), and a task still using it when another
 * closes it gets ACTR_ESTATE. Calls that succeed never change
 * actr_last_error(). */
#ifndef ACTR_CTX_H
#define ACTR_CTX_H

#include <stddef.h>

#include "api.h"
#include "module.h"
#include "portal.h"
#include "types.h"

ACTR_BEGIN_DECLS

typedef struct actr_ctx actr_ctx;

/* Default receive queue of a context (tractor's msg_buffer_size). */
#define ACTR_CTX_QUEUE_DEFAULT 64
/* Default bound of the overflow kept for a context that allows overruns
 * (tractor's deque of 616). */
#define ACTR_CTX_OVERFLOW_MAX 616

/* Options of an opened context; NULL or zeroed fields mean the defaults. */
typedef struct actr_ctx_opts {
    int allow_overruns;   /* S18: keep what arrives for a full queue, in
                             order, in an overflow of overflow_max messages
                             that a drainer task feeds into the queue as
                             the reader frees space; past the bound the
                             oldest overflow is dropped, and what is still
                             held when the context ends is dropped; one
                             warning line then gives the number lost.
                             0: S17, answer StreamOverrun instead */
    size_t queue_size;    /* receive queue; 0 = ACTR_CTX_QUEUE_DEFAULT */
    size_t overflow_max;  /* overflow bound; 0 = ACTR_CTX_OVERFLOW_MAX */
    uint32_t window;      /* S27 flow control of the stream this side
                             receives: the sender may have at most window
                             values this side's tasks have not taken, and
                             waits (in send) beyond that; credit is granted
                             in batches as values are taken. 0 = the
                             endpoint's IDL default (`window N`), else none.
                             Used only with a peer that takes part (an actr
                             peer with ACTR_FLOW_CONTROL not "off"); with
                             any other the S16-S18 rules above apply */
} actr_ctx_opts;

/* ------------------------------------------------------------ caller side */

/* Opens context endpoint ep (kind CONTEXT) in the remote actor with *args
 * (encoded with ep->args), waits for its StartAck and Started, decodes the
 * started value with ep->started into *started (NULL discards it) and
 * stores the context in *out, which the caller must close. Returns 0, or
 * an error (actr/portal.h) with nothing to close. Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_ctx_open(actr_portal *p, const actr_endpoint *ep,
                                          const void *args, const actr_ctx_opts *opts,
                                          actr_ctx **out, void *started);

/* actr_ctx_open by name ("module:func", raw kwargs map, NULL = {}): every
 * value of the context is raw (actr_any); *started gets the raw Started
 * payload (NULL discards). */
ACTR_API ACTR_NODISCARD int actr_ctx_open_raw(actr_portal *p, const char *fn,
                                              const actr_any *kwargs,
                                              const actr_ctx_opts *opts,
                                              actr_ctx **out, actr_any *started);

/* Opens generator endpoint ep (kind GEN) with *args: the returned context
 * only receives (actr_ctx_recv gives each yielded value, then ACTR_EPIPE
 * when the generator ends); closing it early cancels the remote task.
 * Returns 0 or an error (actr/portal.h). Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_stream_open(actr_portal *p, const actr_endpoint *ep,
                                             const void *args, actr_ctx **out);

/* actr_stream_open with options: opts->window bounds how many yielded
 * values the generator may have sent that this side has not received
 * (S27: it waits in its yield beyond that, so a huge generator runs in
 * constant memory on both sides); queue_size and allow_overruns as for a
 * context. NULL opts: the defaults. */
ACTR_API ACTR_NODISCARD int actr_stream_open_opts(actr_portal *p, const actr_endpoint *ep,
                                                  const void *args, const actr_ctx_opts *opts,
                                                  actr_ctx **out);

/* actr_stream_open by name, with raw values. */
ACTR_API ACTR_NODISCARD int actr_stream_open_raw(actr_portal *p, const char *fn,
                                                 const actr_any *kwargs, actr_ctx **out);

/* actr_stream_open_raw with options (see actr_stream_open_opts). */
ACTR_API ACTR_NODISCARD int actr_stream_open_raw_opts(actr_portal *p, const char *fn,
                                                      const actr_any *kwargs,
                                                      const actr_ctx_opts *opts,
                                                      actr_ctx **out);

/* Sends *v (encoded with ep->stream_in; raw contexts: an actr_any) as one
 * stream message. Blocks only while the channel's output is over its
 * high-water mark. Returns 0 (queued, not delivered), a pending remote
 * error, ACTR_ESTATE after done (or on a generator, or once closed),
 * ACTR_EPIPE when the peer's side ended with a result or once this side's
 * recv reached the peer's Stop (S8: the stream is over both ways, as in
 * tractor), ACTR_ECLOSED, ACTR_EINVAL when v cannot be encoded.
 * Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_ctx_send(actr_ctx *c, const void *v);

/* Receives the next stream value into *v (caller storage of the type's
 * size; decoded with ep->stream_out or ep->yield; owned by the caller).
 * Returns 0; ACTR_EPIPE when the peer sent Stop or returned (end of
 * stream, not an error); a remote error (S10, before queued values);
 * ACTR_ETYPE when the value fails its type check (it is dropped);
 * ACTR_ECLOSED; ACTR_ECANCELED. Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_ctx_recv(actr_ctx *c, void *v);

/* Sends Stop: this side will send no more (S8). Idempotent; sends nothing
 * if the peer's Stop already ended the stream. Does not wait. Returns 0 or
 * ACTR_ECLOSED. */
ACTR_API int actr_ctx_done(actr_ctx *c);

/* Waits for the callee's final result and decodes it with ep->result into
 * *result (NULL discards it); stream values still in flight are dropped
 * (S7). Cached (S9): later calls return the same value again (a fresh
 * copy each time), nil included. After this side's own actr_ctx_cancel,
 * returns ACTR_ECTXCANCEL quietly (logged at level cancel only; detail
 * canceller = our uid). Otherwise 0 or an error; ACTR_ESTATE on a
 * generator. Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_ctx_result(actr_ctx *c, void *result);

/* Asks the callee's runtime to cancel the remote task (S11): a
 * `self:_cancel_task` request on the same channel, shielded, waiting at
 * most 0.616 s for its CancelAck (a timeout is logged at level cancel,
 * never an error). The callee answers ContextCancelled with canceller =
 * our uid, which recv, actr_ctx_result and close then treat as the
 * expected outcome: recv and result return ACTR_ECTXCANCEL (detail:
 * canceller = our uid), logged at level cancel only, and close returns 0.
 * Only a cancel of this very context is quiet (tractor's
 * _is_self_cancelled): a ContextCancelled caused by
 * actr_portal_cancel_actor, ours included, is raised by close too, with
 * its canceller. Returns 0, or ACTR_ECLOSED when the channel is gone
 * (nothing sent, S14). Does not wait for the callee's task to finish.
 * Runs shielded, so it also works in a cancelled task. */
ACTR_API int actr_ctx_cancel(actr_ctx *c);

/* 1 when this side asked for this context's cancel (tractor's
 * cancel_called): it called actr_ctx_cancel, or its own cancellation made
 * the runtime send the cancel request. Cancelling the whole peer actor
 * (actr_portal_cancel_actor) does not count. Does not block. */
ACTR_API int actr_ctx_cancel_called(const actr_ctx *c);

/* 1 when the context ended with a ContextCancelled this side did not ask
 * for (tractor's cancel_called_remote): the callee cancelled itself, or
 * another actor cancelled it or its actor; the canceller's uid is in the
 * detail of the error that recv/result/close return. Does not block. */
ACTR_API int actr_ctx_cancelled_remote(const actr_ctx *c);

/* The context's cid (uuid4 text; borrowed, valid while c is). */
ACTR_API const char *actr_ctx_cid(const actr_ctx *c);

/* How many stream messages of the peer this side dropped (S17: answered
 * with StreamOverrun; S18: overflow lost past its bound or discarded).
 * Does not block. */
ACTR_API size_t actr_ctx_overruns(const actr_ctx *c);

/* 1 when recv can deliver no more values: nothing is queued and the
 * peer ended the stream (Stop, its result or an error), or the channel is
 * dead, or c was closed; 0 while values may still come. Consumes nothing;
 * does not block. */
ACTR_API int actr_ctx_stream_over(const actr_ctx *c);

/* The descriptor the values c receives are decoded with (the endpoint's
 * stream_out, or its yield for a generator; actr_type_any for a context
 * opened by name), NULL when c receives none. Does not block. */
ACTR_API const actr_type *actr_ctx_recv_type(const actr_ctx *c);

/* Attaches a layer above's state to c (one slot: the broadcast of
 * actr/broadcast.h keeps its subscribers there): actr_ctx_attached gives
 * ext back, and release(ext) (NULL: none) is called once when c is
 * closed or freed, before c goes away; tasks parked on c have been woken
 * by then. Returns 0, ACTR_EINVAL, ACTR_ESTATE (c closed, or the slot is
 * taken). Does not block. */
ACTR_API int actr_ctx_attach(actr_ctx *c, void *ext, void (*release)(void *ext));

/* What actr_ctx_attach attached to c, or NULL. Does not block. */
ACTR_API void *actr_ctx_attached(const actr_ctx *c);

/* Ends the dialog and frees c, always (tractor's open_context exit):
 * sends Stop if the stream is open and this side has not, then waits for
 * the final result (unless the channel is dead); a generator not yet
 * finished is cancelled instead. Returns 0; the remote error (a
 * ContextCancelled we asked for is not one); ACTR_ECLOSED; ACTR_ECANCELED
 * at once when the caller is cancelled: a deadline is a deadline, so the
 * remote task's cancel request is then sent and its acknowledgement
 * awaited (bounded at 0.616 s) by a task of this actor, whose teardown
 * waits for it. Other tasks parked on c get ACTR_ESTATE. NULL is a
 * no-op. */
ACTR_API int actr_ctx_close(actr_ctx *c);

/* ------------------------------------------------------------ callee side */

/* Context endpoint: sends the started value *v (encoded with ep->started;
 * NULL or an endpoint without started type: nil) to the opener, once.
 * Blocks only on the channel's high-water mark. Returns 0, ACTR_ESTATE
 * when called twice or on another kind, ACTR_EINVAL (not encodable),
 * ACTR_ECLOSED, ACTR_ECANCELED. Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_call_started(actr_call *call, const void *v);

/* Sends *v to the caller: a stream value (CONTEXT, after started; encoded
 * with ep->stream_out) or a yielded item (GEN, ep->yield). Blocks only on
 * the channel's high-water mark. Returns 0, a pending error for this dialog
 * (ACTR_EOVERRUN after the caller overran...), ACTR_ESTATE (FN endpoint,
 * before started, after done), ACTR_EPIPE once this side's recv reached
 * the caller's Stop (S8), ACTR_ECLOSED, ACTR_ECANCELED. Cancellation
 * point. */
ACTR_API ACTR_NODISCARD int actr_call_send(actr_call *call, const void *v);

/* Receives the next value the caller streamed (CONTEXT; decoded with
 * ep->stream_in into caller storage, owned by the callee). Returns 0,
 * ACTR_EPIPE once the caller sent Stop (S8), ACTR_ETYPE (value dropped),
 * ACTR_ESTATE (not a context, or before started), ACTR_ECLOSED,
 * ACTR_ECANCELED (the task is being cancelled: return it). Cancellation
 * point. */
ACTR_API ACTR_NODISCARD int actr_call_recv(actr_call *call, void *v);

/* Sends Stop on the callee's side of the stream. Idempotent. Returns 0
 * or ACTR_ECLOSED. */
ACTR_API int actr_call_done(actr_call *call);

/* Names the failure the invoke function is about to return: the Error
 * sent to the caller carries type_name (NULL = "RemoteActorError") as
 * its boxed and source type, the formatted message, and a traceback with
 * this actor's uid, the endpoint, the task and a C backtrace of this
 * call. Also records the detail for the current task. Returns
 * ACTR_EREMOTE, so an implementation can `return actr_call_fail(...)`.
 * The failure named here is the call's answer even if the task is then
 * cancelled during its cleanup and returns ACTR_ECANCELED (a cleanup does
 * not mask the error). Without it, a failing invoke is reported with the
 * task's error detail for the code it returns (a remote error it got is
 * relayed keeping its source, type, message and relay path; several at
 * once go as an error group; a detail a cancelled cleanup replaced is
 * still found). */
ACTR_API int actr_call_fail(actr_call *call, const char *type_name,
                            const char *fmt, ...) ACTR_PRINTF(3, 4);

/* Sets the callee's receive queue of a CONTEXT endpoint's stream, as
 * tractor's ctx.open_stream(msg_buffer_size=, allow_overruns=) does for
 * its served side: queue_size (0: ACTR_CTX_QUEUE_DEFAULT), allow_overruns
 * and overflow_max mean what they mean for the opener (S16-S18). Takes
 * effect for what arrives from now on; call it before started() to cover
 * the whole stream. Returns 0, ACTR_ESTATE (not a context endpoint),
 * ACTR_EINVAL. Does not block. */
ACTR_API int actr_call_stream_opts(actr_call *call, const actr_ctx_opts *opts);

/* The call the current task serves (tractor's current_ipc_ctx()), or NULL
 * when the task is not an endpoint's task. Borrowed for the call's
 * duration. Does not block. */
ACTR_API actr_call *actr_call_current(void);

/* Hands *result over to the runtime: after the Return is sent it is
 * released with actr_codec_free(ep->result, result), so everything it
 * points to must be heap memory the implementation gives up. Without this
 * call the result is only borrowed (static or caller-kept strings are
 * fine) and nothing is freed. */
ACTR_API void actr_call_own_result(actr_call *call);

/* Cancels the call's own task, as tractor's child-side ctx.cancel(): its
 * next blocking call returns ACTR_ECANCELED; when the implementation
 * returns that, the caller gets a ContextCancelled whose canceller is
 * this actor (S11). Does not block. Returns 0, ACTR_ESTATE once the call
 * has ended. */
ACTR_API int actr_call_cancel(actr_call *call);

/* 1 when the call's task was asked to cancel (by the caller, by this
 * actor's own actr_call_cancel, by an actor cancel, or because the
 * caller's channel dropped), 0 otherwise. Does not block. */
ACTR_API int actr_call_cancel_called(const actr_call *call);

/* "name.uuid" of the actor that asked for the cancel of this call, or
 * NULL when nobody did. Borrowed, valid for the call's duration. */
ACTR_API const char *actr_call_canceller(const actr_call *call);

/* The endpoint being served. */
ACTR_API const actr_endpoint *actr_call_endpoint(const actr_call *call);

/* Raw kwargs of the Start request (borrowed for the call's duration): the
 * way in for endpoints whose args descriptor is NULL. */
ACTR_API const actr_any *actr_call_kwargs(const actr_call *call);

/* The caller's uid parts (borrowed for the call's duration). */
ACTR_API const char *actr_call_peer_name(const actr_call *call);
ACTR_API const char *actr_call_peer_uuid(const actr_call *call);

ACTR_END_DECLS

#endif
