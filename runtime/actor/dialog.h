/* actor/dialog.h: the core both ends of a dialog share. Private.
 *
 * A dialog is one cid on one link: the caller end (struct actr_ctx,
 * caller.h) opened it here, the callee end (struct actr_call, callee.h)
 * serves a Start received here. The core holds what does not depend on
 * the end: the cid and the link reference, the delivery of what the
 * message loop routes to it, the bounded receive queue of the inbound
 * stream (msgq.c, S16) with its overrun rules (S17, and S18 in
 * overflow.c), the peer's Stop and Error, the end of the channel, and the
 * tasks parked on it.
 *
 * Each end embeds a struct dialog as its first member and gives it a
 * dialog_ops: deliver takes the messages only that end understands
 * (StartAck, Started, Return, CancelAck for the caller), destroy frees
 * the end when the last reference goes. */
#ifndef ACTR_ACTOR_DIALOG_H
#define ACTR_ACTOR_DIALOG_H

#include "actor/actor.h"

struct link;
struct dialog;
struct overflow;

/* ------------------------------------------------------------ msgq */

/* One queued payload: its bytes in the arena, or in a block of its own. */
struct msgq_ent {
    size_t len;
    void *block;                  /* NULL: the next len bytes of the arena */
    const unsigned char *ptr;     /* in block */
};

/* A FIFO of Yield payloads (the cid and type are the dialog's): their
 * bytes sit back to back in one growable arena, their entries in a ring,
 * so queueing a message allocates nothing once the queue has grown; a big
 * payload may instead stay in the frame buffer it arrived in (a block),
 * which the queue then owns: no copy. */
struct msgq {
    unsigned char *buf;           /* live bytes are buf[bhead, btail) */
    size_t bcap;
    size_t bhead;
    size_t btail;
    struct msgq_ent *ents;        /* ring of payloads */
    size_t cap;
    size_t head;
    size_t len;
    void *held;                   /* the block of the payload popped last */
};

/* A Yield payload this big is queued in its own frame buffer when the
 * channel can hand that over (actri_ipc_take_frame), not copied. */
#define MSGQ_BLOCK_MIN ((size_t)64 << 10)

/* Appends a copy of pld; ACTR_EOVERRUN past max entries, ACTR_ENOMEM. */
int actri_msgq_push(struct msgq *q, size_t max, const actr_any *pld);
/* Appends pld, which lies in block (malloc'd): the queue owns block from
 * now on, on success only. ACTR_EOVERRUN, ACTR_ENOMEM. */
int actri_msgq_push_block(struct msgq *q, size_t max, void *block, const actr_any *pld);
/* Takes the oldest payload: 1 with *pld borrowed (valid until the next
 * push, pop or clear), 0 when empty. */
int actri_msgq_pop(struct msgq *q, actr_any *pld);
void actri_msgq_clear(struct msgq *q);

/* ------------------------------------------------------------ dialogs */

enum dialog_end { DIALOG_CALLER, DIALOG_CALLEE };

struct dialog_ops {
    /* A message of the end's own (anything but Yield, Stop, Error). */
    void (*deliver)(struct dialog *d, const actr_msg *m);
    /* Frees the end (the core's fields are already released). */
    void (*destroy)(struct dialog *d);
};

/* A task parked on a dialog (on that task's stack). */
struct dialog_waiter {
    struct dialog_waiter *next;
    struct actri_task *task;
};

struct dialog {
    const struct dialog_ops *ops;
    struct link *link;            /* holds a reference */
    struct dialog *hnext;         /* chain in the link's cid table */
    uint32_t cid_hash;            /* set by actri_link_register */
    uint32_t cid_len;
    int registered;               /* in the link's table */
    int refs;
    char cid[UUID_LEN + 1];
    enum dialog_end end;
    actr_endpoint_kind kind;      /* the endpoint's kind, as this end knows it */
    const char *wire_name;        /* "ns:func" (static, or wire_name_owned) */
    char *wire_name_owned;
    const actr_type *t_send;      /* what this end sends on the stream */
    const actr_type *t_recv;      /* what it receives */

    /* the inbound stream (S16-S18) */
    struct msgq q;                /* Yield payloads not yet taken */
    size_t qmax;                  /* bound of q */
    int allow_overruns;           /* S18: overflow instead of StreamOverrun */
    size_t ovf_max;               /* bound of the overflow (0: default) */
    struct overflow *ovf;         /* S18 state, NULL until first needed */
    size_t overruns;              /* messages dropped for overrun (S17) */
    size_t yields_refused;        /* Yields on a dialog that receives none */
    int yield_mte_sent;           /* their one MsgTypeError was sent */

    /* S27 flow control, negotiated when the dialog opens (flow.c) */
    int fc;                       /* the peer takes part: credit may flow */
    uint32_t send_window;         /* our sends are limited (0: they are not) */
    uint64_t send_credit;         /* messages we may still send */
    uint32_t recv_window;         /* the window we grant the peer (0: none) */
    uint64_t granted;             /* credit granted to the peer in all */
    uint64_t received;            /* Yields received, in all */
    uint64_t taken;               /* taken by our tasks since the last grant */

    /* what happened to the dialog */
    int peer_stopped;             /* the peer's Stop arrived (S8) */
    int eoc;                      /* this end's recv reached that Stop: its
                                     sends fail with ACTR_EPIPE too (S8) */
    int we_stopped;               /* our Stop was sent */
    int draining;                 /* this end stopped reading (a generator
                                     closed early): values still arriving
                                     are dropped without news */
    int sent_values;              /* we sent a Yield on it */
    int has_error;                /* the peer's Error arrived (first one) */
    actr_msg err;
    int dead;                     /* the channel ended: its code */

    struct dialog_waiter *waiters;
};

/* Initialises the core of a new dialog on l (reference taken) with refs
 * = 1; cid == NULL makes a fresh uuid4. */
void actri_dialog_init(struct dialog *d, const struct dialog_ops *ops, enum dialog_end end,
                       struct link *l, const char *cid, size_t cidlen);
void actri_dialog_ref(struct dialog *d);
/* Drops a reference; the last one unregisters d, ends its overflow,
 * releases the core and calls ops->destroy. NULL is a no-op. */
void actri_dialog_unref(struct dialog *d);
/* The name for messages: the wire name, or "?". */
const char *actri_dialog_name(const struct dialog *d);

/* Wakes every task parked on d. */
void actri_dialog_wake(struct dialog *d);
/* Parks the current task on d until something arrives (any number of
 * tasks may wait on one dialog). 0 or ACTR_ECANCELED. The caller holds a
 * reference across the call. */
int actri_dialog_wait(struct dialog *d);

/* Routes one message of the channel to d (never blocks on the dialog;
 * S16: see dialog.c for the overrun rule). */
void actri_dialog_deliver(struct dialog *d, const actr_msg *m);
/* The channel of d ended with code. */
void actri_dialog_fail(struct dialog *d, int code);

/* Turns the Error received on d into the task's error detail; returns its
 * ACTR_E* code. */
int actri_dialog_raise(struct dialog *d);
/* 1 when the Error received on d is a ContextCancelled (direct or
 * relayed); *canceller then borrows its canceller uid (len 0: none). */
int actri_dialog_ctxc(const struct dialog *d, actr_uid *canceller);

/* Takes the oldest queued Yield payload: 1 with *pld borrowed from the
 * queue (valid until the queue is next pushed to, i.e. until the task
 * next switches out), or 0 when empty. With flow control the caller then
 * calls actri_flow_settle, after it is done with *pld. */
int actri_dialog_pop(struct dialog *d, actr_any *pld);
/* 1 while stream values are still on their way to the reader (queue or
 * overflow): the end of the stream is not reached yet. */
int actri_dialog_pending(const struct dialog *d);
/* Decodes a payload with t into out (t or out NULL: ignored). Returns 0
 * or ACTR_ETYPE naming what and the dialog. */
int actri_dialog_decode(struct dialog *d, const actr_type *t, const actr_any *pld, void *out,
                        const char *what);
/* Sends a stream value *v (type t_send). Parks at the high-water mark. */
int actri_dialog_send_value(struct dialog *d, const void *v);
/* Sends this end's Stop (once); shielded and bounded when final (the
 * answer of a task that is being cancelled must still go out). */
int actri_dialog_send_stop(struct dialog *d, int final);
/* The end of the peer's stream, as recv reports it (S8): marks d so its
 * own sends fail from now on, and returns ACTR_EPIPE (no detail: it is
 * the normal end of a stream). */
int actri_dialog_eoc(struct dialog *d);
/* A send's check of S8: ACTR_EPIPE with a detail once this end's recv
 * reached the peer's Stop, else 0. */
int actri_dialog_check_eoc(struct dialog *d);
/* ACTR_ECLOSED with a detail when d's channel is gone, else 0. */
int actri_dialog_check_link(struct dialog *d);

/* ------------------------------------------------------------ flow control */

/* S27 (flow.c). A window of N messages: a sender may have at most N
 * messages the receiving task has not taken; the receiver grants credit
 * (ActrCredit) in batches as its tasks take them. Only with a peer that
 * negotiated it; otherwise S16-S18 hold as they are. */

/* 1 when flow control is on for this process (ACTR_FLOW_CONTROL is not
 * "off"): streams this actor opens announce it, Starts that announce it
 * are answered. */
int actri_flow_enabled(void);
/* The peer takes part and its receive window is window (0: our sends are
 * not limited). */
void actri_flow_peer(struct dialog *d, uint32_t window);
/* Our receive window (0: none); the queue grows to hold it and the room
 * granted past it (see flow.c). Before the peer learns it. */
void actri_flow_window(struct dialog *d, uint32_t window);
/* Before a send: 0 with one credit taken (or when no window applies: none
 * was negotiated, or the peer's Stop lifted it), ACTR_EAGAIN when the task
 * waited and the dialog's state may have changed (the caller checks it
 * again and retries), or ACTR_ECANCELED. A cancellation point. */
int actri_flow_acquire(struct dialog *d);
/* A Yield arrived (the message loop, before it is queued). */
void actri_flow_received(struct dialog *d);
/* After our task took values from the queue (actri_dialog_pop counts
 * them) and is done with the borrowed payload: grants credit in batches.
 * May park at the output's high-water mark. */
void actri_flow_settle(struct dialog *d);
/* An ActrCredit arrived: grant more sends, wake the waiting senders. */
void actri_flow_credit(struct dialog *d, uint32_t grant);

/* ------------------------------------------------------------ overflow */

/* S18: keeps m's payload (borrowed) in d's overflow, dropping the oldest
 * past the bound, and makes sure a drainer task feeds it into the queue. */
void actri_ovf_keep(struct dialog *d, const actr_msg *m);
/* Space freed in d's queue: lets the drainer go on. */
void actri_ovf_space(struct dialog *d);
/* The reader no longer wants the stream (result, close): what the
 * overflow still holds is lost. */
void actri_ovf_discard(struct dialog *d);
/* The dialog ends: stops the drainer, drops what is left and writes the
 * one warning line with the number of messages lost. Idempotent. */
void actri_ovf_end(struct dialog *d);
/* Messages in the overflow now, and lost from it so far. */
size_t actri_ovf_len(const struct dialog *d);
size_t actri_ovf_lost(const struct dialog *d);

#endif
