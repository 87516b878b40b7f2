/* The dialog core (actor/dialog.h): lifecycle, the tasks parked on a
 * dialog, delivery of what the message loop routes to it, the inbound
 * stream's queue and overrun rules (S16, S17), and the received Error. */
#define _GNU_SOURCE
#include "actor/dialog.h"
#include "actor/link.h"
#include "ipc/channel.h"
#include "wire/errors.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
actri_dialog_init(struct dialog *d, const struct dialog_ops *ops, enum dialog_end end,
                  struct link *l, const char *cid, size_t cidlen)
{
    d->ops = ops;
    d->end = end;
    if (cid) {
        if (cidlen > UUID_LEN)
            cidlen = UUID_LEN;   /* callers check; keep the buffer safe */
        memcpy(d->cid, cid, cidlen);
        d->cid[cidlen] = 0;
    } else {
        actri_uuid4(d->cid);
    }
    d->link = l;
    actri_link_ref(l);
    d->refs = 1;
    d->qmax = ACTR_CTX_QUEUE_DEFAULT;
    if (l->end)
        d->dead = l->end;
}

void
actri_dialog_ref(struct dialog *d)
{
    d->refs++;
}

void
actri_dialog_unref(struct dialog *d)
{
    if (!d || --d->refs > 0)
        return;
    struct link *l = d->link;
    actri_link_unregister(l, d);
    actri_ovf_end(d);
    actri_msgq_clear(&d->q);
    actr_msg_free(&d->err);
    free(d->wire_name_owned);
    d->ops->destroy(d);
    actri_link_unref(l);
}

const char *
actri_dialog_name(const struct dialog *d)
{
    return d->wire_name ? d->wire_name : "?";
}

/* ------------------------------------------------------------ waiting */

void
actri_dialog_wake(struct dialog *d)
{
    for (struct dialog_waiter *w = d->waiters; w; w = w->next)
        actri_wake(w->task, 0);
}

int
actri_dialog_wait(struct dialog *d)
{
    struct dialog_waiter w = {d->waiters, actri_task_self()};
    d->waiters = &w;
    int rc = actri_park(ACTR_FOREVER);
    for (struct dialog_waiter **pp = &d->waiters; *pp; pp = &(*pp)->next)
        if (*pp == &w) {
            *pp = w.next;
            break;
        }
    return rc;
}

void
actri_dialog_fail(struct dialog *d, int code)
{
    if (!d->dead)
        d->dead = code;
    actri_dialog_wake(d);
}

int
actri_dialog_eoc(struct dialog *d)
{
    d->eoc = 1;
    return ACTR_EPIPE;
}

int
actri_dialog_check_eoc(struct dialog *d)
{
    if (!d->eoc)
        return 0;
    return actr_error_set(ACTR_EPIPE, "%s (cid %s): %s ended the stream (Stop): nothing more"
                          " can be sent on it", actri_dialog_name(d), d->cid,
                          d->link->peer.name);
}

int
actri_dialog_check_link(struct dialog *d)
{
    if (d->dead || !actri_link_up(d->link))
        return actr_error_set(ACTR_ECLOSED, "channel to %s is closed (%s)",
                              d->link->peer.name, actri_dialog_name(d));
    return 0;
}

/* ------------------------------------------------------------ delivery */

/* S17: tell the sender it overran us, naming it. */
static void
send_overrun(struct dialog *d)
{
    struct link *l = d->link;
    char msg[256];
    snprintf(msg, sizeof msg, "Actor %s overran the stream of dialog %s (%s): its"
             " receive queue of %zu messages was full; %zu dropped so far",
             l->peer.name, d->cid, actri_dialog_name(d), d->qmax, d->overruns);
    char *sender = actri_uid_text(l->peer.name, l->peer.uuid);
    actri_errbox b = {.boxed_type = "StreamOverrun", .message = msg, .sender = sender};
    actri_errmsg e;
    actr_uid self = actri_self_uid(l->a);
    if (actri_errmsg_build(&e, &self, d->cid, &b, NULL, 0) == 0)
        actri_link_send(l, &e.msg, 1);
    actri_errmsg_free(&e);
    free(sender);
}

/* 1 when this end of d receives a stream: the caller of a generator,
 * either side of a context. */
static int
has_inbound_stream(const struct dialog *d)
{
    return d->kind == ACTR_ENDPOINT_CONTEXT ||
           (d->kind == ACTR_ENDPOINT_GEN && d->end == DIALOG_CALLER);
}

/* A Yield on a dialog with no inbound stream, or after the peer's own
 * Stop (S28: the peer said it sends no more): nobody would ever read it.
 * Answer MsgTypeError on its cid once per dialog, built as the ipc layer
 * answers a refused message (a flood gets one error, not a flood), and
 * drop it. */
static void
refuse_yield(struct dialog *d, const actr_msg *m)
{
    int after_stop = has_inbound_stream(d) && d->peer_stopped;
    d->yields_refused++;
    const char *side = d->end == DIALOG_CALLEE ? "served" : "called";
    if (d->yield_mte_sent) {
        actr_log_runtime(ACTOR_TAG, "dialog %s (%s): Yield from %s dropped (%zu so far)",
                         d->cid, actri_dialog_name(d), d->link->peer.name,
                         d->yields_refused);
        return;
    }
    actr_wire_err werr = {.fault = ACTR_WIRE_MSGTYPE, .type = ACTR_MSG_YIELD, .has_cid = 1};
    werr.cid.ptr = d->cid;
    werr.cid.len = strlen(d->cid);
    if (after_stop) {
        snprintf(werr.what, sizeof werr.what, "Yield on dialog %s (%s) after the sender's own"
                 " Stop", d->cid, actri_dialog_name(d));
        actr_log_warning(ACTOR_TAG, "dialog %s (%s): Yield from %s after its Stop refused"
                         " (MsgTypeError)", d->cid, actri_dialog_name(d), d->link->peer.name);
    } else {
        snprintf(werr.what, sizeof werr.what, "Yield on dialog %s: the %s %s %s receives no"
                 " stream", d->cid, actri_kind_name(d->kind), actri_dialog_name(d), side);
        actr_log_warning(ACTOR_TAG, "dialog %s (%s): Yield from %s refused (MsgTypeError):"
                         " the %s %s receives no stream", d->cid, actri_dialog_name(d),
                         d->link->peer.name, side, actri_kind_name(d->kind));
    }
    /* _bad_msg_as_dict: the offending message, re-encoded (the frame
     * without its 4-byte length prefix). */
    actr_wbuf wb = ACTR_WBUF_INIT;
    if (actr_msg_encode(m, &wb) > 4) {
        werr.body.ptr = wb.ptr + 4;
        werr.body.len = wb.len - 4;
    }
    actr_uid self = actri_self_uid(d->link->a);
    actr_msg mte;
    if (actr_msg_mte(&mte, &self, &werr) == 0) {
        if (actri_link_send(d->link, &mte, 1) == 0)
            d->yield_mte_sent = 1;        /* else the next Yield tries again */
    } else {
        actr_log_error(ACTOR_TAG, "dialog %s: cannot build the MsgTypeError reply", d->cid);
    }
    actr_wbuf_destroy(&wb);
}

static void
deliver_yield(struct dialog *d, const actr_msg *m)
{
    if (!has_inbound_stream(d) || d->peer_stopped) {
        refuse_yield(d, m);
        return;
    }
    if (d->fc)
        actri_flow_received(d);
    size_t max = d->qmax;
    if (d->allow_overruns && (d->q.len >= max || actri_ovf_len(d) > 0)) {
        actri_ovf_keep(d, m);             /* S18, in order behind the overflow */
        return;
    }
    if (d->q.len >= max && actri_task_self()) {
        /* S16: an overrun means the reader really fell behind. The loop
         * delivers a whole read buffer at once, so a full queue may only
         * mean that its reader, woken or busy elsewhere (sending on this
         * very dialog, say), has not had its turn yet. Before dropping,
         * the loop lets every runnable task run once: a reader that keeps
         * up drains it meanwhile; one that is parked elsewhere (sleeping,
         * blocked on its own output) or does not take from the queue has
         * fallen behind. Not a wait on the queue: the loop goes on after
         * one round whether or not it drained. */
        actri_dialog_ref(d);
        if (d->registered)
            (void)actr_checkpoint();
        /* m borrows the channel's read buffer: if the channel was closed
         * meanwhile, it is gone too (the loop holds the link, not the ipc). */
        int gone = !d->registered || !d->link->ipc;
        actri_dialog_unref(d);
        if (gone)
            return;                       /* closed meanwhile: nobody to read it */
    }
    if (d->q.len >= max && d->draining) {
        d->overruns++;                    /* we asked the sender to stop */
        return;
    }
    if (d->q.len >= max) {
        /* S17: one warning per dialog; the sender gets an error for every
         * dropped message (as tractor does). */
        d->overruns++;
        actr_log(d->overruns == 1 ? ACTR_LOG_WARNING : ACTR_LOG_RUNTIME, ACTOR_TAG,
                 "dialog %s (%s): receive queue full (%zu), message from %s dropped"
                 " (overrun %zu)", d->cid, actri_dialog_name(d), d->qmax,
                 d->link->peer.name, d->overruns);
        send_overrun(d);
        return;
    }
    /* A big payload that came in a frame buffer of its own stays there. */
    const actr_any *pld = &m->u.yield.pld;
    void *own = pld->len >= MSGQ_BLOCK_MIN && d->link->ipc
              ? actri_ipc_take_frame(d->link->ipc, pld->ptr) : NULL;
    int rc = own ? actri_msgq_push_block(&d->q, max, own, pld)
                 : actri_msgq_push(&d->q, max, pld);
    if (rc < 0) {
        free(own);
        actr_log_error(ACTOR_TAG, "dialog %s: out of memory, stream message dropped", d->cid);
    }
}

/* S17, being a good peer (issue 16): our sender overran the peer, whose
 * every later Yield on this dialog would be dropped and answered with
 * one more error. Our sends on it stop at this error (the next one
 * raises it); the Yields still in our output buffer are taken back, so
 * the peer gets no more of them than were already written. */
static void
take_back_yields(struct dialog *d)
{
    size_t n = actri_ipc_unqueue(d->link->ipc, ACTR_MSG_YIELD, d->cid, strlen(d->cid));
    if (n)
        actr_log_runtime(ACTOR_TAG, "dialog %s (%s): overran %s: %zu queued value(s) not"
                         " sent", d->cid, actri_dialog_name(d), d->link->peer.name, n);
}

void
actri_dialog_deliver(struct dialog *d, const actr_msg *m)
{
    switch (m->type) {
    case ACTR_MSG_YIELD:
        deliver_yield(d, m);
        break;
    case ACTR_MSG_STOP:
        d->peer_stopped = 1;
        break;
    case ACTR_MSG_CREDIT:
        if (d->fc)
            actri_flow_credit(d, m->u.credit.grant);
        break;
    case ACTR_MSG_ERROR:
        if (d->has_error)
            break;                        /* the first one counts */
        if (actr_msg_dup(m, &d->err) == 0)
            d->has_error = 1;
        else
            actr_log_error(ACTOR_TAG, "dialog %s: out of memory: Error dropped", d->cid);
        if (d->sent_values && d->link->ipc &&
            actri_wire_error_code(&m->u.error.boxed_type_str, &m->u.error.src_type_str)
                == ACTR_EOVERRUN)
            take_back_yields(d);
        break;
    default:
        d->ops->deliver(d, m);
        break;
    }
    actri_dialog_wake(d);
}

/* ------------------------------------------------------------ errors */

int
actri_dialog_raise(struct dialog *d)
{
    return actri_wire_error_raise(&d->err.u.error, d->wire_name);
}

int
actri_dialog_ctxc(const struct dialog *d, actr_uid *canceller)
{
    if (!d->has_error)
        return 0;
    const actr_msg_error *e = &d->err.u.error;
    if (actri_wire_error_code(&e->boxed_type_str, &e->src_type_str) != ACTR_ECTXCANCEL)
        return 0;
    if (canceller) {
        memset(canceller, 0, sizeof *canceller);
        if (e->has_canceller)
            *canceller = e->canceller;
    }
    return 1;
}

/* ------------------------------------------------------------ payloads */

int
actri_dialog_pop(struct dialog *d, actr_any *pld)
{
    if (!actri_msgq_pop(&d->q, pld))
        return 0;
    if (d->ovf)
        actri_ovf_space(d);
    if (d->fc)
        d->taken++;             /* granted by actri_flow_settle, once pld is used */
    return 1;
}

int
actri_dialog_pending(const struct dialog *d)
{
    return d->q.len > 0 || actri_ovf_len(d) > 0;
}

int
actri_dialog_decode(struct dialog *d, const actr_type *t, const actr_any *pld, void *out,
                    const char *what)
{
    if (!t || !out)
        return 0;
    /* Out parameters are written only on success: decode into a zeroed
     * scratch value (on the stack when it is small: once per message). */
    union {
        max_align_t align;
        unsigned char b[256];
    } small;
    void *tmp = &small;
    if (t->size > sizeof small) {
        tmp = calloc(1, t->size);
        if (!tmp)
            return actr_error_set(ACTR_ENOMEM, "out of memory decoding %s", what);
    } else {
        memset(tmp, 0, t->size);
    }
    actr_codec_err err;
    int rc = actr_codec_decode_buf(pld->ptr, pld->len, t, tmp, NULL, &err);
    if (rc == 0)
        memcpy(out, tmp, t->size);
    if (tmp != (void *)&small)
        free(tmp);
    if (rc < 0)
        return actr_error_set(ACTR_ETYPE, "%s of %s (cid %s): %s", what,
                              actri_dialog_name(d), d->cid, err.msg);
    return 0;
}

int
actri_dialog_send_value(struct dialog *d, const void *v)
{
    d->sent_values = 1;
    return actri_link_send_pld(d->link, ACTR_MSG_YIELD, d->cid, d->t_send, v);
}

int
actri_dialog_send_stop(struct dialog *d, int final)
{
    if (d->we_stopped)
        return 0;
    actr_msg m = {.type = ACTR_MSG_STOP};
    m.u.stop.cid.ptr = d->cid;
    m.u.stop.cid.len = strlen(d->cid);
    d->we_stopped = 1;
    if (!final)
        return actri_link_send(d->link, &m, 1);
    actr_scope sh;
    if (actr_scope_enter(&sh, actr_deadline_in(2000), ACTR_SCOPE_SHIELD) < 0)
        return ACTR_ESTATE;
    int rc = actri_link_send(d->link, &m, 0);
    actr_scope_exit(&sh);
    return rc;
}
