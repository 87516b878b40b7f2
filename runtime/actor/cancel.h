/* actor/cancel.h: every cancel path of the actor layer (S11-S14, S24).
 * Private.
 *
 * Requests (caller side): `self:_cancel_task` for one dialog, in the
 * asking task or from a background task of the actor; `self:cancel` for
 * a whole actor. Answers (callee side): the `self` namespace's two
 * endpoints, the cancel of every task a dropped channel started, the
 * canceller bookkeeping and the ContextCancelled each cancelled task
 * answers with. The quiet-versus-raised rule for the caller. The cancel
 * log lines. */
#ifndef ACTR_ACTOR_CANCEL_H
#define ACTR_ACTOR_CANCEL_H

#include "actor/callee.h"
#include "actor/caller.h"

/* One line at level cancel naming the actor uid, the task and the cid
 * (S24). cid may be NULL ("-"). */
void actri_cancel_log(const actr_actor *a, const char *cid, const char *fmt, ...)
    ACTR_PRINTF(3, 4);
#define CANCEL_LOG(a, cid, ...)                                     \
    do {                                                            \
        if (actr_log_enabled(ACTR_LOG_CANCEL))                      \
            actri_cancel_log((a), (cid), __VA_ARGS__);              \
    } while (0)

/* ------------------------------------------------------------ requests */

/* Asks the callee's runtime to cancel the task behind c (S11): a shielded
 * `self:_cancel_task` request, waiting at most timeout_ms for its
 * CancelAck. Sets c->cancel_called. Returns 0, or ACTR_ECLOSED when the
 * channel is gone (nothing sent, S14). */
int actri_cancel_request(struct actr_ctx *c, int64_t timeout_ms);
/* The same from a task of the actor's service nursery, which takes over
 * the caller's reference to c (and frees c when done); without a service
 * nursery it runs here. */
void actri_cancel_request_bg(struct actr_ctx *c);
/* `self:cancel` to the actor at the other end of l, shielded, waiting at
 * most timeout_ms for its CancelAck. 1 when acknowledged, else 0. */
int actri_cancel_actor(struct link *l, int64_t timeout_ms);

/* ------------------------------------------------------------ answers */

/* Cancels every task served for l's peer (l's channel dropped), or for
 * every link when l is NULL (self:cancel), recording canceller where none
 * is recorded yet. With out, hands back a reference to each cancelled
 * call (the caller unrefs and frees the array). Returns how many. */
size_t actri_cancel_served(actr_actor *a, struct link *l, const struct uidbuf *canceller,
                           struct actr_call ***out);
/* Sends the ContextCancelled that answers call's cancelled task, naming
 * its canceller (S11-S13). */
void actri_cancel_answer(struct actr_call *call);

/* ------------------------------------------------------------ the quiet rule */

/* 1 when the Error on c is the ContextCancelled this end asked for: it
 * called cancel on this very dialog and the canceller is us (tractor's
 * _is_self_cancelled). Cancelling the peer's whole actor does not count. */
int actri_ctx_self_cancelled(const struct actr_ctx *c);
/* 1 when c ended with a ContextCancelled this end did not ask for. */
int actri_ctx_cancelled_remote(const struct actr_ctx *c);

#endif
