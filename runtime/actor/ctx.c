/* The caller side of contexts and generator streams (actr/ctx.h):
 * open, send/recv/done on the stream, the cached result, cancel, close. */
#define _GNU_SOURCE
#include "actor/actor.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
finished(const struct actr_ctx *c)
{
    return c->has_return || c->has_error || (c->kind == ACTR_ENDPOINT_GEN && c->peer_stopped);
}

/* A task returned with c still open: cancel and free it (DESIGN.md). */
static void
exit_hook(struct actri_exit_hook *h)
{
    struct actr_ctx *c = (struct actr_ctx *)((char *)h - offsetof(struct actr_ctx, exit_hook));
    c->hooked = 0;
    actr_log_warning(ACTOR_TAG, "task %s returned with dialog %s (%s) open: cancelling it",
                     actr_task_name(), c->cid, c->wire_name);
    if (!finished(c) && !c->dead)
        actri_ctx_cancel_remote(c, CTX_CANCEL_TIMEOUT_MS);
    CANCEL_LOG(c->link->a, c->cid, "dialog %s left open by its task: freed", c->wire_name);
    actri_ovf_end(c);
    actri_link_unregister(c->link, c);
    actri_ctx_unref(c);
}

static int
portal_ok(actr_portal *p)
{
    if (!p || !p->link)
        return actr_error_set(ACTR_EINVAL, "no portal");
    if (!actri_task_self())
        return actr_error_set(ACTR_ESTATE, "not called from a task");
    return 0;
}

/* Common open: Start, StartAck, then (CONTEXT) Started. */
static int
open_common(actr_portal *p, struct actr_ctx *c, const char *ns, const char *func,
            const actr_type *args_t, const void *args, const actr_any *kw,
            const actr_ctx_opts *opts, void *started)
{
    if (opts) {
        c->allow_overruns = opts->allow_overruns;
        if (opts->queue_size)
            c->qmax = opts->queue_size;
        c->ovf_max = opts->overflow_max;
    }
    int rc = actri_ctx_start(c, ns, func, args_t, args, kw);
    if (rc == 0)
        rc = actri_ctx_wait_ack(c);
    while (rc == 0 && c->kind == ACTR_ENDPOINT_CONTEXT) {
        if (c->got_started) {
            /* An error that came after Started is raised at the next
             * operation, as the stream values before it are delivered. */
            rc = actri_pld_decode(c, c->t_started, &c->started.u.started.pld, started,
                                  "started value");
            break;
        } else if (c->has_error) {
            rc = actri_ctx_raise(c);
        } else if (c->has_return) {
            rc = actr_error_set(ACTR_EPROTO, "%s returned before started()", c->wire_name);
        } else if (c->dead) {
            rc = actr_error_set(ACTR_ECLOSED, "channel to %s closed before %s started",
                                p->link->peer.name, c->wire_name);
        } else {
            rc = actri_ctx_wait(c);
        }
    }
    if (rc == ACTR_ECANCELED && c->registered && !finished(c))
        actri_ctx_cancel_remote(c, CTX_CANCEL_TIMEOUT_MS);
    if (rc == 0 && actri_task_on_exit(&c->exit_hook, exit_hook) == 0)
        c->hooked = 1;
    return rc;
}

static int
open_ep(actr_portal *p, const actr_endpoint *ep, actr_endpoint_kind kind, const void *args,
        const actr_ctx_opts *opts, actr_ctx **out, void *started)
{
    int rc = portal_ok(p);
    if (rc < 0)
        return rc;
    if (!ep || !out)
        return actr_error_set(ACTR_EINVAL, "no endpoint or out parameter");
    if (ep->kind != kind)
        return actr_error_set(ACTR_EINVAL, "%s is not a %s endpoint", ep->wire_name,
                              kind == ACTR_ENDPOINT_GEN ? "generator" : "context");
    char ns[256];
    const char *func;
    if ((rc = actri_split_name(ep->wire_name, ns, sizeof ns, &func)) < 0)
        return rc;
    struct actr_ctx *c = actri_ctx_new(p->link, NULL, 0);
    if (!c)
        return actr_error_set(ACTR_ENOMEM, "out of memory for a context");
    c->kind = kind;
    c->wire_name = ep->wire_name;
    c->t_send = kind == ACTR_ENDPOINT_CONTEXT ? ep->stream_in : NULL;
    c->t_recv = kind == ACTR_ENDPOINT_CONTEXT ? ep->stream_out : ep->yield;
    c->t_started = ep->started;
    c->t_result = ep->result;
    rc = open_common(p, c, ns, ep->func, ep->args, args, NULL, opts, started);
    if (rc < 0) {
        actri_ctx_unref(c);
        return rc;
    }
    *out = c;
    return 0;
}

static int
open_raw(actr_portal *p, const char *fn, actr_endpoint_kind kind, const actr_any *kw,
         const actr_ctx_opts *opts, actr_ctx **out, actr_any *started)
{
    int rc = portal_ok(p);
    if (rc < 0)
        return rc;
    if (!out)
        return actr_error_set(ACTR_EINVAL, "no out parameter");
    char ns[256];
    const char *func;
    if ((rc = actri_split_name(fn, ns, sizeof ns, &func)) < 0)
        return rc;
    struct actr_ctx *c = actri_ctx_new(p->link, NULL, 0);
    if (!c || !(c->wire_name_owned = strdup(fn))) {
        actri_ctx_unref(c);
        return actr_error_set(ACTR_ENOMEM, "out of memory for a context");
    }
    c->raw = 1;
    c->kind = kind;
    c->wire_name = c->wire_name_owned;
    c->t_send = kind == ACTR_ENDPOINT_CONTEXT ? &actr_type_any : NULL;
    c->t_recv = c->t_started = c->t_result = &actr_type_any;
    rc = open_common(p, c, ns, func, NULL, NULL, kw, opts, started);
    if (rc < 0) {
        actri_ctx_unref(c);
        return rc;
    }
    *out = c;
    return 0;
}

int
actr_ctx_open(actr_portal *p, const actr_endpoint *ep, const void *args,
              const actr_ctx_opts *opts, actr_ctx **out, void *started)
{
    return open_ep(p, ep, ACTR_ENDPOINT_CONTEXT, args, opts, out, started);
}

int
actr_ctx_open_raw(actr_portal *p, const char *fn, const actr_any *kwargs,
                  const actr_ctx_opts *opts, actr_ctx **out, actr_any *started)
{
    return open_raw(p, fn, ACTR_ENDPOINT_CONTEXT, kwargs, opts, out, started);
}

int
actr_stream_open(actr_portal *p, const actr_endpoint *ep, const void *args, actr_ctx **out)
{
    return open_ep(p, ep, ACTR_ENDPOINT_GEN, args, NULL, out, NULL);
}

int
actr_stream_open_raw(actr_portal *p, const char *fn, const actr_any *kwargs, actr_ctx **out)
{
    return open_raw(p, fn, ACTR_ENDPOINT_GEN, kwargs, NULL, out, NULL);
}

/* S17 on the receiving side: the sender finished before our overrun
 * errors reached it, so it cannot raise them; we do, at the end of the
 * stream, rather than let the loss pass silently. */
static int
overrun_error(struct actr_ctx *c)
{
    char msg[256];
    snprintf(msg, sizeof msg, "%zu stream messages from %s were dropped: the receive queue"
             " of %s (%zu) was full", c->overruns, c->link->peer.name, c->wire_name, c->qmax);
    actr_error e = {.code = ACTR_EOVERRUN, .message = msg, .type_name = "StreamOverrun",
                    .task_name = c->wire_name};
    return actr_error_set_detail(&e);
}

/* The Error received on c as this side reports it: a ContextCancelled we
 * asked for (S11, S12) is the quiet ACTR_ECTXCANCEL, logged at level
 * cancel only; anything else is the remote error. */
static int
raise_error(struct actr_ctx *c)
{
    int rc = actri_ctx_raise(c);
    if (actri_ctx_self_cancelled(c)) {
        if (!c->quiet_logged) {
            c->quiet_logged = 1;
            CANCEL_LOG(c->link->a, c->cid, "%s cancelled as we asked (ContextCancelled from"
                       " %s.%s)", c->wire_name, c->link->peer.name, c->link->peer.uuid);
        }
        return ACTR_ECTXCANCEL;
    }
    return rc;
}

int
actr_ctx_send(actr_ctx *c, const void *v)
{
    if (!c)
        return actr_error_set(ACTR_EINVAL, "no context");
    if (c->kind != ACTR_ENDPOINT_CONTEXT)
        return actr_error_set(ACTR_ESTATE, "%s is a generator: the caller only receives",
                              c->wire_name);
    if (c->we_stopped)
        return actr_error_set(ACTR_ESTATE, "%s: send after done()", c->wire_name);
    int rc = actr_checkpoint();
    if (rc < 0)
        return rc;
    if (c->has_error)
        return raise_error(c);
    if (c->has_return)
        return actr_error_set(ACTR_EPIPE, "%s already returned", c->wire_name);
    if (c->dead || !c->link->ipc)
        return actr_error_set(ACTR_ECLOSED, "channel to %s is closed", c->link->peer.name);
    rc = actri_link_send_pld(c->link, ACTR_MSG_YIELD, c->cid, c->t_send, v);
    if (rc == 0)
        c->sent_any = 1;
    return rc;
}

int
actr_ctx_recv(actr_ctx *c, void *v)
{
    if (!c)
        return actr_error_set(ACTR_EINVAL, "no context");
    for (;;) {
        if (actr_task_cancelled())
            return ACTR_ECANCELED;
        if (c->has_error)
            return raise_error(c);
        actr_any pld;
        if (actri_ctx_pop(c, &pld))
            return actri_pld_decode(c, c->t_recv, &pld, v, "stream value");
        if ((c->peer_stopped || c->has_return) && !actri_ctx_pending(c))
            return c->overruns && !c->allow_overruns ? overrun_error(c) : ACTR_EPIPE;
        if (c->dead || !c->link->ipc)
            return actr_error_set(ACTR_ECLOSED, "channel to %s closed during %s",
                                  c->link->peer.name, c->wire_name);
        int rc = actri_ctx_wait(c);
        if (rc < 0)
            return rc;
    }
}

int
actr_ctx_done(actr_ctx *c)
{
    if (!c)
        return actr_error_set(ACTR_EINVAL, "no context");
    if (c->we_stopped || c->peer_stopped || finished(c))
        return 0;
    if (c->dead || !c->link->ipc)
        return actr_error_set(ACTR_ECLOSED, "channel to %s is closed", c->link->peer.name);
    actr_msg m = {.type = ACTR_MSG_STOP};
    m.u.stop.cid.ptr = c->cid;
    m.u.stop.cid.len = strlen(c->cid);
    c->we_stopped = 1;
    return actri_link_send(c->link, &m, 1);
}

int
actri_ctx_result(struct actr_ctx *c, void *result)
{
    for (;;) {
        /* S7: stream values still in flight are not the result. */
        actr_any pld;
        while (actri_ctx_pop(c, &pld))
            ;
        actri_ovf_discard(c);
        if (c->has_return && c->overruns && !c->allow_overruns && !c->cancel_called)
            return overrun_error(c);
        if (c->has_return)
            return actri_pld_decode(c, c->t_result, &c->ret.u.ret.pld, result, "result");
        if (c->has_error)
            return raise_error(c);
        if (c->dead || !c->link->ipc)
            return actr_error_set(ACTR_ECLOSED, "channel to %s closed before %s returned",
                                  c->link->peer.name, c->wire_name);
        int rc = actri_ctx_wait(c);
        if (rc < 0)
            return rc;
    }
}

int
actr_ctx_result(actr_ctx *c, void *result)
{
    if (!c)
        return actr_error_set(ACTR_EINVAL, "no context");
    if (c->kind == ACTR_ENDPOINT_GEN)
        return actr_error_set(ACTR_ESTATE, "%s is a generator: it has no result", c->wire_name);
    return actri_ctx_result(c, result);
}

int
actr_ctx_cancel(actr_ctx *c)
{
    if (!c)
        return actr_error_set(ACTR_EINVAL, "no context");
    if (finished(c)) {
        c->cancel_called = 1;
        return 0;
    }
    return actri_ctx_cancel_remote(c, CTX_CANCEL_TIMEOUT_MS);
}

int
actr_ctx_cancel_called(const actr_ctx *c)
{
    return c && (c->cancel_called || c->link->cancel_req);
}

int
actr_ctx_cancelled_remote(const actr_ctx *c)
{
    return c && actri_ctx_cancelled_remote(c);
}

const char *
actr_ctx_cid(const actr_ctx *c)
{
    return c ? c->cid : NULL;
}

size_t
actr_ctx_overruns(const actr_ctx *c)
{
    return c ? c->overruns + c->ovf_lost : 0;
}

int
actr_ctx_close(actr_ctx *c)
{
    if (!c)
        return 0;
    if (c->hooked) {
        actri_task_on_exit_cancel(&c->exit_hook);
        c->hooked = 0;
    }
    int rc = 0;
    if (actr_task_cancelled()) {
        if (!finished(c) && !c->dead)
            actri_ctx_cancel_remote(c, CTX_CANCEL_TIMEOUT_MS);
        rc = ACTR_ECANCELED;
    } else if (c->kind == ACTR_ENDPOINT_GEN) {
        if (!finished(c) && !c->dead)
            actri_ctx_cancel_remote(c, CTX_CANCEL_TIMEOUT_MS);
        /* An overrun of a generator closed early is the consequence of
         * not reading on: recv reports overruns to a reader, close does
         * not. */
        if (c->has_error && !actri_ctx_self_cancelled(c) &&
            (rc = actri_ctx_raise(c)) == ACTR_EOVERRUN)
            rc = 0;
    } else {
        if (!c->we_stopped && !c->peer_stopped && !finished(c) && !c->dead)
            actr_ctx_done(c);
        rc = actri_ctx_result(c, NULL);
        if (rc == ACTR_ECTXCANCEL && actri_ctx_self_cancelled(c))
            rc = 0;
        /* A StreamOverrun comes from the peer's runtime, not from the end
         * of its task: that task may still run, so stop it (tractor's
         * open_context cancels the context on any error). */
        if (rc == ACTR_EOVERRUN && !c->has_return && !c->dead && !c->cancel_called)
            actri_ctx_cancel_remote(c, CTX_CANCEL_TIMEOUT_MS);
        if (rc == ACTR_ECANCELED && !finished(c) && !c->dead)
            actri_ctx_cancel_remote(c, CTX_CANCEL_TIMEOUT_MS);
    }
    actri_ovf_end(c);
    actri_link_unregister(c->link, c);
    actri_ctx_unref(c);
    return rc;
}
