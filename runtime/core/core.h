/* core/core.h: what the files of runtime/core share (tasks, scopes, the
 * scheduler's state, wait queues, per-task errors). Private to core/;
 * other layers use core/sched.h. */
#ifndef ACTR_CORE_CORE_H
#define ACTR_CORE_CORE_H

#include <ev.h>
#include <signal.h>
#include <stdint.h>

#include <actr/chan.h>
#include <actr/err.h>
#include <actr/error.h>
#include <actr/log.h>
#include <actr/scope.h>
#include <actr/sync.h>
#include <actr/task.h>
#include <actr/time.h>

#include "core/fiber.h"
#include "core/sched.h"

/* Marks memory as defined for valgrind's memcheck (a no-op elsewhere).
 * A client request, not a call: usable where no call may run. */
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define VG_DEFINED(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
#endif
#endif
#ifndef VG_DEFINED
#define VG_DEFINED(p, n) ((void)0)
#endif

/* ------------------------------------------------------------ scopes */

#define SCOPE_NURSERY 0x100u     /* the scope of a nursery */
#define SCOPE_ROOT    0x200u     /* a task's root scope */

#define SCOPE_ENTERED   1u
#define SCOPE_CANCELLED 2u
#define SCOPE_EXPIRED   4u

/* The tree of scopes: a scope's children are the scopes entered inside it
 * and, for a nursery scope, the root scopes of the nursery's tasks. A
 * cancellation walks the subtree to wake parked tasks; shields cut it. */
struct scope {
    struct scope *parent;
    struct scope *first_child;
    struct scope *next;          /* siblings */
    struct scope *prev;
    struct actri_task *task;     /* owner: the task that entered it */
    int64_t deadline;            /* absolute ms, -1 none */
    unsigned flags;              /* ACTR_SCOPE_SHIELD/FAIL, SCOPE_NURSERY/ROOT */
    unsigned state;              /* SCOPE_ENTERED/CANCELLED/EXPIRED */
    ev_timer timer;              /* fires the deadline (active iff deadline) */
};

_Static_assert(sizeof(struct scope) <= sizeof(actr_scope), "actr_scope too small");

void actri_scope_enter_task(struct actri_task *t, struct scope *s, int64_t deadline,
                            unsigned flags);
void actri_scope_leave(struct scope *s);
void actri_scope_cancel(struct scope *s, int expired);
/* 1 when a task whose innermost scope is s is cancelled. */
int actri_scope_chain_cancelled(const struct scope *s);
/* actri_scope_chain_cancelled(t->scope), cached per task (see
 * actri_sched.cancel_gen); defined below. */
static inline int actri_task_chain_cancelled(struct actri_task *t);

/* ------------------------------------------------------------ errors */

struct errslot {
    actr_error pub;      /* what actr_last_error returns */
    actr_error *items;   /* owned deep copies, n of them (NULL: static) */
    size_t n;
    struct errslot *masked; /* the real failure a later ACTR_ECANCELED
                               replaced, or NULL (actri_error_masked) */
};

void actri_errslot_free(struct errslot *s);
/* Records code with a static message (no allocation) in the current slot. */
int actri_error_code(int code, const char *static_msg);
struct errslot *actri_errslot_cur(void);
/* Deep copy of one error's fields (count/list set to single). */
int actri_error_copy(actr_error *dst, const actr_error *src);
void actri_error_free_fields(actr_error *e);
/* Gives the slot n owned items (replaces its content). */
void actri_errslot_take(struct errslot *s, actr_error *items, size_t n);
/* Moves src's detail into dst (replacing it); src is left empty. */
void actri_errslot_move(struct errslot *dst, struct errslot *src);
/* Moves the main task's detail to the slot read after actr_run returns. */
void actri_errslot_to_loop(struct errslot *src);

/* ------------------------------------------------------------ tasks */

enum { T_READY = 1, T_RUNNING, T_PARKED, T_DONE };

struct start_rec {
    struct actri_task *starter;  /* parked in actr_nursery_start */
    struct actri_task *child;
    void *value;
    int state;                   /* 0 waiting, START_STARTED, START_RETURNED */
    int rc;
};
#define START_STARTED  1
#define START_RETURNED 2

struct actri_task {
    struct fiber fiber;
    struct stackinfo stack;      /* the mapping this struct sits on top of */
    struct actri_task *rq_next;  /* run queue link */
    int state;
    int wake_rc;                 /* result of the current park */
    uint64_t id;
    struct scope root;           /* child of its nursery's scope */
    struct scope *scope;         /* innermost entered scope */
    uint64_t cc_gen;             /* cancel_gen cc_val was computed at (0: none) */
    int cc_val;                  /* cached chain answer */
    actr_nursery *nursery;       /* NULL for the main task */
    actr_task_fn fn;
    actr_start_fn sfn;
    void *arg;
    struct start_rec *start;     /* while a starter waits for started */
    ev_timer timer;              /* deadline of the current park */
    int64_t park_deadline;
    struct errslot err;
    struct actri_exit_hook *exit_hooks;
    void *slot;                  /* actri_task_slot */
    struct actri_task *all_next; /* every live task (backtrace.c lists them) */
    struct actri_task *all_prev;
    char name[ACTR_TASK_NAME_MAX];
};

struct actr_nursery {
    struct scope scope;
    struct actri_task *owner;    /* opener, the only one who may close */
    size_t ntasks;               /* tasks not yet returned */
    int first_rc;                /* first failure, 0 if none */
    actr_error *errs;            /* every failure, owned copies */
    size_t nerrs, caperrs;
    struct actri_task *closer;   /* parked in close */
    int timed_out;               /* close's deadline cancelled the rest */
};

/* Creates a task of n (NULL: the main task) and queues it. */
int actri_task_spawn(actr_nursery *n, actr_task_fn fn, actr_start_fn sfn, void *arg,
                     const actr_task_opts *opts, struct start_rec *rec);

/* ------------------------------------------------------------ scheduler */

/* Counts a task start towards the memory trim's peak (sched.c). */
void actri_trim_note(void);

struct sched {
    struct ev_loop *loop;
    int running;                 /* inside actr_run */
    int in_drain;                /* the prepare callback runs tasks */
    ev_prepare prepare;          /* drains the run queue */
    ev_idle idle;                /* keeps the loop from blocking */
    ev_child child;              /* records every child's exit */
    ev_timer trim;               /* gives memory back after a burst (S28) */
    size_t trim_peak;            /* most live tasks since the last trim */
    struct fiber main_fiber;     /* the thread's own stack: the loop */
    struct actri_task *current;
    struct actri_task *rq_head, *rq_tail;
    size_t rq_len;
    size_t round_left;           /* tasks of the current round not yet run */
    unsigned fast_rounds;        /* rounds that may start before a clock read */
    unsigned check_every;        /* rounds between two clock reads */
    double last_check;           /* ev_time() of the last clock read */
    struct actri_hook *hooks;    /* requested iteration hooks, FIFO */
    struct actri_hook *hooks_last;
    struct actri_hook *hooks_run;   /* rest of the round being run */
    struct actri_task *zombie;   /* ended task whose stack awaits release */
    struct actri_task *main_task;
    struct actri_task *all;      /* every task not yet ended, newest first */
    /* Bumped whenever a scope becomes cancelled (cancel, deadline): any
     * task's chain answer may have changed. Entering or leaving a scope
     * changes only its owner's answer and resets that task's cache. */
    uint64_t cancel_gen;
    int main_done;
    int main_rc;
    size_t tasks_live;
    uint64_t next_id;
    int child_waiters;           /* tasks in actr_child_wait */
    struct childrec *exited;     /* exits nobody waited for yet */
    struct childwait *cwaiters;
};

extern struct sched actri_sched;
extern uint64_t actri_tasks_spawned;
extern unsigned long long actri_fiber_switches;

void actri_rq_push(struct actri_task *t);
/* Leaves the running task self (already queued or parked) for the next
 * runnable task or the loop; returns when self runs again. */
void actri_switch_out(struct actri_task *self);
/* Same for a task that ended; never returns. */
void actri_switch_final(struct actri_task *self) __attribute__((noreturn));
/* Releases the stack of the task that ended last, once off it. */
void actri_reap(void);
void actri_task_release(struct actri_task *t);
void actri_child_cleanup(void);
void actri_child_cb(struct ev_loop *loop, ev_child *w, int revents);

static inline int
actri_task_chain_cancelled(struct actri_task *t)
{
    if (t->cc_gen != actri_sched.cancel_gen) {
        t->cc_val = actri_scope_chain_cancelled(t->scope);
        t->cc_gen = actri_sched.cancel_gen;
    }
    return t->cc_val;
}

/* ------------------------------------------------------------ wait queues */

/* A task waiting on a sync object; lives on the waiting task's stack. */
struct waiter {
    struct waiter *next, *prev;
    struct actr_waitq *q;        /* NULL once unlinked */
    struct actri_task *task;
    void *data;                  /* element pointer for channels */
};

void actri_waitq_push(struct actr_waitq *q, struct waiter *w);
void actri_waitq_remove(struct waiter *w);
/* Unlinks and returns the first waiter whose task is still parked,
 * dropping the ones woken meanwhile (cancelled, timed out). */
struct waiter *actri_waitq_pop_parked(struct actr_waitq *q);
/* Parks task t on q (data: what a waker hands over, for channels) until
 * woken, its deadline or its cancellation; returns the park result with
 * the waiter unlinked again. */
int actri_waitq_block(struct actr_waitq *q, struct actri_task *t, void *data,
                      int64_t deadline);

/* Checks that a blocking call may proceed: ACTR_ESTATE outside a task,
 * ACTR_ECANCELED when cancelled (and records it), else 0. */
int actri_enter_blocking(struct actri_task **out);

/* Sets up the alternate signal stack the fatal-signal handler runs on
 * (crash.c): the faulting task's own stack may be the one that is full. */
void actri_stackguard_altstack(void);

/* Called by the fatal-signal handler for SIGSEGV and SIGBUS: when the
 * fault is in the running task's guard page, writes which task overflowed
 * its stack (async-signal-safe) and returns 1; else returns 0. */
int actri_stackguard_report(const siginfo_t *si);

/* Installs the fatal-signal handler (crash.c) for this process: the
 * stack overflow report, and whatever core/backtrace.h asks for. */
void actri_crash_install(void);

/* Logs a line (level parsed from ACTR_LOGLEVEL at first use). */
void actri_log_init(void);

#endif
