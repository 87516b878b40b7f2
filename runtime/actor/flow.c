/* S27: stream flow control, an extension of the protocol between actr
 * peers (runtime/PROTOCOL.md section 13). Each direction of a dialog may
 * have a window of N messages: its sender may have at most N messages
 * that the receiving tasks have not taken. A send beyond that parks the
 * sending task (a cancellation point) until the receiver grants credit
 * with an ActrCredit message, which it does in batches of half a window
 * as its tasks take values, so the cost per message stays near zero.
 *
 * Both ways full. When a task is parked in a send here while the peer has
 * used up all the credit we granted it, the peer may well be parked in
 * its own send, waiting for us to take, while we wait for it: two senders
 * that both send before they receive. Taking is what we cannot do while
 * parked, so instead we grant the peer room past the window, up to our
 * queue's bound (the window plus the overflow bound): the same judgement
 * as S16's, a reader busy sending on the dialog has not fallen behind.
 * Past that bound the two wait for each other, as two processes writing
 * to full pipes do; memory stays bounded. */
#define _GNU_SOURCE
#include "actor/dialog.h"
#include "actor/link.h"

#include <stdlib.h>
#include <string.h>

int
actri_flow_enabled(void)
{
    static int enabled = -1;
    if (enabled < 0)
        enabled = actr_env_bool(ACTR_ENV_FLOW_CONTROL, 1);
    return enabled;
}

/* The receive queue of a windowed direction holds the window and the
 * room granted past it (the overflow bound); queue_size is not used. */
static size_t
queue_bound(const struct dialog *d)
{
    return (size_t)d->recv_window + (d->ovf_max ? d->ovf_max : ACTR_CTX_OVERFLOW_MAX);
}

void
actri_flow_peer(struct dialog *d, uint32_t window)
{
    d->fc = 1;
    d->send_window = window;
    d->send_credit = window;
    if (d->recv_window) {
        d->granted = d->recv_window;
        d->qmax = queue_bound(d);
    }
}

void
actri_flow_window(struct dialog *d, uint32_t window)
{
    d->recv_window = window;
    if (d->fc && window) {
        d->granted = window;
        d->qmax = queue_bound(d);
    }
}

/* Sends the peer n more credit. From a task: it may park at the output's
 * high-water mark (a grant must not be dropped: its sender would wait for
 * ever). */
static void
grant(struct dialog *d, uint64_t n)
{
    if (n == 0 || !actri_link_up(d->link))
        return;
    actr_msg m = {.type = ACTR_MSG_CREDIT};
    m.u.credit.cid.ptr = d->cid;
    m.u.credit.cid.len = strlen(d->cid);
    m.u.credit.grant = (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
    /* The grant goes out even when the task that takes is being
     * cancelled: the sender it frees may be another task's business. */
    actr_scope sh;
    if (actr_scope_enter(&sh, actr_deadline_in(2000), ACTR_SCOPE_SHIELD) < 0)
        return;
    /* Credit the sender still had before this grant: when it runs low,
     * the grant goes out now rather than at the end of this loop
     * iteration (up to 1 ms away when we are busy), or the sender idles
     * meanwhile; otherwise it rides along with the next flush. */
    int urgent = d->granted - d->received < d->recv_window / 2 + 1;
    if (actri_link_send(d->link, &m, 0) == 0) {
        d->granted += m.u.credit.grant;
        if (urgent && d->link->ipc && actr_ipc_flush(d->link->ipc, 0) < 0)
            actr_log_runtime(ACTOR_TAG, "dialog %s: credit queued, not written yet", d->cid);
    }
    actr_scope_exit(&sh);
}

static uint64_t
batch(const struct dialog *d)
{
    return d->recv_window > 3 ? d->recv_window / 4 : 1;
}

void
actri_flow_received(struct dialog *d)
{
    d->received++;
}

void
actri_flow_settle(struct dialog *d)
{
    if (!d->fc || !d->recv_window || d->taken < batch(d))
        return;
    uint64_t n = d->taken;
    d->taken = 0;
    grant(d, n);
}

void
actri_flow_credit(struct dialog *d, uint32_t n)
{
    if (!d->send_window) {
        /* Credit for a direction without a window (a peer that sends it
         * anyway): nothing to grant, nothing to log past runtime level. */
        actr_log_runtime(ACTOR_TAG, "dialog %s: credit from %s without a window: ignored",
                         d->cid, d->link->peer.name);
        return;
    }
    d->send_credit += n;
    actri_dialog_wake(d);
}

int
actri_flow_acquire(struct dialog *d)
{
    if (!d->fc || !d->send_window)
        return 0;
    if (d->send_credit > 0) {
        d->send_credit--;
        return 0;
    }
    if (d->peer_stopped) {
        /* The receiver said it sends no more: its window is lifted. It
         * may still be reading (a feeder that sent its last job reads the
         * results), and it takes the rest with its result or close; we,
         * the sender, stop once our recv reaches its Stop (S8). Past its
         * queue's bound S17 applies, so memory stays bounded. */
        return 0;
    }
    /* Both ways full (see the top of this file): let the peer go on. */
    if (d->recv_window && d->granted == d->received && d->q.len + batch(d) <= d->qmax)
        grant(d, batch(d));
    int rc = actri_dialog_wait(d);
    return rc < 0 ? rc : ACTR_EAGAIN;
}
