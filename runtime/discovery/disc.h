/* discovery/disc.h: what the files of runtime/discovery share. Private.
 *
 * - backend.h: the backend interface and the registry URLs (registry.c);
 * - reg_registrar.c, reg_etcd.c: the two backends, client side;
 * - etcd.c on http.c: etcd's v3 JSON API, on libcurl driven by the loop;
 * - rawcall.c: one registry call on a fresh channel (tractor does every
 *   registry call so, Observed 3), and the liveness probe;
 * - registrar.c: the registrar's table and its `self` endpoints;
 * - register.c: an actor's registrations, whatever the backends;
 * - find.c: find / wait / get_registry, the client side;
 * - main.c: actr_main, the composition of the actor layer with these. */
#ifndef ACTR_DISCOVERY_DISC_H
#define ACTR_DISCOVERY_DISC_H

#include <actr/actr.h>

#include "actor/hooks.h"
#include "actr_self.actor.h"
#include "actr_registrar.actor.h"
#include "discovery/backend.h"

#define DISC_TAG "discovery"

/* Connects to addr and handshakes with this actor's Aid (is_probe as
 * given). Returns 0 and the channel, or the connect/handshake error. */
int disc_connect(const actr_addr *addr, int probe, actr_ipc **out, int64_t deadline);

/* One call of self:func on ipc: Start (kwargs = *args encoded with
 * args_t; NULL: {}), StartAck, Return decoded with res_t into res (NULL:
 * discarded). Returns 0, ACTR_ENOTFOUND (no such endpoint there), ACTR_EREMOTE
 * (an Error: its text in actr_last_error), ACTR_ETYPE, the channel's error,
 * ACTR_ETIMEDOUT, ACTR_ECANCELED. */
int disc_call(actr_ipc *ipc, const char *func, const actr_type *args_t, const void *args,
              const actr_type *res_t, void *res, int64_t deadline);

/* Liveness probe of addr: 0 when an actor answers the handshake (its
 * uuid must be uuid when uuid is not NULL: ACTR_ENOTFOUND otherwise),
 * with *is_registrar set (may be NULL); else why not. */
int disc_probe(const actr_addr *addr, const char *uuid, int *is_registrar, int64_t deadline);

/* self.Addr <-> actr_addr. to_wire hands back an owned value
 * (actr_self_addr_free). */
int disc_addr_from_wire(const actr_self_addr *w, actr_addr *out);
int disc_addr_to_wire(const actr_addr *a, actr_self_addr *out);

/* Registrar (registrar.c). */
extern actr_module disc_registrar_ns;   /* the extra self endpoints */
void disc_registrar_init(void);
/* Becomes active for actor a; registers a itself (its listen addresses). */
int disc_registrar_start(actr_actor *a);
/* The channel l ended: re-check what was registered through it. */
void disc_registrar_link_end(actr_actor *a, struct link *l);
/* Frees the table (after the actor ended). */
void disc_registrar_free(void);

/* Registration (register.c): with every registry of the actor, within
 * the start bound (a failure keeps the actor from starting), kept alive
 * by a task per registry; removed again at exit (shielded, bounded). */
int disc_register_all(actr_actor *a);
void disc_unregister_all(actr_actor *a);

/* Lookups (find.c). Sorts URLs best first (unix, loopback, the rest). */
void disc_urls_rank(char **urls, size_t n);
/* Frees what an entry holds and zeroes it. */
void disc_entry_clear(actr_registry_entry *e);

#endif
