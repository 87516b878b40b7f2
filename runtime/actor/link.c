/* One channel to a peer actor (actor/link.h): its dialog table and its
 * message loop, which routes every frame by cid without ever blocking on
 * a dialog. */
#define _GNU_SOURCE
#include "actor/link.h"
#include "actor/callee.h"
#include "actor/cancel.h"
#include "actor/dialog.h"
#include "actor/hooks.h"
#include "ipc/channel.h"

#include <ev.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ cid table
 * Chained buckets, a power of two of them, doubled when the table holds
 * more dialogs than buckets; each entry keeps its cid's hash and length,
 * so a lookup compares one word per entry before touching the cid. */

static uint64_t hash_seed;

/* Seeded, 8 bytes per step: cids are chosen by the peer, so the seed
 * (from addresses ASLR randomises and the clock) keeps a peer from
 * aiming many cids at one chain. */
static uint32_t
cid_hash(const char *s, size_t len)
{
    const uint64_t k = 0x9e3779b97f4a7c15ull;
    uint64_t h = hash_seed ^ (len * k);
    uint64_t w;
    for (; len >= 8; s += 8, len -= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    if (len) {
        w = 0;
        memcpy(&w, s, len);
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return (uint32_t)h;
}

static void
seed_hash(const void *p)
{
    if (hash_seed)
        return;
    uint64_t x = (uint64_t)(uintptr_t)p ^ ((uint64_t)(uintptr_t)&x << 17)
               ^ (uint64_t)actr_now() * 0x9e3779b97f4a7c15ull;
    x ^= x >> 31;
    hash_seed = x | 1;
}

/* Doubles the table (first call: LINK_BUCKETS_MIN buckets). */
static int
grow(struct link *l)
{
    size_t n = l->nbuckets ? l->nbuckets * 2 : LINK_BUCKETS_MIN;
    struct dialog **t = calloc(n, sizeof *t);
    if (!t)
        return ACTR_ENOMEM;
    for (size_t b = 0; b < l->nbuckets; b++) {
        struct dialog *d = l->tab[b];
        while (d) {
            struct dialog *next = d->hnext;
            size_t nb = d->cid_hash & (n - 1);
            d->hnext = t[nb];
            t[nb] = d;
            d = next;
        }
    }
    free(l->tab);
    l->tab = t;
    l->nbuckets = n;
    return 0;
}

static struct dialog *
find_hashed(struct link *l, const char *cid, size_t len, uint32_t h)
{
    if (!l->nbuckets)
        return NULL;
    for (struct dialog *d = l->tab[h & (l->nbuckets - 1)]; d; d = d->hnext)
        if (d->cid_hash == h && d->cid_len == len && memcmp(d->cid, cid, len) == 0)
            return d;
    return NULL;
}

struct dialog *
actri_link_find(struct link *l, const char *cid, size_t len)
{
    if (len > UUID_LEN)
        return NULL;                    /* no dialog holds a longer cid */
    return find_hashed(l, cid, len, cid_hash(cid, len));
}

struct dialog *
actri_link_lookup(struct link *l, const char *cid, size_t len, uint32_t *hash)
{
    *hash = cid_hash(cid, len);
    return len > UUID_LEN ? NULL : find_hashed(l, cid, len, *hash);
}

int
actri_link_up(const struct link *l)
{
    return l->ipc && !l->end;
}

/* Enters d, whose cid hashes to h, in the table (not in it yet). */
static int
enter(struct link *l, struct dialog *d, size_t len, uint32_t h)
{
    /* Growing may fail later on: the chains just get longer. */
    if (l->nctx + 1 > l->nbuckets && grow(l) < 0 && !l->nbuckets)
        return actr_error_set(ACTR_ENOMEM, "out of memory for the cid table");
    d->cid_hash = h;
    d->cid_len = (uint32_t)len;
    size_t b = h & (l->nbuckets - 1);
    d->hnext = l->tab[b];
    l->tab[b] = d;
    d->registered = 1;
    l->nctx++;
    return 0;
}

int
actri_link_register(struct link *l, struct dialog *d)
{
    size_t len = strlen(d->cid);
    uint32_t h = cid_hash(d->cid, len);
    if (find_hashed(l, d->cid, len, h))
        return actr_error_set(ACTR_EPROTO, "cid %s is already in use on this channel",
                              d->cid);
    return enter(l, d, len, h);
}

int
actri_link_register_hashed(struct link *l, struct dialog *d, size_t len, uint32_t hash)
{
    if (strlen(d->cid) != len)                  /* a cid with a NUL in it */
        return actri_link_register(l, d);
    return enter(l, d, len, hash);
}

void
actri_link_unregister(struct link *l, struct dialog *d)
{
    if (!d->registered)
        return;
    struct dialog **pp = &l->tab[d->cid_hash & (l->nbuckets - 1)];
    while (*pp && *pp != d)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = d->hnext;
    d->hnext = NULL;
    d->registered = 0;
    l->nctx--;
    if (l->last == d)
        l->last = NULL;
}

/* ------------------------------------------------------------ channels */

int
actri_link_new(actr_actor *a, actr_ipc *ipc, struct link **out)
{
    struct link *l = calloc(1, sizeof *l);
    actr_uid pu;
    if (!l || actr_ipc_peer_uid(ipc, &pu) < 0 ||
        actri_uid_set(&l->peer, pu.name.ptr, pu.name.len, pu.uuid.ptr, pu.uuid.len) < 0) {
        free(l);
        actr_ipc_close(ipc, 0);
        return actr_error_set(ACTR_ENOMEM, "out of memory for a channel");
    }
    seed_hash(l);
    l->a = a;
    l->ipc = ipc;
    l->actr = actr_ipc_peer_actr(ipc);
    l->authed = actr_ipc_peer_authenticated(ipc);
    /* The keepalive, when both ends asked for one: the longer period. */
    const actr_msg_aid *pa = actr_ipc_peer(ipc);
    if (a->keepalive_ms && l->actr && pa->has_keepalive && pa->keepalive > 0)
        l->keepalive = pa->keepalive > a->keepalive_ms ? pa->keepalive : a->keepalive_ms;
    actr_ipc_remote_addr(ipc, &l->raddr);
    l->refs = 1;
    actr_event_init(&l->loop_done);
    l->next = a->links;
    if (a->links)
        a->links->prev = l;
    a->links = l;
    *out = l;
    return 0;
}

void
actri_link_ref(struct link *l)
{
    l->refs++;
}

void
actri_link_unref(struct link *l)
{
    if (--l->refs > 0)
        return;
    actri_link_shutdown(l, ACTR_ECLOSED);
    if (l->prev)
        l->prev->next = l->next;
    else if (l->a->links == l)
        l->a->links = l->next;
    if (l->next)
        l->next->prev = l->prev;
    if (l->a->parent == l)
        l->a->parent = NULL;
    actri_uid_clear(&l->peer);
    free(l->tab);
    free(l->pld_data);
    free(l);
}

/* trusted: m's payload was encoded by our codec (actri_link_send_pld). */
static int
link_send(struct link *l, const actr_msg *m, int nowait, int trusted)
{
    if (!l->ipc)
        return actr_error_set(l->end ? l->end : ACTR_ECLOSED,
                              "channel to %s is closed", l->peer.name);
    int64_t deadline = nowait ? 0 : ACTR_FOREVER;
    int rc = trusted ? actri_ipc_send_trusted(l->ipc, m, deadline)
                     : actr_ipc_send(l->ipc, m, deadline);
    if (rc == ACTR_ETIMEDOUT && nowait) {
        /* The message loop never blocks (S16): drop, and say so once. */
        l->drops++;
        actr_log(l->drops == 1 ? ACTR_LOG_WARNING : ACTR_LOG_RUNTIME, ACTOR_TAG,
                 "output to %s is over its high-water mark: %s dropped (%zu so far)",
                 l->peer.name, actr_msg_type_name(m->type), l->drops);
    }
    return rc;
}

int
actri_link_send(struct link *l, const actr_msg *m, int nowait)
{
    return link_send(l, m, nowait, 0);
}

/* A kept payload buffer larger than this is freed after its send. */
#define PLD_KEEP_MAX (64 * 1024)
/* The packer's writer of a link_gather: a big write is a body the codec
 * hands over as it lies in the caller's value (msgpack_pack_*_body): lend
 * it. */
static int
gather_write(void *data, const char *buf, size_t len)
{
    struct link_gather *g = data;
    if (len >= LINK_LEND_MIN && g->nrefs < IPC_SEGS_MAX) {
        g->refs[g->nrefs++] = (struct ipc_ref){g->sb->size, buf, len};
        return 0;
    }
    return msgpack_sbuffer_write(g->sb, buf, len);
}

int
actri_link_encode_lending(struct link_gather *g, msgpack_sbuffer *sb, const actr_type *t,
                          const void *v, actr_codec_err *err)
{
    msgpack_packer pk;
    g->sb = sb;
    g->nrefs = 0;
    msgpack_packer_init(&pk, g, gather_write);
    return actr_codec_encode(&pk, t, v, err);
}

int
actri_link_send_lent(struct link *l, const actr_msg *m, const actr_any *field,
                     const struct link_gather *g)
{
    if (!l->ipc)
        return actr_error_set(l->end ? l->end : ACTR_ECLOSED,
                              "channel to %s is closed", l->peer.name);
    return actri_ipc_send_gather(l->ipc, m, field, (const uint8_t *)g->sb->data, g->sb->size,
                                 g->refs, g->nrefs, ACTR_FOREVER);
}

/* A payload message; a Started may carry the callee's window (S27). */
static int
send_pld(struct link *l, actr_msg_type type, const char *cid, const actr_type *t,
         const void *v, int has_window, uint32_t window)
{
    static const uint8_t nil = 0xc0;
    /* Encode into the link's kept buffer, unless another task's send is
     * parked at the high-water mark holding it: then into a fresh one. */
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    int borrowed = !l->pld_busy;
    if (borrowed) {
        sb.data = l->pld_data;
        sb.alloc = l->pld_alloc;
        l->pld_data = NULL;
        l->pld_alloc = 0;
        l->pld_busy = 1;
    }
    actr_msg m = {.type = type};
    actr_msg_pld *p = type == ACTR_MSG_STARTED ? &m.u.started
                    : type == ACTR_MSG_YIELD ? &m.u.yield : &m.u.ret;
    p->cid.ptr = (char *)cid;
    p->cid.len = strlen(cid);
    p->has_window = has_window;
    p->window = window;
    int rc = 0;
    actr_codec_err err;
    struct link_gather g = {.sb = &sb};
    if (t && v && (rc = actri_link_encode_lending(&g, &sb, t, v, &err)) < 0) {
        rc = actr_error_set(rc, "cannot encode %s payload: %s", actr_msg_type_name(type),
                            err.msg);
    } else if (g.nrefs) {
        rc = actri_link_send_lent(l, &m, &p->pld, &g);
    } else {
        if (t && v) {
            p->pld.ptr = (uint8_t *)sb.data;
            p->pld.len = sb.size;
        } else {
            p->pld.ptr = (uint8_t *)&nil;
            p->pld.len = 1;
        }
        rc = link_send(l, &m, 0, 1);
    }
    if (borrowed && sb.alloc <= PLD_KEEP_MAX) {
        l->pld_data = sb.data;
        l->pld_alloc = sb.alloc;
    } else {
        msgpack_sbuffer_destroy(&sb);
    }
    if (borrowed)
        l->pld_busy = 0;
    return rc;
}

int
actri_link_send_pld(struct link *l, actr_msg_type type, const char *cid,
                    const actr_type *t, const void *v)
{
    return send_pld(l, type, cid, t, v, 0, 0);
}

int
actri_link_send_started(struct link *l, const char *cid, const actr_type *t, const void *v,
                        int has_window, uint32_t window)
{
    return send_pld(l, ACTR_MSG_STARTED, cid, t, v, has_window, window);
}

/* ------------------------------------------------------------ the loop */

static void
dispatch(struct link *l, const actr_msg *m)
{
    actr_str cid;
    switch (m->type) {
    case ACTR_MSG_START:
        actri_invoke_start(l, &m->u.start);
        return;
    case ACTR_MSG_PING:
        return;                         /* it arrived: that was its point */
    case ACTR_MSG_AID:
    case ACTR_MSG_SPAWNSPEC:
    case ACTR_MSG_AUTH:
        actr_log_warning(ACTOR_TAG, "unexpected %s from %s after the handshake: dropped",
                         actr_msg_type_name(m->type), l->peer.name);
        return;
    default:
        break;
    }
    if (!actr_msg_cid(m, &cid)) {
        /* A cid-less Error: the peer's runtime failed; the channel is done. */
        const actr_msg_error *e = &m->u.error;
        actr_log_error(ACTOR_TAG, "%s sent an error without cid (%.*s): %.*s",
                       l->peer.name, (int)e->boxed_type_str.len, e->boxed_type_str.ptr,
                       (int)(e->has_message ? e->message.len : e->tb_str.len),
                       e->has_message ? e->message.ptr : e->tb_str.ptr);
        actri_link_shutdown(l, ACTR_EREMOTE);
        return;
    }
    /* A stream's frames come in runs on one cid: the dialog of the last
     * frame is tried first, without hashing. */
    struct dialog *d = l->last;
    if (!d || d->cid_len != cid.len || memcmp(d->cid, cid.ptr, cid.len) != 0)
        d = l->last = actri_link_find(l, cid.ptr, cid.len);
    if (!d) {
        actr_log_runtime(ACTOR_TAG, "%s for unknown cid %.*s from %s: dropped",
                         actr_msg_type_name(m->type), (int)cid.len, cid.ptr, l->peer.name);
        return;
    }
    actri_dialog_deliver(d, m);
}

void
actri_link_serve(struct link *l)
{
    actri_link_ref(l);
    l->loop_running = 1;
    for (;;) {
        actr_ipc *ipc = l->ipc;
        if (!ipc)
            break;
        actr_msg m;
        int rc = actr_ipc_recv(ipc, &m, ACTR_FOREVER);
        if (rc < 0) {
            if (rc == ACTR_ECANCELED)
                actr_log_runtime(ACTOR_TAG, "message loop of %s cancelled", l->peer.name);
            else
                actr_log_runtime(ACTOR_TAG, "channel to %s ended: %s", l->peer.name,
                                 actr_strerror(rc));
            actri_link_shutdown(l, rc == ACTR_ECANCELED ? ACTR_ECLOSED : rc);
            break;
        }
        dispatch(l, &m);
    }
    l->loop_running = 0;
    /* Tasks this peer started die with its channel (tractor's msg loop
     * exit), and a child whose parent is gone cancels itself (S1). */
    size_t n = actri_cancel_served(l->a, l, &l->peer, NULL);
    if (n > 0)
        CANCEL_LOG(l->a, NULL, "channel to %s.%s ended: %zu task(s) it started cancelled",
                   l->peer.name, l->peer.uuid, n);
    if (l->a->parent == l && !l->a->cancelled) {
        CANCEL_LOG(l->a, NULL, "parent link to %s.%s dropped: cancelling this actor",
                   l->peer.name, l->peer.uuid);
        actr_actor_cancel(l->a);
    }
    if (l->a->hooks && l->a->hooks->on_link_end)
        l->a->hooks->on_link_end(l->a, l->a->hooks->arg, l);
    actr_event_set(&l->loop_done);
    actri_link_unref(l);
}

/* The keepalive of a link (opt-in, negotiated): every quarter period it
 * pings when nothing went out since the last tick, and it closes the
 * link when nothing came in for a whole period. Reading the channel's
 * byte counters costs the message path nothing. */
static int
keepalive_task(void *arg)
{
    struct link *l = arg;
    int64_t tick = l->keepalive / 4 ? l->keepalive / 4 : 1;
    actr_ipc_stats st;
    actr_ipc_stats_get(l->ipc, &st);
    uint64_t rx = st.bytes_recv, tx = st.bytes_sent;
    int64_t heard = actr_now();
    while (actr_sleep(tick) == 0 && l->ipc && !l->end) {
        actr_ipc_stats_get(l->ipc, &st);
        int64_t now = actr_now();
        if (st.bytes_recv != rx) {
            rx = st.bytes_recv;
            heard = now;
        } else if (now - heard >= l->keepalive) {
            actr_log_warning(ACTOR_TAG, "%s.%s sent nothing for %lld ms (keepalive %u ms):"
                             " closing its channel", l->peer.name, l->peer.uuid,
                             (long long)(now - heard), l->keepalive);
            actri_link_shutdown(l, ACTR_ECLOSED);
            break;
        }
        if (st.bytes_sent == tx) {
            actr_msg m = {.type = ACTR_MSG_PING};
            m.u.ping.interval = l->keepalive;
            (void)actri_link_send(l, &m, 1);
        }
        actr_ipc_stats_get(l->ipc, &st);
        tx = st.bytes_sent + st.out_pending;
    }
    actri_link_unref(l);
    return 0;
}

static int
loop_task(void *arg)
{
    struct link *l = arg;
    actr_task_set_name("msgloop");
    actri_link_serve(l);
    actri_link_unref(l);
    return 0;
}

int
actri_link_spawn_loop(struct link *l)
{
    actri_link_ref(l);
    actr_task_opts o = {.name = "msgloop"};
    int rc = actr_nursery_spawn_opts(l->a->svc, loop_task, l, &o);
    if (rc < 0)
        actri_link_unref(l);
    if (rc == 0)
        actri_link_keepalive(l);
    return rc;
}

void
actri_link_keepalive(struct link *l)
{
    if (!l->keepalive || !l->ipc)
        return;
    actri_link_ref(l);
    actr_task_opts o = {.name = "keepalive"};
    if (actr_nursery_spawn_opts(l->a->svc, keepalive_task, l, &o) < 0)
        actri_link_unref(l);
}

void
actri_link_shutdown(struct link *l, int code)
{
    if (!l->end)
        l->end = code ? code : ACTR_ECLOSED;
    actr_ipc *ipc = l->ipc;
    if (!ipc)
        return;
    l->ipc = NULL;
    for (size_t b = 0; b < l->nbuckets; b++)
        for (struct dialog *d = l->tab[b]; d; d = d->hnext)
            actri_dialog_fail(d, l->end);
    /* Flush what was queued (a CancelAck, a last Error) even when the
     * task is being cancelled. */
    actr_scope sh;
    int in_task = actri_task_self() != NULL;
    int64_t drain = l->actr ? LINK_DRAIN_MS : LINK_DRAIN_FOREIGN_MS;
    if (in_task && actr_scope_enter(&sh, actr_deadline_in(drain), ACTR_SCOPE_SHIELD) == 0) {
        actr_ipc_close(ipc, actr_deadline_in(drain));
        actr_scope_exit(&sh);
    } else {
        actr_ipc_close(ipc, 0);
    }
}
