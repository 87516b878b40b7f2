/* core/sched.h: the scheduler's interface for the runtime's own layers
 * (ipc, actor...). Not installed, not exported from the shared library.
 *
 * Model: one libev loop per process (actr_run). Runnable tasks sit in a
 * run queue that is drained from an ev_prepare watcher, i.e. once per
 * loop iteration just before the loop would block (a drain is bounded
 * in time, so a busy task cannot hold the loop); after the drain the
 * iteration hooks run (actri_hook_request), so a transport can flush the
 * writes that its tasks buffered during the iteration with one writev. */
#ifndef ACTR_CORE_SCHED_H
#define ACTR_CORE_SCHED_H

#include <stdint.h>

struct ev_loop;
struct actri_task;

/* The loop of the running actr_run, or NULL when none runs. Upper layers
 * start their own watchers on it; callbacks run outside any task. */
struct ev_loop *actri_loop(void);

/* The current task, or NULL outside a task (libev callbacks). */
struct actri_task *actri_task_self(void);

/* Parks the current task until actri_wake(t, rc), its deadline, or its
 * cancellation. Returns the rc passed to actri_wake, ACTR_ETIMEDOUT,
 * ACTR_ECANCELED (also at once, without parking, when already cancelled),
 * ACTR_ESTATE outside a task. Whoever keeps the task pointer to wake it
 * must forget it once this returns, whatever the reason: the task may
 * park somewhere else next. */
int actri_park(int64_t deadline);

/* Makes t runnable with park result rc, if t is parked; otherwise does
 * nothing. Callable from tasks and libev callbacks. */
void actri_wake(struct actri_task *t, int rc);

/* 1 when the current task is being cancelled (see actr_task_cancelled). */
int actri_cancelled(void);

/* A request to run fn once, at the end of this loop iteration's drain
 * of runnable tasks (see core/README.md) and before the loop polls. The struct lives in the
 * caller's storage; initialise it with actri_hook_init. */
struct actri_hook {
    struct actri_hook *next_;
    void (*fn)(struct actri_hook *h);
    int queued_;
};

void actri_hook_init(struct actri_hook *h, void (*fn)(struct actri_hook *h));

/* Queues h (no-op when already queued, or when no loop runs). Hooks run
 * in request order. Callable from tasks and callbacks, also from a hook's
 * fn (it then runs in the same iteration, after the tasks woken
 * meanwhile). Hooks still queued when actr_run ends are dropped. */
void actri_hook_request(struct actri_hook *h);

/* Dequeues h if queued; call before freeing its storage. */
void actri_hook_cancel(struct actri_hook *h);

/* Exit hooks: fn runs in the task, after its body returned and before its
 * leftover nurseries are closed (so a layer can cancel and free objects
 * the task left open). Registered on the current task; LIFO order. */
struct actri_exit_hook {
    struct actri_exit_hook *next_;
    struct actri_exit_hook *prev_;
    struct actri_task *task_;
    void (*fn)(struct actri_exit_hook *h);
};

/* Registers h on the current task. Returns 0 or ACTR_ESTATE outside a task. */
int actri_task_on_exit(struct actri_exit_hook *h, void (*fn)(struct actri_exit_hook *h));

/* Unregisters h from the current task (no-op if not registered). */
void actri_task_on_exit_cancel(struct actri_exit_hook *h);

/* The failure that a later ACTR_ECANCELED detail of the current task
 * replaced (a cleanup cancelled after a real failure), or NULL. Any other
 * failure recorded since forgets it. Borrowed like actr_last_error(). */
struct actr_error;
const struct actr_error *actri_error_masked(void);

/* Keeps the current task's error detail aside around a cleanup whose own
 * failures must not replace it (DESIGN.md: details survive until the
 * next *failing* call; a call that succeeds, or a cleanup that reports
 * nothing, leaves them alone). Caller storage; no allocation. */
struct actri_errsave {
    _Alignas(16) unsigned char slot_[176];
};
/* Moves the detail into s; the task's detail is then empty. */
void actri_error_save(struct actri_errsave *s);
/* Discards whatever was recorded since actri_error_save and moves the
 * saved detail back. */
void actri_error_restore(struct actri_errsave *s);

/* Copies every field of src into dst (strings and relay path duplicated;
 * count/list describe dst alone). 0 or ACTR_ENOMEM (dst untouched). */
int actri_error_copy(struct actr_error *dst, const struct actr_error *src);

/* 1 when the current task opened n and n is its innermost open scope:
 * closing n now is in order. */
struct actr_nursery;
int actri_nursery_innermost(const struct actr_nursery *n);

/* Frees every string of e (and its relay path) and zeroes it: the error
 * details an upper layer assembled in heap memory. */
void actri_error_free_fields(struct actr_error *e);

/* One pointer of per-task storage for the upper layers (for example the
 * actor layer's current context). NULL outside a task; starts NULL. */
void **actri_task_slot(void);

#endif
