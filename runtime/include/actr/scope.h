/* actr/scope.h: cancel scopes (SEMANTICS S15; DESIGN.md: timeouts are
 * scopes). A scope lives in the caller's storage (normally its stack),
 * is entered and exited by one task in LIFO order with every other scope
 * and nursery of that task, and bounds every blocking call made inside it:
 * once it is cancelled (by actr_scope_cancel from anywhere, or by its
 * deadline), each blocking call inside returns ACTR_ECANCELED, and so do
 * the calls of the tasks of any nursery opened inside it. A shielded scope
 * is immune to the cancellation of the scopes around it (for cleanup); it
 * can still be cancelled itself. */
#ifndef ACTR_SCOPE_H
#define ACTR_SCOPE_H

#include <stdint.h>

#include "api.h"

ACTR_BEGIN_DECLS

/* Caller-owned storage of a scope; its content is private. */
typedef struct actr_scope {
    uint64_t opaque_[22];
} actr_scope;

/* Flags for actr_scope_enter. */
#define ACTR_SCOPE_SHIELD 1u  /* ignore cancellation from enclosing scopes */
#define ACTR_SCOPE_FAIL   2u  /* fail_after: exit reports ACTR_ETIMEDOUT when
                                 this scope's own deadline fired */

/* Enters scope s in the current task. deadline is absolute (actr_now()
 * milliseconds, ACTR_FOREVER for none); a deadline already past cancels
 * the scope at once. Does not block. Returns 0, or ACTR_ESTATE when not
 * called from a task. */
ACTR_API ACTR_NODISCARD int actr_scope_enter(actr_scope *s, int64_t deadline,
                                             unsigned flags);

/* trio's move_on_after: enter s with a deadline ms from now; exit returns
 * 0 whether or not the deadline fired (check actr_scope_expired). */
ACTR_API ACTR_NODISCARD int actr_move_on_after(actr_scope *s, int64_t ms);

/* trio's fail_after: enter s with a deadline ms from now; exit returns
 * ACTR_ETIMEDOUT when that deadline fired. */
ACTR_API ACTR_NODISCARD int actr_fail_after(actr_scope *s, int64_t ms);

/* Leaves s, which must be the innermost scope (or nursery) of the current
 * task. Does not block. Returns ACTR_ETIMEDOUT when s was entered with
 * ACTR_SCOPE_FAIL and its own deadline fired, 0 otherwise (a cancelled
 * move_on scope is left quietly); ACTR_ESTATE on misuse (not innermost,
 * not entered, wrong task). After exit the storage may be reused. */
ACTR_API int actr_scope_exit(actr_scope *s);

/* Cancels s (idempotent): every blocking call inside it, in any task,
 * returns ACTR_ECANCELED from now on. Callable from any task or libev
 * callback while s is entered; does not block. */
ACTR_API void actr_scope_cancel(actr_scope *s);

/* Moves the deadline of entered scope s (ACTR_FOREVER removes it). A
 * deadline already past cancels s. Does not block. */
ACTR_API void actr_scope_set_deadline(actr_scope *s, int64_t deadline);

/* Returns the deadline of s (ACTR_FOREVER for none). */
ACTR_API int64_t actr_scope_deadline(const actr_scope *s);

/* Returns 1 when s was cancelled (by a call or by its deadline), else 0.
 * Still readable after actr_scope_exit until the storage is reused. */
ACTR_API int actr_scope_cancel_called(const actr_scope *s);

/* Returns 1 when s was cancelled because its own deadline passed. */
ACTR_API int actr_scope_expired(const actr_scope *s);

ACTR_END_DECLS

#endif
