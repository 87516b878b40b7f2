/* actor/callee.h: the callee end of a dialog (struct actr_call). Private.
 *
 * A Start received on a link becomes an actr_call and a task of the
 * actor's service nursery that runs the endpoint's trampoline and then
 * answers exactly once: Return (or Stop for a generator, CancelAck for a
 * cancel request), or one Error (invoke.c). Lookup failures are answered
 * with an Error and no StartAck, without a task. */
#ifndef ACTR_ACTOR_CALLEE_H
#define ACTR_ACTOR_CALLEE_H

#include "actor/dialog.h"

struct actr_call {
    struct dialog d;              /* the core (first) */
    const actr_endpoint *ep;
    actr_msg start;               /* owned copy of the Start */
    int started_sent;             /* CONTEXT: started() done */
    int own_result;               /* the runtime frees the result */
    int cancel_rpc;               /* self:cancel or self:_cancel_task:
                                     shielded, answered with CancelAck */
    int cancel_actor_after;       /* self:cancel: tear the actor down once acked */
    int counted;                  /* in the task counts of S28's caps */
    actr_scope *scope;            /* the serving task's scope, while it runs */
    actr_event done;              /* the serving task finished */
    /* cancellation (cancel.c) */
    struct uidbuf canceller;      /* who asked for it, or none */
    char *canceller_text;         /* "name.uuid" of canceller */
    int self_cancel;              /* the task cancelled itself */
    /* the failure the implementation named with actr_call_fail */
    char *fail_type;
    char *fail_msg;
    char *fail_bt;
    int debug_seen;               /* debug mode looked at its failure (debug.c) */
};

/* The traceback text of a failure of call's task (malloc'd, NULL without
 * memory): this actor's uid and pid, the endpoint, cid and task, the C
 * backtrace bt when not NULL, then "type: text" as its last line, where
 * tractor puts an exception's text. */
char *actri_call_traceback(const struct actr_call *call, const char *bt, const char *type,
                           const char *text);

/* Serves a Start message received on l (never blocks). */
void actri_invoke_start(struct link *l, const actr_msg_start *st);

#endif
