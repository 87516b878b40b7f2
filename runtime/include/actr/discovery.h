/* actr/discovery.h: registries, registration, finding actors by name
 * (SEMANTICS S19, S20).
 *
 * A registry is where actors register and are found; its URL chooses
 * the backend:
 * - a registrar, an actor that maps actor names to the addresses they
 *   listen on (tcp://HOST:PORT, unix:///PATH). It serves tractor's
 *   registry calls (register_actor, unregister_actor, find_actor,
 *   wait_for_actor, get_registry, delete_addr) and actr's list_actors in
 *   its `self` namespace;
 * - an etcd cluster (etcd://HOST:PORT[,HOST:PORT...][/PREFIX], etcds://
 *   for TLS; port 2379 and prefix /actr by default), through etcd's v3
 *   JSON gateway.
 * The registry list of an actor may mix both: it registers with each,
 * and a lookup asks them all at once.
 *
 * The root actor of a tree is a registrar by default: actr_main probes the
 * registrar addresses among its registries (opts->registry; else the
 * environment variable ACTR_REGISTRY, URLs separated by commas or spaces,
 * or "none"; else ACTR_REGISTRY_DEFAULT). When a live registrar answers
 * at one of them, the root registers with it instead; when none does, the
 * root binds the free ones and is the registrar (tractor's rule; an
 * address taken by something that is not a registrar is skipped, and if
 * all are, actr_main fails with ACTR_EADDRINUSE). A probe that stalls is
 * retried with backoff within ACTR_REGISTRY_PROBE_TOTAL_MS.
 *
 * Every actor registers each address it listens on with each registry it
 * was given (children get their parent's: registrars in the SpawnSpec,
 * etcd clusters in the environment), before it serves its parent, so a
 * caller that saw a child start finds it at once. It unregisters at exit
 * (bounded: ACTR_UNREGISTER_TIMEOUT_MS each). When a registry goes away
 * and comes back (a registrar restarted, etcd restarted or failed over),
 * the actor registers again by itself, retried with backoff of
 * ACTR_REGISTRY_RETRY_MIN_MS doubling to ACTR_REGISTRY_RETRY_MAX_MS.
 *
 * No stale entries. A registrar never hands out the address of an actor
 * that is gone: it drops entries on unregistration, probes an actor's
 * addresses when its registration channel breaks, and probes the
 * addresses it is about to answer with (a liveness probe: connect +
 * Aid{is_probe: true}; the Aid that answers must carry the registered
 * uuid). On etcd an actor's entry lives on a lease of ACTR_ETCD_TTL
 * seconds that the actor keeps alive: an actor killed with SIGKILL is
 * gone when its lease expires (within that TTL; nothing probes it).
 *
 * etcd's environment: ACTR_ETCD_TTL (lease seconds), ACTR_ETCD_CACERT,
 * ACTR_ETCD_CERT, ACTR_ETCD_KEY (PEM files, etcds:// only),
 * ACTR_ETCD_USER ("name:password", or "name" and ACTR_ETCD_PASSWORD).
 *
 * Registry arguments below: registry[0..n) are registry URLs; n == 0
 * means the registries of the calling actor. Every call runs in a task of
 * an actor (ACTR_ESTATE otherwise). */
#ifndef ACTR_DISCOVERY_H
#define ACTR_DISCOVERY_H

#include <stddef.h>
#include <stdint.h>

#include "actor.h"
#include "api.h"
#include "ipc.h"
#include "portal.h"

ACTR_BEGIN_DECLS

/* The well-known registrar address (tractor's) and its override (a list
 * of registry URLs). */
#define ACTR_REGISTRY_DEFAULT "tcp://127.0.0.1:1616"
#define ACTR_REGISTRY_ENV "ACTR_REGISTRY"
/* How long one registrar gets to answer a find (a slower one is
 * abandoned, and one that answers first wins at once). */
#define ACTR_REGISTRY_TIMEOUT_MS 2000
/* How long an exiting actor waits for each unregistration. */
#define ACTR_UNREGISTER_TIMEOUT_MS 500
/* How long a registrar waits for a liveness probe to answer. */
#define ACTR_PROBE_TIMEOUT_MS 1000
/* How long a root keeps probing a registry address that stalls. */
#define ACTR_REGISTRY_PROBE_TOTAL_MS 4000
/* Retries after a registry went away: the first delay, and the longest. */
#define ACTR_REGISTRY_RETRY_MIN_MS 100
#define ACTR_REGISTRY_RETRY_MAX_MS 2000
/* The lease of a registration on etcd, in seconds, and its override. */
#define ACTR_ETCD_TTL_DEFAULT 5
#define ACTR_ETCD_TTL_ENV "ACTR_ETCD_TTL"

/* What a root actor is in the discovery scheme. */
typedef enum actr_role {
    ACTR_ROLE_AUTO = 0,     /* registrar unless one answers (actr_main) */
    ACTR_ROLE_REGISTRAR,    /* always a registrar, on its listen addresses
                               and the registry addresses: any of them taken
                               is ACTR_EADDRINUSE */
    ACTR_ROLE_CLIENT        /* never a registrar, registers nowhere: a tool
                               that only queries (actr ps) */
} actr_role;

/* actr_main (actr/actor.h) with a role for the root; a child ignores it
 * (it registers with the registrars its SpawnSpec names). Blocks until
 * the actor ends; returns as actr_main. */
ACTR_API int actr_main_role(int argc, char **argv, const actr_actor_opts *opts,
                            actr_role role, actr_actor_fn fn, void *arg);

/* 1 when this actor is a registrar, else 0. */
ACTR_API int actr_actor_is_registrar(const actr_actor *a);

/* Number of addresses the actor listens on (S19 multi-homing). */
ACTR_API size_t actr_actor_naddrs(const actr_actor *a);

/* Writes the URL of listen address i into buf (cap bytes). Returns its
 * length, ACTR_ERANGE (cap too small), ACTR_EINVAL (no such address). */
ACTR_API int actr_actor_addr(const actr_actor *a, size_t i, char *buf, size_t cap);

/* Writes the URL of registry i of the actor into buf: its registrars
 * first, then its etcd clusters. Returns its length, ACTR_ERANGE,
 * ACTR_EINVAL (no such registry). */
ACTR_API int actr_actor_registrar(const actr_actor *a, size_t i, char *buf, size_t cap);

/* Number of registries the actor was given (a registrar: its own
 * addresses), etcd clusters included. */
ACTR_API size_t actr_actor_nregistrars(const actr_actor *a);

/* find_actor (S20): asks every registrar concurrently for name (an actor
 * name or uuid) and connects to the first actor found (a Unix address
 * first, then loopback TCP, then the others). Returns 0 and a portal in
 * *out that the caller closes with actr_portal_close; ACTR_ENOTFOUND when
 * no registry knows such a live actor (or it could not be reached);
 * ACTR_ECONNREFUSED when no registry answered at all; ACTR_EINVAL (a bad
 * registry URL); ACTR_ECANCELED. A registry that is down or slow does
 * not delay the answer of one that is up; each gets
 * ACTR_REGISTRY_TIMEOUT_MS. Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_find_actor(const char *name, const char *const *registry,
                                            size_t n, actr_portal **out);

/* Like actr_find_actor, but hands back every address of the actor found
 * as URLs: *urls is a malloc'd array of *nurls malloc'd strings, freed
 * with actr_urls_free. Same returns. Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_find_addrs(const char *name, const char *const *registry,
                                            size_t n, char ***urls, size_t *nurls);

/* Frees what actr_find_addrs handed out. NULL is a no-op. */
ACTR_API void actr_urls_free(char **urls, size_t n);

/* wait_for_actor (S20): blocks until an actor called name is registered
 * with any of the registrars (returns at once if one is), then connects
 * to it as actr_find_actor does; one registered but unreachable (it died
 * as it was handed out, and may be restarted under its name, S26) is
 * waited for again. Bound it with a cancel scope (S15): it then returns
 * ACTR_ECANCELED (or the scope's ACTR_ETIMEDOUT at its exit) and the
 * registrars stop waiting. Returns 0 and *out, ACTR_ECONNREFUSED when no
 * registrar could be reached. Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_wait_for_actor(const char *name, const char *const *registry,
                                                size_t n, actr_portal **out);

/* get_registry (S20): a portal to the first registrar that answers a
 * liveness probe as a registrar (all probed concurrently; etcd clusters
 * are not actors and are skipped). Returns 0 and *out (close with
 * actr_portal_close), ACTR_ECONNREFUSED when none is reachable,
 * ACTR_ENOTSUP when the registries are all etcd clusters, ACTR_ECANCELED.
 * Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_get_registry(const char *const *registry, size_t n,
                                              actr_portal **out);

/* One registered actor. */
typedef struct actr_registry_entry {
    char *name;
    char *uuid;
    int64_t pid;        /* 0 when the registrar does not know it */
    char **addrs;       /* URLs */
    size_t naddrs;
} actr_registry_entry;

/* Lists every actor registered with the registrar behind p (a portal from
 * actr_get_registry or actr_portal_open), each checked alive, the
 * registrar included. Uses actr's list_actors with an actr registrar (one
 * that announced actr's extensions in its handshake, actr_portal_peer_actr),
 * and tractor's get_registry (no pids) with any other: list_actors is never
 * sent to a tractor registrar, which would end itself on it. Returns 0 and a malloc'd array of
 * *n entries (free with actr_registry_entries_free), or the call's error.
 * Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_registry_list(actr_portal *p, actr_registry_entry **out,
                                               size_t *n);

/* Frees what actr_registry_list handed out. NULL is a no-op. */
ACTR_API void actr_registry_entries_free(actr_registry_entry *v, size_t n);

/* Parses the registrar addresses of the environment's registry list
 * (ACTR_REGISTRY) or, when it is unset, ACTR_REGISTRY_DEFAULT into *out
 * (malloc'd, free with free()); etcd URLs in the list are not addresses
 * and are left out. "none" or an empty value gives *n == 0. Returns 0,
 * ACTR_EINVAL (a bad URL, named in actr_last_error) or ACTR_ENOMEM. Does
 * not block. */
ACTR_API ACTR_NODISCARD int actr_registry_default(actr_addr **out, size_t *n);

ACTR_END_DECLS

#endif
