/* Contexts and generator streams, the caller's side (actr/ctx.h): open,
 * send/recv/done on the stream, the cached result, cancel, close, each
 * checked against the state of the actr_ctx (actor/caller.h). */
#define _GNU_SOURCE
#include "actor/cancel.h"
#include "actor/caller.h"
#include "actor/link.h"
#include "actor/spawn.h"
#include "wire/errors.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_name[] = {"opening", "started", "streaming", "result",
                                         "closed"};

/* The misuse error of an operation in the wrong state. */
static int
misuse(const struct actr_ctx *c, const char *op, const char *why)
{
    return actr_error_set(ACTR_ESTATE, "%s on %s (cid %s, %s): %s", op,
                          actri_dialog_name(&c->d), c->d.cid, state_name[c->state], why);
}

/* Hands what a layer above attached back to it, once (c is closing). */
static void
detach(struct actr_ctx *c)
{
    void (*release)(void *) = c->ext_release;
    void *ext = c->ext;
    c->ext = NULL;
    c->ext_release = NULL;
    if (release)
        release(ext);
}

/* A task returned with c still open: cancel and free it (DESIGN.md). */
static void
exit_hook(struct actri_exit_hook *h)
{
    struct actr_ctx *c = (struct actr_ctx *)((char *)h - offsetof(struct actr_ctx, exit_hook));
    c->hooked = 0;
    actr_log_warning(ACTOR_TAG, "task %s returned with dialog %s (%s) open: cancelling it",
                     actr_task_name(), c->d.cid, actri_dialog_name(&c->d));
    CANCEL_LOG(c->d.link->a, c->d.cid, "dialog %s left open by its task: freed",
               actri_dialog_name(&c->d));
    c->state = CTX_CLOSED;
    actri_dialog_wake(&c->d);
    detach(c);
    actri_ctx_abandon(c);
}

/* Common open: Start, StartAck, then (CONTEXT) Started. */
static int
open_common(struct actr_ctx *c, const char *ns, const char *func, const actr_type *args_t,
            const void *args, const actr_any *kw, const actr_ctx_opts *opts, void *started)
{
    struct dialog *d = &c->d;
    if (opts) {
        d->allow_overruns = opts->allow_overruns;
        if (opts->queue_size)
            d->qmax = opts->queue_size;
        d->ovf_max = opts->overflow_max;
        if (opts->window)
            actri_flow_window(d, opts->window);
    }
    int rc = actri_ctx_start(c, ns, func, args_t, args, kw);
    if (rc == 0)
        rc = actri_ctx_wait_ack(c);
    while (rc == 0 && d->kind == ACTR_ENDPOINT_CONTEXT) {
        if (c->got_started) {
            /* An error that came after Started is raised at the next
             * operation, as the stream values before it are delivered. */
            rc = actri_dialog_decode(d, c->t_started, &c->started.u.started.pld, started,
                                     "started value");
            break;
        } else if (d->has_error) {
            rc = actri_ctx_raise(c);
        } else if (c->has_return) {
            rc = actr_error_set(ACTR_EPROTO, "%s returned before started()",
                                actri_dialog_name(d));
        } else if (d->dead) {
            rc = actri_ctx_closed(c, "before %s started");
        } else {
            rc = actri_dialog_wait(d);
        }
    }
    if (rc == 0) {
        c->state = CTX_STARTED;
        if (actri_task_on_exit(&c->exit_hook, exit_hook) == 0)
            c->hooked = 1;
    }
    return rc;
}

/* A new context on p for kind/wire_name, or an error. */
static int
ctx_for(actr_portal *p, actr_endpoint_kind kind, const char *wire_name, int owned,
        struct actr_ctx **out)
{
    if (!p || !p->link)
        return actr_error_set(ACTR_EINVAL, "no portal");
    if (!actri_task_self())
        return actr_error_set(ACTR_ESTATE, "not called from a task");
    actr_actor *a = p->link->a;
    if (a && strcmp(p->link->peer.uuid, a->uid.uuid) == 0)
        return actr_error_set(ACTR_EINVAL, "%s: cannot open a %s into this actor itself"
                              " (%s): call the function directly", wire_name,
                              actri_kind_name(kind), a->uid.name);
    struct actr_ctx *c = actri_ctx_new(p->link, kind, wire_name, owned);
    if (!c)
        return actr_error_set(ACTR_ENOMEM, "out of memory for a context");
    *out = c;
    return 0;
}

/* Finishes an open: c handed out, or abandoned (the remote task, if any,
 * is cancelled) and the error returned. */
static int
open_done(struct actr_ctx *c, int rc, actr_ctx **out)
{
    if (rc < 0) {
        actri_ctx_abandon(c);
        return rc;
    }
    *out = c;
    return 0;
}

static int
open_ep(actr_portal *p, const actr_endpoint *ep, actr_endpoint_kind kind, const void *args,
        const actr_ctx_opts *opts, actr_ctx **out, void *started)
{
    if (!ep || !out)
        return actr_error_set(ACTR_EINVAL, "no endpoint or out parameter");
    if (ep->kind != kind)
        return actr_error_set(ACTR_EINVAL, "%s is not a %s endpoint", ep->wire_name,
                              actri_kind_name(kind));
    char ns[256];
    const char *func;
    int rc = actri_split_name(ep->wire_name, ns, sizeof ns, &func);
    struct actr_ctx *c = NULL;
    if (rc < 0 || (rc = ctx_for(p, kind, ep->wire_name, 0, &c)) < 0)
        return rc;
    c->d.t_send = kind == ACTR_ENDPOINT_CONTEXT ? ep->stream_in : NULL;
    c->d.t_recv = kind == ACTR_ENDPOINT_CONTEXT ? ep->stream_out : ep->yield;
    c->t_started = ep->started;
    c->t_result = ep->result;
    actri_flow_window(&c->d, ep->window);          /* the IDL's default, S27 */
    rc = open_common(c, ns, ep->func, ep->args, args, NULL, opts, started);
    return open_done(c, rc, out);
}

static int
open_raw(actr_portal *p, const char *fn, actr_endpoint_kind kind, const actr_any *kw,
         const actr_ctx_opts *opts, actr_ctx **out, actr_any *started)
{
    if (!out)
        return actr_error_set(ACTR_EINVAL, "no out parameter");
    char ns[256];
    const char *func;
    int rc = actri_split_name(fn, ns, sizeof ns, &func);
    struct actr_ctx *c = NULL;
    if (rc < 0 || (rc = ctx_for(p, kind, fn, 1, &c)) < 0)
        return rc;
    c->raw = 1;
    c->d.t_send = kind == ACTR_ENDPOINT_CONTEXT ? &actr_type_any : NULL;
    c->d.t_recv = c->t_started = c->t_result = &actr_type_any;
    rc = open_common(c, ns, func, NULL, NULL, kw, opts, started);
    return open_done(c, rc, out);
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
actr_stream_open_opts(actr_portal *p, const actr_endpoint *ep, const void *args,
                      const actr_ctx_opts *opts, actr_ctx **out)
{
    return open_ep(p, ep, ACTR_ENDPOINT_GEN, args, opts, out, NULL);
}

int
actr_stream_open_raw(actr_portal *p, const char *fn, const actr_any *kwargs, actr_ctx **out)
{
    return open_raw(p, fn, ACTR_ENDPOINT_GEN, kwargs, NULL, out, NULL);
}

int
actr_stream_open_raw_opts(actr_portal *p, const char *fn, const actr_any *kwargs,
                          const actr_ctx_opts *opts, actr_ctx **out)
{
    return open_raw(p, fn, ACTR_ENDPOINT_GEN, kwargs, opts, out, NULL);
}

/* ------------------------------------------------------------ the stream */

static int
send_locked(actr_ctx *c, const void *v)
{
    struct dialog *d = &c->d;
    if (c->state == CTX_CLOSED)
        return misuse(c, "send", "the context was closed");
    if (d->kind != ACTR_ENDPOINT_CONTEXT)
        return misuse(c, "send", "a generator's caller only receives");
    if (d->we_stopped)
        return misuse(c, "send", "send after done()");
    /* Every send is a checkpoint: a task sending in a loop lets the
     * actor's other tasks run between any two sends, window or not. */
    int rc = actr_checkpoint();
    if (rc < 0)
        return rc;
    do {
        if (c->state == CTX_CLOSED)
            return misuse(c, "send", "the context was closed");
        if (d->has_error)
            return actri_ctx_raise(c);
        if (c->has_return)
            return actr_error_set(ACTR_EPIPE, "%s already returned", actri_dialog_name(d));
        if ((rc = actri_dialog_check_eoc(d)) < 0 || (rc = actri_dialog_check_link(d)) < 0)
            return rc;
    } while ((rc = actri_flow_acquire(d)) == ACTR_EAGAIN);     /* S27 */
    if (rc < 0)
        return rc;
    if (c->state == CTX_STARTED)
        c->state = CTX_STREAMING;
    return actri_dialog_send_value(d, v);
}

int
actr_ctx_send(actr_ctx *c, const void *v)
{
    if (!c)
        return actr_error_set(ACTR_EINVAL, "no context");
    actri_dialog_ref(&c->d);
    int rc = send_locked(c, v);
    actri_dialog_unref(&c->d);
    return rc;
}

static int
recv_locked(actr_ctx *c, void *v)
{
    struct dialog *d = &c->d;
    for (;;) {
        if (c->state == CTX_CLOSED)
            return misuse(c, "recv", "the context was closed");
        if (actr_task_cancelled())
            return ACTR_ECANCELED;
        if (d->has_error)
            return actri_ctx_raise(c);
        actr_any pld;
        if (actri_dialog_pop(d, &pld)) {
            if (c->state == CTX_STARTED)
                c->state = CTX_STREAMING;
            int rc = actri_dialog_decode(d, d->t_recv, &pld, v, "stream value");
            actri_flow_settle(d);
            return rc;
        }
        if ((d->peer_stopped || c->has_return) && !actri_dialog_pending(d))
            return d->overruns && !d->allow_overruns ? actri_ctx_overrun_error(c)
                 : d->peer_stopped ? actri_dialog_eoc(d) : ACTR_EPIPE;
        if (d->dead || !d->link->ipc)
            return actri_ctx_closed(c, "during %s");
        int rc = actri_dialog_wait(d);
        if (rc < 0)
            return rc;
    }
}

int
actr_ctx_recv(actr_ctx *c, void *v)
{
    if (!c)
        return actr_error_set(ACTR_EINVAL, "no context");
    actri_dialog_ref(&c->d);
    int rc = recv_locked(c, v);
    actri_dialog_unref(&c->d);
    return rc;
}

int
actr_ctx_done(actr_ctx *c)
{
    if (!c)
        return actr_error_set(ACTR_EINVAL, "no context");
    if (c->state == CTX_CLOSED)
        return misuse(c, "done", "the context was closed");
    struct dialog *d = &c->d;
    if (d->we_stopped || d->peer_stopped || actri_ctx_finished(c))
        return 0;
    int rc = actri_dialog_check_link(d);
    return rc < 0 ? rc : actri_dialog_send_stop(d, 0);
}

/* ------------------------------------------------------------ outcome */

int
actr_ctx_result(actr_ctx *c, void *result)
{
    if (!c)
        return actr_error_set(ACTR_EINVAL, "no context");
    if (c->state == CTX_CLOSED)
        return misuse(c, "result", "the context was closed");
    if (c->d.kind == ACTR_ENDPOINT_GEN)
        return misuse(c, "result", "a generator has no result");
    actri_dialog_ref(&c->d);
    int rc = actri_ctx_result(c, result);
    if (rc != ACTR_ECANCELED && c->state != CTX_CLOSED)
        c->state = CTX_RESULT;
    actri_dialog_unref(&c->d);
    return rc;
}

int
actr_ctx_cancel(actr_ctx *c)
{
    if (!c)
        return actr_error_set(ACTR_EINVAL, "no context");
    if (c->state == CTX_CLOSED)
        return misuse(c, "cancel", "the context was closed");
    if (actri_ctx_finished(c)) {
        c->cancel_called = 1;
        return 0;
    }
    actri_dialog_ref(&c->d);
    int rc = actri_cancel_request(c, CTX_CANCEL_TIMEOUT_MS);
    actri_dialog_unref(&c->d);
    return rc;
}

int
actr_ctx_cancel_called(const actr_ctx *c)
{
    return c && c->cancel_called;
}

int
actr_ctx_cancelled_remote(const actr_ctx *c)
{
    return c && actri_ctx_cancelled_remote(c);
}

const char *
actr_ctx_cid(const actr_ctx *c)
{
    return c ? c->d.cid : NULL;
}

size_t
actr_ctx_overruns(const actr_ctx *c)
{
    return c ? c->d.overruns + actri_ovf_lost(&c->d) : 0;
}

/* The outcome close reports for a context whose result it waited for. */
static int
close_outcome(struct actr_ctx *c)
{
    struct dialog *d = &c->d;
    if (d->has_error && !c->has_return && actri_ctx_quiet(c))
        return 0;                         /* S11: what we asked for */
    int rc = actri_ctx_result(c, NULL);
    /* A StreamOverrun comes from the peer's runtime, not from the end of
     * its task: that task may still run, so stop it (tractor's
     * open_context cancels the context on any error). */
    if (rc == ACTR_EOVERRUN && !c->has_return && !d->dead && !c->cancel_called)
        actri_cancel_request(c, CTX_CANCEL_TIMEOUT_MS);
    return rc;
}

int
actr_ctx_close(actr_ctx *c)
{
    if (!c)
        return 0;
    if (c->state == CTX_CLOSED)
        return misuse(c, "close", "closed twice");
    struct dialog *d = &c->d;
    if (c->hooked) {
        actri_task_on_exit_cancel(&c->exit_hook);
        c->hooked = 0;
    }
    int rc = 0;
    if (actr_task_cancelled()) {
        rc = ACTR_ECANCELED;
    } else if (d->kind == ACTR_ENDPOINT_GEN) {
        if (!actri_ctx_finished(c) && !d->dead) {
            d->draining = 1;
            actri_cancel_request(c, CTX_CANCEL_TIMEOUT_MS);
        }
        /* An overrun of a generator closed early is the consequence of
         * not reading on: recv reports overruns to a reader, close does
         * not. */
        if (d->has_error && !actri_ctx_quiet(c) &&
            actri_wire_error_code(&d->err.u.error.boxed_type_str,
                                  &d->err.u.error.src_type_str) != ACTR_EOVERRUN)
            rc = actri_ctx_raise(c);
    } else {
        if (!d->we_stopped && !d->peer_stopped && !actri_ctx_finished(c) && !d->dead)
            actri_dialog_send_stop(d, 0);
        rc = close_outcome(c);
    }
    c->state = CTX_CLOSED;
    actri_dialog_wake(d);                 /* other tasks on it: ESTATE */
    detach(c);
    actri_ctx_abandon(c);
    return rc;
}

int
actr_ctx_attach(actr_ctx *c, void *ext, void (*release)(void *ext))
{
    if (!c || !ext)
        return actr_error_set(ACTR_EINVAL, "actr_ctx_attach: no context or data");
    if (c->state == CTX_CLOSED)
        return misuse(c, "attach", "the context was closed");
    if (c->ext)
        return misuse(c, "attach", "something is attached already");
    c->ext = ext;
    c->ext_release = release;
    return 0;
}

const actr_type *
actr_ctx_recv_type(const actr_ctx *c)
{
    return c ? c->d.t_recv : NULL;
}

void *
actr_ctx_attached(const actr_ctx *c)
{
    return c ? c->ext : NULL;
}

int
actr_ctx_stream_over(const actr_ctx *c)
{
    if (!c || c->state == CTX_CLOSED)
        return 1;
    const struct dialog *d = &c->d;
    if (actri_dialog_pending(d))
        return 0;
    return d->has_error || d->peer_stopped || c->has_return || d->dead || !d->link->ipc;
}
