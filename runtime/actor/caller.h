/* actor/caller.h: the caller end of a dialog (struct actr_ctx). Private.
 *
 * Every dialog this actor opens is a caller end: a function call
 * (portal.c), a context or generator stream (ctx.c), a run_in_actor call
 * (spawn.c), a cancel request (cancel.c). caller.c holds what they share:
 * the Start, the wait for the StartAck and the final answer, and how a
 * received Error is reported (the quiet rule of S11 lives in cancel.c).
 *
 * An actr_ctx goes through these states; every operation checks the state
 * and fails with ACTR_ESTATE and a clear detail when it is misused:
 *
 *   OPENING   Start sent; waiting for StartAck (and Started, CONTEXT)
 *   STARTED   open returned: the stream may be used
 *   STREAMING a value was sent or received
 *   RESULT    the final result (or error) was taken by result()
 *   CLOSED    close ran: every other task still using it gets ESTATE
 */
#ifndef ACTR_ACTOR_CALLER_H
#define ACTR_ACTOR_CALLER_H

#include "actor/dialog.h"

enum ctx_state { CTX_OPENING, CTX_STARTED, CTX_STREAMING, CTX_RESULT, CTX_CLOSED };

struct actr_ctx {
    struct dialog d;              /* the core (first: a dialog * is an actr_ctx *) */
    enum ctx_state state;
    int raw;                      /* opened by name: values are actr_any */
    const actr_type *t_started;
    const actr_type *t_result;

    /* the callee's answers */
    int got_ack;                  /* StartAck */
    actr_functype functype;
    int got_started;              /* Started (CONTEXT) */
    actr_msg started;
    int has_return;               /* Return */
    actr_msg ret;
    int has_cancelack;            /* CancelAck (cancel requests) */
    int cancelack;

    /* what this end did */
    int cancel_called;            /* we asked for this dialog's cancel (S11) */
    int announced;                /* our Start announced flow control (S27) */
    int quiet_logged;             /* the quiet outcome was logged once */
    int bg_cancel;                /* a background cancel request owns it */

    struct actri_exit_hook exit_hook; /* its task returned with it open */
    int hooked;

    /* a layer above's state (actr_ctx_attach), released at close */
    void *ext;
    void (*ext_release)(void *ext);
};

/* A new caller end on l (reference taken) for an endpoint of kind called
 * wire_name (copied when owned, else borrowed: static storage), refs = 1,
 * state OPENING. NULL without memory. */
struct actr_ctx *actri_ctx_new(struct link *l, actr_endpoint_kind kind, const char *wire_name,
                               int owned);
/* Takes the dialog reference of the caller end (NULL is a no-op). */
void actri_ctx_unref(struct actr_ctx *c);

/* Sends the Start of c on its link for ns:func: kwargs are *args encoded
 * with args_t, or raw_kwargs, or {}. Registers c in the link's table. */
int actri_ctx_start(struct actr_ctx *c, const char *ns, const char *func,
                    const actr_type *args_t, const void *args, const actr_any *raw_kwargs);
/* Waits for the StartAck and checks the kind (S6: a mismatch is
 * ACTR_EINVAL, the remote task is cancelled). A Return without StartAck
 * ends the wait: 0 for FN (the Return is the result), ACTR_EPROTO
 * otherwise; a CancelAck without StartAck is ACTR_EPROTO. */
int actri_ctx_wait_ack(struct actr_ctx *c);
/* The error of c whose channel ended (ACTR_ECLOSED), when ("before %s
 * returned", %s the dialog's name) saying where it was. When the peer is
 * our child and died unasked, the error (ActorFailure) says how: "child
 * 'w1' (pid 7) killed by SIGSEGV while serving mk:crash"; the channel's
 * EOF comes before the reaper, so this waits up to CHILD_END_WAIT_MS for
 * it. Cancellation point. */
#define CHILD_END_WAIT_MS 1000
int actri_ctx_closed(struct actr_ctx *c, const char *when);
/* Waits for the answer of an FN dialog already acked (Return, Error, or
 * the CancelAck of a cancel request) and decodes it into result. */
int actri_ctx_wait_return(struct actr_ctx *c, void *result);
/* Waits for and decodes the final result of a CONTEXT dialog (S7, S9);
 * stream values still in flight are dropped. */
int actri_ctx_result(struct actr_ctx *c, void *result);
/* Records the Error received on c as the task's detail and returns its
 * code; the ContextCancelled we asked for (S11) is logged at level cancel
 * only (close does not raise it at all). */
int actri_ctx_raise(struct actr_ctx *c);
/* 1 when the Error on c is the ContextCancelled this end asked for (S11),
 * logged at level cancel the first time; the detail is left alone. */
int actri_ctx_quiet(struct actr_ctx *c);
/* Records and returns the ACTR_EOVERRUN of a receiver whose dropped
 * messages the sender could not be told about (it had finished). */
int actri_ctx_overrun_error(struct actr_ctx *c);
/* 1 once the callee's task has answered for good (Return, Error, or the
 * end of a generator's stream). */
int actri_ctx_finished(const struct actr_ctx *c);
/* The caller gives up on c while the remote task may still run (its task
 * is cancelled, it returned with c open): unless c is finished or its
 * channel dead, the cancel request goes out from a task of the actor
 * (cancel.c), so the caller returns at once (DESIGN.md: a deadline is a
 * deadline); c is unregistered and the caller's reference released. */
void actri_ctx_abandon(struct actr_ctx *c);

#endif
