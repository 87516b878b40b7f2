/* actr/supervise.h: supervisors (SEMANTICS S26), the idea of Erlang/OTP
 * inside structured concurrency.
 *
 * A supervisor runs children and starts again those that end, as their
 * restart policy says. A child is a task of the supervisor that may own
 * an actor: when its spec has spawn options, every run of the child first
 * spawns a daemon actor named after the child into the supervisor's actor
 * nursery (actr/actor.h), then calls the spec's run function with a
 * portal to it; when run returns, the actor is stopped and reaped
 * (actr_actor_nursery_stop). A child with spawn options and no run
 * function is its actor: it runs until the process exits. A restarted
 * actor registers under the same name (actr/discovery.h), so callers
 * that lost it (ACTR_ECLOSED) find the new one with actr_wait_for_actor.
 *
 * A child ends normally (run returned 0; an actor without run function
 * exited with status 0) or fails (run returned an error, whose detail is
 * the exit reason; an actor without run function died of a signal or
 * exited non-zero). When the child's actor died of a signal, the reason
 * names it as well.
 *
 * Restart policies (per child):
 * - PERMANENT: always restarted;
 * - TRANSIENT: restarted after a failure, not after a normal end;
 * - TEMPORARY: never restarted: its end is logged (a failure as a
 *   warning) and the child is forgotten;
 * - NONE (0, the default): not supervised. Never restarted, and its
 *   failure is the supervisor's failure, as a failing task's is its
 *   nursery's: nothing fails unseen. (Services of the service manager,
 *   actr/service.h, are so unless they ask for supervision.)
 *
 * Strategies (who is restarted with a child):
 * - ONE_FOR_ONE (0): that child alone;
 * - ONE_FOR_ALL: every child is stopped, in reverse start order, and all
 *   start again in start order;
 * - REST_FOR_ONE: the children started after it are stopped, in reverse
 *   order, and start again after it, in order.
 * A TEMPORARY or NONE child stopped by a strategy is forgotten, not
 * restarted.
 *
 * Intensity: at most max_restarts restarts within period_ms. The restart
 * beyond that is not made: the supervisor gives up, stops every child
 * (reverse start order) and fails with the last exit reason. So does the
 * failure of a NONE child. A supervisor fails as a task of its nursery
 * does: the code between its open and its close is cancelled, and close
 * returns the error (actr_last_error() holds the child's reason).
 *
 * Backoff: a restart waits d = backoff_ms * 2^k, at most backoff_max_ms,
 * where k is how often the child was restarted within period_ms before;
 * the wait is drawn uniformly from [d/2, d] (jitter), so children that
 * failed together do not come back in step.
 *
 * Reporting: every restart is logged at level warning with the
 * supervisor's and the child's name, the exit reason (error type and
 * message, or signal or exit status) and the child's restart count;
 * giving up is logged as an error.
 *
 * Any task may start, stop and wait while the supervisor is open; its
 * close cancels those still blocked (they return ACTR_ECLOSED) and waits
 * for them. Every call runs in a task of an actor; blocking calls are
 * cancellation points (actr/task.h). */
#ifndef ACTR_SUPERVISE_H
#define ACTR_SUPERVISE_H

#include <stddef.h>
#include <stdint.h>

#include "actor.h"
#include "api.h"

ACTR_BEGIN_DECLS

typedef struct actr_supervisor actr_supervisor;

/* One run of a child, handed to its run function. */
typedef struct actr_sup_run actr_sup_run;

typedef enum actr_sup_strategy {
    ACTR_SUP_ONE_FOR_ONE = 0,
    ACTR_SUP_ONE_FOR_ALL,
    ACTR_SUP_REST_FOR_ONE
} actr_sup_strategy;

typedef enum actr_restart {
    ACTR_RESTART_NONE = 0,
    ACTR_RESTART_TEMPORARY,
    ACTR_RESTART_TRANSIENT,
    ACTR_RESTART_PERMANENT
} actr_restart;

/* Defaults of actr_sup_opts. */
#define ACTR_SUP_MAX_RESTARTS 3
#define ACTR_SUP_PERIOD_MS 5000
#define ACTR_SUP_BACKOFF_MS 10
#define ACTR_SUP_BACKOFF_MAX_MS 1000

/* A supervisor's options; NULL or zeroed fields mean the defaults. */
typedef struct actr_sup_opts {
    const char *name;             /* in its log lines (copied); "supervisor" */
    actr_sup_strategy strategy;
    unsigned max_restarts;        /* R; 0 = ACTR_SUP_MAX_RESTARTS */
    int64_t period_ms;            /* T; 0 = ACTR_SUP_PERIOD_MS */
    int64_t backoff_ms;           /* first restart's wait; 0 = ACTR_SUP_BACKOFF_MS,
                                     negative = no wait at all */
    int64_t backoff_max_ms;       /* 0 = ACTR_SUP_BACKOFF_MAX_MS */
} actr_sup_opts;

/* A child's body, run in a task of the supervisor: p is the actor spawned
 * for this run (NULL for a child without spawn options). It must call
 * actr_sup_started once it runs (the start of the child waits for that),
 * then run as long as the child lives and return 0 (a normal end) or an
 * error (a failure, its detail the exit reason). When the supervisor
 * stops the child, the run's blocking calls return ACTR_ECANCELED: it
 * cleans up and returns. */
typedef int (*actr_sup_run_fn)(actr_sup_run *r, actr_portal *p, void *arg);

/* What a child is and does. Everything is copied but arg. */
typedef struct actr_sup_child_spec {
    const char *name;               /* 1..63 bytes, unique in the supervisor;
                                       the actor's name */
    actr_restart restart;
    const actr_spawn_opts *spawn;   /* NULL: a task without actor */
    actr_sup_run_fn run;            /* NULL (with spawn): the actor is the child */
    void *arg;                      /* run's argument */
    void (*release)(void *arg);     /* called once the child is forgotten
                                       (stopped, ended for good, its
                                       supervisor closed); NULL: none */
} actr_sup_child_spec;

/* Opens a supervisor in the current task over actor nursery an (NULL: its
 * children are tasks only): it holds a task nursery (actr/task.h), so it
 * nests LIFO with the task's scopes and nurseries, and its failure
 * cancels the code between open and close. Returns 0 and *out,
 * ACTR_EINVAL (negative period or backoff_max), ACTR_ENOMEM, ACTR_ESTATE
 * (outside a task). Does not block. */
ACTR_API ACTR_NODISCARD int actr_supervisor_open(actr_actor_nursery *an,
                                                 const actr_sup_opts *opts,
                                                 actr_supervisor **out);

/* Starts a child: spawns its actor (when spec->spawn) and runs it, and
 * blocks until its run function called actr_sup_started; *started (NULL:
 * not wanted) gets the value it gave. Returns 0; the error of the spawn
 * or of a run that ended before started (the child is then not kept, and
 * release is not called: arg is still the caller's); ACTR_EINVAL (no
 * name, a name in use, neither spawn nor run, spawn without actor
 * nursery); ACTR_ECLOSED (the supervisor gave up or is closing);
 * ACTR_ECANCELED. Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_supervisor_start(actr_supervisor *s,
                                                  const actr_sup_child_spec *spec,
                                                  void **started);

/* Called by a run function: the child runs; value goes to whoever waits
 * for the start (the first start, or nobody for a restart). Returns 0 or
 * ACTR_ESTATE (called twice). Does not block. */
ACTR_API int actr_sup_started(actr_sup_run *r, void *value);

/* The child's name and how many times it was restarted before this run.
 * Do not block. */
ACTR_API const char *actr_sup_run_name(const actr_sup_run *r);
ACTR_API unsigned actr_sup_run_restarts(const actr_sup_run *r);

/* Stops the child called name for good: cancels its run, stops its
 * actor, waits until both are gone, then forgets it (release runs). Not
 * a failure, and nothing is restarted. Returns 0, ACTR_ENOTFOUND (no such
 * child), ACTR_ECANCELED. Cancellation point while it waits for a restart
 * in progress; the stop itself runs shielded. */
ACTR_API int actr_supervisor_stop(actr_supervisor *s, const char *name);

/* What a child is doing. */
typedef enum actr_sup_state {
    ACTR_SUP_STARTING = 1,   /* its run did not report started yet */
    ACTR_SUP_RUNNING,
    ACTR_SUP_RESTARTING,     /* it ended; its restart is waiting or under way */
    ACTR_SUP_STOPPING        /* being stopped (by actr_supervisor_stop, a
                                strategy, the supervisor's end) */
} actr_sup_state;

/* "starting", "running", "restarting" or "stopping". */
ACTR_API const char *actr_sup_state_name(actr_sup_state st);

/* One child as the supervisor sees it; borrowed until the supervisor's
 * next blocking call. */
typedef struct actr_sup_child_info {
    const char *name;
    actr_sup_state state;
    actr_restart restart;
    unsigned restarts;           /* restarts so far */
    actr_portal *portal;         /* the current run's actor (NULL: none now) */
    void *arg;                   /* the spec's arg */
} actr_sup_child_info;

/* Fills v[0..cap) with the children in start order and returns how many
 * there are (which may be more than cap). Does not block. */
ACTR_API size_t actr_supervisor_children(const actr_supervisor *s, actr_sup_child_info *v,
                                         size_t cap);

/* The child called name: 0 and *out (NULL: only whether it exists), or
 * ACTR_ENOTFOUND. Does not block. */
ACTR_API int actr_supervisor_child(const actr_supervisor *s, const char *name,
                                   actr_sup_child_info *out);

/* Blocks until the supervisor has no child left (0) or has given up (its
 * error, detail: the last exit reason). Cancellation point. */
ACTR_API int actr_supervisor_wait(actr_supervisor *s);

/* Stops every child (reverse start order: each run cancelled, each actor
 * stopped and reaped; release runs for each), closes the supervisor's
 * task nursery and frees s. Runs shielded. Returns 0; the error
 * the supervisor gave up with (actr_last_error(): the child's exit
 * reason); ACTR_ECANCELED when the enclosing scope was cancelled;
 * ACTR_ESTATE when called out of LIFO order (scopes or nurseries opened
 * after it are still open): the children are stopped then, but s stays
 * open until close is called again in order. */
ACTR_API int actr_supervisor_close(actr_supervisor *s);

ACTR_END_DECLS

#endif
