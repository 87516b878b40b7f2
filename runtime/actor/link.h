/* actor/link.h: one IPC channel to a peer actor. Private.
 *
 * A link owns a handshaken channel, the table of the dialogs that run on
 * it (by cid, O(1)) and a message loop task that routes every frame to
 * its dialog without ever blocking on one (S16). It is reference counted:
 * the loop, portals and dialogs hold it. Lifecycle: actri_link_new ->
 * (loop) -> actri_link_shutdown (every dialog fails, the channel closes;
 * idempotent) -> last unref frees. */
#ifndef ACTR_ACTOR_LINK_H
#define ACTR_ACTOR_LINK_H

#include "actor/actor.h"
#include "ipc/channel.h"

struct dialog;

/* How the process on the other end of a link to our child ended, as the
 * reaper knows it (spawn.c fills it in the child's record): a channel's
 * EOF comes before the reaper, so whoever tells a caller why its dialog
 * died waits for `exited` a moment (caller.c). */
struct child_end {
    actr_event exited;            /* the child was reaped */
    int died;                     /* it died unasked (spawn.h) */
    char who[96];                 /* "child 'w1' (pid 7)" */
    char how[64];                 /* "killed by SIGSEGV" */
};
/* The cid table starts with this many buckets and doubles whenever it
 * holds more dialogs than buckets (load factor <= 1). */
#define LINK_BUCKETS_MIN 16

struct link {
    actr_actor *a;
    actr_ipc *ipc;                /* NULL once closed */
    struct uidbuf peer;
    unsigned actr;                /* the version of actr's extensions the peer
                                     announced in its Aid; 0 for a tractor
                                     peer: then no extension is ever sent
                                     (PROTOCOL.md section 13) */
    actr_addr raddr;              /* the channel's other end */
    int authed;                   /* the peer proved the tree's secret (S28) */
    size_t ntasks;                /* RPC tasks it started, running */
    uint32_t keepalive;           /* negotiated keepalive (ms), 0: none */
    int refs;
    int end;                      /* 0 while alive, else its end code */
    int loop_running;
    size_t drops;                 /* messages dropped at the high-water mark */
    struct dialog **tab;          /* nbuckets chains (NULL before the first) */
    size_t nbuckets;              /* a power of two, or 0 */
    size_t nctx;
    struct dialog *last;          /* the dialog the last frame went to (a
                                     cache of the table; NULL when none) */
    struct link *next;            /* in the actor's list of links */
    struct link *prev;
    struct child_end *child_end;  /* our child on the other end, or NULL */
    actr_event loop_done;         /* the message loop ended */
    /* Payload encoding buffer kept between sends (actri_link_send_pld);
     * pld_busy while a send that may park holds it. */
    char *pld_data;
    size_t pld_alloc;
    int pld_busy;
};

/* A string, bytes or any body this big in a payload or in a call's
 * arguments is not copied: the channel writes it from the caller's value
 * (actri_ipc_send_gather). */
#define LINK_LEND_MIN (32 * 1024)

/* A value being encoded for a send that lends its big bodies: the bytes
 * copied into sb, the bodies (borrowed from the value) in refs. */
struct link_gather {
    msgpack_sbuffer *sb;
    struct ipc_ref refs[IPC_SEGS_MAX];
    size_t nrefs;
};

/* Wraps a handshaken channel (owned from now on) in a link with one
 * reference for the caller. Returns 0 or ACTR_ENOMEM (ipc then closed). */
int actri_link_new(actr_actor *a, actr_ipc *ipc, struct link **out);
void actri_link_ref(struct link *l);
void actri_link_unref(struct link *l);
/* 1 while l's channel works. */
int actri_link_up(const struct link *l);
/* Runs the message loop of l in the current task until the channel ends
 * or the task is cancelled; then shuts l down and cancels the tasks its
 * peer started (S14). */
void actri_link_serve(struct link *l);
/* Starts actri_link_serve(l) as a task of the service nursery (it takes
 * its own reference). Returns 0 or ACTR_ENOMEM. */
int actri_link_spawn_loop(struct link *l);
/* Starts l's keepalive task when one was negotiated (no-op otherwise);
 * actri_link_spawn_loop does it for the links it serves. */
void actri_link_keepalive(struct link *l);
/* Fails every dialog of l with code, closes the channel (flushing up to
 * LINK_FLUSH_MS, shielded). Idempotent. */
void actri_link_shutdown(struct link *l, int code);
/* Sends m on l; with nowait it never parks: over the high-water mark the
 * message is dropped (counted, logged once) and ACTR_ETIMEDOUT returned. */
int actri_link_send(struct link *l, const actr_msg *m, int nowait);
/* Sends a message with one payload: type STARTED/YIELD/RETURN, value v
 * encoded with t (NULL t: nil). Parks at the high-water mark. The caller
 * keeps l alive meanwhile (it holds a dialog of l, which refs it). */
int actri_link_send_pld(struct link *l, actr_msg_type type, const char *cid,
                        const actr_type *t, const void *v);
/* The dialog of l with this cid, or NULL. */
/* actri_link_send_pld for a Started, with the callee's receive window
 * when has_window (S27, sent only to a peer that announced flow control). */
int actri_link_send_started(struct link *l, const char *cid, const actr_type *t,
                            const void *v, int has_window, uint32_t window);
struct dialog *actri_link_find(struct link *l, const char *cid, size_t len);
/* Encodes v (type t) into sb (appending) and g: bodies of LINK_LEND_MIN
 * bytes or more are not copied but noted in g (up to IPC_SEGS_MAX; the
 * rest are copied). Returns 0 or an error of actr_codec_encode (sb then
 * holds a partial value). */
int actri_link_encode_lending(struct link_gather *g, msgpack_sbuffer *sb, const actr_type *t,
                              const void *v, actr_codec_err *err);
/* Sends m, its raw field `field` made of what g holds, the lent bodies
 * written from where they lie before this returns (or copied, on a
 * cancel: actri_ipc_send_gather). Parks at the high-water mark and while
 * the kernel takes the bodies. Returns 0 (queued) or an error. */
int actri_link_send_lent(struct link *l, const actr_msg *m, const actr_any *field,
                         const struct link_gather *g);
/* Enters d in l's table: 0, ACTR_EPROTO (cid in use), ACTR_ENOMEM. */
int actri_link_register(struct link *l, struct dialog *d);
/* actri_link_find that also hands out the cid's hash, for a dialog about
 * to be registered with it (a Start: its cid is hashed once). */
struct dialog *actri_link_lookup(struct link *l, const char *cid, size_t len, uint32_t *hash);
/* Enters d, whose cid (len bytes) actri_link_lookup just found free and
 * hashed, in l's table: as actri_link_register. */
int actri_link_register_hashed(struct link *l, struct dialog *d, size_t len, uint32_t hash);
/* Takes d out of l's table (no-op when it is not in it). */
void actri_link_unregister(struct link *l, struct dialog *d);

#endif
