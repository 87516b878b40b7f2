/* actr/service.h: the service manager (SEMANTICS S23; the seeds'
 * open_service_mngr, get_service_mngr and ServiceMngr) and its remote API.
 *
 * An actor has at most one service manager. The first
 * actr_service_mngr_open in an actor allocates it and opens, in the
 * calling task (its owner), the actor nursery and the supervisor (a task
 * nursery, actr/supervise.h) it owns; later opens and gets share it, and
 * its owner's last close tears it down. It
 * runs the actor's long-lived services, each under a name:
 * - a service actor: a daemon child spawned for it, into which the
 *   manager opens a supervising context (actr_service_start);
 * - a service context on an actor the manager did not spawn
 *   (actr_service_start_ctx);
 * - a local service task (actr_service_start_task).
 * The supervising task waits on the context's result. When the context
 * ends, its actor is cancelled (and, when the manager spawned it, reaped)
 * and the service forgotten. A context cancelled by another actor (a
 * ContextCancelled whose canceller is neither this actor nor the
 * service's actor) is logged at level cancel and is not a failure: the
 * manager runs on. Any other error fails the manager: its supervisor
 * fails, which cancels the owner's code between open and close, and
 * close reports the error (actr_last_error(): the service's error, its
 * remote type and message kept).
 *
 * Supervision is an option of each service (S26, actr/supervise.h): with
 * a restart policy a service that ends is started again (its actor
 * respawned under the same name, its context reopened with the same
 * arguments), within the intensity of the manager's options. Without one
 * (ACTR_RESTART_NONE, the default) a service behaves as above.
 *
 * While a manager is open its actor serves the remote API (namespace
 * "actr.service", idl/actr_svcmgr.actor; an actr extension): other actors
 * ask it to start a service defined with actr_service_define, find one,
 * cancel one, or list them (actr_service_remote_*), and
 * actr_service_connect is the seeds' maybe_spawn_daemon: find a service
 * by name through the registrars, or ask the daemon to start it, then
 * connect to it by name.
 *
 * Every call runs in a task of an actor; blocking calls are cancellation
 * points (actr/task.h). */
#ifndef ACTR_SERVICE_H
#define ACTR_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "actor.h"
#include "api.h"
#include "ctx.h"
#include "portal.h"
#include "supervise.h"

ACTR_BEGIN_DECLS

typedef struct actr_service_mngr actr_service_mngr;

/* The manager's options (used by the first open only); NULL or zeroed
 * fields mean the defaults. */
typedef struct actr_service_mngr_opts {
    actr_sup_opts sup;                /* its supervisor: strategy, intensity,
                                         backoff; name "services" */
    actr_actor_nursery_opts nursery;  /* its actor nursery's grace periods */
} actr_service_mngr_opts;

/* A service's options; NULL or zeroed fields mean the defaults. */
typedef struct actr_service_opts {
    actr_spawn_opts spawn;            /* its daemon child (actr_service_start;
                                         enable the context's module) */
    actr_restart restart;             /* S26; ACTR_RESTART_NONE: the seed's
                                         service, not supervised */
} actr_service_opts;

/* What a service is. */
typedef enum actr_service_kind {
    ACTR_SERVICE_ACTOR = 1,           /* a daemon child and its context */
    ACTR_SERVICE_CTX,                 /* a context on an actor not spawned for it */
    ACTR_SERVICE_TASK                 /* a local task */
} actr_service_kind;

/* One service, as actr_service_find, actr_service_list and the remote API
 * describe it. Owned by the caller: actr_service_info_clear frees one,
 * actr_service_infos_free an array of them. */
typedef struct actr_service_info {
    char *name;
    actr_service_kind kind;
    actr_sup_state state;
    char *uid;                        /* "name.uuid" of its actor (NULL for a task) */
    int64_t pid;                      /* of its actor, 0 when unknown */
    unsigned restarts;
    actr_any started;                 /* its context's started value, raw
                                         (zero for a task) */
} actr_service_info;

/* A service task's body: runs until it returns (0: a normal end) or is
 * cancelled (its blocking calls return ACTR_ECANCELED). */
typedef int (*actr_service_fn)(void *arg);

/* ------------------------------------------------------------ the manager */

/* open_service_mngr: the first call in an actor allocates the manager and
 * opens its actor nursery and supervisor in the calling task, its owner
 * (they nest LIFO with the task's scopes and nurseries), and serves the
 * remote API; later calls (any task) share it, opts ignored. Every open
 * is closed with actr_service_mngr_close. Returns 0 and *out,
 * ACTR_EINVAL, ACTR_ENOMEM, ACTR_ESTATE (not in an actor's task). Does
 * not block. */
ACTR_API ACTR_NODISCARD int actr_service_mngr_open(const actr_service_mngr_opts *opts,
                                                   actr_service_mngr **out);

/* get_service_mngr: the actor's manager, borrowed (not closed): valid
 * while it is open; once its owner closed it, calls through it fail with
 * ACTR_ECLOSED (and after a new open they reach the new manager). Returns
 * 0 and *out, or ACTR_ESTATE ("no service manager is open in this actor")
 * before any open or after its owner closed it. Does not block. */
ACTR_API ACTR_NODISCARD int actr_service_mngr_get(actr_service_mngr **out);

/* Ends one open. The owner's last close tears the manager down: stops
 * serving the remote API, cancels the calls on it still blocked in other
 * tasks (they return ACTR_ECLOSED) and waits for them, cancels every
 * service (last started first: each context cancelled, each actor
 * cancelled and reaped, each task cancelled), closes its supervisor and
 * actor nursery, and returns the manager's failure if it failed (or
 * ACTR_ECANCELED when the enclosing scope was cancelled), else 0. The
 * closes of other tasks do nothing (0). The owner's close runs shielded
 * and must come in LIFO order with the scopes and nurseries its task
 * opened after the open (else ACTR_ESTATE: close again in order). */
ACTR_API int actr_service_mngr_close(actr_service_mngr *m);

/* ------------------------------------------------------------ services */

/* start_service: spawns a daemon child called name (opts->spawn) in the
 * manager's actor nursery, opens context endpoint ep with *args in it
 * (the supervising context), and returns once the remote context has
 * started, its started value decoded with ep->started into *started
 * (NULL discards). A service of that name already running is returned as
 * is (its current started value; opts and args are ignored). Returns 0,
 * the spawn's or the open's error (nothing is kept), ACTR_EINVAL (not a
 * context endpoint; a name that is not 1..63 bytes), ACTR_ECLOSED (the
 * manager was closed or failed), ACTR_ECANCELED. Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_service_start(actr_service_mngr *m, const char *name,
                                               const actr_service_opts *opts,
                                               const actr_endpoint *ep, const void *args,
                                               void *started);

/* actr_service_start by name: fn is "module:func", kwargs a raw msgpack map
 * (NULL = {}), *started the raw started value (NULL discards). */
ACTR_API ACTR_NODISCARD int actr_service_start_raw(actr_service_mngr *m, const char *name,
                                                   const actr_service_opts *opts,
                                                   const char *fn, const actr_any *kwargs,
                                                   actr_any *started);

/* start_service_ctx: the supervising context on an actor the manager did
 * not spawn, p (borrowed: keep it open while the service runs). As
 * actr_service_start otherwise; when the context ends, the actor is
 * cancelled (actr_portal_cancel_actor). Not supervised: the actor is not
 * the manager's to respawn. Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_service_start_ctx(actr_service_mngr *m, const char *name,
                                                   actr_portal *p, const actr_endpoint *ep,
                                                   const void *args, void *started);

/* start_service_task: runs fn(arg) as a local service task called name;
 * returns once it runs. restart: as a service's (S26). Returns 0,
 * ACTR_EINVAL (name in use, no fn), ACTR_ECLOSED, ACTR_ECANCELED. */
ACTR_API ACTR_NODISCARD int actr_service_start_task(actr_service_mngr *m, const char *name,
                                                    actr_restart restart, actr_service_fn fn,
                                                    void *arg);

/* cancel_service: cancels the service called name (its context is
 * cancelled, its actor cancelled and reaped) and waits until it is gone.
 * Returns 0, ACTR_ENOTFOUND (no such service), ACTR_EINVAL (name is a
 * task: actr_service_cancel_task), ACTR_ECLOSED, ACTR_ECANCELED.
 * Cancellation point. */
ACTR_API int actr_service_cancel(actr_service_mngr *m, const char *name);

/* cancel_service_task: cancels the service task called name and waits
 * until it has returned. Returns 0, ACTR_ENOTFOUND, ACTR_EINVAL (not a
 * task), ACTR_ECLOSED, ACTR_ECANCELED. Cancellation point. */
ACTR_API int actr_service_cancel_task(actr_service_mngr *m, const char *name);

/* The service called name into *out (owned: actr_service_info_clear).
 * Returns 0, ACTR_ENOTFOUND, ACTR_ECLOSED, ACTR_ENOMEM. Does not block. */
ACTR_API int actr_service_find(actr_service_mngr *m, const char *name,
                               actr_service_info *out);

/* Every service, in start order, with its state: *out is a malloc'd
 * array of *n (free with actr_service_infos_free). Returns 0,
 * ACTR_ECLOSED, ACTR_ENOMEM. Does not block. */
ACTR_API int actr_service_list(actr_service_mngr *m, actr_service_info **out, size_t *n);

/* "actor", "ctx" or "task". */
ACTR_API const char *actr_service_kind_name(actr_service_kind k);

/* Free what one actr_service_info owns (zeroing it), or an array of n and
 * the array. NULL is a no-op. */
ACTR_API void actr_service_info_clear(actr_service_info *i);
ACTR_API void actr_service_infos_free(actr_service_info *v, size_t n);

/* Defines the service name for the remote API's start: a daemon child
 * spawned with opts and context endpoint ep opened with *args (encoded
 * now; NULL = no arguments) unless the request brings its own. Defining
 * a name again replaces the definition. Returns 0, ACTR_EINVAL,
 * ACTR_ECLOSED, ACTR_ENOMEM. Does not block. */
ACTR_API int actr_service_define(actr_service_mngr *m, const char *name,
                                 const actr_service_opts *opts, const actr_endpoint *ep,
                                 const void *args);

/* actr_service_define by name: fn "module:func", kwargs raw (NULL = {}). */
ACTR_API int actr_service_define_raw(actr_service_mngr *m, const char *name,
                                     const actr_service_opts *opts, const char *fn,
                                     const actr_any *kwargs);

/* ------------------------------------------------------------ remotely */

/* Asks the manager of the actor behind daemon to start its service name
 * (as defined there; with *args encoded by ep->args instead of the
 * definition's when ep and args are given), or to hand back the one
 * already running. The started value is decoded with ep->started into
 * *started (NULL discards; without ep it is not decoded); *info (NULL: not
 * wanted) describes the service. Returns 0, ACTR_EREMOTE (no service
 * manager there: type "RuntimeError"; no such definition: "KeyError";
 * or the start's error, its type kept), a call's errors (actr/portal.h).
 * Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_service_remote_start(actr_portal *daemon, const char *name,
                                                      const actr_endpoint *ep,
                                                      const void *args, void *started,
                                                      actr_service_info *info);

/* The service called name of the manager behind daemon into *out.
 * Returns 0, ACTR_ENOTFOUND (it has none such), or a call's errors.
 * Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_service_remote_find(actr_portal *daemon, const char *name,
                                                     actr_service_info *out);

/* Cancels the service called name of the manager behind daemon and waits
 * until it is gone (actr_service_cancel there). Returns 0, ACTR_EREMOTE
 * (type "KeyError": no such service), or a call's errors. Cancellation
 * point. */
ACTR_API int actr_service_remote_cancel(actr_portal *daemon, const char *name);

/* Every service of the manager behind daemon (free with
 * actr_service_infos_free). Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_service_remote_list(actr_portal *daemon,
                                                     actr_service_info **out, size_t *n);

/* maybe_spawn_daemon: a portal to the service actor called name: found
 * through this actor's registrars, or else started by the daemon actor
 * called daemon (found through them too; with *args as in
 * actr_service_remote_start) and then waited for by name
 * (actr_wait_for_actor: bound it with a cancel scope). The caller closes
 * the portal with actr_portal_close. Returns 0, ACTR_ENOTFOUND (neither
 * the service nor the daemon is registered), the remote start's error,
 * ACTR_ECANCELED. Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_service_connect(const char *daemon, const char *name,
                                                 const actr_endpoint *ep, const void *args,
                                                 actr_portal **out);

ACTR_END_DECLS

#endif
