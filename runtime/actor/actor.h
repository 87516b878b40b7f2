/* actor/actor.h: what the files of runtime/actor share. Private.
 *
 * Objects:
 * - actr_actor: this process's actor (one per process): uid, listener,
 *   enabled modules, the service nursery every runtime task runs in.
 * - link: one IPC channel to a peer actor and its message loop task,
 *   which routes every frame by cid to a dialog (struct actr_ctx) of that
 *   channel. Reference counted: the loop, portals and dialogs hold it.
 * - actr_ctx: one side of one dialog, caller side (opened here) or callee
 *   side (a Start served here, wrapped by actr_call). */
#ifndef ACTR_ACTOR_ACTOR_H
#define ACTR_ACTOR_ACTOR_H

#include <actr/actr.h>
#include <actr/ipc.h>
#include <actr/wire.h>

#include "core/sched.h"

#define ACTOR_TAG "actor"
#define CANCEL_TAG "cancel"
#define UUID_LEN 36

/* How long a caller waits for the CancelAck of a _cancel_task request. */
#define CTX_CANCEL_TIMEOUT_MS 616
/* How long a cancel request (self:cancel, _cancel_task) waits for the
 * tasks it cancelled to finish before it answers anyway. */
#define CANCEL_WAIT_TASKS_MS 3000
/* How long closing a channel waits to flush what was queued on it. */
#define LINK_FLUSH_MS 500

struct link;
struct child;
struct actri_hooks;

/* A string owned by its holder (NUL-terminated). */
struct uidbuf {
    char *name;
    char *uuid;
};

struct actr_actor {
    struct uidbuf uid;
    int is_root;
    int debug_mode;
    int loglevel;
    int pid;
    actr_listener *listener;
    char url[ACTR_ADDR_URL_MAX];          /* first listen address */
    actr_addr *reg_addrs;                 /* registrars (relayed to children) */
    size_t nreg;
    const actr_module **modules;          /* compiled in */
    size_t nmodules;
    const actr_module **enabled;          /* callable (besides self) */
    size_t nenabled;
    actr_nursery *svc;                    /* service nursery (main task) */
    struct link *links;                   /* every live channel */
    struct child *pending;                /* spawned, not yet connected */
    int cancelled;                        /* actr_actor_cancel ran */
    struct uidbuf canceller;              /* who asked (self:cancel), or none */
    struct link *parent;                  /* child: the link to the parent */
    struct actri_hooks *hooks;            /* discovery's extension (hooks.h) */
};

/* ------------------------------------------------------------ dialogs */

/* A FIFO of Yield payloads (the cid and type are the dialog's): their
 * bytes sit back to back in one growable arena, their lengths in a ring,
 * so queueing a message allocates nothing once the queue has grown. */
struct msgq {
    unsigned char *buf;           /* live bytes are buf[bhead, btail) */
    size_t bcap;
    size_t bhead;
    size_t btail;
    size_t *lens;                 /* ring of payload lengths */
    size_t cap;
    size_t head;
    size_t len;
};

struct actr_ctx {
    struct link *link;            /* holds a reference */
    struct actr_ctx *hnext;       /* chain in the link's table */
    uint32_t cid_hash;            /* set by actri_link_register */
    uint32_t cid_len;
    int registered;
    int refs;
    char cid[UUID_LEN + 1];
    int callee;                   /* 1: served here (see actr_call) */
    int raw;                      /* opened by name: values are actr_any */
    actr_endpoint_kind kind;      /* the kind this side expects */
    const char *wire_name;        /* "ns:func" (static or owned below) */
    char *wire_name_owned;
    const actr_type *t_send;      /* what this side sends on the stream */
    const actr_type *t_recv;      /* what it receives */
    const actr_type *t_started;
    const actr_type *t_result;

    /* what arrived (caller side unless noted) */
    int got_ack;
    actr_functype functype;
    int got_started;
    actr_msg started;
    struct msgq q;                /* Yield messages (both sides) */
    size_t qmax;                  /* bound of q (S16) */
    int allow_overruns;
    size_t overruns;              /* dropped for overrun (S17/S18) */
    int peer_stopped;             /* Stop received (both sides) */
    int has_return;
    actr_msg ret;
    int has_error;                /* Error received (both sides) */
    actr_msg err;
    int has_cancelack;
    int cancelack;
    size_t yields_refused;        /* Yields with no inbound stream (both sides) */
    int yield_mte_sent;           /* their one MsgTypeError was sent */
    int dead;                     /* the channel ended: its code */

    /* what this side did */
    int we_stopped;
    int sent_any;
    int cancel_called;            /* we asked for the remote task's cancel */
    int close_called;

    struct actri_task *waiter;    /* the task parked on this dialog */

    /* callee side */
    struct actr_call *call;
    actr_scope *scope;            /* the serving task's scope, while entered */
    struct uidbuf canceller;      /* recorded by _cancel_task / self:cancel */
    actr_event done;              /* the serving task finished */
    int cancel_rpc;               /* a self:cancel* request: shielded, CancelAck */
    int self_cancel;              /* the serving task cancelled itself */
    int quiet_logged;             /* the cancel we asked for was logged */
    char *canceller_text;         /* "name.uuid" of canceller (actr_call_canceller) */

    /* S18: overflow of a context that allows overruns (overflow.c) */
    struct msgq ovf;              /* what arrived for a full queue, in order */
    size_t ovf_max;               /* bound of ovf */
    size_t ovf_lost;              /* overflow that never reached the reader */
    int ovf_reported;             /* the one "lost" warning was written */
    int drainer_on;               /* a drainer task runs (holds a reference) */
    int drainer_stop;
    struct actri_task *drainer;   /* the drainer, while parked */

    struct actri_exit_hook exit_hook; /* caller side: task left it open */
    int hooked;
};

/* ------------------------------------------------------------ channels */

/* The cid table starts with this many buckets and doubles whenever it
 * holds more dialogs than buckets (load factor <= 1). */
#define LINK_BUCKETS_MIN 16

struct link {
    actr_actor *a;
    actr_ipc *ipc;                /* NULL once closed */
    struct uidbuf peer;
    int refs;
    int end;                      /* 0 while alive, else its end code */
    int loop_running;
    size_t drops;                 /* messages dropped at the high-water mark */
    struct actr_ctx **tab;        /* nbuckets chains (NULL before the first) */
    size_t nbuckets;              /* a power of two, or 0 */
    size_t nctx;
    struct link *next;
    struct link *prev;
    struct child *child;          /* the child process on the other end */
    actr_event loop_done;
    int cancel_req;               /* we asked the peer actor to cancel (S12) */
    /* Payload encoding buffer kept between sends (actri_link_send_pld);
     * pld_busy while a send that may park holds it. */
    char *pld_data;
    size_t pld_alloc;
    int pld_busy;
};

/* Wraps a handshaken channel (owned from now on) in a link with one
 * reference for the caller. Returns 0 or ACTR_ENOMEM (ipc then closed). */
int actri_link_new(actr_actor *a, actr_ipc *ipc, struct link **out);
void actri_link_ref(struct link *l);
void actri_link_unref(struct link *l);
/* Runs the message loop of l in the current task until the channel ends
 * or the task is cancelled; then shuts l down. */
void actri_link_serve(struct link *l);
/* Starts actri_link_serve(l) as a task of the service nursery (it takes
 * its own reference). Returns 0 or ACTR_ENOMEM. */
int actri_link_spawn_loop(struct link *l);
/* Fails every dialog of l with code, closes the channel (flushing up to
 * LINK_FLUSH_MS, shielded). Idempotent. */
void actri_link_shutdown(struct link *l, int code);
/* Sends m on l without blocking on the high-water mark when nowait. */
int actri_link_send(struct link *l, const actr_msg *m, int nowait);
/* Sends a message with one payload: type STARTED/YIELD/RETURN, value v
 * encoded with t (NULL t: nil). Parks at the high-water mark. The caller
 * keeps l alive meanwhile (it holds a context of l, which refs it). */
int actri_link_send_pld(struct link *l, actr_msg_type type, const char *cid,
                        const actr_type *t, const void *v);
struct actr_ctx *actri_link_find(struct link *l, const char *cid, size_t len);
int actri_link_register(struct link *l, struct actr_ctx *c);
void actri_link_unregister(struct link *l, struct actr_ctx *c);

/* ------------------------------------------------------------ dialogs */

/* A new dialog on l (reference taken) with refs = 1; cid == NULL makes a
 * fresh uuid4. */
struct actr_ctx *actri_ctx_new(struct link *l, const char *cid, size_t cidlen);
void actri_ctx_ref(struct actr_ctx *c);
void actri_ctx_unref(struct actr_ctx *c);
void actri_ctx_wake(struct actr_ctx *c);
/* Parks the current task on c until something arrives. 0 / ECANCELED. */
int actri_ctx_wait(struct actr_ctx *c);
/* Routes one message of the channel to c (never blocks). */
void actri_ctx_deliver(struct actr_ctx *c, const actr_msg *m);
/* The channel of c ended with code. */
void actri_ctx_fail(struct actr_ctx *c, int code);
/* Turns the Error received on c into the task's error detail and its
 * ACTR_E* code. */
int actri_ctx_raise(struct actr_ctx *c);
/* Takes the oldest queued Yield payload: 1 with *pld borrowed from the
 * queue (valid until the queue is next pushed to, i.e. until the task
 * next switches out), or 0 when empty. */
int actri_ctx_pop(struct actr_ctx *c, actr_any *pld);
/* 1 while stream values are still on their way to the reader (queue or
 * overflow): the end of the stream is not reached yet. */
int actri_ctx_pending(const struct actr_ctx *c);
/* Decodes a payload with t into out (t or out NULL: ignored). Returns 0
 * or ACTR_ETYPE naming what and the dialog. */
int actri_pld_decode(struct actr_ctx *c, const actr_type *t, const actr_any *pld, void *out,
                     const char *what);
/* Waits for and decodes the final result of a CONTEXT dialog (S7, S9). */
int actri_ctx_result(struct actr_ctx *c, void *result);
/* 1 when the Error on c is the ContextCancelled this side asked for. */
int actri_ctx_self_cancelled(struct actr_ctx *c);
/* 1 when c ended with a ContextCancelled this side did not ask for. */
int actri_ctx_cancelled_remote(const struct actr_ctx *c);

/* Caller side: sends the Start of a new dialog on l for ns:func. */
int actri_ctx_start(struct actr_ctx *c, const char *ns, const char *func,
                    const actr_type *args_t, const void *args,
                    const actr_any *raw_kwargs);
/* Caller side: waits for the StartAck and checks the kind (S6). A Return
 * without StartAck ends the wait: 0 for FN (the Return is the result),
 * ACTR_EPROTO otherwise; a CancelAck without StartAck is ACTR_EPROTO. */
int actri_ctx_wait_ack(struct actr_ctx *c);
/* Caller side: bounded, shielded `self:_cancel_task` for c. */
int actri_ctx_cancel_remote(struct actr_ctx *c, int64_t timeout_ms);
/* Splits "module:func". Returns 0 or ACTR_EINVAL. */
int actri_split_name(const char *fn, char *ns, size_t nscap, const char **func);

/* ------------------------------------------------------------ overflow */

/* Ring helpers shared by dialog.c and overflow.c. */
/* Appends a copy of pld; ACTR_EOVERRUN past max entries, ACTR_ENOMEM. */
int actri_msgq_push(struct msgq *q, size_t max, const actr_any *pld);
/* Takes the oldest payload: 1 with *pld borrowed (valid until the next
 * push or clear), 0 when empty. */
int actri_msgq_pop(struct msgq *q, actr_any *pld);
void actri_msgq_clear(struct msgq *q);

/* S18: keeps m (borrowed) in c's overflow, dropping the oldest past the
 * bound, and makes sure a drainer task feeds it into the queue. */
void actri_ovf_keep(struct actr_ctx *c, const actr_msg *m);
/* Space freed in c's queue: lets the drainer go on. */
void actri_ovf_space(struct actr_ctx *c);
/* The reader no longer wants the stream (result, close): what the
 * overflow still holds is lost. */
void actri_ovf_discard(struct actr_ctx *c);
/* The context ends: stops the drainer, drops what is left and writes the
 * one warning line with the number of messages lost. Idempotent. */
void actri_ovf_end(struct actr_ctx *c);

/* ------------------------------------------------------------ cancel */

/* One line at level cancel naming the actor uid, the task and the cid
 * (S24). cid may be NULL ("-"). */
void actri_cancel_log(const actr_actor *a, const char *cid, const char *fmt, ...)
    ACTR_PRINTF(3, 4);
#define CANCEL_LOG(a, cid, ...)                                     \
    do {                                                            \
        if (actr_log_enabled(ACTR_LOG_CANCEL))                      \
            actri_cancel_log((a), (cid), __VA_ARGS__);              \
    } while (0)
/* 1 when the actor uid u names this actor. */
int actri_uid_is_self(const actr_actor *a, const actr_str *uuid);

/* ------------------------------------------------------------ callee */

/* The callee side of one running call (actr/ctx.h, invoke.c). */
struct actr_call {
    struct actr_ctx *c;
    const actr_endpoint *ep;
    actr_msg start;               /* owned copy of the Start */
    int started_sent;
    int own_result;
    int cancel_actor_after;       /* self:cancel: tear the actor down once acked */
    char *fail_type;
    char *fail_msg;
    char *fail_bt;
};

/* Serves a Start message received on l (never blocks). */
void actri_invoke_start(struct link *l, const actr_msg_start *st);
/* Cancels every task served for l's peer (the channel dropped), or for
 * every link when l is NULL (self:cancel), recording canceller. Returns
 * the number cancelled. */
size_t actri_invoke_cancel_all(actr_actor *a, struct link *l, const struct uidbuf *canceller);

/* ------------------------------------------------------------ errors */

/* Builds and sends an Error for cid (NULL: none) on l: type names, the
 * message, the traceback, canceller/sender uids (NULL: nil), relay path =
 * [src, self] when src is another actor. nowait: see actri_link_send. */
struct errbox {
    const char *boxed_type;
    const char *src_type;
    const char *src_name;         /* NULL: this actor */
    const char *src_uuid;
    const char *message;
    const char *tb;
    const struct uidbuf *canceller;
    const struct uidbuf *sender;
};
int actri_send_error(struct link *l, const char *cid, const struct errbox *b, int nowait);
/* Maps a wire exception name to an ACTR_E* code. */
int actri_error_code_of(const char *boxed, const char *src);
/* "name.uuid" of a uid (malloc'd) */
char *actri_uid_text(const char *name, const char *uuid);

/* ------------------------------------------------------------ misc */

void actri_uuid4(char out[UUID_LEN + 1]);
int actri_uid_set(struct uidbuf *u, const char *name, size_t nlen, const char *uuid,
                  size_t ulen);
void actri_uid_clear(struct uidbuf *u);
/* The actor's uid as a wire uid (borrowing). */
actr_uid actri_self_uid(const actr_actor *a);
/* Counterpart of a uidbuf on the wire (borrowing). */
actr_uid actri_uid_wire(const struct uidbuf *u);
/* Looks an endpoint up for ns:func (S5). Returns it, or NULL with *why =
 * "ModuleNotExposed" / "AttributeError" and a message in msg. */
const actr_endpoint *actri_lookup(actr_actor *a, const actr_str *ns, const actr_str *func,
                                  const char **why, char *msg, size_t cap);
/* Our Aid. */
void actri_self_aid(const actr_actor *a, actr_msg_aid *out);

/* ------------------------------------------------------------ spawning */

struct child {
    struct child *next;           /* in the actor's pending list / nursery */
    struct child *pnext;
    int pending;
    actr_actor_nursery *an;
    char name[64];
    char uuid[UUID_LEN + 1];
    int pid;
    int exited;
    int status;
    struct link *link;            /* once connected (reference) */
    actr_event ready;             /* connected or exited */
    actr_event exit_ev;
    actr_portal *portal;
    /* run_in_actor */
    int run;
    struct actr_ctx *run_ctx;
    const actr_endpoint *run_ep;
    int result_done;
    int result_rc;
    actr_event result_ev;
};

/* A handshaken connection from a peer: if it is a child we spawned,
 * attach it. */
void actri_spawn_attach(actr_actor *a, struct link *l);

struct actr_portal {
    struct link *link;            /* reference */
    struct child *child;          /* NULL: opened with actr_portal_open */
};

int actri_portal_new(struct link *l, struct child *ch, actr_portal **out);
void actri_portal_free(actr_portal *p);
/* actr_portal_cancel_actor with its own bound on the wait. */
int actri_portal_cancel_actor(actr_portal *p, int64_t timeout_ms);

#endif
