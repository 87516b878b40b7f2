/* hilevel/calls.h: the blocking calls in flight on an object (a
 * supervisor, the service manager) that its close cancels and waits for
 * before it frees what they use: no call is left parked on a lock or an
 * event of freed memory. Private. */
#ifndef ACTR_HILEVEL_CALLS_H
#define ACTR_HILEVEL_CALLS_H

#include <stddef.h>

#include <actr/scope.h>
#include <actr/sync.h>

struct hl_call_set {
    struct hl_inflight *head;
    size_t n;
    actr_event idle;            /* set while n == 0 */
};

/* One call, on its caller's stack. */
struct hl_inflight {
    actr_scope sc;
    struct hl_inflight *next, *prev;
    struct hl_call_set *set;
};

void hl_calls_init(struct hl_call_set *cs);

/* Enters c's scope in the calling task and registers it: leave with
 * hl_calls_leave before returning. 0, or ACTR_ESTATE outside a task. */
int hl_calls_enter(struct hl_call_set *cs, struct hl_inflight *c);

void hl_calls_leave(struct hl_inflight *c);

/* Cancels every registered call and waits (shielded) until each has
 * left. */
void hl_calls_cancel_wait(struct hl_call_set *cs);

#endif
