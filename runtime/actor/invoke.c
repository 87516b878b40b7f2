/* The callee end (actor/callee.h): a Start request becomes a task that
 * runs the endpoint's trampoline and answers exactly once (tractor's
 * _invoke): StartAck, then Return / Stop / CancelAck, or one Error; and
 * the actr_call_* helpers the trampoline uses. */
#define _GNU_SOURCE
#include "actor/callee.h"
#include "actor/cancel.h"
#include "actor/debug.h"
#include "actor/hooks.h"
#include "actor/link.h"
#include "ipc/channel.h"
#include "wire/errors.h"
#include "core/backtrace.h"
#include "wire/mp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
str_is(const actr_str *s, const char *z)
{
    size_t n = strlen(z);
    return s->len == n && memcmp(s->ptr, z, n) == 0;
}

static void
callee_deliver(struct dialog *d, const actr_msg *m)
{
    actr_log_warning(ACTOR_TAG, "dialog %s (%s): unexpected %s from %s dropped", d->cid,
                     actri_dialog_name(d), actr_msg_type_name(m->type), d->link->peer.name);
}

static void
callee_destroy(struct dialog *d)
{
    struct actr_call *call = (struct actr_call *)d;
    actr_msg_free(&call->start);
    actri_uid_clear(&call->canceller);
    free(call->canceller_text);
    free(call->fail_type);
    free(call->fail_msg);
    free(call->fail_bt);
    free(call);
}

static const struct dialog_ops callee_ops = {callee_deliver, callee_destroy};

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

char *
actri_call_traceback(const struct actr_call *call, const char *bt, const char *type,
                     const char *text)
{
    const struct dialog *d = &call->d;
    const actr_actor *a = d->link->a;
    char *s = NULL;
    if (asprintf(&s, "Traceback (actr, most recent call last):\n"
                     "  actor '%s' uid %s.%s pid %d\n"
                     "  endpoint '%s' cid %s task '%s'\n"
                     "%s%s"
                     "%s: %s",
                 a->uid.name, a->uid.name, a->uid.uuid, a->pid, actri_dialog_name(d), d->cid,
                 actr_task_name(), bt ? "C backtrace:\n" : "", bt ? bt : "", type, text) < 0)
        return NULL;
    return s;
}

/* ------------------------------------------------------------ answers */

/* The traceback of one error this task relays or reports: a remote one
 * keeps its own text, after a line saying who relayed it (so the text
 * still ends with the source's "Type: message"); a local one gets ours. */
static char *
traceback_of(struct actr_call *call, const actr_error *e, const actri_errbox *b)
{
    const actr_actor *a = call->d.link->a;
    char *tb = NULL;
    if (b->src_uid) {
        if (asprintf(&tb, "Relayed by actor '%s' uid %s.%s endpoint '%s' cid %s:\n%s",
                     a->uid.name, a->uid.name, a->uid.uuid, actri_dialog_name(&call->d),
                     call->d.cid, e->traceback ? e->traceback : "") < 0)
            tb = NULL;
        return tb;
    }
    const char *name = actr_errname(e->code);
    char *text = NULL;
    if (asprintf(&text, "%s (%s)", e->message ? e->message : actr_strerror(e->code),
                 name ? name : "?") < 0)
        text = NULL;
    tb = actri_call_traceback(call, NULL, b->boxed_type, text ? text : "");
    free(text);
    return tb;
}

/* Sends the Error answering call with errors v[0..n) (one error, or an
 * error group): each keeps its identity (wire/errors.h). */
static void
send_errors(struct actr_call *call, const actr_error *v, size_t n)
{
    struct dialog *d = &call->d;
    actr_actor *a = d->link->a;
    actri_errbox *boxes = calloc(n, sizeof *boxes);
    char **tbs = calloc(n, sizeof *tbs);
    if (!boxes || !tbs) {
        free(boxes);
        free(tbs);
        actr_log_error(ACTOR_TAG, "%s (cid %s): out of memory for its error",
                       actri_dialog_name(d), d->cid);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        actri_errbox_of(&boxes[i], &v[i], a->uid.uuid);
        if (!boxes[i].src_uid && !v[i].type_name)
            boxes[i].boxed_type = boxes[i].src_type = "RemoteActorError";
        boxes[i].tb = tbs[i] = traceback_of(call, &v[i], &boxes[i]);
    }
    actri_errmsg e;
    actr_uid self = actri_self_uid(a);
    if (actri_errmsg_build(&e, &self, d->cid, &boxes[0], boxes, n) == 0) {
        /* A tractor peer gets the group as tractor sends one: its text
         * only (the members are actr's extension "_actr_group"). */
        if (!d->link->actr)
            e.msg.u.error.actr_group = (actr_any){NULL, 0};
        actr_log_runtime(ACTOR_TAG, "%s (cid %s) failed: %s%s", actri_dialog_name(d), d->cid,
                         n > 1 ? "error group, first " : "", boxes[0].src_type);
        send_final(d->link, &e.msg);
    }
    actri_errmsg_free(&e);
    for (size_t i = 0; i < n; i++)
        free(tbs[i]);
    free(tbs);
    free(boxes);
}

/* The Error answering a failed invoke (rc < 0, not a cancellation). */
static void
answer_failure(struct actr_call *call, int rc)
{
    if (call->fail_type) {
        /* What the implementation named with actr_call_fail. */
        char *tb = actri_call_traceback(call, call->fail_bt, call->fail_type,
                                        call->fail_msg ? call->fail_msg : "");
        actri_errbox b = {.boxed_type = call->fail_type, .message = "", .tb = tb};
        actri_errmsg e;
        actr_uid self = actri_self_uid(call->d.link->a);
        if (actri_errmsg_build(&e, &self, call->d.cid, &b, NULL, 0) == 0)
            send_final(call->d.link, &e.msg);
        actri_errmsg_free(&e);
        free(tb);
        return;
    }
    const actr_error *d = actr_last_error();
    if (d->code != rc) {
        /* The detail is not this failure's: a cleanup after it was
         * cancelled (ACTR_ECANCELED replaced it), or nothing recorded. */
        const actr_error *m = actri_error_masked();
        d = m && m->code == rc ? m : NULL;
    }
    if (d) {
        send_errors(call, d->count > 1 ? d->list : d, d->count > 1 ? d->count : 1);
        return;
    }
    actr_error plain = {.code = rc, .message = actr_strerror(rc)};
    send_errors(call, &plain, 1);
}

static void
send_startack(struct actr_call *call)
{
    actr_msg m = {.type = ACTR_MSG_STARTACK};
    m.u.startack.cid.ptr = call->d.cid;
    m.u.startack.cid.len = strlen(call->d.cid);
    m.u.startack.functype = call->ep->kind == ACTR_ENDPOINT_FN ? ACTR_FUNCTYPE_ASYNCFUNC
                          : call->ep->kind == ACTR_ENDPOINT_GEN ? ACTR_FUNCTYPE_ASYNCGEN
                          : ACTR_FUNCTYPE_CONTEXT;
    /* S27: only in answer to a Start that announced flow control. */
    m.u.startack.has_window = call->d.fc;
    m.u.startack.window = call->d.recv_window;
    send_final(call->d.link, &m);
}

static void
answer_return(struct actr_call *call, void *result)
{
    struct dialog *d = &call->d;
    const actr_endpoint *ep = call->ep;
    if (call->cancel_rpc) {
        actr_msg m = {.type = ACTR_MSG_CANCELACK};
        m.u.cancelack.cid.ptr = d->cid;
        m.u.cancelack.cid.len = strlen(d->cid);
        m.u.cancelack.pld = result ? *(bool *)result : true;
        int rc = send_final(d->link, &m);
        CANCEL_LOG(d->link->a, d->cid, "CancelAck for %s %s %s.%s", actri_dialog_name(d),
                   rc == 0 ? "sent to" : "could not reach", d->link->peer.name,
                   d->link->peer.uuid);
        return;
    }
    if (ep->kind == ACTR_ENDPOINT_GEN) {
        actri_dialog_send_stop(d, 1);
        return;
    }
    /* A context callee that streamed and returns while the stream is
     * open both ways closes its side first, as tractor's child does when
     * it leaves open_stream: Stop, then Return. A tractor opener whose
     * stream sees Return with no Stop takes its payload for one more value
     * and then waits for ever for the end of the stream. */
    if (ep->kind == ACTR_ENDPOINT_CONTEXT && d->sent_values && !d->peer_stopped)
        actri_dialog_send_stop(d, 1);
    actr_scope sh;
    if (actr_scope_enter(&sh, actr_deadline_in(2000), ACTR_SCOPE_SHIELD) < 0)
        return;
    int rc = actri_link_send_pld(d->link, ACTR_MSG_RETURN, d->cid, ep->result, result);
    actr_scope_exit(&sh);
    if (rc == ACTR_EINVAL || rc == ACTR_ETOOBIG) {
        /* The result could not be encoded: the caller still gets an answer. */
        answer_failure(call, rc);
    }
}

/* ------------------------------------------------------------ the task */

/* The first key of the kwargs map that names no argument of ep, or 0 when
 * all do: a Python callee raises TypeError for an unexpected keyword
 * argument, and so do we (fields unknown inside struct values are still
 * ignored, for forward compatibility). */
static int
unknown_kwarg(const actr_type *args, const actr_any *kw, actr_str *key)
{
    const uint8_t *p = kw->ptr, *end = p + kw->len;
    struct mp_val v;
    int h = kw->len ? mp_head(p, end, &v) : -1;
    if (h < 0 || v.kind != MP_MAP)
        return 0;                         /* the codec reports what is wrong */
    p += h;
    for (uint32_t i = 0; i < v.n; i++) {
        struct mp_val k;
        if ((h = mp_head(p, end, &k)) < 0 || k.kind != MP_STR)
            return 0;
        p += h;
        size_t f = 0;
        while (f < args->count && !(strlen(args->fields[f].name) == k.n &&
                                    memcmp(args->fields[f].name, k.v.data, k.n) == 0))
            f++;
        if (f == args->count) {
            key->ptr = (char *)k.v.data;
            key->len = k.n;
            return 1;
        }
        if (actri_mp_skip(&p, end) < 0)
            return 0;
    }
    return 0;
}

/* Decodes the Start's kwargs into a fresh args value of ep (*out; NULL
 * when ep takes none). 0, or the failure recorded with actr_call_fail. */
static int
decode_args(struct actr_call *call, void **out)
{
    const actr_endpoint *ep = call->ep;
    *out = NULL;
    if (!ep->args)
        return 0;
    const actr_any *kw = &call->start.u.start.kwargs;
    actr_str key;
    if (ep->args->kind == ACTR_KIND_STRUCT && !(ep->args->flags & ACTR_TYPE_ARRAY) &&
        unknown_kwarg(ep->args, kw, &key))
        return actr_call_fail(call, "TypeError", "%s() got an unexpected keyword argument"
                              " '%.*s'", ep->func, (int)(key.len > 64 ? 64 : key.len),
                              key.ptr);
    void *args = calloc(1, ep->args->size);
    if (!args)
        return actr_error_set(ACTR_ENOMEM, "out of memory for the arguments");
    actr_codec_err err;
    int rc = actr_codec_decode_buf(kw->ptr, kw->len, ep->args, args, NULL, &err);
    if (rc < 0) {
        free(args);
        return actr_call_fail(call, "MsgTypeError", "bad arguments for %s: %s", ep->wire_name,
                              err.msg);
    }
    *out = args;
    return 0;
}

/* The task counts of S28's caps. */
static void
uncount(struct actr_call *call)
{
    if (!call->counted)
        return;
    call->counted = 0;
    call->d.link->a->ntasks--;
    call->d.link->ntasks--;
}

static int
rpc_task(void *arg)
{
    struct actr_call *call = arg;
    struct dialog *d = &call->d;
    struct link *l = d->link;
    const actr_endpoint *ep = call->ep;
    actr_task_set_name(ep->wire_name);
    void **slot = actri_task_slot();
    if (slot)
        *slot = call;

    actr_scope sc;
    if (actr_scope_enter(&sc, ACTR_FOREVER, call->cancel_rpc ? ACTR_SCOPE_SHIELD : 0) < 0)
        goto out;
    call->scope = &sc;
    send_startack(call);

    void *args = NULL, *result = NULL;
    int rc = decode_args(call, &args);
    if (rc == 0 && ep->result && !(result = calloc(1, ep->result->size)))
        rc = actr_error_set(ACTR_ENOMEM, "out of memory for the result");
    if (rc == 0) {
        actr_log_runtime(ACTOR_TAG, "serving %s (cid %s) for %s", ep->wire_name, d->cid,
                         l->peer.name);
        actr_error_clear();
        rc = ep->invoke(call, args, result);
        if (rc == 0 && ep->kind == ACTR_ENDPOINT_CONTEXT && !call->started_sent)
            rc = actr_call_fail(call, "RuntimeError", "context endpoint %s returned"
                                " before calling started()", ep->wire_name);
    }
    int cancelled = actr_task_cancelled() || actr_scope_cancel_called(&sc);
    if (rc < 0 && !(rc == ACTR_ECANCELED && cancelled))
        actri_debug_call_failed(call, rc, 0);   /* S25: stops here (once per call) */
    call->scope = NULL;
    actr_scope_exit(&sc);

    /* A failure the implementation named (actr_call_fail) is its answer
     * even when a cancellation came during its cleanup: the cleanup must
     * not mask it (tractor's maybe_raise_from_masking_exc). */
    if (rc == 0)
        answer_return(call, result);
    else if (rc == ACTR_ECANCELED && cancelled && !call->fail_type)
        actri_cancel_answer(call);
    else
        answer_failure(call, rc);

    if (args)
        actr_codec_free(ep->args, args);
    free(args);
    if (result && call->own_result)
        actr_codec_free(ep->result, result);
    free(result);
out:
    if (slot)
        *slot = NULL;
    uncount(call);
    if (call->cancel_actor_after)
        actr_actor_cancel(l->a);
    actr_event_set(&call->done);
    actri_link_unregister(l, d);
    actri_dialog_unref(d);
    return 0;
}

/* Answers a Start that gets no task with Error{why: msg} on its cid and
 * no StartAck (S5, S28: every Start gets an answer, at once). */
static void
refuse_start(struct link *l, const actr_msg_start *st, const char *cid, const char *why,
             const char *msg)
{
    actr_actor *a = l->a;
    char *tb = NULL;
    if (asprintf(&tb, "Traceback (actr):\n  actor '%s' uid %s.%s starting '%.*s:%.*s'\n%s: %s",
                 a->uid.name, a->uid.name, a->uid.uuid, (int)(st->ns.len > 100 ? 100 : st->ns.len),
                 st->ns.ptr, (int)(st->func.len > 100 ? 100 : st->func.len), st->func.ptr, why,
                 msg) < 0)
        tb = NULL;
    actri_errbox b = {.boxed_type = why, .message = "", .tb = tb ? tb : msg};
    actri_errmsg e;
    actr_uid self = actri_self_uid(a);
    actr_log_runtime(ACTOR_TAG, "%s: %s", why, msg);
    if (actri_errmsg_build(&e, &self, cid, &b, NULL, 0) == 0)
        actri_link_send(l, &e.msg, 1);
    actri_errmsg_free(&e);
    free(tb);
}

static int
uid_is(const actr_uid *u, const struct uidbuf *b)
{
    return u->name.len == strlen(b->name) && memcmp(u->name.ptr, b->name, u->name.len) == 0 &&
           u->uuid.len == strlen(b->uuid) && memcmp(u->uuid.ptr, b->uuid, u->uuid.len) == 0;
}

/* A flood of refusals must not flood the log: one warning per
 * BUSY_LOG_EVERY_MS with the count of the others. */
#define BUSY_LOG_EVERY_MS 10000
static void
log_busy(const char *msg)
{
    static int64_t last;
    static unsigned quiet;
    int64_t now = actr_now();
    if (last && now - last < BUSY_LOG_EVERY_MS) {
        quiet++;
        return;
    }
    last = now;
    if (quiet)
        actr_log_warning(ACTOR_TAG, "refusing calls: %s (%u more refused since the last"
                         " report)", msg, quiet);
    else
        actr_log_warning(ACTOR_TAG, "refusing calls: %s", msg);
    quiet = 0;
}

void
actri_invoke_start(struct link *l, const actr_msg_start *st)
{
    actr_actor *a = l->a;
    char cid[UUID_LEN + 1 + 64];
    size_t cidn = st->cid.len < sizeof cid - 1 ? st->cid.len : sizeof cid - 1;
    memcpy(cid, st->cid.ptr, cidn);         /* once per call: no printf */
    cid[cidn] = 0;
    char msg[400];
    const char *why = NULL;
    const actr_endpoint *ep = NULL;
    uint32_t hash = 0;
    int cancel_rpc = str_is(&st->ns, "self") &&
                     (str_is(&st->func, "cancel") || str_is(&st->func, "_cancel_task"));
    if (st->cid.len == 0 || st->cid.len > UUID_LEN) {
        why = "MsgTypeError";
        snprintf(msg, sizeof msg, "cid '%s' is not a uuid4 string", cid);
    } else if (actri_link_lookup(l, st->cid.ptr, st->cid.len, &hash)) {
        /* The live dialog on that cid goes on undisturbed. */
        why = "RuntimeError";
        snprintf(msg, sizeof msg, "cid %s is already in use on this channel", cid);
    } else if (!uid_is(&st->uid, &l->peer)) {
        /* S28: a peer speaks for itself only. */
        why = "PermissionError";
        snprintf(msg, sizeof msg, "Start.uid %.*s.%.*s is not the channel's uid %s.%s",
                 (int)(st->uid.name.len > 64 ? 64 : st->uid.name.len), st->uid.name.ptr,
                 (int)(st->uid.uuid.len > 64 ? 64 : st->uid.uuid.len), st->uid.uuid.ptr,
                 l->peer.name, l->peer.uuid);
    } else if (!cancel_rpc && a->ntasks >= a->lim.max_tasks) {
        /* S28: the caller learns it at once; cancel requests still run. */
        why = "RuntimeError";
        snprintf(msg, sizeof msg, "actor busy: %zu tasks", a->ntasks);
        log_busy(msg);
    } else if (!cancel_rpc && l->ntasks >= a->lim.max_conn_tasks) {
        why = "RuntimeError";
        snprintf(msg, sizeof msg, "channel busy: %zu tasks started by %s", l->ntasks,
                 l->peer.name);
        log_busy(msg);
    } else {
        ep = actri_lookup(a, &st->ns, &st->func, &why, msg, sizeof msg);
    }
    if (!ep) {
        refuse_start(l, st, cid, why, msg);
        return;
    }
    struct actr_call *call = calloc(1, sizeof *call);
    actr_msg tmp = {.type = ACTR_MSG_START, .u.start = *st};
    /* A big Start (large arguments) keeps the frame buffer it came in,
     * where its fields already point, instead of a copy of it. */
    void *own = call && l->ipc ? actri_ipc_take_frame(l->ipc, st->kwargs.ptr) : NULL;
    if (own) {
        call->start = tmp;
        call->start.owned = own;
    } else if (!call || actr_msg_dup(&tmp, &call->start) < 0) {
        free(call);
        refuse_start(l, st, cid, "MemoryError", "out of memory for a task");
        return;
    }
    actri_dialog_init(&call->d, &callee_ops, DIALOG_CALLEE, l, st->cid.ptr, st->cid.len);
    call->ep = ep;
    actr_event_init(&call->done);
    struct dialog *d = &call->d;
    d->kind = ep->kind;
    d->wire_name = ep->wire_name;
    d->t_recv = ep->kind == ACTR_ENDPOINT_CONTEXT ? ep->stream_in : NULL;
    d->t_send = ep->kind == ACTR_ENDPOINT_CONTEXT ? ep->stream_out
              : ep->kind == ACTR_ENDPOINT_GEN ? ep->yield : NULL;
    call->cancel_rpc = cancel_rpc;
    if (st->has_window && ep->kind != ACTR_ENDPOINT_FN && actri_flow_enabled()) {
        /* S27: the opener takes part; our window is the IDL's default
         * until the implementation sets another before started(). */
        actri_flow_window(d, ep->kind == ACTR_ENDPOINT_CONTEXT ? ep->window : 0);
        actri_flow_peer(d, st->window);
    }
    actr_task_opts o = {.name = ep->wire_name};
    int rc = actri_link_register_hashed(l, d, st->cid.len, hash);
    if (rc == 0) {
        a->ntasks++;
        l->ntasks++;
        call->counted = 1;
        rc = actr_nursery_spawn_opts(a->svc, rpc_task, call, &o);
    }
    if (rc < 0) {
        /* No stack, no memory (vm.max_map_count): the caller still gets
         * an answer (S28). */
        const char *detail = actr_last_error()->message;
        snprintf(msg, sizeof msg, "cannot start a task for %s: %s", ep->wire_name,
                 detail ? detail : actr_strerror(rc));
        log_busy(msg);
        uncount(call);
        /* Before the unref: st may point into the frame the call keeps. */
        refuse_start(l, st, cid, "RuntimeError", msg);
        actri_link_unregister(l, d);
        actri_dialog_unref(d);
    }
}

/* ------------------------------------------------------------ actr_call_* */

int
actr_call_started(actr_call *call, const void *v)
{
    if (call->ep->kind != ACTR_ENDPOINT_CONTEXT)
        return actr_error_set(ACTR_ESTATE, "%s is not a context endpoint: no started()",
                              call->ep->wire_name);
    if (call->started_sent)
        return actr_error_set(ACTR_ESTATE, "%s: started() called twice", call->ep->wire_name);
    int rc = actri_link_send_started(call->d.link, call->d.cid, call->ep->started, v,
                                     call->d.fc, call->d.recv_window);
    if (rc == 0)
        call->started_sent = 1;
    return rc;
}

int
actr_call_send(actr_call *call, const void *v)
{
    struct dialog *d = &call->d;
    if (call->ep->kind == ACTR_ENDPOINT_FN)
        return actr_error_set(ACTR_ESTATE, "%s is a function: it has no stream",
                              call->ep->wire_name);
    if (call->ep->kind == ACTR_ENDPOINT_CONTEXT && !call->started_sent)
        return actr_error_set(ACTR_ESTATE, "%s: send before started()", call->ep->wire_name);
    if (d->we_stopped)
        return actr_error_set(ACTR_ESTATE, "%s: send after done()", call->ep->wire_name);
    /* Every send is a checkpoint (see actr_ctx_send). */
    int rc = actr_checkpoint();
    if (rc < 0)
        return rc;
    do {
        if (d->has_error)
            return actri_dialog_raise(d);
        if ((rc = actri_dialog_check_eoc(d)) < 0 || (rc = actri_dialog_check_link(d)) < 0)
            return rc;
    } while ((rc = actri_flow_acquire(d)) == ACTR_EAGAIN);     /* S27 */
    return rc < 0 ? rc : actri_dialog_send_value(d, v);
}

int
actr_call_recv(actr_call *call, void *v)
{
    struct dialog *d = &call->d;
    if (call->ep->kind != ACTR_ENDPOINT_CONTEXT || !call->started_sent)
        return actr_error_set(ACTR_ESTATE, "%s: recv needs a context after started()",
                              call->ep->wire_name);
    for (;;) {
        if (actr_task_cancelled())
            return ACTR_ECANCELED;
        if (d->has_error)
            return actri_dialog_raise(d);
        actr_any pld;
        if (actri_dialog_pop(d, &pld)) {
            int rc = actri_dialog_decode(d, d->t_recv, &pld, v, "stream value");
            actri_flow_settle(d);
            return rc;
        }
        if (d->peer_stopped && !actri_dialog_pending(d))
            return actri_dialog_eoc(d);
        int rc = actri_dialog_check_link(d);
        if (rc < 0)
            return rc;
        if ((rc = actri_dialog_wait(d)) < 0)
            return rc;
    }
}

int
actr_call_done(actr_call *call)
{
    struct dialog *d = &call->d;
    if (d->peer_stopped)
        return 0;
    return actri_dialog_send_stop(d, 1);
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
    call->fail_bt = actri_bt_here(1);      /* from the implementation's frame */
    actr_error e = {.code = ACTR_EREMOTE, .message = msg ? msg : "",
                    .type_name = call->fail_type};
    actr_error_set_detail(&e);
    actri_debug_call_failed(call, ACTR_EREMOTE, 1);   /* S25: stops in the caller */
    __asm__ volatile("" ::: "memory");     /* not a tail call: gdb shows our caller */
    return ACTR_EREMOTE;
}

int
actr_call_stream_opts(actr_call *call, const actr_ctx_opts *opts)
{
    if (!call || !opts)
        return actr_error_set(ACTR_EINVAL, "no call or options");
    if (call->ep->kind != ACTR_ENDPOINT_CONTEXT)
        return actr_error_set(ACTR_ESTATE, "%s is a %s: it receives no stream",
                              call->ep->wire_name, actri_kind_name(call->ep->kind));
    struct dialog *d = &call->d;
    if (call->started_sent && opts->window != d->recv_window)
        return actr_error_set(ACTR_ESTATE, "%s: the window is set before started()",
                              call->ep->wire_name);
    d->allow_overruns = opts->allow_overruns;
    d->qmax = opts->queue_size ? opts->queue_size : ACTR_CTX_QUEUE_DEFAULT;
    d->ovf_max = opts->overflow_max;
    actri_flow_window(d, opts->window);
    return 0;
}

actr_call *
actr_call_current(void)
{
    void **slot = actri_task_slot();
    return slot ? *slot : NULL;
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
    return call->d.link->peer.name;
}

const char *
actr_call_peer_uuid(const actr_call *call)
{
    return call->d.link->peer.uuid;
}

struct link *
actri_call_link(const actr_call *call)
{
    return call->d.link;
}
