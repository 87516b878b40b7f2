/* actr/portal.h: the caller's handle on a remote actor (tractor's Portal).
 *
 * A portal wraps one IPC channel to another actor. Through it a task
 * calls function endpoints, opens contexts and generator streams
 * (actr/ctx.h), and cancels the whole actor. Endpoints are given either
 * as generated descriptors (actr/module.h: values encoded and decoded
 * with the endpoint's type descriptors; this is what actrc's typed stubs
 * call) or by name, "module:func", with raw msgpack values (actr_any).
 *
 * Errors of every call that talks to the remote actor:
 * - ACTR_ENOTFOUND: the target has no such module enabled (wire
 *   ModuleNotExposed) or no such function (AttributeError) (S5);
 * - ACTR_EINVAL: the endpoint is of another kind than the call (S6);
 * - ACTR_EREMOTE: the remote task failed; ACTR_ECTXCANCEL: it was
 *   cancelled (S11, S12); ACTR_EOVERRUN: it overran a stream (S17);
 *   ACTR_ETYPE: a payload failed its type check (MsgTypeError, either
 *   side); for all four, actr_last_error() holds the error's identity
 *   however many actors relayed it (S3): the type, message and uid where
 *   it started, the type the last hop boxed it as, the relay path, the
 *   traceback text, the canceller and (overruns) the sender; an actor
 *   that failed with several errors at once (an error group) hands them
 *   all over in actr_last_error()->list. A relayed error keeps its code:
 *   a relayed ModuleNotExposed is still ACTR_ENOTFOUND;
 * - ACTR_ECLOSED: the channel is known dead (S14): nothing waits on it;
 * - ACTR_EPROTO: the peer broke the dialog's protocol: a CancelAck before
 *   any StartAck, a Return before StartAck on a generator or context, a
 *   context's Return before its Started. (A function's Return before its
 *   StartAck is taken as its result: the callee did run.) A Yield on a
 *   dialog of ours that receives no stream (a function call) is dropped
 *   and answered once per dialog with a MsgTypeError Error; the call
 *   goes on;
 * - ACTR_ECANCELED: the calling task is being cancelled (its scope, its
 *   nursery, a deadline). The call returns at once: a deadline is a
 *   deadline. A remote task the call started is asked to cancel by a task
 *   of this actor, which waits (at most 0.616 s) for the acknowledgement;
 *   the actor's teardown waits for that task.
 * Results go to out parameters only on success and are owned by the
 * caller: free decoded values with actr_codec_free(ep's type, v) (the
 * generated _free), raw values with actr_codec_free(&actr_type_any, v). */
#ifndef ACTR_PORTAL_H
#define ACTR_PORTAL_H

#include <stddef.h>
#include <stdint.h>

#include "actor.h"
#include "api.h"
#include "module.h"
#include "types.h"

ACTR_BEGIN_DECLS

/* How long cancel_actor waits for its CancelAck (tractor's cancel_timeout). */
#define ACTR_CANCEL_ACTOR_TIMEOUT_MS 500

/* Connects to the actor listening at url, handshakes, and returns a
 * portal in *out that the caller closes with actr_portal_close. Returns
 * 0, ACTR_ECONNREFUSED, ACTR_ETIMEDOUT, ACTR_EINVAL (bad URL), ACTR_EPROTO
 * (not an actor), ACTR_EAUTH (the peer does not hold this tree's secret,
 * or cannot prove one: a tractor actor, see actr_portal_open_opts),
 * ACTR_ECLOSED (the peer refused us: another secret, or its connection
 * limit), ACTR_ECANCELED, ACTR_ESTATE (not in an actor's task).
 * Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_portal_open(const char *url, actr_portal **out);

/* Options of actr_portal_open_opts; zeroed fields are the defaults. */
typedef struct actr_portal_opts {
    int insecure;       /* S28 opt-in: accept a peer that cannot prove the
                           secret (a tractor actor); the channel is then
                           not authenticated. The actor's own opt-in
                           (actr_actor_opts.insecure, $ACTR_INSECURE)
                           covers every portal */
} actr_portal_opts;

/* actr_portal_open with options (NULL: the defaults). Same returns. */
ACTR_API ACTR_NODISCARD int actr_portal_open_opts(const char *url,
                                                  const actr_portal_opts *opts,
                                                  actr_portal **out);

/* Closes a portal from actr_portal_open: fails its open contexts with
 * ACTR_ECLOSED, closes the channel and frees the portal, always. Portals
 * handed out by an actor nursery belong to it: closing one is a no-op.
 * NULL is a no-op. */
ACTR_API void actr_portal_close(actr_portal *p);

/* The remote actor's uid parts (borrowed, valid while p is). */
ACTR_API const char *actr_portal_name(const actr_portal *p);
ACTR_API const char *actr_portal_uuid(const actr_portal *p);

/* Writes the URL of the channel's other end into buf (cap bytes;
 * ACTR_ADDR_URL_MAX of actr/ipc.h always fits), as tractor's
 * portal.chan.raddr: for a portal opened by address (actr_portal_open,
 * actr_find_actor) the actor's listen address; for a child's portal, the
 * address its connection back to us came from. Known after the channel
 * closed, too. Returns the URL's length, ACTR_ERANGE, ACTR_EINVAL. Does
 * not block. */
ACTR_API int actr_portal_addr(const actr_portal *p, char *buf, size_t cap);

/* The version of actr's extensions (PROTOCOL.md section 13) the actor
 * behind p announced in its handshake: > 0 for an actr actor, 0 for a
 * tractor actor (or when this process runs with ACTR_EXTENSIONS=off).
 * actr-only calls (actr:info, self:list_actors) are made only when > 0:
 * a tractor actor ends itself on a `self` function it lacks. Does not
 * block. */
ACTR_API unsigned actr_portal_peer_actr(const actr_portal *p);

/* 1 while the channel works, 0 once it is known dead. Does not block. */
ACTR_API int actr_portal_connected(const actr_portal *p);

/* The remote actor's process id as its handshake told it (for a child of
 * an actor nursery: the pid the nursery spawned), or 0 when unknown (a
 * tractor peer, on another host). Does not block. */
ACTR_API int64_t actr_portal_pid(const actr_portal *p);

/* For a portal handed out by an actor nursery (a child): blocks until the
 * child's process has exited and been reaped, whoever made it exit (its
 * own end, a signal, the nursery's teardown), and stores its wait status
 * (as from waitpid: WIFEXITED, WIFSIGNALED etc. apply) in *status (NULL:
 * not wanted). The supervisors of actr/supervise.h learn so that a daemon
 * child died unasked, and of which signal. Returns 0, ACTR_ETIMEDOUT at
 * deadline (absolute, actr/time.h), ACTR_ECANCELED, ACTR_EINVAL for a
 * portal that is not a child's. Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_portal_wait_exit(actr_portal *p, int *status,
                                                  int64_t deadline);

/* Calls function endpoint ep (kind FN) of the remote actor: sends a Start
 * whose kwargs are *args encoded with ep->args, waits for StartAck and
 * Return, and decodes the Return payload with ep->result into *result
 * (caller storage of ep->result->size bytes; NULL discards it, and so does
 * an ep without a result type). Blocks until the remote function returns.
 * Returns 0 or an error (top of this file). Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_portal_call(actr_portal *p, const actr_endpoint *ep,
                                             const void *args, void *result);

/* Calls "module:func" by name: kwargs is one encoded msgpack map
 * (borrowed; NULL = {}); *result receives the raw Return payload (NULL
 * discards it). Also reaches the `self` namespace ("self:cancel"...,
 * though cancels have their own calls). The remote endpoint must be a
 * function (ACTR_EINVAL after its StartAck otherwise; the remote task is
 * then cancelled). Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_portal_call_raw(actr_portal *p, const char *fn,
                                                 const actr_any *kwargs,
                                                 actr_any *result);

/* The result of a run_in_actor child (actr_actor_nursery_run): blocks
 * until it arrives, decodes it into *result (NULL discards). Cached
 * (S9): every call returns the same value (a fresh copy), nil included.
 * Returns 0, the remote error, ACTR_ESTATE for a portal not made by
 * run_in_actor. Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_portal_result(actr_portal *p, void *result);

/* actr_portal_result for actr_actor_nursery_run_raw: the raw payload. */
ACTR_API ACTR_NODISCARD int actr_portal_result_raw(actr_portal *p, actr_any *result);

/* Cancels the whole remote actor (S12): a `self:cancel` request, waiting
 * at most ACTR_CANCEL_ACTOR_TIMEOUT_MS for its CancelAck, shielded from
 * the caller's cancellation. Returns 1 when acknowledged, 0 when not (the
 * wait timed out, or the channel is gone: then it returns at once
 * without sending). Never an error for a timeout, as tractor's
 * cancel_actor. */
ACTR_API int actr_portal_cancel_actor(actr_portal *p);

ACTR_END_DECLS

#endif
