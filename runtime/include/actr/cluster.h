/* actr/cluster.h: clusters of actors and contexts gathered over them
 * (tractor's open_actor_cluster and gather_contexts).
 *
 * A cluster is n actors of one program with the same enabled modules,
 * spawned concurrently into an actor nursery of its own. A context group
 * opens one context on each of n portals concurrently and returns all
 * their started values, or the first error, which cancels the rest; the
 * group then streams to all of them (actr_ctx_group_send) or to each
 * (actr_ctx_group_get). Both are opened in the calling task and nest LIFO
 * with its scopes and nurseries (each holds a nursery), so close them in
 * that task, in reverse order. Every call runs in a task of an actor;
 * blocking calls are cancellation points (actr/task.h). */
#ifndef ACTR_CLUSTER_H
#define ACTR_CLUSTER_H

#include <stddef.h>

#include "actor.h"
#include "api.h"
#include "ctx.h"

ACTR_BEGIN_DECLS

typedef struct actr_cluster actr_cluster;
typedef struct actr_ctx_group actr_ctx_group;

/* open_actor_cluster: opens an actor nursery in the calling task and
 * spawns n daemon actors in it, concurrently, called "<name>-0" ..
 * "<name>-<n-1>", each with opts (NULL: defaults; opts->enable names the
 * modules all of them serve). Returns once every one serves: 0 and *out;
 * or the first failure (the others are cancelled and reaped, nothing is
 * left); ACTR_EINVAL (n == 0, no name); ACTR_ECANCELED. Cancellation
 * point. */
ACTR_API ACTR_NODISCARD int actr_cluster_open(const char *name, size_t n,
                                              const actr_spawn_opts *opts,
                                              actr_cluster **out);

/* The number of actors, and the portal of actor i (owned by the cluster;
 * NULL for i out of range) or all of them as an array of n. Do not
 * block. */
ACTR_API size_t actr_cluster_size(const actr_cluster *c);
ACTR_API actr_portal *actr_cluster_portal(const actr_cluster *c, size_t i);
ACTR_API actr_portal *const *actr_cluster_portals(const actr_cluster *c);

/* Cancels every actor of the cluster, reaps them and frees c, always
 * (actr_actor_nursery_close). Returns its result. */
ACTR_API int actr_cluster_close(actr_cluster *c);

/* gather_contexts: opens context endpoint ep on each of ps[0..n)
 * concurrently (one task each, opened in a nursery of the calling task),
 * with the arguments *args for all (args_stride 0) or the i-th of an
 * array of structs args_stride bytes apart. Returns once every context
 * has started: 0, *out, and the started values in started[0..n) (an
 * array of n values of ep->started's C type, each owned by the caller;
 * NULL discards them). Or the first failure, with its detail: the other
 * opens are cancelled and the contexts already open are cancelled and
 * closed; nothing is left. ACTR_EINVAL for n == 0 or an endpoint that is
 * not a context. Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_ctx_gather(actr_portal *const *ps, size_t n,
                                            const actr_endpoint *ep, const void *args,
                                            size_t args_stride, const actr_ctx_opts *opts,
                                            actr_ctx_group **out, void *started);

/* The number of contexts, and context i (owned by the group; NULL when i
 * is out of range). Do not block. */
ACTR_API size_t actr_ctx_group_size(const actr_ctx_group *g);
ACTR_API actr_ctx *actr_ctx_group_get(const actr_ctx_group *g, size_t i);

/* Sends *v on the stream of every context of the group, in order.
 * Returns 0 or the first error (the others are still sent). Cancellation
 * point. */
ACTR_API ACTR_NODISCARD int actr_ctx_group_send(actr_ctx_group *g, const void *v);

/* Closes every context of the group concurrently (actr_ctx_close: Stop,
 * then its result), closes the group's nursery and frees g, always.
 * Returns 0, or the first failure (actr_last_error()->list: all of
 * them). Must be called by the task that gathered, in LIFO order with
 * its other scopes and nurseries. */
ACTR_API int actr_ctx_group_close(actr_ctx_group *g);

ACTR_END_DECLS

#endif
