/* The callee side: a Start request becomes a task that runs the
 * endpoint's trampoline and answers StartAck, then Return / Stop / Error
 * (tractor's _invoke); the actr_call_* helpers the trampoline uses; and
 * the runtime's own `self` namespace (cancel requests, S11-S13). */
#define _GNU_SOURCE
#include "actor/actor.h"
#include "actor/hooks.h"

#include <execinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actr_self.actor.h"

static void
call_free(struct actr_call *call)
{
    actr_msg_free(&call->start);
    free(call->fail_type);
    free(call->fail_msg);
    free(call->fail_bt);
    free(call);
}

/* Sends m even while the task is being cancelled: the final answer of a
 * dialog must go out (bounded, so a peer that does not read cannot hold
 * the task). */
static int
send_final(struct link *l, const actr_msg *m)
{
    actr_scope sh;
    if (actr_scope_enter(&sh, actr_deadline_in(2000), ACTR_SCOPE_SHIELD) < 0)
        return ACTR_ESTATE;
    int rc = actri_link_send(l, m, 0);
    actr_scope_exit(&sh);
    return rc;
}

static char *
traceback(const actr_actor *a, const struct actr_ctx *c, const char *bt, const char *type,
          const char *text)
{
    char *s = NULL;
    if (asprintf(&s, "Traceback (actr, most recent call last):\n"
                     "  actor '%s' uid %s.%s pid %d\n"
                     "  endpoint '%s' cid %s task '%s'\n"
                     "%s%s"
                     "%s: %s",
                 a->uid.name, a->uid.name, a->uid.uuid, a->pid,
                 c->wire_name ? c->wire_name : "?", c->cid, actr_task_name(),
                 bt ? "C backtrace:\n" : "", bt ? bt : "", type, text) < 0)
        return NULL;
    return s;
}

/* Splits "name.uuid" (uuid = the last 36 characters). */
static int
split_uid_text(const char *t, struct uidbuf *out)
{
    size_t n = t ? strlen(t) : 0;
    if (n < UUID_LEN + 2 || t[n - UUID_LEN - 1] != '.')
        return -1;
    return actri_uid_set(out, t, n - UUID_LEN - 1, t + n - UUID_LEN, UUID_LEN);
}

/* The Error answering a failed invoke (rc < 0, not a cancellation). */
static void
report_failure(struct actr_call *call, int rc)
{
    struct actr_ctx *c = call->c;
    actr_actor *a = c->link->a;
    const actr_error *d = actr_last_error();
    struct errbox b = {0};
    struct uidbuf src = {0};
    char *tb = NULL, *text = NULL;
    if (call->fail_type) {
        b.boxed_type = b.src_type = call->fail_type;
        tb = traceback(a, c, call->fail_bt, call->fail_type, call->fail_msg ? call->fail_msg : "");
    } else if (d->code == rc && d->src_uid && d->type_name &&
               split_uid_text(d->src_uid, &src) == 0) {
        /* A remote error we got: relay it, keeping its source (S3). */
        b.boxed_type = "RemoteActorError";
        b.src_type = d->type_name;
        b.src_name = src.name;
        b.src_uuid = src.uuid;
        if (asprintf(&tb, "%s\n  relayed by actor '%s' uid %s.%s endpoint '%s' cid %s",
                     d->traceback ? d->traceback : "", a->uid.name, a->uid.name, a->uid.uuid,
                     c->wire_name, c->cid) < 0)
            tb = NULL;
    } else {
        b.boxed_type = b.src_type = "RemoteActorError";
        if (asprintf(&text, "%s (%s)", d->code == rc && d->message ? d->message : actr_strerror(rc),
                     actr_errname(rc) ? actr_errname(rc) : "?") < 0)
            text = NULL;
        tb = traceback(a, c, NULL, b.boxed_type, text ? text : actr_strerror(rc));
    }
    /* As tractor: message "" for an ordinary exception, text at the end
     * of tb_str. */
    b.message = "";
    b.tb = tb ? tb : "";
    actr_log_runtime(ACTOR_TAG, "%s (cid %s) failed: %s", c->wire_name, c->cid,
                     b.src_type);
    actri_send_error(c->link, c->cid, &b, 0);
    free(tb);
    free(text);
    actri_uid_clear(&src);
}

static void
report_cancelled(struct actr_call *call)
{
    struct actr_ctx *c = call->c;
    actr_actor *a = c->link->a;
    const struct uidbuf *by = c->canceller.name ? &c->canceller
                            : a->canceller.name ? &a->canceller : &a->uid;
    const char *how = strcmp(by->uuid, a->uid.uuid) == 0 ? "by itself"
                    : strcmp(by->uuid, c->link->peer.uuid) == 0 ? "by its 'parent'-side peer"
                    : "by a remote peer";
    char msg[512];
    snprintf(msg, sizeof msg, "Actor %s's 'child'-side task was cancelled %s (%s.%s)\n"
             "endpoint: %s\ncid: %s", a->uid.name, how, by->name, by->uuid,
             c->wire_name, c->cid);
    char *tb = traceback(a, c, NULL, "ContextCancelled", msg);
    struct errbox b = {.boxed_type = "ContextCancelled", .src_type = "ContextCancelled",
                       .message = msg, .tb = tb ? tb : "", .canceller = by};
    int rc = actri_send_error(c->link, c->cid, &b, 0);
    CANCEL_LOG(a, c->cid, "%s cancelled %s %s.%s: ContextCancelled %s %s.%s", c->wire_name,
               how, by->name, by->uuid, rc == 0 ? "sent to" : "could not reach",
               c->link->peer.name, c->link->peer.uuid);
    free(tb);
}

static void
send_startack(struct actr_call *call)
{
    actr_msg m = {.type = ACTR_MSG_STARTACK};
    m.u.startack.cid.ptr = call->c->cid;
    m.u.startack.cid.len = strlen(call->c->cid);
    m.u.startack.functype = call->ep->kind == ACTR_ENDPOINT_FN ? ACTR_FUNCTYPE_ASYNCFUNC
                          : call->ep->kind == ACTR_ENDPOINT_GEN ? ACTR_FUNCTYPE_ASYNCGEN
                          : ACTR_FUNCTYPE_CONTEXT;
    send_final(call->c->link, &m);
}

static void
send_return(struct actr_call *call, void *result)
{
    struct actr_ctx *c = call->c;
    const actr_endpoint *ep = call->ep;
    if (c->cancel_rpc) {
        actr_msg m = {.type = ACTR_MSG_CANCELACK};
        m.u.cancelack.cid.ptr = c->cid;
        m.u.cancelack.cid.len = strlen(c->cid);
        m.u.cancelack.pld = result ? *(bool *)result : true;
        int rc = send_final(c->link, &m);
        CANCEL_LOG(c->link->a, c->cid, "CancelAck for %s %s %s.%s", c->wire_name,
                   rc == 0 ? "sent to" : "could not reach", c->link->peer.name,
                   c->link->peer.uuid);
        return;
    }
    if (ep->kind == ACTR_ENDPOINT_GEN) {
        if (!c->we_stopped) {
            actr_msg m = {.type = ACTR_MSG_STOP};
            m.u.stop.cid.ptr = c->cid;
            m.u.stop.cid.len = strlen(c->cid);
            c->we_stopped = 1;
            send_final(c->link, &m);
        }
        return;
    }
    actr_scope sh;
    if (actr_scope_enter(&sh, actr_deadline_in(2000), ACTR_SCOPE_SHIELD) < 0)
        return;
    int rc = actri_link_send_pld(c->link, ACTR_MSG_RETURN, c->cid, ep->result, result);
    actr_scope_exit(&sh);
    if (rc == ACTR_EINVAL || rc == ACTR_ETOOBIG) {
        /* The result could not be encoded: the caller still gets an answer. */
        report_failure(call, rc);
    }
}

static int
rpc_task(void *arg)
{
    struct actr_call *call = arg;
    struct actr_ctx *c = call->c;
    struct link *l = c->link;
    const actr_endpoint *ep = call->ep;
    actr_task_set_name(ep->wire_name);

    actr_scope sc;
    if (actr_scope_enter(&sc, ACTR_FOREVER, c->cancel_rpc ? ACTR_SCOPE_SHIELD : 0) < 0)
        goto out;
    c->scope = &sc;
    send_startack(call);

    void *args = NULL, *result = NULL;
    int rc = 0;
    if (ep->args) {
        args = calloc(1, ep->args->size);
        if (!args) {
            rc = actr_error_set(ACTR_ENOMEM, "out of memory for the arguments");
        } else {
            actr_codec_err err;
            const actr_any *kw = &call->start.u.start.kwargs;
            rc = actr_codec_decode_buf(kw->ptr, kw->len, ep->args, args, NULL, &err);
            if (rc < 0) {
                rc = actr_call_fail(call, "MsgTypeError", "bad arguments for %s: %s",
                                    ep->wire_name, err.msg);
                free(args);
                args = NULL;
            }
        }
    }
    if (rc == 0 && ep->result && !(result = calloc(1, ep->result->size)))
        rc = actr_error_set(ACTR_ENOMEM, "out of memory for the result");
    if (rc == 0) {
        actr_log_runtime(ACTOR_TAG, "serving %s (cid %s) for %s", ep->wire_name, c->cid,
                         l->peer.name);
        actr_error_clear();
        rc = ep->invoke(call, args, result);
        if (rc == 0 && ep->kind == ACTR_ENDPOINT_CONTEXT && !call->started_sent)
            rc = actr_call_fail(call, "RuntimeError", "context endpoint %s returned"
                                " before calling started()", ep->wire_name);
    }
    int cancelled = actr_task_cancelled() || actr_scope_cancel_called(&sc);
    c->scope = NULL;
    actr_scope_exit(&sc);

    if (rc == 0)
        send_return(call, result);
    else if (rc == ACTR_ECANCELED && cancelled)
        report_cancelled(call);
    else
        report_failure(call, rc);

    if (args)
        actr_codec_free(ep->args, args);
    free(args);
    if (result && call->own_result)
        actr_codec_free(ep->result, result);
    free(result);
out:
    if (call->cancel_actor_after)
        actr_actor_cancel(l->a);
    actr_event_set(&c->done);
    actri_link_unregister(l, c);
    c->call = NULL;
    call_free(call);
    actri_ctx_unref(c);
    return 0;
}

static int
str_is(const actr_str *s, const char *z)
{
    size_t n = strlen(z);
    return s->len == n && memcmp(s->ptr, z, n) == 0;
}

void
actri_invoke_start(struct link *l, const actr_msg_start *st)
{
    actr_actor *a = l->a;
    char cid[UUID_LEN + 1 + 64];
    snprintf(cid, sizeof cid, "%.*s", (int)(st->cid.len < 100 ? st->cid.len : 100), st->cid.ptr);
    char msg[400];
    const char *why = NULL;
    const actr_endpoint *ep = NULL;
    if (st->cid.len == 0 || st->cid.len > UUID_LEN) {
        why = "MsgTypeError";
        snprintf(msg, sizeof msg, "cid '%s' is not a uuid4 string", cid);
    } else if (actri_link_find(l, st->cid.ptr, st->cid.len)) {
        why = "RuntimeError";
        snprintf(msg, sizeof msg, "cid %s is already in use on this channel", cid);
    } else {
        ep = actri_lookup(a, &st->ns, &st->func, &why, msg, sizeof msg);
    }
    if (!ep) {
        /* S5: no StartAck, an Error on the request's cid; keep serving. */
        char *tb = NULL;
        if (asprintf(&tb, "Traceback (actr):\n  actor '%s' uid %s.%s looking up '%.*s:%.*s'\n%s: %s",
                     a->uid.name, a->uid.name, a->uid.uuid, (int)st->ns.len, st->ns.ptr,
                     (int)st->func.len, st->func.ptr, why, msg) < 0)
            tb = NULL;
        struct errbox b = {.boxed_type = why, .src_type = why, .message = "",
                           .tb = tb ? tb : msg};
        actr_log_runtime(ACTOR_TAG, "%s: %s", why, msg);
        actri_send_error(l, cid, &b, 1);
        free(tb);
        return;
    }
    struct actr_ctx *c = actri_ctx_new(l, st->cid.ptr, st->cid.len);
    struct actr_call *call = calloc(1, sizeof *call);
    actr_msg tmp = {.type = ACTR_MSG_START, .u.start = *st};
    if (!c || !call || actr_msg_dup(&tmp, &call->start) < 0) {
        actr_log_error(ACTOR_TAG, "out of memory serving %s", cid);
        free(call);
        actri_ctx_unref(c);
        return;
    }
    call->c = c;
    call->ep = ep;
    c->call = call;
    c->callee = 1;
    c->kind = ep->kind;
    c->wire_name = ep->wire_name;
    c->t_recv = ep->kind == ACTR_ENDPOINT_CONTEXT ? ep->stream_in : NULL;
    c->t_send = ep->kind == ACTR_ENDPOINT_CONTEXT ? ep->stream_out
              : ep->kind == ACTR_ENDPOINT_GEN ? ep->yield : NULL;
    c->cancel_rpc = str_is(&st->ns, "self") &&
                    (str_is(&st->func, "cancel") || str_is(&st->func, "_cancel_task"));
    actr_task_opts o = {.name = ep->wire_name};
    if (actri_link_register(l, c) < 0 || actr_nursery_spawn_opts(a->svc, rpc_task, call, &o) < 0) {
        actr_log_error(ACTOR_TAG, "cannot start a task for %s (cid %s)", ep->wire_name, cid);
        actri_link_unregister(l, c);
        c->call = NULL;
        call_free(call);
        actri_ctx_unref(c);
    }
}

/* Cancels the tasks served for l (every link when l is NULL); with refs
 * in *out (caller unrefs) when out is not NULL. */
static size_t
cancel_tasks(actr_actor *a, struct link *only, const struct uidbuf *canceller,
             struct actr_ctx ***out)
{
    size_t n = 0, cap = 0;
    struct actr_ctx **v = NULL;
    for (struct link *l = a->links; l; l = l->next) {
        if (only && l != only)
            continue;
        for (size_t b = 0; b < l->nbuckets; b++)
            for (struct actr_ctx *c = l->tab[b]; c; c = c->hnext) {
                if (!c->callee || c->cancel_rpc || !c->scope)
                    continue;
                if (!c->canceller.name && canceller && canceller->name)
                    actri_uid_set(&c->canceller, canceller->name, strlen(canceller->name),
                                  canceller->uuid, strlen(canceller->uuid));
                CANCEL_LOG(a, c->cid, "cancelling %s (served for %s.%s) for %s.%s",
                           c->wire_name, l->peer.name, l->peer.uuid,
                           c->canceller.name ? c->canceller.name : "?",
                           c->canceller.uuid ? c->canceller.uuid : "?");
                actr_scope_cancel(c->scope);
                if (out) {
                    if (n == cap) {
                        size_t nc = cap ? cap * 2 : 8;
                        struct actr_ctx **nv = realloc(v, nc * sizeof *nv);
                        if (!nv)
                            continue;
                        v = nv;
                        cap = nc;
                    }
                    actri_ctx_ref(c);
                    v[n] = c;
                }
                n++;
            }
    }
    if (out)
        *out = v;
    return n;
}

size_t
actri_invoke_cancel_all(actr_actor *a, struct link *l, const struct uidbuf *canceller)
{
    return cancel_tasks(a, l, canceller, NULL);
}

/* ------------------------------------------------------------ self ns */

static void
requester(struct actr_call *call, struct uidbuf *out)
{
    const actr_uid *u = &call->start.u.start.uid;
    actri_uid_set(out, u->name.ptr, u->name.len, u->uuid.ptr, u->uuid.len);
}

/* `self:cancel` (gen/actr_self.actor.h declares it; its trampoline calls it). */
int
actr_self_cancel_impl(actr_call *call, bool *out)
{
    actr_actor *a = call->c->link->a;
    struct uidbuf req = {0};
    requester(call, &req);
    if (!a->canceller.name && req.name)
        actri_uid_set(&a->canceller, req.name, strlen(req.name), req.uuid, strlen(req.uuid));
    CANCEL_LOG(a, call->c->cid, "self:cancel requested by %s.%s", req.name ? req.name : "?",
               req.uuid ? req.uuid : "?");
    /* Every task first (each answers ContextCancelled naming the
     * requester), then the CancelAck, then the actor goes (capture 6). */
    struct actr_ctx **v = NULL;
    size_t n = cancel_tasks(a, NULL, &req, &v);
    int64_t until = actr_deadline_in(CANCEL_WAIT_TASKS_MS);
    for (size_t i = 0; i < n; i++) {
        if (v && v[i]) {
            actr_event_wait(&v[i]->done, until);
            actri_ctx_unref(v[i]);
        }
    }
    free(v);
    actri_uid_clear(&req);
    *out = true;
    call->cancel_actor_after = 1;
    return 0;
}

/* `self:_cancel_task` (gen/actr_self.actor.h declares it). */
int
actr_self_cancel_task_impl(actr_call *call, actr_str cid, bool *out)
{
    struct link *l = call->c->link;
    struct actr_ctx *t = actri_link_find(l, cid.ptr, cid.len);
    *out = true;      /* unknown or finished: still acked, as tractor */
    if (!t || !t->callee || t->cancel_rpc || !t->scope) {
        /* S13: only the channel that started a task may cancel it; an
         * unknown or finished one is acked anyway (tractor). */
        CANCEL_LOG(l->a, call->c->cid, "_cancel_task from %s.%s: no task of this channel"
                   " runs dialog %.*s", l->peer.name, l->peer.uuid, (int)cid.len,
                   cid.ptr ? cid.ptr : "");
        return 0;
    }
    if (!t->canceller.name)
        requester(call, &t->canceller);
    CANCEL_LOG(l->a, t->cid, "_cancel_task %s requested by %s.%s (request cid %s)",
               t->wire_name, t->canceller.name, t->canceller.uuid, call->c->cid);
    actri_ctx_ref(t);
    actr_scope_cancel(t->scope);
    if (actr_event_wait(&t->done, actr_deadline_in(CANCEL_WAIT_TASKS_MS)) < 0)
        CANCEL_LOG(l->a, t->cid, "%s still runs %d ms after its cancel: acking anyway",
                   t->wire_name, CANCEL_WAIT_TASKS_MS);
    actri_ctx_unref(t);
    return 0;
}

/* ------------------------------------------------------------ actr_call_* */

int
actr_call_started(actr_call *call, const void *v)
{
    struct actr_ctx *c = call->c;
    if (call->ep->kind != ACTR_ENDPOINT_CONTEXT)
        return actr_error_set(ACTR_ESTATE, "%s is not a context endpoint: no started()",
                              call->ep->wire_name);
    if (call->started_sent)
        return actr_error_set(ACTR_ESTATE, "%s: started() called twice", call->ep->wire_name);
    int rc = actri_link_send_pld(c->link, ACTR_MSG_STARTED, c->cid, call->ep->started, v);
    if (rc == 0)
        call->started_sent = 1;
    return rc;
}

static int
pending_error(struct actr_ctx *c)
{
    if (c->has_error)
        return actri_ctx_raise(c);
    if (c->dead || !c->link->ipc)
        return actr_error_set(ACTR_ECLOSED, "channel to %s is closed", c->link->peer.name);
    return 0;
}

int
actr_call_send(actr_call *call, const void *v)
{
    struct actr_ctx *c = call->c;
    if (call->ep->kind == ACTR_ENDPOINT_FN)
        return actr_error_set(ACTR_ESTATE, "%s is a function: it has no stream",
                              call->ep->wire_name);
    if (call->ep->kind == ACTR_ENDPOINT_CONTEXT && !call->started_sent)
        return actr_error_set(ACTR_ESTATE, "%s: send before started()", call->ep->wire_name);
    if (c->we_stopped)
        return actr_error_set(ACTR_ESTATE, "%s: send after done()", call->ep->wire_name);
    int rc = actr_checkpoint();
    if (rc < 0)
        return rc;
    if ((rc = pending_error(c)) < 0)
        return rc;
    return actri_link_send_pld(c->link, ACTR_MSG_YIELD, c->cid, c->t_send, v);
}

int
actr_call_recv(actr_call *call, void *v)
{
    struct actr_ctx *c = call->c;
    if (call->ep->kind != ACTR_ENDPOINT_CONTEXT || !call->started_sent)
        return actr_error_set(ACTR_ESTATE, "%s: recv needs a context after started()",
                              call->ep->wire_name);
    for (;;) {
        if (actr_task_cancelled())
            return ACTR_ECANCELED;
        if (c->has_error)
            return actri_ctx_raise(c);
        actr_any pld;
        if (actri_ctx_pop(c, &pld))
            return actri_pld_decode(c, c->t_recv, &pld, v, "stream value");
        if (c->peer_stopped)
            return ACTR_EPIPE;
        if (c->dead || !c->link->ipc)
            return actr_error_set(ACTR_ECLOSED, "channel to %s is closed", c->link->peer.name);
        int rc = actri_ctx_wait(c);
        if (rc < 0)
            return rc;
    }
}

int
actr_call_done(actr_call *call)
{
    struct actr_ctx *c = call->c;
    if (c->we_stopped || c->peer_stopped)
        return 0;
    actr_msg m = {.type = ACTR_MSG_STOP};
    m.u.stop.cid.ptr = c->cid;
    m.u.stop.cid.len = strlen(c->cid);
    c->we_stopped = 1;
    return send_final(c->link, &m);
}

int
actr_call_fail(actr_call *call, const char *type_name, const char *fmt, ...)
{
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (fmt && vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    free(call->fail_type);
    free(call->fail_msg);
    free(call->fail_bt);
    call->fail_type = strdup(type_name ? type_name : "RemoteActorError");
    call->fail_msg = msg;
    call->fail_bt = NULL;
    void *frames[32];
    int n = backtrace(frames, 32);
    char **sym = n > 0 ? backtrace_symbols(frames, n) : NULL;
    if (sym) {
        size_t len = 0;
        for (int i = 0; i < n; i++)
            len += strlen(sym[i]) + 8;
        char *bt = malloc(len + 1);
        if (bt) {
            size_t off = 0;
            for (int i = 0; i < n; i++)
                off += (size_t)snprintf(bt + off, len + 1 - off, "  #%d %s\n", i, sym[i]);
            call->fail_bt = bt;
        }
        free(sym);
    }
    actr_error_set(ACTR_EREMOTE, "%s: %s", call->fail_type ? call->fail_type : "?",
                   msg ? msg : "");
    return ACTR_EREMOTE;
}

void
actr_call_own_result(actr_call *call)
{
    call->own_result = 1;
}

const actr_endpoint *
actr_call_endpoint(const actr_call *call)
{
    return call->ep;
}

const actr_any *
actr_call_kwargs(const actr_call *call)
{
    return &call->start.u.start.kwargs;
}

const char *
actr_call_peer_name(const actr_call *call)
{
    return call->c->link->peer.name;
}

const char *
actr_call_peer_uuid(const actr_call *call)
{
    return call->c->link->peer.uuid;
}

struct link *
actri_call_link(const actr_call *call)
{
    return call->c->link;
}
