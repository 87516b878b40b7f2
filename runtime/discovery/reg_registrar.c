/* The registrar backend, client side (S19, S20; discovery/backend.h).
 *
 * Registration: every listen address with one register_actor call each,
 * on a channel that stays open while the actor lives (the registrar
 * re-checks the actor when it breaks); when it breaks from the other
 * side (the registrar stopped or restarted), the actor registers again,
 * retried with backoff, so a restarted registrar gets its actors back.
 * At exit unregister_actor on that channel, bounded so that an actor
 * whose registrar is gone still exits promptly.
 *
 * Lookups are tractor's registry calls, each on a fresh channel (as
 * tractor does them); listing uses actr's list_actors, or tractor's
 * get_registry with a tractor registrar. */
#define _GNU_SOURCE
#include "discovery/disc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rreg {
    actr_addr addr;
    char url[DISC_URL_MAX];
    actr_ipc *ipc;            /* the persistent channel, NULL while there is none */
};

static void
uid_of(actr_actor *a, actr_self_uid *uid)
{
    uid->name.ptr = (char *)actr_actor_name(a);
    uid->name.len = strlen(uid->name.ptr);
    uid->uuid.ptr = (char *)actr_actor_uuid(a);
    uid->uuid.len = strlen(uid->uuid.ptr);
}

/* Connects and registers every listen address of a; r->ipc on success. */
static int
register_on(struct rreg *r, actr_actor *a)
{
    int64_t dl = actr_deadline_in(ACTR_REGISTRY_TIMEOUT_MS);
    actr_ipc *ipc;
    int rc = disc_connect(&r->addr, 0, &ipc, dl);
    if (rc < 0)
        return rc;
    const actr_listener *l = actri_actor_listener(a);
    size_t n = l ? actr_listener_naddrs(l) : 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        actr_self_register_actor_args ra = {0};
        uid_of(a, &ra.uid);
        if ((rc = disc_addr_to_wire(actr_listener_addr(l, i), &ra.addr)) < 0)
            break;
        rc = disc_call(ipc, "register_actor", &actr_self_register_actor_args_type, &ra, NULL,
                       NULL, dl);
        actr_self_addr_free(&ra.addr);
    }
    if (rc < 0) {
        actr_ipc_close(ipc, 0);
        return rc;
    }
    actr_log_runtime(DISC_TAG, "registered %zu address(es) with %s", n, r->url);
    r->ipc = ipc;
    return 0;
}

static int
reg_open(const disc_registry *reg, actr_actor *a, void **state)
{
    struct rreg *r = calloc(1, sizeof *r);
    if (!r)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    r->addr = reg->addr;
    snprintf(r->url, sizeof r->url, "%s", reg->url);
    int rc = register_on(r, a);
    if (rc == ACTR_ECANCELED) {
        free(r);
        return rc;
    }
    /* A registrar that is down does not keep the actor from starting:
     * the keeper registers once it is up. */
    if (rc < 0)
        actr_log_warning(DISC_TAG, "cannot register with the registrar at %s: %s (trying"
                         " again in the background)", r->url, actr_last_error()->message);
    *state = r;
    return 0;
}

static int
reg_keep(void *state)
{
    struct rreg *r = state;
    disc_backoff b;
    disc_backoff_reset(&b);
    for (;;) {
        while (r->ipc) {
            actr_msg m;
            int rc = actr_ipc_recv(r->ipc, &m, ACTR_FOREVER);
            if (rc == ACTR_ECANCELED)
                return rc;
            if (rc == 0)
                continue;             /* nothing is expected on it: ignored */
            actr_log_warning(DISC_TAG, "the registrar at %s went away (%s): registering again"
                             " when it is back", r->url, actr_strerror(rc));
            actr_ipc_close(r->ipc, 0);
            r->ipc = NULL;
            disc_backoff_reset(&b);
        }
        int rc = disc_backoff_sleep(&b);
        if (rc == 0 && (rc = register_on(r, actr_self())) == 0)
            actr_log_info(DISC_TAG, "registered again with the registrar at %s", r->url);
        if (rc == ACTR_ECANCELED)
            return rc;
    }
}

static void
reg_close(void *state)
{
    struct rreg *r = state;
    if (r->ipc) {
        actr_self_unregister_actor_args ua = {0};
        uid_of(actr_self(), &ua.uid);
        int rc = disc_call(r->ipc, "unregister_actor", &actr_self_unregister_actor_args_type,
                           &ua, NULL, NULL, actr_deadline_in(ACTR_UNREGISTER_TIMEOUT_MS));
        if (rc < 0)
            actr_log_runtime(DISC_TAG, "unregister from %s: %s", r->url, actr_strerror(rc));
        actr_ipc_close(r->ipc, 0);
    }
    free(r);
}

/* ------------------------------------------------------------ lookups */

/* An entry whose addresses are a registrar's answer (as URLs, best first). */
static int
entry_fill(actr_registry_entry *e, const char *name, size_t nlen, const char *uuid,
           size_t ulen, int64_t pid, const actr_self_addr *addrs, size_t naddrs)
{
    e->pid = pid;
    if (!(e->name = strndup(name, nlen)) || !(e->uuid = strndup(uuid, ulen)) ||
        !(e->addrs = calloc(naddrs ? naddrs : 1, sizeof *e->addrs)))
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    for (size_t i = 0; i < naddrs; i++) {
        actr_addr a;
        char u[ACTR_ADDR_URL_MAX];
        if (disc_addr_from_wire(&addrs[i], &a) < 0 || actr_addr_format(&a, u, sizeof u) < 0)
            continue;                 /* an address we cannot use */
        if (!(e->addrs[e->naddrs] = strdup(u)))
            return actr_error_set(ACTR_ENOMEM, "out of memory");
        e->naddrs++;
    }
    disc_urls_rank(e->addrs, e->naddrs);
    return 0;
}

static int
lookup(const disc_registry *reg, const char *name, int wait, actr_registry_entry *out,
       int64_t deadline)
{
    actr_ipc *ipc;
    int rc = disc_connect(&reg->addr, 0, &ipc, deadline);
    if (rc < 0)
        return rc;
    actr_str nm = {(char *)name, strlen(name)};
    actr_self_addr_list_opt res = {0};
    if (wait) {
        /* Waiting has no bound of its own: the caller's scope is. */
        actr_self_wait_for_actor_args wa = {nm};
        rc = disc_call(ipc, "wait_for_actor", &actr_self_wait_for_actor_args_type, &wa,
                       &actr_self_addr_list_type, &res.value, ACTR_FOREVER);
        res.has = rc == 0;
    } else {
        actr_self_find_actor_args fa = {nm};
        rc = disc_call(ipc, "find_actor", &actr_self_find_actor_args_type, &fa,
                       &actr_self_addr_list_opt_type, &res, deadline);
    }
    /* Closing is what tells a registrar to stop waiting for us. */
    actr_ipc_close(ipc, 0);
    if (rc == 0 && res.has && res.value.len > 0)
        rc = entry_fill(out, name, strlen(name), "", 0, 0, res.value.items, res.value.len) < 0
           ? ACTR_ENOMEM : 1;
    actr_self_addr_list_opt_free(&res);
    return rc;
}

static int
rr_find(const disc_registry *reg, const char *name, actr_registry_entry *out, int64_t deadline)
{
    return lookup(reg, name, 0, out, deadline);
}

static int
rr_wait(const disc_registry *reg, const char *name, actr_registry_entry *out)
{
    return lookup(reg, name, 1, out, ACTR_FOREVER);
}

static int
rr_list(const disc_registry *reg, actr_registry_entry **out, size_t *n, int64_t deadline)
{
    actr_scope sc;
    int rc = actr_scope_enter(&sc, deadline, 0);
    if (rc < 0)
        return rc;
    actr_portal *p = NULL;
    if ((rc = actr_portal_open(reg->url, &p)) == 0)
        rc = actr_registry_list(p, out, n);
    actr_portal_close(p);
    actr_scope_exit(&sc);
    if (rc == ACTR_ECANCELED && actr_scope_expired(&sc))
        rc = actr_error_set(ACTR_ETIMEDOUT, "registrar %s: no answer in time", reg->url);
    return rc;
}

const disc_backend disc_registrar_backend = {
    .kind = "registrar",
    .reg_open = reg_open,
    .reg_keep = reg_keep,
    .reg_close = reg_close,
    .find = rr_find,
    .wait = rr_wait,
    .list = rr_list,
};

/* ------------------------------------------------------------ listing */

/* A tractor registrar has no list_actors: its get_registry, keyed
 * "name.uuid", without pids. */
static int
list_tractor(actr_portal *p, actr_registry_entry **out, size_t *n)
{
    const actr_endpoint *ep = actr_module_find(&actr_self_module, "get_registry", 12);
    actr_self_get_registry_args none = {0};
    actr_self_addr_list_map m = {0};
    int rc = actr_portal_call(p, ep, &none, &m);
    if (rc < 0)
        return rc;
    actr_registry_entry *v = calloc(m.len ? m.len : 1, sizeof *v);
    size_t k = 0;
    rc = v ? 0 : actr_error_set(ACTR_ENOMEM, "out of memory");
    for (size_t i = 0; i < m.len && rc == 0; i++) {
        const actr_str *key = &m.items[i].key;
        const char *dot = key->len > 37 ? key->ptr + key->len - 37 : NULL;
        if (!dot || *dot != '.')
            continue;
        rc = entry_fill(&v[k], key->ptr, (size_t)(dot - key->ptr), dot + 1, 36, 0,
                        m.items[i].value.items, m.items[i].value.len);
        k++;
    }
    actr_self_addr_list_map_free(&m);
    if (rc < 0) {
        actr_registry_entries_free(v, k);
        return rc;
    }
    *out = v;
    *n = k;
    return 0;
}

int
actr_registry_list(actr_portal *p, actr_registry_entry **out, size_t *n)
{
    /* list_actors is actr's: asked only of an actr registrar. A tractor
     * one looks `self` functions up unguarded and would end itself on
     * it, so it gets its own get_registry. */
    if (!actr_portal_peer_actr(p))
        return list_tractor(p, out, n);
    const actr_endpoint *ep = actr_module_find(&actr_registrar_module, "list_actors", 11);
    actr_registrar_list_actors_args none = {0};
    actr_registrar_entry_list l = {0};
    int rc = actr_portal_call(p, ep, &none, &l);
    if (rc < 0)
        return rc;
    actr_registry_entry *v = calloc(l.len ? l.len : 1, sizeof *v);
    size_t k = 0;
    rc = v ? 0 : actr_error_set(ACTR_ENOMEM, "out of memory");
    for (size_t i = 0; i < l.len && rc == 0; i++, k++) {
        const actr_registrar_entry *e = &l.items[i];
        rc = entry_fill(&v[k], e->name.ptr, e->name.len, e->uuid.ptr, e->uuid.len,
                        e->pid.has ? e->pid.value : 0, e->addrs.items, e->addrs.len);
    }
    actr_registrar_entry_list_free(&l);
    if (rc < 0) {
        actr_registry_entries_free(v, k);
        return rc;
    }
    *out = v;
    *n = k;
    return 0;
}
