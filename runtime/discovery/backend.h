/* discovery/backend.h: the two discovery backends behind the one public
 * API (actr/discovery.h). Private to libactr.
 *
 * A registry is where actors register and are looked up, named by a URL
 * whose scheme chooses the backend: a registrar actor (tcp://, unix://;
 * reg_registrar.c) or an etcd cluster (etcd://, etcds://; reg_etcd.c).
 * An actor may be given several, of both kinds: it registers with each,
 * and a lookup asks them all at once (find.c). registry.c parses the
 * URLs and keeps this process's list; register.c runs the registrations. */
#ifndef ACTR_DISCOVERY_BACKEND_H
#define ACTR_DISCOVERY_BACKEND_H

#include <actr/actr.h>

#include "discovery/etcd.h"

#define DISC_URL_MAX 1024

/* The environment variable that hands an actor's etcd registries to the
 * children it spawns (set by actr_main in the root; registrar addresses
 * travel in the SpawnSpec instead). */
#define DISC_ETCD_TREE_ENV "ACTR_ETCD_TREE"

struct disc_backend;

/* One registry (a plain value; the etcd client is shared, process-wide). */
typedef struct disc_registry {
    const struct disc_backend *be;
    char url[DISC_URL_MAX];     /* as given */
    actr_addr addr;             /* a registrar's address */
    etcd *etcd;                 /* an etcd cluster's client */
} disc_registry;

/* What a backend does. Lookups hand back one actor as an entry whose
 * addrs are URLs in no particular order (find.c ranks them). */
typedef struct disc_backend {
    const char *kind;           /* "registrar", "etcd": for messages */
    /* Registers actor a (every listen address) within the start bound.
     * 0 and *state (owned by the caller until reg_close), or the error
     * that keeps the actor from starting. */
    int (*reg_open)(const disc_registry *r, actr_actor *a, void **state);
    /* Keeps that registration until cancelled, re-creating it when the
     * registry comes back after going away (retried with backoff).
     * Returns ACTR_ECANCELED. */
    int (*reg_keep)(void *state);
    /* Removes the registration (bounded: ACTR_UNREGISTER_TIMEOUT_MS; the
     * caller shields) and frees state. */
    void (*reg_close)(void *state);
    /* 1 and *out when r knows a live actor called name (or with that
     * uuid), 0 when it answered that it knows none, else why it did not
     * answer. Cancellation point. */
    int (*find)(const disc_registry *r, const char *name, actr_registry_entry *out,
                int64_t deadline);
    /* Like find, but blocks until such an actor registers (1), or the
     * task is cancelled, or r cannot be asked at all. */
    int (*wait)(const disc_registry *r, const char *name, actr_registry_entry *out);
    /* Every actor registered: *out (actr_registry_entries_free) of *n. */
    int (*list)(const disc_registry *r, actr_registry_entry **out, size_t *n,
                int64_t deadline);
} disc_backend;

extern const disc_backend disc_registrar_backend;
extern const disc_backend disc_etcd_backend;

/* ------------------------------------------------------------ registry.c */

/* Parses one registry URL. Returns 0, ACTR_EINVAL (detail names the URL
 * and what is wrong), ACTR_ENOMEM. Does not block. */
int disc_registry_parse(const char *url, disc_registry *out);

/* Checks one registry URL as disc_registry_parse does, keeping nothing. */
int disc_registry_check(const char *url);

/* Splits a registry list in ACTR_REGISTRY's syntax (URLs separated by
 * commas or spaces; the commas between the hosts of one etcd URL stay
 * in it) into *urls (actr_urls_free) of *n. "none" or "" give none. */
int disc_registry_split(const char *text, char ***urls, size_t *n);

/* The registries to ask: urls[0..n) parsed, or when n == 0 those of the
 * calling actor. *out (free()) of *nout. ACTR_ESTATE outside an actor,
 * ACTR_ECONNREFUSED when the actor has none. */
int disc_registries(const char *const *urls, size_t n, disc_registry **out, size_t *nout);

/* The registries this actor registers with: its registrars (none for a
 * registrar) and its etcd clusters. */
int disc_registries_own(actr_actor *a, disc_registry **out, size_t *nout);

/* Sets this process's etcd registries (the root, at boot) and hands
 * them to future children through DISC_ETCD_TREE_ENV. */
int disc_etcd_set(const char *const *urls, size_t n);
/* A child: takes its parent's from DISC_ETCD_TREE_ENV. */
int disc_etcd_inherit(void);
/* This process's etcd registry URLs (borrowed). */
const char *const *disc_etcd_urls(size_t *n);
/* Forgets them. */
void disc_etcd_clear(void);
/* Forgets them and frees every etcd client (when actr_main returns). */
void disc_etcd_clients_free(void);

/* Lists the actors registered at registry url (any backend), within
 * ACTR_REGISTRY_TIMEOUT_MS: the actr tool's `ps`. Returns 0 and *out
 * (actr_registry_entries_free) of *n, or why not. Cancellation point.
 * (find.c) */
int disc_list(const char *url, actr_registry_entry **out, size_t *n);

/* Retry delays: ACTR_REGISTRY_RETRY_MIN_MS, doubling up to
 * ACTR_REGISTRY_RETRY_MAX_MS. */
typedef struct disc_backoff {
    int64_t next_ms;
} disc_backoff;
void disc_backoff_reset(disc_backoff *b);
/* Sleeps the next delay: 0, or ACTR_ECANCELED. */
int disc_backoff_sleep(disc_backoff *b);

#endif
