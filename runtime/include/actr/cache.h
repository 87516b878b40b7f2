/* actr/cache.h: cached contexts (SEMANTICS S21; the seeds'
 * maybe_open_context, tractor.trionics).
 *
 * A resource (typically a portal and a context opened on it) is opened
 * once per key per actor; later users of the same key share it, and the
 * last one out tears it down. A resource is described by a set of
 * functions (actr_cache_fn): its open and its close, and optionally how a
 * key is computed from its arguments. The same actr_cache_fn (the same
 * pointer) and the same key mean the same resource.
 *
 * - The key is a value given to actr_cache_enter, or the result of the
 *   function's key callback, or else the arguments themselves.
 * - The open runs in a task of that function's own nursery (each
 *   distinct actr_cache_fn has one, the seed's change: not the actor's
 *   root nursery), and so does the close: a context the open opens lives
 *   in that task, not in the task of the first user.
 * - Users who arrive while the resource is opening wait for it; an error
 *   of the open reaches every one of them. A user whose wait is cancelled
 *   leaves alone; when every waiter left, the open is cancelled.
 * - When the last user leaves, the resource is closed; that user waits
 *   for the close (even when it is being cancelled: a cancelled last user
 *   still waits for the teardown) and gets its error. A user who arrives
 *   meanwhile waits until the close is over, then the resource opens
 *   anew: for one key there is never more than one resource at a time.
 * - When the actor tears down, resources still open are closed.
 *
 * Every call runs in a task of an actor; blocking calls are cancellation
 * points (actr/task.h). */
#ifndef ACTR_CACHE_H
#define ACTR_CACHE_H

#include <stddef.h>

#include "api.h"

ACTR_BEGIN_DECLS

/* A resource's functions; keep it in static storage: its address is the
 * cache's identity (tractor: id(acm_func)). */
typedef struct actr_cache_fn {
    const char *name;   /* in log lines and task names */
    /* Opens the resource for args[0..len) (a copy of the first user's,
     * valid until close returns) and stores what users share in *value.
     * Runs in a task of the function's nursery; its blocking calls are
     * cancelled when every waiter left. Returns 0 or an error (every
     * waiter gets it, with its detail). */
    int (*open)(const void *args, size_t len, void **value);
    /* Tears the resource down once the last user left (in the open's
     * task, shielded). NULL: nothing to do. Returns 0 or an error the
     * last user gets. */
    int (*close)(void *value, const void *args, size_t len);
    /* Optional (tractor's key callable): writes the key of args into
     * key[0..cap) and returns its length (at most cap; a longer key is an
     * error). NULL: the key given to actr_cache_enter, or the args. */
    size_t (*key)(const void *args, size_t len, void *key, size_t cap);
} actr_cache_fn;

/* Longest key actr_cache_fn.key may write. */
#define ACTR_CACHE_KEY_MAX 256

/* One user of a cached resource. */
typedef struct actr_cache_user actr_cache_user;

/* maybe_open_context: the resource of fn for this key, opened now (the
 * caller waits for the open) or shared. The key is key[0..keylen) when key
 * is not NULL, else fn->key(args) when fn has one, else args[0..len).
 * Returns 0, *out (leave with actr_cache_exit) and *value (the resource's
 * value, shared: valid until this user leaves); the open's error (every
 * waiter of that open gets it); ACTR_ECANCELED (this user's wait was
 * cancelled: nothing to leave); ACTR_EINVAL (no fn or open, a key beyond
 * ACTR_CACHE_KEY_MAX); ACTR_ESTATE (not in an actor's task); ACTR_ENOMEM.
 * Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_cache_enter(const actr_cache_fn *fn, const void *args,
                                             size_t len, const void *key, size_t keylen,
                                             actr_cache_user **out, void **value);

/* 1 when the resource was not opened for this user (tractor's cache_hit:
 * it was open, or opening, when the user came), 0 when it was. */
ACTR_API int actr_cache_hit(const actr_cache_user *u);

/* Retires the resource u uses (a user found it broken: its feed died):
 * users who arrive from now on wait until it is closed and open a new
 * one; those still using it go on until they leave, and the last one
 * closes it as usual. Idempotent; does not block. */
ACTR_API void actr_cache_retire(actr_cache_user *u);

/* Leaves: frees u. The last user of a resource closes it and waits for
 * the close, shielded (its own cancellation does not cut it short).
 * Returns 0, or for the last user the close's error (with its detail).
 * NULL is a no-op. */
ACTR_API int actr_cache_exit(actr_cache_user *u);

/* How many resources of fn are open or opening now (all keys), for tests
 * and monitoring. Does not block. */
ACTR_API size_t actr_cache_count(const actr_cache_fn *fn);

ACTR_END_DECLS

#endif
