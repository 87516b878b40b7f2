/* Every cancel path of the actor layer (actor/cancel.h, S11-S14, S24):
 * the requests this actor sends, the `self` endpoints that answer them,
 * the cancel of what a dropped channel started, the ContextCancelled a
 * cancelled task answers with, the quiet rule, and the cancel log. */
#define _GNU_SOURCE
#include "actor/cancel.h"
#include "actor/hooks.h"
#include "actor/link.h"
#include "wire/errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actr_self.actor.h"

void
actri_cancel_log(const actr_actor *a, const char *cid, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    actr_log_write(ACTR_LOG_CANCEL, CANCEL_TAG, "actor %s.%s task %s cid %s: %s",
                   a ? a->uid.name : "-", a ? a->uid.uuid : "-", actr_task_name(),
                   cid && *cid ? cid : "-", msg);
}

/* ------------------------------------------------------------ requests */

/* Sends self:func (kwargs: raw, NULL = {}) on l as a fresh FN dialog and
 * waits, shielded, until timeout_ms for its CancelAck. Returns the
 * request (the caller unrefs it), or NULL without memory; *rc is the
 * outcome of the wait. */
static struct actr_ctx *
request(struct link *l, const char *func, const actr_any *kw, int64_t timeout_ms, int *rc)
{
    struct actr_ctx *r = actri_ctx_new(l, ACTR_ENDPOINT_FN,
                                       strcmp(func, "cancel") == 0 ? "self:cancel"
                                                                   : "self:_cancel_task", 0);
    *rc = ACTR_ENOMEM;
    if (!r)
        return NULL;
    actr_scope sh;
    if (actr_scope_enter(&sh, actr_deadline_in(timeout_ms), ACTR_SCOPE_SHIELD) < 0) {
        *rc = ACTR_ESTATE;
        return r;
    }
    *rc = actri_ctx_start(r, "self", func, NULL, NULL, kw);
    while (*rc == 0 && !r->has_cancelack && !r->d.has_error && !r->d.dead)
        *rc = actri_dialog_wait(&r->d);
    actr_scope_exit(&sh);
    return r;
}

int
actri_cancel_request(struct actr_ctx *c, int64_t timeout_ms)
{
    struct dialog *d = &c->d;
    struct link *l = d->link;
    c->cancel_called = 1;
    if (!actri_link_up(l)) {
        /* S14: nothing is sent on a dead channel. */
        CANCEL_LOG(l->a, d->cid, "not asking %s.%s to cancel %s: the channel is gone",
                   l->peer.name, l->peer.uuid, actri_dialog_name(d));
        return actr_error_set(ACTR_ECLOSED, "channel to %s is closed", l->peer.name);
    }
    /* Another task may close c meanwhile: keep it alive until the request
     * is done. What fails on the way is logged, not reported: the
     * caller's error detail stays as it was. */
    actri_dialog_ref(d);
    struct actri_errsave saved;
    actri_error_save(&saved);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_str_with_body(&pk, "cid", 3);
    msgpack_pack_str_with_body(&pk, d->cid, strlen(d->cid));
    actr_any kw = {(uint8_t *)sb.data, sb.size};
    int rc;
    struct actr_ctx *r = request(l, "_cancel_task", &kw, timeout_ms, &rc);
    msgpack_sbuffer_destroy(&sb);
    if (r && r->d.registered)
        CANCEL_LOG(l->a, d->cid, "cancel request for %s sent to %s.%s (request cid %s)",
                   actri_dialog_name(d), l->peer.name, l->peer.uuid, r->d.cid);
    if (r && r->has_cancelack)
        CANCEL_LOG(l->a, d->cid, "CancelAck from %s.%s for %s", l->peer.name, l->peer.uuid,
                   actri_dialog_name(d));
    else if (rc == ACTR_ECANCELED)
        CANCEL_LOG(l->a, d->cid, "no CancelAck from %s.%s within %lld ms: not waiting"
                   " longer", l->peer.name, l->peer.uuid, (long long)timeout_ms);
    else
        CANCEL_LOG(l->a, d->cid, "no CancelAck from %s.%s: %s", l->peer.name, l->peer.uuid,
                   r && r->d.dead ? "the channel closed" : "request failed");
    actri_ctx_unref(r);
    actri_dialog_unref(d);
    actri_error_restore(&saved);
    return 0;
}

static int
bg_cancel_task(void *arg)
{
    struct actr_ctx *c = arg;
    actri_cancel_request(c, CTX_CANCEL_TIMEOUT_MS);
    actri_ovf_end(&c->d);
    actri_link_unregister(c->d.link, &c->d);
    actri_ctx_unref(c);
    return 0;
}

void
actri_cancel_request_bg(struct actr_ctx *c)
{
    actr_actor *a = c->d.link->a;
    c->cancel_called = 1;
    c->bg_cancel = 1;
    if (actri_actor_spawn(a, bg_cancel_task, c, "cancel-request") < 0)
        bg_cancel_task(c);
}

int
actri_cancel_actor(struct link *l, int64_t timeout_ms)
{
    actr_actor *a = l->a;
    if (!actri_link_up(l)) {
        /* S14: nothing is sent on, or awaited from, a dead channel. */
        CANCEL_LOG(a, NULL, "cancel_actor %s.%s: the channel is already gone", l->peer.name,
                   l->peer.uuid);
        return 0;
    }
    int rc;
    struct actri_errsave saved;
    actri_error_save(&saved);
    struct actr_ctx *r = request(l, "cancel", NULL, timeout_ms, &rc);
    if (!r) {
        actri_error_restore(&saved);
        return 0;
    }
    if (r->d.registered || r->has_cancelack)
        CANCEL_LOG(a, r->d.cid, "cancel_actor: self:cancel sent to %s.%s", l->peer.name,
                   l->peer.uuid);
    int acked = r->has_cancelack && r->cancelack;
    if (acked)
        CANCEL_LOG(a, r->d.cid, "cancel_actor: CancelAck from %s.%s", l->peer.name,
                   l->peer.uuid);
    else
        CANCEL_LOG(a, r->d.cid, "cancel_actor: no CancelAck from %s.%s (%s)", l->peer.name,
                   l->peer.uuid, rc == ACTR_ECANCELED ? "timed out" :
                   r->d.dead ? "the channel closed" : "the request failed");
    actri_ctx_unref(r);
    actri_error_restore(&saved);
    return acked;
}

/* ------------------------------------------------------------ answers */

size_t
actri_cancel_served(actr_actor *a, struct link *only, const struct uidbuf *canceller,
                    struct actr_call ***out)
{
    size_t n = 0, cap = 0;
    struct actr_call **v = NULL;
    for (struct link *l = a->links; l; l = l->next) {
        if (only && l != only)
            continue;
        for (size_t b = 0; b < l->nbuckets; b++)
            for (struct dialog *d = l->tab[b]; d; d = d->hnext) {
                struct actr_call *call = (struct actr_call *)d;
                if (d->end != DIALOG_CALLEE || call->cancel_rpc || !call->scope)
                    continue;
                if (!call->canceller.name && canceller && canceller->name)
                    actri_uid_set(&call->canceller, canceller->name, strlen(canceller->name),
                                  canceller->uuid, strlen(canceller->uuid));
                CANCEL_LOG(a, d->cid, "cancelling %s (served for %s.%s) for %s.%s",
                           actri_dialog_name(d), l->peer.name, l->peer.uuid,
                           call->canceller.name ? call->canceller.name : "?",
                           call->canceller.uuid ? call->canceller.uuid : "?");
                actr_scope_cancel(call->scope);
                if (out) {
                    if (n == cap) {
                        size_t nc = cap ? cap * 2 : 8;
                        struct actr_call **nv = realloc(v, nc * sizeof *nv);
                        if (!nv)
                            continue;
                        v = nv;
                        cap = nc;
                    }
                    actri_dialog_ref(d);
                    v[n] = call;
                }
                n++;
            }
    }
    if (out)
        *out = v;
    return n;
}

/* The uid of the Start that asked (the requester of a cancel request). */
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
    struct link *l = call->d.link;
    actr_actor *a = l->a;
    /* S28: the parent may always ask; any other peer only once it proved
     * the tree's secret, and it is named in the log. */
    if (a->parent != l && !l->authed) {
        actr_log_warning(ACTOR_TAG, "self:cancel from %s.%s refused: it did not prove the"
                         " tree's secret", l->peer.name, l->peer.uuid);
        return actr_call_fail(call, "PermissionError", "self:cancel refused: %s.%s is not"
                              " authenticated", l->peer.name, l->peer.uuid);
    }
    if (a->parent != l)
        actr_log_info(ACTOR_TAG, "self:cancel asked by %s.%s (not our parent; an"
                      " authenticated peer of the tree)", l->peer.name, l->peer.uuid);
    struct uidbuf req = {0};
    requester(call, &req);
    if (!a->canceller.name && req.name)
        actri_uid_set(&a->canceller, req.name, strlen(req.name), req.uuid, strlen(req.uuid));
    CANCEL_LOG(a, call->d.cid, "self:cancel requested by %s.%s", req.name ? req.name : "?",
               req.uuid ? req.uuid : "?");
    /* Every task first (each answers ContextCancelled naming the
     * requester), then the CancelAck, then the actor goes (capture 6). */
    struct actr_call **v = NULL;
    size_t n = actri_cancel_served(a, NULL, &req, &v);
    int64_t until = actr_deadline_in(CANCEL_WAIT_TASKS_MS);
    for (size_t i = 0; v && i < n; i++) {
        actr_event_wait(&v[i]->done, until);
        actri_dialog_unref(&v[i]->d);
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
    struct link *l = call->d.link;
    struct dialog *d = actri_link_find(l, cid.ptr, cid.len);
    struct actr_call *t = d && d->end == DIALOG_CALLEE ? (struct actr_call *)d : NULL;
    *out = true;      /* unknown or finished: still acked, as tractor */
    if (!t || t->cancel_rpc || !t->scope) {
        /* S13: only the channel that started a task may cancel it; an
         * unknown or finished one is acked anyway (tractor). */
        CANCEL_LOG(l->a, call->d.cid, "_cancel_task from %s.%s: no task of this channel"
                   " runs dialog %.*s", l->peer.name, l->peer.uuid, (int)cid.len,
                   cid.ptr ? cid.ptr : "");
        return 0;
    }
    if (!t->canceller.name)
        requester(call, &t->canceller);
    CANCEL_LOG(l->a, t->d.cid, "_cancel_task %s requested by %s.%s (request cid %s)",
               actri_dialog_name(&t->d), t->canceller.name, t->canceller.uuid, call->d.cid);
    actri_dialog_ref(&t->d);
    actr_scope_cancel(t->scope);
    if (actr_event_wait(&t->done, actr_deadline_in(CANCEL_WAIT_TASKS_MS)) < 0)
        CANCEL_LOG(l->a, t->d.cid, "%s still runs %d ms after its cancel: acking anyway",
                   actri_dialog_name(&t->d), CANCEL_WAIT_TASKS_MS);
    actri_dialog_unref(&t->d);
    return 0;
}

void
actri_cancel_answer(struct actr_call *call)
{
    struct dialog *d = &call->d;
    actr_actor *a = d->link->a;
    const struct uidbuf *by = call->canceller.name ? &call->canceller
                            : a->canceller.name ? &a->canceller : &a->uid;
    const char *how = strcmp(by->uuid, a->uid.uuid) == 0 ? "by itself"
                    : strcmp(by->uuid, d->link->peer.uuid) == 0 ? "by its 'parent'-side peer"
                    : "by a remote peer";
    char msg[512];
    snprintf(msg, sizeof msg, "Actor %s's 'child'-side task was cancelled %s (%s.%s)\n"
             "endpoint: %s\ncid: %s", a->uid.name, how, by->name, by->uuid,
             actri_dialog_name(d), d->cid);
    char *tb = actri_call_traceback(call, NULL, "ContextCancelled", msg);
    char *canceller = actri_uid_text(by->name, by->uuid);
    actri_errbox b = {.boxed_type = "ContextCancelled", .message = msg, .tb = tb,
                      .canceller = canceller};
    actri_errmsg e;
    actr_uid self = actri_self_uid(a);
    int rc = actri_errmsg_build(&e, &self, d->cid, &b, NULL, 0);
    if (rc == 0) {
        actr_scope sh;
        if (actr_scope_enter(&sh, actr_deadline_in(2000), ACTR_SCOPE_SHIELD) == 0) {
            rc = actri_link_send(d->link, &e.msg, 0);
            actr_scope_exit(&sh);
        }
    }
    actri_errmsg_free(&e);
    CANCEL_LOG(a, d->cid, "%s cancelled %s %s.%s: ContextCancelled %s %s.%s",
               actri_dialog_name(d), how, by->name, by->uuid,
               rc == 0 ? "sent to" : "could not reach", d->link->peer.name,
               d->link->peer.uuid);
    free(tb);
    free(canceller);
}

int
actr_call_cancel(actr_call *call)
{
    if (!call || !call->scope)
        return actr_error_set(ACTR_ESTATE, "the call has ended: nothing to cancel");
    actr_actor *a = call->d.link->a;
    if (!call->canceller.name &&
        actri_uid_set(&call->canceller, a->uid.name, strlen(a->uid.name), a->uid.uuid,
                      strlen(a->uid.uuid)) < 0)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    call->self_cancel = 1;
    CANCEL_LOG(a, call->d.cid, "%s cancels itself", actri_dialog_name(&call->d));
    actr_scope_cancel(call->scope);
    return 0;
}

int
actr_call_cancel_called(const actr_call *call)
{
    return call && call->canceller.name != NULL;
}

const char *
actr_call_canceller(const actr_call *call)
{
    if (!call || !call->canceller.name)
        return NULL;
    struct actr_call *c = (struct actr_call *)call;
    if (!c->canceller_text)
        c->canceller_text = actri_uid_text(c->canceller.name, c->canceller.uuid);
    return c->canceller_text;
}

/* ------------------------------------------------------------ the quiet rule */

int
actri_ctx_self_cancelled(const struct actr_ctx *c)
{
    actr_uid by;
    if (!c->cancel_called || !actri_dialog_ctxc(&c->d, &by))
        return 0;
    return by.uuid.len > 0 && actri_uid_is_self(c->d.link->a, &by.uuid);
}

int
actri_ctx_cancelled_remote(const struct actr_ctx *c)
{
    return actri_dialog_ctxc(&c->d, NULL) && !actri_ctx_self_cancelled(c);
}
