/* actr/task.h: tasks, nurseries and the loop (SEMANTICS S15).
 *
 * One process runs one libev loop (actr_run) and many tasks; each task is
 * a stackful fiber, so a blocking call parks only its task. Tasks live in
 * nurseries: actr_nursery_close waits for every task of the nursery, the
 * first task that fails cancels its siblings (and the body between open
 * and close), and its error is what close returns.
 *
 * Conventions of every blocking call in actr:
 * - deadline is absolute (actr/time.h): ACTR_FOREVER (-1) for none, 0 or a
 *   past value to try without blocking; reaching it returns ACTR_ETIMEDOUT
 *   unless the call says otherwise;
 * - it is a cancellation point: in a cancelled scope it returns
 *   ACTR_ECANCELED (at once, before doing anything), and the task is
 *   expected to unwind and return;
 * - called outside a task (from a libev callback, before actr_run), it
 *   returns ACTR_ESTATE;
 * - results go through out parameters written only on success. */
#ifndef ACTR_TASK_H
#define ACTR_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"

ACTR_BEGIN_DECLS

/* A task body: returns 0 or a negative ACTR_E* code. A failure (anything
 * but 0, and but ACTR_ECANCELED while the task is being cancelled)
 * cancels the task's nursery. */
typedef int (*actr_task_fn)(void *arg);

/* Handle a started task uses to report it has started (actr_task_started). */
typedef struct actr_task_status actr_task_status;

/* Body of a task run with actr_nursery_start. */
typedef int (*actr_start_fn)(actr_task_status *status, void *arg);

typedef struct actr_nursery actr_nursery;

/* Longest task name kept, including the NUL. */
#define ACTR_TASK_NAME_MAX 32

/* Per-task options; a NULL pointer or zeroed fields mean the defaults. */
typedef struct actr_task_opts {
    size_t stack_size;  /* bytes, rounded up to pages; 0 = default (256 KiB,
                           see actr_set_default_stack_size) */
    const char *name;   /* copied and truncated; NULL = "task-<id>" */
} actr_task_opts;

/* Creates the loop, runs main_fn(arg) as the main task (named "main") and
 * returns main_fn's result once it has returned. Everything the run
 * created is released before it returns. Call once per process (calls one
 * after another are fine, nested calls are not: ACTR_ESTATE). Returns
 * ACTR_ENOMEM when the loop or the main task cannot be created. The log
 * level is taken from ACTR_LOGLEVEL unless actr_log_set_level was called.
 * If every task becomes blocked with nothing left to wake them, the run
 * logs the deadlock and cancels the main task's scope. */
ACTR_API int actr_run(actr_task_fn main_fn, void *arg);

/* Opens a nursery in the current task and enters its cancel scope: the
 * code between open and close runs inside it, so a failing child cancels
 * it too. Must be closed by the same task, in LIFO order with its scopes.
 * Returns 0 and sets *out, ACTR_ENOMEM, or ACTR_ESTATE outside a task. */
ACTR_API ACTR_NODISCARD int actr_nursery_open(actr_nursery **out);

/* Starts fn(arg) as a new task of n. Does not block and may be called
 * from any task or libev callback while n is open. The task first runs at
 * the next scheduling point. If n is cancelled, the task starts cancelled.
 * Returns 0, ACTR_ENOMEM when its stack cannot be mapped (logged with the
 * cause, e.g. vm.max_map_count), ACTR_EINVAL for a NULL fn or n. */
ACTR_API ACTR_NODISCARD int actr_nursery_spawn(actr_nursery *n, actr_task_fn fn,
                                               void *arg);

/* actr_nursery_spawn with options (opts may be NULL). */
ACTR_API ACTR_NODISCARD int actr_nursery_spawn_opts(actr_nursery *n,
                                                    actr_task_fn fn, void *arg,
                                                    const actr_task_opts *opts);

/* trio's Nursery.start: starts fn(status, arg) as a task of n and blocks
 * until it calls actr_task_started(status, value); then stores value in
 * *started (when started is not NULL) and returns 0. If the task returns
 * before reporting started, its error is returned here (ACTR_ESTATE if it
 * returned 0) and does not count as a failure of the nursery. If the
 * caller is cancelled or deadline passes first, the task is cancelled and
 * waited for, and ACTR_ECANCELED / ACTR_ETIMEDOUT is returned.
 * Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_nursery_start(actr_nursery *n, actr_start_fn fn,
                                               void *arg, void **started,
                                               int64_t deadline);

/* actr_nursery_start with options (opts may be NULL). */
ACTR_API ACTR_NODISCARD int actr_nursery_start_opts(actr_nursery *n,
                                                    actr_start_fn fn, void *arg,
                                                    const actr_task_opts *opts,
                                                    void **started,
                                                    int64_t deadline);

/* Called by a task run with actr_nursery_start: wakes the starter, which
 * receives value. What value points to is shared between the two by their
 * own agreement. Does not block. Returns 0, ACTR_ESTATE if already called
 * (or status is not the current task's). */
ACTR_API int actr_task_started(actr_task_status *status, void *value);

/* Cancels every task of n and the body between open and close (like
 * actr_scope_cancel on the nursery's scope); not a failure: close then
 * returns 0 unless a task failed. Any task or callback; does not block. */
ACTR_API void actr_nursery_cancel(actr_nursery *n);

/* Number of tasks of n that have not returned yet. */
ACTR_API size_t actr_nursery_ntasks(const actr_nursery *n);

/* Waits until every task of n has returned, then leaves the nursery's
 * scope and frees n (always, even when it reports an error). Runs
 * shielded, so it works in a cancelled task. At deadline it cancels the
 * remaining tasks and keeps waiting for them. Returns:
 * - the first task failure (all failures: actr_last_error()->list, with
 *   each task's message and name), else
 * - ACTR_ETIMEDOUT when deadline forced a cancellation, else
 * - ACTR_ECANCELED when the nursery sits in a cancelled scope (so the
 *   caller unwinds), else 0.
 * ACTR_ESTATE (nothing done) when n is not the innermost scope of the
 * calling task. */
ACTR_API int actr_nursery_close(actr_nursery *n, int64_t deadline);

/* Checkpoint for CPU-bound loops: lets other tasks and the loop run (the
 * task goes to the back of the run queue), then returns 0, or
 * ACTR_ECANCELED when the task is being cancelled. */
ACTR_API int actr_checkpoint(void);

/* Returns 1 when a blocking call of the current task would return
 * ACTR_ECANCELED now (not a cancellation point itself), 0 otherwise. */
ACTR_API int actr_task_cancelled(void);

/* Sleeps until deadline (ACTR_FOREVER: until cancelled). Returns 0 when
 * the deadline is reached, ACTR_ECANCELED when cancelled first. */
ACTR_API int actr_sleep_until(int64_t deadline);

/* Sleeps ms milliseconds: actr_sleep_until(actr_now() + ms). */
ACTR_API int actr_sleep(int64_t ms);

/* Events for actr_fd_wait (bit mask). */
#define ACTR_READ  1u
#define ACTR_WRITE 2u

/* Blocks until fd is readable and/or writable (events: ACTR_READ and/or
 * ACTR_WRITE). Returns the ready subset (> 0), ACTR_ETIMEDOUT at deadline,
 * ACTR_ECANCELED, ACTR_EINVAL for a bad fd or empty events. The fd is not
 * read or written; only one task may wait on the same fd and event at a
 * time. Cancellation point. */
ACTR_API int actr_fd_wait(int fd, unsigned events, int64_t deadline);

/* Blocks until child process pid has terminated and stores its wait
 * status (as from waitpid: WIFEXITED etc. apply) in *status. The runtime
 * reaps every child of the process through libev; exits are remembered
 * until waited for, so the wait may start long after the child ended.
 * Returns 0, ACTR_ETIMEDOUT, ACTR_ECANCELED, ACTR_EINVAL (pid <= 0).
 * Cancellation point. */
ACTR_API int actr_child_wait(int pid, int *status, int64_t deadline);

/* Id of the current task (1 = main; 0 outside a task). Ids are not reused
 * within one actr_run. */
ACTR_API uint64_t actr_task_id(void);

/* Name of the current task ("-" outside a task). Borrowed; valid until the
 * task is renamed or ends. */
ACTR_API const char *actr_task_name(void);

/* Renames the current task (copied, truncated to ACTR_TASK_NAME_MAX-1). */
ACTR_API void actr_task_set_name(const char *name);

/* Sets the stack size of tasks spawned without one, for the rest of the
 * process (rounded up to pages, at least 16 KiB). Stacks are mapped
 * lazily, so a large size costs address space, not memory. */
ACTR_API void actr_set_default_stack_size(size_t bytes);

/* Counters of the runtime, for tests and monitoring. */
typedef struct actr_stats {
    size_t tasks_live;        /* tasks not yet returned (main included) */
    size_t stacks_mapped;     /* stacks currently mapped (live + pooled) */
    size_t stacks_pooled;     /* stacks kept for reuse */
    uint64_t tasks_spawned;   /* tasks created since the process started */
    uint64_t switches;        /* fiber switches since the process started */
} actr_stats;

/* Fills *out. Callable anywhere. */
ACTR_API void actr_stats_get(actr_stats *out);

ACTR_END_DECLS

#endif
