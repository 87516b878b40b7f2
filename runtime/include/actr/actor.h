/* actr/actor.h: actors as processes (SEMANTICS S1-S3, S5).
 *
 * An actor is one process running the actr runtime: a uid (name, uuid),
 * one or more listen addresses, the endpoints of the modules it enabled
 * and the built-in `self` namespace (cancel requests). actr_main starts
 * one from main(): the root actor of a tree, or, when the command line
 * says so, a child spawned by another actor. Any program built on actr
 * can therefore be spawned as a child of any other.
 *
 * Children are started by an actor nursery: each is a fresh process image
 * (posix_spawn of an executable in child mode, by default the caller's own
 * /proc/self/exe) that connects back to its parent, exchanges Aids,
 * receives its SpawnSpec and then serves. Closing the nursery waits for
 * every child to exit and reaps it; no child outlives its nursery, and a
 * child whose parent link drops cancels itself and exits.
 *
 * All calls below run in tasks of the actor's loop unless said otherwise;
 * blocking ones are cancellation points (actr/task.h conventions). */
#ifndef ACTR_ACTOR_H
#define ACTR_ACTOR_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "module.h"
#include "task.h"

ACTR_BEGIN_DECLS

typedef struct actr_actor actr_actor;
typedef struct actr_portal actr_portal;
typedef struct actr_actor_nursery actr_actor_nursery;

/* The limits that keep a flood from silencing an actor (S28; the
 * README's table). A zero field is its default. */
#define ACTR_MAX_TASKS_DEFAULT 10000      /* RPC tasks at once, per actor */
#define ACTR_MAX_CONN_TASKS_DEFAULT 2000  /* RPC tasks at once, per channel */
#define ACTR_MAX_CONNS_DEFAULT 1024       /* channels at once on the listener
                                             (or 3/4 of RLIMIT_NOFILE when
                                             that is lower) */
#define ACTR_MAX_HANDSHAKES_DEFAULT 64    /* connections still in their
                                             handshake; past it the oldest
                                             is dropped */
typedef struct actr_actor_limits {
    size_t max_tasks;         /* a Start past it is answered at once with
                                 Error RuntimeError "actor busy: N tasks" */
    size_t max_conn_tasks;    /* the same per channel ("channel busy") */
    size_t max_conns;         /* a connection past it is closed before
                                 its handshake */
    size_t max_handshakes;
} actr_actor_limits;

/* How actr_main starts this process's actor. NULL or zeroed fields mean
 * the defaults. Every pointer is borrowed for the duration of actr_main. */
typedef struct actr_actor_opts {
    const char *name;                   /* root's name; default "root" (a child
                                           gets its name from its parent) */
    const char *const *listen;          /* URLs to listen on (root); default
                                           tcp://127.0.0.1:0 */
    size_t nlisten;
    const char *const *registry;        /* registrar URLs, relayed to children */
    size_t nregistry;
    int loglevel;                       /* root: 0 = ACTR_LOGLEVEL or warning;
                                           a child takes its command line's */
    int debug_mode;                     /* root: 1 turns debug mode on for the
                                           whole tree (actr/debug.h; so does
                                           ACTR_DEBUG=1), relayed in the
                                           SpawnSpec */
    const actr_module *const *modules;  /* modules compiled into this program:
                                           what a SpawnSpec may enable */
    size_t nmodules;
    const char *const *enable;          /* root: wire namespaces (Start.ns) to
                                           enable; a child gets its list in
                                           the SpawnSpec */
    size_t nenable;
    const void *secret;                 /* root: the tree's secret (S28,
                                           actr/auth.h), secret_len bytes;
                                           NULL: secret_file, else the rules
                                           of actr/auth.h. A child gets its
                                           parent's on its boot socket */
    size_t secret_len;
    const char *secret_file;            /* root: a file holding the secret */
    int insecure;                       /* S28 opt-in for tractor peers: this
                                           actor's listener accepts, and its
                                           portals and registry calls reach,
                                           peers that cannot prove the secret
                                           (logged as a warning at start;
                                           $ACTR_INSECURE does the same;
                                           children inherit it) */
    actr_actor_limits limits;           /* S28: zero fields are the defaults */
    uint32_t keepalive_ms;              /* opt-in keepalive with actr peers that
                                           also ask for one: each side pings
                                           when idle, and a channel whose peer
                                           is silent for this long (a
                                           SIGSTOPped or cut-off actor) is
                                           closed, failing its dialogs
                                           (ACTR_ECLOSED). 0 = none (or
                                           $ACTR_KEEPALIVE_MS); children
                                           inherit the variable, not this */
} actr_actor_opts;

/* The root actor's main task: runs with the actor serving, its return
 * value is actr_main's. When it returns the actor cancels everything it
 * still runs and exits. */
typedef int (*actr_actor_fn)(actr_actor *self, void *arg);

/* Returns 1 when argv asks for child mode (the program was spawned by an
 * actor nursery), else 0. Does not block; callable anywhere. */
ACTR_API int actr_is_child(int argc, char *const *argv);

/* Runs this process's actor on a new loop (actr_run) and returns when it
 * ends. Root mode: listens on opts->listen, enables opts->enable, runs
 * fn(self, arg) and returns its result once everything it started has
 * been torn down (fn == NULL: serve until cancelled). Child mode
 * (actr_is_child): connects to the parent named on the command line,
 * handshakes, applies the SpawnSpec (enabled modules among opts->modules,
 * bind addresses, debug mode; log level and name from the command line),
 * serves until `self:cancel` or until the parent link drops, and returns
 * 0 (fn is ignored). Returns a negative ACTR_E* code when the actor could
 * not start (bad address, unknown module, parent unreachable), with the
 * detail logged. */
ACTR_API int actr_main(int argc, char **argv, const actr_actor_opts *opts,
                       actr_actor_fn fn, void *arg);

/* The actor of this process, or NULL outside actr_main. */
ACTR_API actr_actor *actr_self(void);

/* The actor's uid parts (borrowed, valid while it runs). */
ACTR_API const char *actr_actor_name(const actr_actor *a);
ACTR_API const char *actr_actor_uuid(const actr_actor *a);

/* 1 for the root of a tree, 0 for a child. */
ACTR_API int actr_actor_is_root(const actr_actor *a);

/* Writes the URL of the actor's first listen address into buf (cap
 * bytes; ACTR_ADDR_URL_MAX of actr/ipc.h always fits). Returns its length or
 * ACTR_ERANGE. */
ACTR_API int actr_actor_url(const actr_actor *a, char *buf, size_t cap);

/* Cancels the whole actor, as a `self:cancel` request would: every RPC
 * task and the root's main task see ACTR_ECANCELED; actr_main then tears
 * down and returns. Does not block; callable from any task. */
ACTR_API void actr_actor_cancel(actr_actor *a);

/* Serves module m from now on, as if its namespace had been enabled at
 * start (m need not be among actr_actor_opts.modules); calls already
 * running are not affected. m is borrowed until actr_actor_unserve.
 * Returns 0, ACTR_EINVAL (no module, or the runtime's own namespaces
 * "self" and "actr"), ACTR_ESTATE (a module already serves that
 * namespace), ACTR_ENOMEM. Does not block. */
ACTR_API int actr_actor_serve(actr_actor *a, const actr_module *m);

/* Stops serving m: later calls into its namespace fail with
 * ModuleNotExposed (S5); calls already running go on. Returns 0 or
 * ACTR_ENOTFOUND (m is not served). Does not block. */
ACTR_API int actr_actor_unserve(actr_actor *a, const actr_module *m);

/* Starts fn(arg) as a background task of this process's actor (in the
 * nursery of the runtime's own tasks): it outlives the calling task and
 * is cancelled when the actor tears down, which waits for it. A failure
 * of fn is logged as a warning and absorbed: it does not cancel the
 * actor. name is copied (NULL: "task-<id>"). Does not block. Returns 0,
 * ACTR_EINVAL, ACTR_ESTATE (no actor serves in this process), ACTR_ENOMEM. */
ACTR_API ACTR_NODISCARD int actr_actor_spawn(actr_task_fn fn, void *arg, const char *name);

/* ------------------------------------------------------------ spawning */

/* A tractor (Python) child in place of an actr program (mixed trees,
 * README "Interop with tractor"): the child runs `python -m tractor._child
 * --uid ... --parent_addr ... --loglevel ...`, tractor's own child command
 * line, connects back, gets its SpawnSpec and serves the Python modules
 * the spawn options enable (wire namespaces = Python module paths). */
typedef struct actr_tractor_child {
    const char *python;     /* the interpreter: a CPython that imports
                               tractor; NULL = $ACTR_TRACTOR_PYTHON, else
                               "python3" on PATH */
    const char *pythonpath; /* put before $PYTHONPATH in the child's
                               environment: where tractor and the enabled
                               modules import from; NULL = as inherited
                               ($ACTR_TRACTOR_PYTHONPATH if set) */
} actr_tractor_child;

/* Options of one child; NULL or zeroed fields mean the defaults. */
typedef struct actr_spawn_opts {
    const char *exe;                /* executable to run in child mode;
                                       NULL = this program (its real path,
                                       resolved at startup) */
    const char *const *enable;      /* wire namespaces the child enables */
    size_t nenable;
    const char *const *bind;        /* URLs the child listens on; default
                                       tcp://127.0.0.1:0 (or a unix path
                                       when the parent listens on one) */
    size_t nbind;
    int loglevel;                   /* 0 = this process's level (a
                                       tractor child gets tractor's name
                                       for it; above ACTR_LOG_ERROR:
                                       critical) */
    const char *wrapper;            /* command the child runs under (split
                                       as the shell does, e.g. "valgrind
                                       -q"); NULL = $ACTR_CHILD_WRAPPER,
                                       "" = none */
    const actr_tractor_child *tractor; /* non-NULL: spawn a tractor child
                                       (exe is ignored); its start returns
                                       once it connected back and was sent
                                       its SpawnSpec, as tractor's does */
} actr_spawn_opts;

/* Opens an actor nursery in the current task (it holds a task nursery,
 * actr/task.h, so it nests LIFO with the task's scopes and nurseries),
 * with the default grace periods (actr_actor_nursery_opts).
 * Returns 0 and *out, ACTR_ENOMEM, ACTR_ESTATE outside an actor's task. */
ACTR_API ACTR_NODISCARD int actr_actor_nursery_open(actr_actor_nursery **out);

/* Grace periods of an actor nursery's teardown (S4, S1): each child still
 * running is first asked to cancel (`self:cancel`, waiting up to
 * cancel_timeout_ms for its CancelAck), then given term_after_ms to exit,
 * then sent SIGTERM and given kill_after_ms, then sent SIGKILL; it is
 * always reaped. Zero fields mean the defaults (the Python system's
 * 0.5 s, then a few seconds in all). */
#define ACTR_NURSERY_CANCEL_TIMEOUT_MS 500
#define ACTR_NURSERY_TERM_AFTER_MS 2000
#define ACTR_NURSERY_KILL_AFTER_MS 1000
typedef struct actr_actor_nursery_opts {
    int64_t cancel_timeout_ms;
    int64_t term_after_ms;
    int64_t kill_after_ms;
} actr_actor_nursery_opts;

/* actr_actor_nursery_open with options (NULL: the defaults); negative
 * periods are ACTR_EINVAL. */
ACTR_API ACTR_NODISCARD int actr_actor_nursery_open_opts(const actr_actor_nursery_opts *opts,
                                                         actr_actor_nursery **out);

/* start_actor: spawns a daemon child called name and blocks until it has
 * connected back, handshaken, been sent its SpawnSpec and reported that
 * it serves (it applied the SpawnSpec and listens); then stores a portal
 * to it in *out (owned by the nursery, valid until close). The child
 * serves until the nursery cancels it. Returns 0, ACTR_ENOTFOUND (no such
 * executable; or the child's program lacks a module opts->enable names:
 * detail type "ModuleNotExposed", naming it), ACTR_ETIMEDOUT (the child
 * did not connect back and start within 10 s; it is killed and reaped),
 * ACTR_ECLOSED (it exited first), ACTR_ECANCELED, ACTR_ENOMEM, ACTR_EIO.
 * A tractor child (opts->tractor) has no boot report: the start returns
 * once it connected back and was sent its SpawnSpec; a module it cannot
 * import makes it send a cid-less Error and exit, and later calls fail
 * with ACTR_ECLOSED/ACTR_EREMOTE. Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_actor_nursery_start(actr_actor_nursery *an,
                                                     const char *name,
                                                     const actr_spawn_opts *opts,
                                                     actr_portal **out);

/* run_in_actor: like _start, then calls function endpoint ep with args in
 * the child. The child is cancelled as soon as the result arrives; read
 * it with actr_portal_result. A failure of the call cancels every other
 * child of the nursery and the body between open and close (S3); close
 * then reports it. ep must be a FN endpoint (ACTR_EINVAL otherwise, before
 * anything is spawned). Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_actor_nursery_run(actr_actor_nursery *an,
                                                   const char *name,
                                                   const actr_spawn_opts *opts,
                                                   const actr_endpoint *ep,
                                                   const void *args,
                                                   actr_portal **out);

/* run_in_actor by name, without generated code: fn is "module:func",
 * kwargs one encoded msgpack map (borrowed; NULL = {}); the result is read
 * with actr_portal_result_raw. Otherwise as actr_actor_nursery_run. */
ACTR_API ACTR_NODISCARD int actr_actor_nursery_run_raw(actr_actor_nursery *an,
                                                       const char *name,
                                                       const actr_spawn_opts *opts,
                                                       const char *fn,
                                                       const actr_any *kwargs,
                                                       actr_portal **out);

/* Tears down the daemon child behind p now, as close does with each
 * child (`self:cancel`, then the nursery's grace periods, SIGTERM,
 * SIGKILL), waits until it is reaped, and forgets it: p is freed. Its
 * wait status (waitpid's: WIFSIGNALED etc. apply) goes to *status (NULL:
 * not wanted). Runs shielded. Returns 0, or ACTR_EINVAL (p is not a
 * daemon child of an: a portal of actr_portal_open, a run_in_actor
 * child, another nursery's child; nothing is done). A supervisor
 * (actr/supervise.h) stops each child it restarts so, which keeps the
 * nursery's memory bounded however often it restarts. */
ACTR_API int actr_actor_nursery_stop(actr_actor_nursery *an, actr_portal *p, int *status);

/* Cancels every child of the nursery (a `self:cancel` request to each)
 * and the body between open and close, as a failure of one child does,
 * without counting as a failure. Does not block. */
ACTR_API void actr_actor_nursery_cancel(actr_actor_nursery *an);

/* 1 once the nursery was asked to cancel its children: by
 * actr_actor_nursery_cancel, or by a failing run_in_actor child (S3).
 * Does not block. */
ACTR_API int actr_actor_nursery_cancel_called(const actr_actor_nursery *an);

/* 1 once that cancel has taken effect: cancel was called and every child
 * the nursery started has exited and been reaped. Does not block. */
ACTR_API int actr_actor_nursery_cancelled_caught(const actr_actor_nursery *an);

/* Waits for every run_in_actor child's result, then cancels the daemon
 * children (`self:cancel`, bounded wait of 0.5 s each), waits for every
 * child process to exit (escalating to SIGTERM after 2 s and SIGKILL
 * after 1 s more, or the nursery's own grace periods) and reaps it, frees
 * every portal of the nursery and the nursery itself. Every teardown step
 * is logged at level cancel. Runs shielded. Returns 0; the error of the
 * run_in_actor children that failed (S3, as tractor's error group):
 * actr_last_error()->list holds every failure, however close together
 * they came, in the order they became known, each with its remote type,
 * message, traceback and source uid, followed by one ContextCancelled
 * member (canceller = this actor) for each run_in_actor sibling that was
 * cancelled because of them; or ACTR_ECANCELED when the enclosing scope
 * was cancelled. The nursery's own cancel (actr_actor_nursery_cancel) is
 * absorbed: no error. ACTR_ESTATE, freeing nothing, when called out of
 * order: scopes or nurseries the task opened after this one are still
 * open (close them first). A task that returns with its actor nursery
 * open has it closed for it, with a warning. */
ACTR_API int actr_actor_nursery_close(actr_actor_nursery *an);

ACTR_END_DECLS

#endif
