/* hilevel/calls.h: the blocking calls in flight on an object (a
 * supervisor, the service manager) that its close cancels and waits for
 * before it frees what they use: no call is left parked on a lock or an
 * event of freed memory. Private. */
#ifndef ACTR_HILEVEL_CALLS_H
#define ACTR_HILEVEL_CALLS_H

#include <stddef.h>

#include <actr/scope.h>
#include <actr/sync.h>

struct call_set {
    struct inflight *head;
    size_t n;
    actr_event idle;            /* set while n == 0 */
};

/* One call, on its caller's stack. */
struct inflight {
    actr_scope sc;
    struct inflight *next, *prev;
    struct call_set *set;
};

void calls_init(struct call_set *cs);

/* Enters c's scope in the calling task and registers it: leave with
 * calls_leave before returning. 0, or ACTR_ESTATE outside a task. */
int calls_enter(struct call_set *cs, struct inflight *c);

void calls_leave(struct inflight *c);

/* Cancels every registered call and waits (shielded) until each has
 * left. */
void calls_cancel_wait(struct call_set *cs);

#endif
