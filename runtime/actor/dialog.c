/* A dialog (struct actr_ctx): what the message loop delivers to it, how
 * a task waits on it, and the Start / cancel requests that open and end
 * it. Shared by the caller side (ctx.c, portal.c) and the callee side
 * (invoke.c). */
#define _GNU_SOURCE
#include "actor/actor.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct actr_ctx *
actri_ctx_new(struct link *l, const char *cid, size_t cidlen)
{
    struct actr_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (cid) {
        if (cidlen > UUID_LEN)
            cidlen = UUID_LEN;   /* callers check; keep the buffer safe */
        memcpy(c->cid, cid, cidlen);
        c->cid[cidlen] = 0;
    } else {
        actri_uuid4(c->cid);
    }
    c->link = l;
    actri_link_ref(l);
    c->refs = 1;
    c->qmax = ACTR_CTX_QUEUE_DEFAULT;
    actr_event_init(&c->done);
    if (l->end)
        c->dead = l->end;
    return c;
}

void
actri_ctx_ref(struct actr_ctx *c)
{
    c->refs++;
}

void
actri_msgq_clear(struct msgq *q)
{
    free(q->buf);
    free(q->lens);
    memset(q, 0, sizeof *q);
}

void
actri_ctx_unref(struct actr_ctx *c)
{
    if (!c || --c->refs > 0)
        return;
    if (c->hooked)
        actri_task_on_exit_cancel(&c->exit_hook);
    actri_link_unregister(c->link, c);
    actri_ovf_end(c);
    actri_msgq_clear(&c->q);
    actr_msg_free(&c->started);
    actr_msg_free(&c->ret);
    actr_msg_free(&c->err);
    actri_uid_clear(&c->canceller);
    free(c->canceller_text);
    free(c->wire_name_owned);
    actri_link_unref(c->link);
    free(c);
}

void
actri_ctx_wake(struct actr_ctx *c)
{
    if (c->waiter)
        actri_wake(c->waiter, 0);
}

int
actri_ctx_wait(struct actr_ctx *c)
{
    c->waiter = actri_task_self();
    int rc = actri_park(ACTR_FOREVER);
    c->waiter = NULL;
    return rc;
}

void
actri_ctx_fail(struct actr_ctx *c, int code)
{
    if (!c->dead)
        c->dead = code;
    actri_ctx_wake(c);
}

/* Past this the arena of an emptied queue is given back (a burst of big
 * payloads must not pin its peak for the dialog's life). */
#define MSGQ_KEEP_BYTES (256u * 1024u)

/* Room for n more bytes at the arena's tail: slide the live bytes to the
 * front when that makes room, else grow. */
static int
arena_room(struct msgq *q, size_t n)
{
    if (q->len == 0 && q->bcap > MSGQ_KEEP_BYTES && n <= MSGQ_KEEP_BYTES) {
        free(q->buf);
        q->buf = NULL;
        q->bcap = q->bhead = q->btail = 0;
    }
    if (q->bcap - q->btail >= n)
        return 0;
    size_t live = q->btail - q->bhead;
    if (n > SIZE_MAX / 4 - live)
        return ACTR_ENOMEM;
    if (live + n <= q->bcap / 2) {
        /* Amortised: at least bcap / 2 bytes get pushed before the next. */
        memmove(q->buf, q->buf + q->bhead, live);
    } else {
        size_t cap = q->bcap ? q->bcap : 512;
        while (cap < 2 * (live + n))
            cap *= 2;
        unsigned char *b = malloc(cap);
        if (!b)
            return ACTR_ENOMEM;
        if (live)
            memcpy(b, q->buf + q->bhead, live);
        free(q->buf);
        q->buf = b;
        q->bcap = cap;
    }
    q->bhead = 0;
    q->btail = live;
    return 0;
}

int
actri_msgq_push(struct msgq *q, size_t max, const actr_any *pld)
{
    if (q->len == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 8;
        if (cap > max)
            cap = max;
        if (cap <= q->cap)
            return ACTR_EOVERRUN;
        size_t *lens = malloc(cap * sizeof *lens);
        if (!lens)
            return ACTR_ENOMEM;
        for (size_t i = 0; i < q->len; i++)
            lens[i] = q->lens[(q->head + i) % q->cap];
        free(q->lens);
        q->lens = lens;
        q->cap = cap;
        q->head = 0;
    }
    if (arena_room(q, pld->len) < 0)
        return ACTR_ENOMEM;
    if (pld->len)
        memcpy(q->buf + q->btail, pld->ptr, pld->len);
    q->btail += pld->len;
    q->lens[(q->head + q->len) % q->cap] = pld->len;
    q->len++;
    return 0;
}

int
actri_msgq_pop(struct msgq *q, actr_any *pld)
{
    if (q->len == 0)
        return 0;
    size_t n = q->lens[q->head];
    pld->ptr = n ? q->buf + q->bhead : q->buf;
    pld->len = n;
    q->bhead += n;
    q->head = q->head + 1 == q->cap ? 0 : q->head + 1;
    if (--q->len == 0)
        q->bhead = q->btail = 0;   /* the bytes stay readable until a push */
    return 1;
}

static const char *kind_name(actr_endpoint_kind k);

/* S17: tell the sender it overran us, naming it. */
static void
send_overrun(struct actr_ctx *c)
{
    struct link *l = c->link;
    char msg[256];
    snprintf(msg, sizeof msg, "Actor %s overran the stream of dialog %s (%s): its"
             " receive queue of %zu messages was full; %zu dropped so far",
             l->peer.name, c->cid, c->wire_name ? c->wire_name : "?", c->qmax, c->overruns);
    struct errbox b = {.boxed_type = "StreamOverrun", .src_type = "StreamOverrun",
                       .message = msg, .sender = &l->peer};
    actri_send_error(l, c->cid, &b, 1);
}

/* 1 when this side of c receives a stream: the caller of a generator,
 * either side of a context. */
static int
has_inbound_stream(const struct actr_ctx *c)
{
    return c->kind == ACTR_ENDPOINT_CONTEXT || (c->kind == ACTR_ENDPOINT_GEN && !c->callee);
}

/* A Yield on a dialog with no inbound stream: nobody would ever read it.
 * Answer MsgTypeError on its cid once per dialog, built as the ipc layer
 * answers a refused message (a flood gets one error, not a flood), and
 * drop it. */
static void
refuse_yield(struct actr_ctx *c, const actr_msg *m)
{
    c->yields_refused++;
    const char *side = c->callee ? "served" : "called";
    if (c->yield_mte_sent) {
        actr_log_runtime(ACTOR_TAG, "dialog %s (%s): Yield from %s dropped (%zu so far)",
                         c->cid, c->wire_name ? c->wire_name : "?", c->link->peer.name,
                         c->yields_refused);
        return;
    }
    actr_wire_err werr = {.fault = ACTR_WIRE_MSGTYPE, .type = ACTR_MSG_YIELD, .has_cid = 1};
    werr.cid.ptr = c->cid;
    werr.cid.len = strlen(c->cid);
    snprintf(werr.what, sizeof werr.what, "Yield on dialog %s: the %s %s %s receives no"
             " stream", c->cid, kind_name(c->kind), c->wire_name ? c->wire_name : "?", side);
    actr_log_warning(ACTOR_TAG, "dialog %s (%s): Yield from %s refused (MsgTypeError): the"
                     " %s %s receives no stream", c->cid, c->wire_name ? c->wire_name : "?",
                     c->link->peer.name, side, kind_name(c->kind));
    /* _bad_msg_as_dict: the offending message, re-encoded (the frame
     * without its 4-byte length prefix). */
    actr_wbuf wb = ACTR_WBUF_INIT;
    if (actr_msg_encode(m, &wb) > 4) {
        werr.body.ptr = wb.ptr + 4;
        werr.body.len = wb.len - 4;
    }
    actr_uid self = actri_self_uid(c->link->a);
    actr_msg mte;
    if (actr_msg_mte(&mte, &self, &werr) == 0) {
        if (actri_link_send(c->link, &mte, 1) == 0)
            c->yield_mte_sent = 1;        /* else the next Yield tries again */
    } else {
        actr_log_error(ACTOR_TAG, "dialog %s: cannot build the MsgTypeError reply", c->cid);
    }
    actr_wbuf_destroy(&wb);
}

static void
deliver_yield(struct actr_ctx *c, const actr_msg *m)
{
    if (!has_inbound_stream(c)) {
        refuse_yield(c, m);
        return;
    }
    size_t max = c->qmax;
    if (c->allow_overruns && (c->q.len >= max || c->ovf.len > 0)) {
        actri_ovf_keep(c, m);             /* S18, in order behind the overflow */
        return;
    }
    if (c->q.len >= max && c->waiter && actri_task_self()) {
        /* The reader was woken but has not run yet (the loop delivers a
         * whole read buffer at once): give it one scheduling round to
         * drain before calling this an overrun. Not a wait on the queue:
         * the loop goes on whether or not it drained. */
        actri_ctx_ref(c);
        for (int i = 0; i < 4 && c->q.len >= max && c->registered; i++)
            if (actr_checkpoint() < 0)
                break;
        /* m borrows the channel's read buffer: if the channel was closed
         * meanwhile, it is gone too (the loop holds the link, not the ipc). */
        int gone = !c->registered || !c->link->ipc;
        actri_ctx_unref(c);
        if (gone)
            return;                       /* closed meanwhile: nobody to read it */
    }
    if (c->q.len >= max) {
        /* S17: one warning per dialog; the sender gets an error for every
         * dropped message (as tractor does). */
        c->overruns++;
        actr_log(c->overruns == 1 ? ACTR_LOG_WARNING : ACTR_LOG_RUNTIME, ACTOR_TAG,
                 "dialog %s (%s): receive queue full (%zu), message from %s dropped"
                 " (overrun %zu)", c->cid, c->wire_name ? c->wire_name : "?", c->qmax,
                 c->link->peer.name, c->overruns);
        send_overrun(c);
        return;
    }
    if (actri_msgq_push(&c->q, max, &m->u.yield.pld) < 0)
        actr_log_error(ACTOR_TAG, "dialog %s: out of memory, stream message dropped", c->cid);
}

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

void
actri_ctx_deliver(struct actr_ctx *c, const actr_msg *m)
{
    switch (m->type) {
    case ACTR_MSG_STARTACK:
        if (!c->callee) {
            c->got_ack = 1;
            c->functype = m->u.startack.functype;
        }
        break;
    case ACTR_MSG_STARTED:
        if (!c->callee)
            keep(&c->started, &c->got_started, m);
        break;
    case ACTR_MSG_YIELD:
        deliver_yield(c, m);
        break;
    case ACTR_MSG_STOP:
        c->peer_stopped = 1;
        break;
    case ACTR_MSG_RETURN:
        if (!c->callee)
            keep(&c->ret, &c->has_return, m);
        break;
    case ACTR_MSG_CANCELACK:
        if (!c->callee && !c->has_cancelack) {
            c->has_cancelack = 1;
            c->cancelack = m->u.cancelack.pld;
        }
        break;
    case ACTR_MSG_ERROR:
        keep(&c->err, &c->has_error, m);
        if (c->callee && c->scope) {
            /* An error for a dialog we serve (an overrun we caused, the
             * caller's failure): the serving task sees it at its next
             * call on the dialog, as tractor raises it in the task. */
            actr_log_runtime(ACTOR_TAG, "dialog %s: error from %s", c->cid, c->link->peer.name);
        }
        break;
    default:
        actr_log_warning(ACTOR_TAG, "dialog %s: unexpected %s dropped", c->cid,
                         actr_msg_type_name(m->type));
        return;
    }
    actri_ctx_wake(c);
}

/* ------------------------------------------------------------ errors */

static char *
strdup_n(const actr_str *s)
{
    char *d = malloc(s->len + 1);
    if (d) {
        memcpy(d, s->ptr, s->len);
        d[s->len] = 0;
    }
    return d;
}

/* The last non-empty line of a traceback: where tractor puts the text
 * of an ordinary exception whose message field is "". */
static char *
tb_last_line(const actr_str *tb)
{
    size_t end = tb->len;
    while (end > 0 && (tb->ptr[end - 1] == '\n' || tb->ptr[end - 1] == ' '))
        end--;
    size_t start = end;
    while (start > 0 && tb->ptr[start - 1] != '\n')
        start--;
    actr_str s = {tb->ptr + start, end - start};
    return strdup_n(&s);
}

int
actri_ctx_raise(struct actr_ctx *c)
{
    const actr_msg_error *e = &c->err.u.error;
    char *boxed = strdup_n(&e->boxed_type_str);
    char *src = strdup_n(&e->src_type_str);
    char *msg = e->has_message && e->message.len > 0 ? strdup_n(&e->message)
                                                     : tb_last_line(&e->tb_str);
    char *tb = strdup_n(&e->tb_str);
    char *srcn = strdup_n(&e->src_uid.name), *srcu = strdup_n(&e->src_uid.uuid);
    char *srcuid = srcn && srcu ? actri_uid_text(srcn, srcu) : NULL;
    char *canc = NULL;
    if (e->has_canceller) {
        char *n = strdup_n(&e->canceller.name), *u = strdup_n(&e->canceller.uuid);
        if (n && u)
            canc = actri_uid_text(n, u);
        free(n);
        free(u);
    }
    int code = actri_error_code_of(boxed ? boxed : "", src ? src : "");
    actr_error d = {
        .code = code,
        .message = msg ? msg : "remote error",
        .type_name = src && *src ? src : boxed,
        .traceback = tb,
        .src_uid = srcuid,
        .canceller_uid = canc,
        .task_name = c->wire_name,
    };
    actr_error_set_detail(&d);
    free(boxed);
    free(src);
    free(msg);
    free(tb);
    free(srcn);
    free(srcu);
    free(srcuid);
    free(canc);
    return code;
}

/* 1 when the Error on c is a ContextCancelled. */
static int
is_ctxc(const struct actr_ctx *c)
{
    const actr_str *t = &c->err.u.error.boxed_type_str;
    return c->has_error && t->len == 16 && memcmp(t->ptr, "ContextCancelled", 16) == 0;
}

/* 1 when the Error on c is the ContextCancelled we asked for: a cancel of
 * this context (S11) or of the whole peer actor (S12), and its canceller
 * is us. */
int
actri_ctx_self_cancelled(struct actr_ctx *c)
{
    if (!is_ctxc(c) || !(c->cancel_called || (!c->callee && c->link->cancel_req)))
        return 0;
    const actr_msg_error *e = &c->err.u.error;
    return e->has_canceller && actri_uid_is_self(c->link->a, &e->canceller.uuid);
}

int
actri_ctx_cancelled_remote(const struct actr_ctx *c)
{
    return is_ctxc(c) && !actri_ctx_self_cancelled((struct actr_ctx *)c);
}

/* ------------------------------------------------------------ requests */

int
actri_split_name(const char *fn, char *ns, size_t nscap, const char **func)
{
    const char *colon = fn ? strrchr(fn, ':') : NULL;
    if (!colon || colon == fn || !colon[1] || (size_t)(colon - fn) >= nscap)
        return actr_error_set(ACTR_EINVAL, "endpoint name \"%s\" is not \"module:func\"",
                              fn ? fn : "(null)");
    memcpy(ns, fn, (size_t)(colon - fn));
    ns[colon - fn] = 0;
    *func = colon + 1;
    return 0;
}

int
actri_ctx_start(struct actr_ctx *c, const char *ns, const char *func,
                const actr_type *args_t, const void *args, const actr_any *raw_kwargs)
{
    static const uint8_t empty_map = 0x80;
    struct link *l = c->link;
    if (l->end || !l->ipc)
        return actr_error_set(ACTR_ECLOSED, "channel to %s is closed", l->peer.name);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    actr_msg m = {.type = ACTR_MSG_START};
    actr_msg_start *st = &m.u.start;
    st->cid.ptr = c->cid;
    st->cid.len = strlen(c->cid);
    st->ns.ptr = (char *)ns;
    st->ns.len = strlen(ns);
    st->func.ptr = (char *)func;
    st->func.len = strlen(func);
    st->uid = actri_self_uid(l->a);
    if (args_t && args) {
        actr_codec_err err;
        int rc = actr_codec_encode_buf(&sb, args_t, args, &err);
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
    int rc = actri_link_register(l, c);
    if (rc == 0) {
        rc = actri_link_send(l, &m, 0);
        if (rc < 0)
            actri_link_unregister(l, c);
    }
    msgpack_sbuffer_destroy(&sb);
    if (rc == 0)
        actr_log_debug(ACTOR_TAG, "Start %s:%s cid %s to %s", ns, func, c->cid, l->peer.name);
    return rc;
}

static const char *
kind_name(actr_endpoint_kind k)
{
    return k == ACTR_ENDPOINT_FN ? "function" : k == ACTR_ENDPOINT_GEN ? "generator" : "context";
}

int
actri_ctx_wait_ack(struct actr_ctx *c)
{
    for (;;) {
        if (c->got_ack)
            break;                        /* a kind mismatch wins over what follows */
        if (c->has_error)
            return actri_ctx_raise(c);
        if (c->has_return) {
            /* No StartAck, but a Return: a function's result is taken
             * as it is (the callee did run); any other kind cannot end
             * with a bare Return, so the peer broke the protocol. */
            if (c->kind == ACTR_ENDPOINT_FN) {
                actr_log_warning(ACTOR_TAG, "dialog %s (%s): Return from %s without a"
                                 " StartAck; taken as the result", c->cid, c->wire_name,
                                 c->link->peer.name);
                return 0;
            }
            return actr_error_set(ACTR_EPROTO, "%s (cid %s): %s sent a Return without a"
                                  " StartAck", c->wire_name, c->cid, c->link->peer.name);
        }
        if (c->has_cancelack)
            return actr_error_set(ACTR_EPROTO, "%s (cid %s): %s sent a CancelAck without a"
                                  " StartAck", c->wire_name, c->cid, c->link->peer.name);
        if (c->dead)
            return actr_error_set(ACTR_ECLOSED, "channel to %s closed before %s answered",
                                  c->link->peer.name, c->wire_name);
        int rc = actri_ctx_wait(c);
        if (rc < 0)
            return rc;
    }
    actr_endpoint_kind got = c->functype == ACTR_FUNCTYPE_ASYNCFUNC ? ACTR_ENDPOINT_FN
                           : c->functype == ACTR_FUNCTYPE_ASYNCGEN ? ACTR_ENDPOINT_GEN
                           : ACTR_ENDPOINT_CONTEXT;
    if (got != c->kind) {
        /* S6: the callee told us its kind; stop the task we started. */
        actri_ctx_cancel_remote(c, CTX_CANCEL_TIMEOUT_MS);
        return actr_error_set(ACTR_EINVAL, "%s is a %s endpoint, called as a %s",
                              c->wire_name, kind_name(got), kind_name(c->kind));
    }
    return 0;
}

int
actri_ctx_cancel_remote(struct actr_ctx *c, int64_t timeout_ms)
{
    struct link *l = c->link;
    c->cancel_called = 1;
    if (l->end || !l->ipc) {
        /* S14: nothing is sent on a dead channel. */
        CANCEL_LOG(l->a, c->cid, "not asking %s.%s to cancel %s: the channel is gone",
                   l->peer.name, l->peer.uuid, c->wire_name);
        return actr_error_set(ACTR_ECLOSED, "channel to %s is closed", l->peer.name);
    }
    /* Shielded and bounded, as tractor's Context.cancel. Another task may
     * close c meanwhile: keep it alive until the request is done. */
    actr_scope sh;
    if (actr_scope_enter(&sh, actr_deadline_in(timeout_ms), ACTR_SCOPE_SHIELD) < 0)
        return ACTR_ESTATE;
    actri_ctx_ref(c);
    struct actr_ctx *r = actri_ctx_new(l, NULL, 0);
    int rc = ACTR_ENOMEM;
    if (r) {
        r->kind = ACTR_ENDPOINT_FN;
        r->wire_name = "self:_cancel_task";
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 1);
        msgpack_pack_str_with_body(&pk, "cid", 3);
        msgpack_pack_str_with_body(&pk, c->cid, strlen(c->cid));
        actr_any kw = {(uint8_t *)sb.data, sb.size};
        rc = actri_ctx_start(r, "self", "_cancel_task", NULL, NULL, &kw);
        msgpack_sbuffer_destroy(&sb);
        if (rc == 0)
            CANCEL_LOG(l->a, c->cid, "cancel request for %s sent to %s.%s (request cid %s)",
                       c->wire_name, l->peer.name, l->peer.uuid, r->cid);
        while (rc == 0 && !r->has_cancelack && !r->has_error && !r->dead)
            rc = actri_ctx_wait(r);
        if (r->has_cancelack)
            CANCEL_LOG(l->a, c->cid, "CancelAck from %s.%s for %s", l->peer.name,
                       l->peer.uuid, c->wire_name);
        else if (rc == ACTR_ECANCELED)
            CANCEL_LOG(l->a, c->cid, "no CancelAck from %s.%s within %lld ms: not waiting"
                       " longer", l->peer.name, l->peer.uuid, (long long)timeout_ms);
        else
            CANCEL_LOG(l->a, c->cid, "no CancelAck from %s.%s: %s", l->peer.name,
                       l->peer.uuid, r->dead ? "the channel closed" : "request failed");
        actri_ctx_unref(r);
    }
    actr_scope_exit(&sh);
    actri_ctx_unref(c);
    return 0;
}

/* ------------------------------------------------------------ payloads */

int
actri_ctx_pop(struct actr_ctx *c, actr_any *pld)
{
    if (!actri_msgq_pop(&c->q, pld))
        return 0;
    if (c->ovf.len > 0)
        actri_ovf_space(c);
    return 1;
}

int
actri_ctx_pending(const struct actr_ctx *c)
{
    return c->q.len > 0 || c->ovf.len > 0;
}

int
actri_pld_decode(struct actr_ctx *c, const actr_type *t, const actr_any *pld, void *out,
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
                              c->wire_name ? c->wire_name : "?", c->cid, err.msg);
    return 0;
}
