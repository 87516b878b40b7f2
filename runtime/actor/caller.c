/* The caller end of a dialog (actor/caller.h): what calls, contexts,
 * generator streams and cancel requests share: the Start, the callee's
 * answers, the waits for them, and how a received Error is reported. */
#define _GNU_SOURCE
#include "actor/caller.h"
#include "actor/cancel.h"
#include "actor/link.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
keep(actr_msg *slot, int *flag, const actr_msg *m)
{
    if (*flag)
        return;                          /* the first one counts */
    if (actr_msg_dup(m, slot) == 0)
        *flag = 1;
    else
        actr_log_error(ACTOR_TAG, "out of memory: %s dropped", actr_msg_type_name(m->type));
}

static void
caller_deliver(struct dialog *d, const actr_msg *m)
{
    struct actr_ctx *c = (struct actr_ctx *)d;
    switch (m->type) {
    case ACTR_MSG_STARTACK:
        if (!c->got_ack) {
            c->got_ack = 1;
            c->functype = m->u.startack.functype;
            /* S27: the callee takes part in the flow control we announced. */
            if (m->u.startack.has_window && c->announced)
                actri_flow_peer(d, m->u.startack.window);
        }
        break;
    case ACTR_MSG_STARTED:
        /* The callee's window as its task set it, before we may send. */
        if (!c->got_started && d->fc && m->u.started.has_window)
            actri_flow_peer(d, m->u.started.window);
        keep(&c->started, &c->got_started, m);
        break;
    case ACTR_MSG_RETURN:
        keep(&c->ret, &c->has_return, m);
        break;
    case ACTR_MSG_CANCELACK:
        if (!c->has_cancelack) {
            c->has_cancelack = 1;
            c->cancelack = m->u.cancelack.pld;
        }
        break;
    default:
        actr_log_warning(ACTOR_TAG, "dialog %s: unexpected %s dropped", d->cid,
                         actr_msg_type_name(m->type));
        break;
    }
}

static void
caller_destroy(struct dialog *d)
{
    struct actr_ctx *c = (struct actr_ctx *)d;
    if (c->hooked)
        actri_task_on_exit_cancel(&c->exit_hook);
    actr_msg_free(&c->started);
    actr_msg_free(&c->ret);
    free(c);
}

static const struct dialog_ops caller_ops = {caller_deliver, caller_destroy};

struct actr_ctx *
actri_ctx_new(struct link *l, actr_endpoint_kind kind, const char *wire_name, int owned)
{
    struct actr_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    actri_dialog_init(&c->d, &caller_ops, DIALOG_CALLER, l, NULL, 0);
    c->d.kind = kind;
    c->state = CTX_OPENING;
    if (owned) {
        if (!(c->d.wire_name_owned = strdup(wire_name))) {
            actri_dialog_unref(&c->d);
            return NULL;
        }
        c->d.wire_name = c->d.wire_name_owned;
    } else {
        c->d.wire_name = wire_name;
    }
    return c;
}

void
actri_ctx_unref(struct actr_ctx *c)
{
    if (c)
        actri_dialog_unref(&c->d);
}

int
actri_ctx_finished(const struct actr_ctx *c)
{
    return c->has_return || c->d.has_error || c->has_cancelack ||
           (c->d.kind == ACTR_ENDPOINT_GEN && c->d.peer_stopped);
}

int
actri_ctx_start(struct actr_ctx *c, const char *ns, const char *func,
                const actr_type *args_t, const void *args, const actr_any *raw_kwargs)
{
    static const uint8_t empty_map = 0x80;
    struct link *l = c->d.link;
    if (!actri_link_up(l))
        return actr_error_set(ACTR_ECLOSED, "channel to %s is closed", l->peer.name);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    actr_msg m = {.type = ACTR_MSG_START};
    actr_msg_start *st = &m.u.start;
    st->cid.ptr = c->d.cid;
    st->cid.len = strlen(c->d.cid);
    st->ns.ptr = (char *)ns;
    st->ns.len = strlen(ns);
    st->func.ptr = (char *)func;
    st->func.len = strlen(func);
    st->uid = actri_self_uid(l->a);
    if (c->d.kind != ACTR_ENDPOINT_FN && actri_flow_enabled() && l->actr) {
        /* S27: we take part in flow control, and this is our window (an
         * extension: only for a peer known to be actr). */
        c->announced = 1;
        st->has_window = 1;
        st->window = c->d.recv_window;
    }
    struct link_gather g = {.sb = &sb};
    if (args_t && args) {
        actr_codec_err err;
        int rc = actri_link_encode_lending(&g, &sb, args_t, args, &err);
        if (rc < 0) {
            msgpack_sbuffer_destroy(&sb);
            return actr_error_set(rc, "%s:%s: cannot encode the arguments: %s", ns, func,
                                  err.msg);
        }
        st->kwargs.ptr = (uint8_t *)sb.data;
        st->kwargs.len = sb.size;
    } else if (raw_kwargs && raw_kwargs->len > 0) {
        st->kwargs = *raw_kwargs;
    } else {
        st->kwargs.ptr = (uint8_t *)&empty_map;
        st->kwargs.len = 1;
    }
    int rc = actri_link_register(l, &c->d);
    if (rc == 0) {
        /* Big arguments go from where they lie (actri_link_send_lent). */
        rc = g.nrefs ? actri_link_send_lent(l, &m, &st->kwargs, &g) : actri_link_send(l, &m, 0);
        if (rc < 0)
            actri_link_unregister(l, &c->d);
    }
    msgpack_sbuffer_destroy(&sb);
    if (rc == 0)
        actr_log_debug(ACTOR_TAG, "Start %s:%s cid %s to %s", ns, func, c->d.cid, l->peer.name);
    return rc;
}

int
actri_ctx_quiet(struct actr_ctx *c)
{
    if (!actri_ctx_self_cancelled(c))
        return 0;
    if (!c->quiet_logged) {
        /* S11: the outcome we asked for: logged at the cancel level only. */
        c->quiet_logged = 1;
        CANCEL_LOG(c->d.link->a, c->d.cid, "%s cancelled as we asked (ContextCancelled"
                   " from %s.%s)", actri_dialog_name(&c->d), c->d.link->peer.name,
                   c->d.link->peer.uuid);
    }
    return 1;
}

int
actri_ctx_raise(struct actr_ctx *c)
{
    int rc = actri_dialog_raise(&c->d);
    actri_ctx_quiet(c);
    return rc;
}

int
actri_ctx_wait_ack(struct actr_ctx *c)
{
    struct dialog *d = &c->d;
    for (;;) {
        if (c->got_ack)
            break;                        /* a kind mismatch wins over what follows */
        if (d->has_error)
            return actri_ctx_raise(c);
        if (c->has_return) {
            /* No StartAck, but a Return: a function's result is taken
             * as it is (the callee did run); any other kind cannot end
             * with a bare Return, so the peer broke the protocol. */
            if (d->kind == ACTR_ENDPOINT_FN) {
                actr_log_warning(ACTOR_TAG, "dialog %s (%s): Return from %s without a"
                                 " StartAck; taken as the result", d->cid,
                                 actri_dialog_name(d), d->link->peer.name);
                return 0;
            }
            return actr_error_set(ACTR_EPROTO, "%s (cid %s): %s sent a Return without a"
                                  " StartAck", actri_dialog_name(d), d->cid,
                                  d->link->peer.name);
        }
        if (c->has_cancelack)
            return actr_error_set(ACTR_EPROTO, "%s (cid %s): %s sent a CancelAck without a"
                                  " StartAck", actri_dialog_name(d), d->cid,
                                  d->link->peer.name);
        if (d->dead)
            return actri_ctx_closed(c, "before %s answered");
        int rc = actri_dialog_wait(d);
        if (rc < 0)
            return rc;
    }
    actr_endpoint_kind got = c->functype == ACTR_FUNCTYPE_ASYNCFUNC ? ACTR_ENDPOINT_FN
                           : c->functype == ACTR_FUNCTYPE_ASYNCGEN ? ACTR_ENDPOINT_GEN
                           : ACTR_ENDPOINT_CONTEXT;
    if (got != d->kind) {
        /* S6: the callee told us its kind; the caller abandons the dialog,
         * which cancels the task we started. */
        return actr_error_set(ACTR_EINVAL, "%s is a %s endpoint, called as a %s",
                              actri_dialog_name(d), actri_kind_name(got),
                              actri_kind_name(d->kind));
    }
    return 0;
}

int
actri_ctx_closed(struct actr_ctx *c, const char *when)
{
    struct dialog *d = &c->d;
    struct link *l = d->link;
    if (l->child_end && !actr_event_is_set(&l->child_end->exited))
        (void)actr_event_wait(&l->child_end->exited, actr_deadline_in(CHILD_END_WAIT_MS));
    if (actr_task_cancelled())
        return ACTR_ECANCELED;
    char where[200];
    snprintf(where, sizeof where, when, actri_dialog_name(d));
    const struct child_end *e = l->child_end;     /* again: its nursery may be gone */
    if (!e || !actr_event_is_set(&e->exited) || !e->died)
        return actr_error_set(ACTR_ECLOSED, "channel to %s closed %s", l->peer.name, where);
    char msg[400];
    snprintf(msg, sizeof msg, "%s %s while serving %s", e->who, e->how, actri_dialog_name(d));
    char *src = actri_uid_text(l->peer.name, l->peer.uuid);
    actr_error err = {.code = ACTR_ECLOSED, .message = msg, .type_name = "ActorFailure",
                      .src_uid = src};
    int rc = actr_error_set_detail(&err);
    free(src);
    return rc;
}

int
actri_ctx_wait_return(struct actr_ctx *c, void *result)
{
    struct dialog *d = &c->d;
    for (;;) {
        if (d->has_error)
            return actri_ctx_raise(c);
        if (c->has_return)
            return actri_dialog_decode(d, c->t_result, &c->ret.u.ret.pld, result, "result");
        if (c->has_cancelack) {
            /* A cancel request called by name: CancelAck is its answer. */
            uint8_t b = c->cancelack ? 0xc3 : 0xc2;
            actr_any pld = {&b, 1};
            return actri_dialog_decode(d, c->t_result, &pld, result, "CancelAck");
        }
        if (d->dead)
            return actri_ctx_closed(c, "before %s returned");
        int rc = actri_dialog_wait(d);
        if (rc < 0)
            return rc;
    }
}

/* S17 on the receiving side: the sender finished before our overrun
 * errors reached it, so it cannot raise them; we do, at the end of the
 * stream, rather than let the loss pass silently. */
int
actri_ctx_overrun_error(struct actr_ctx *c)
{
    struct dialog *d = &c->d;
    char msg[256];
    snprintf(msg, sizeof msg, "%zu stream messages from %s were dropped: the receive queue"
             " of %s (%zu) was full", d->overruns, d->link->peer.name, actri_dialog_name(d),
             d->qmax);
    actr_error e = {.code = ACTR_EOVERRUN, .message = msg, .type_name = "StreamOverrun",
                    .task_name = d->wire_name};
    return actr_error_set_detail(&e);
}

int
actri_ctx_result(struct actr_ctx *c, void *result)
{
    struct dialog *d = &c->d;
    for (;;) {
        /* S7: stream values still in flight are not the result. */
        actr_any pld;
        while (actri_dialog_pop(d, &pld))
            ;
        actri_flow_settle(d);     /* dropped values are taken: the sender goes on */
        actri_ovf_discard(d);
        if (c->has_return && d->overruns && !d->allow_overruns && !c->cancel_called)
            return actri_ctx_overrun_error(c);
        if (c->has_return)
            return actri_dialog_decode(d, c->t_result, &c->ret.u.ret.pld, result, "result");
        if (d->has_error)
            return actri_ctx_raise(c);
        if (d->dead || !d->link->ipc)
            return actri_ctx_closed(c, "before %s returned");
        int rc = actri_dialog_wait(d);
        if (rc < 0)
            return rc;
    }
}

void
actri_ctx_abandon(struct actr_ctx *c)
{
    if (!c)
        return;
    struct actri_errsave saved;
    actri_error_save(&saved);
    if (c->hooked) {
        actri_task_on_exit_cancel(&c->exit_hook);
        c->hooked = 0;
    }
    if (c->d.registered && !actri_ctx_finished(c) && !c->d.dead && !c->cancel_called) {
        /* The remote task may still run: the actor asks for its cancel and
         * waits for the answer, not the caller (a deadline is a deadline). */
        actri_cancel_request_bg(c);
        actri_error_restore(&saved);
        return;
    }
    actri_ovf_end(&c->d);
    actri_link_unregister(c->d.link, &c->d);
    actri_ctx_unref(c);
    actri_error_restore(&saved);
}
