/* actr/sync.h: event, lock and semaphore for the tasks of one process.
 * They live in caller storage (embed them, or put them on a task's
 * stack): initialise with actr_*_init or the ACTR_*_INIT initialisers;
 * no destroy is needed, but no task may be waiting when the storage goes
 * away. Waiting tasks are served in FIFO order. Releasing and setting do
 * not block and may be called from libev callbacks. */
#ifndef ACTR_SYNC_H
#define ACTR_SYNC_H

#include <stdint.h>

#include "api.h"

ACTR_BEGIN_DECLS

/* Private: a FIFO of waiting tasks. */
struct actr_waitq {
    void *first_;
    void *last_;
};

/* A level-triggered flag tasks can wait for. */
typedef struct actr_event {
    struct actr_waitq waiters_;
    int set_;
} actr_event;
#define ACTR_EVENT_INIT {{0, 0}, 0}

/* A mutual-exclusion lock owned by one task at a time (not recursive). */
typedef struct actr_lock {
    struct actr_waitq waiters_;
    void *owner_;
} actr_lock;
#define ACTR_LOCK_INIT {{0, 0}, 0}

/* A counting semaphore. */
typedef struct actr_sem {
    struct actr_waitq waiters_;
    uint64_t count_;
} actr_sem;
#define ACTR_SEM_INIT(n) {{0, 0}, (n)}

/* Initialises e unset. */
ACTR_API void actr_event_init(actr_event *e);

/* Sets e and wakes every task waiting on it; e stays set until cleared. */
ACTR_API void actr_event_set(actr_event *e);

/* Clears e; later waits block until the next set. */
ACTR_API void actr_event_clear(actr_event *e);

/* Returns 1 when e is set, else 0. */
ACTR_API int actr_event_is_set(const actr_event *e);

/* Blocks until e is set (returns at once if it is). Returns 0,
 * ACTR_ETIMEDOUT, ACTR_ECANCELED. Cancellation point. */
ACTR_API int actr_event_wait(actr_event *e, int64_t deadline);

/* Initialises l unlocked. */
ACTR_API void actr_lock_init(actr_lock *l);

/* Takes l for the current task, blocking while another task holds it.
 * Returns 0, ACTR_ETIMEDOUT, ACTR_ECANCELED; ACTR_ESTATE if the task
 * already holds it. Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_lock_acquire(actr_lock *l, int64_t deadline);

/* Releases l, handing it to the first waiting task. Returns 0, or
 * ACTR_ESTATE when the current task does not hold it. */
ACTR_API int actr_lock_release(actr_lock *l);

/* Initialises s with count units. */
ACTR_API void actr_sem_init(actr_sem *s, uint64_t count);

/* Takes one unit, blocking while there is none. Returns 0,
 * ACTR_ETIMEDOUT, ACTR_ECANCELED. Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_sem_acquire(actr_sem *s, int64_t deadline);

/* Takes one unit if one is free: 0, else ACTR_EAGAIN. Never blocks;
 * callable anywhere. */
ACTR_API ACTR_NODISCARD int actr_sem_try_acquire(actr_sem *s);

/* Returns one unit, handing it to the first waiting task. */
ACTR_API void actr_sem_release(actr_sem *s);

ACTR_END_DECLS

#endif
