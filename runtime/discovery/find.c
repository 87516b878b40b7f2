/* The client side of discovery (S20): find_actor, wait_for_actor,
 * get_registry and listing a registrar's table. Every registrar is asked
 * at once, each on a fresh channel (as tractor does); the first answer
 * wins and the other queries are cancelled, so a registrar that is down
 * or slow never delays one that is up. */
#define _GNU_SOURCE
#include "discovery/disc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum qkind { Q_FIND, Q_WAIT, Q_PROBE };

struct query {
    enum qkind kind;
    const char *name;
    actr_nursery *n;
    int found;                /* index of the registrar that answered, or -1 */
    actr_self_addr_list addrs;     /* its answer (owned) */
    size_t answered;          /* registrars that answered at all */
    int last_err;
};

struct qtask {
    struct query *q;
    actr_addr addr;
    int idx;
};

static void
take(struct query *q, int idx, actr_self_addr_list *addrs)
{
    q->found = idx;
    if (addrs) {
        q->addrs = *addrs;
        memset(addrs, 0, sizeof *addrs);
    }
    actr_nursery_cancel(q->n);      /* the others stop asking */
}

static int
query_task(void *arg)
{
    struct qtask *t = arg;
    struct query *q = t->q;
    int64_t dl = actr_deadline_in(ACTR_REGISTRY_TIMEOUT_MS);
    int rc;
    if (q->kind == Q_PROBE) {
        int is_reg = 0;
        rc = disc_probe(&t->addr, NULL, &is_reg, dl);
        if (rc == 0) {
            q->answered++;
            if (is_reg && q->found < 0)
                take(q, t->idx, NULL);
        }
    } else {
        actr_ipc *ipc;
        rc = disc_connect(&t->addr, 0, &ipc, dl);
        if (rc == 0) {
            actr_str name = {(char *)q->name, strlen(q->name)};
            if (q->kind == Q_FIND) {
                actr_self_find_actor_args fa = {name};
                actr_self_addr_list_opt res = {0};
                rc = disc_call(ipc, "find_actor", &actr_self_find_actor_args_type, &fa,
                               &actr_self_addr_list_opt_type, &res, dl);
                if (rc == 0) {
                    q->answered++;
                    if (res.has && res.value.len > 0 && q->found < 0)
                        take(q, t->idx, &res.value);
                }
                actr_self_addr_list_opt_free(&res);
            } else {
                /* Waiting has no bound of its own: the caller's scope is. */
                actr_self_wait_for_actor_args wa = {name};
                actr_self_addr_list res = {0};
                rc = disc_call(ipc, "wait_for_actor", &actr_self_wait_for_actor_args_type, &wa,
                               &actr_self_addr_list_type, &res, ACTR_FOREVER);
                if (rc == 0) {
                    q->answered++;
                    if (res.len > 0 && q->found < 0)
                        take(q, t->idx, &res);
                }
                actr_self_addr_list_free(&res);
            }
            /* Closing is what tells a registrar to stop waiting for us. */
            actr_ipc_close(ipc, 0);
        }
    }
    if (rc < 0 && rc != ACTR_ECANCELED) {
        char u[ACTR_ADDR_URL_MAX];
        if (actr_addr_format(&t->addr, u, sizeof u) < 0)
            u[0] = 0;
        actr_log_runtime(DISC_TAG, "registrar %s: %s", u, actr_strerror(rc));
        q->last_err = rc;
    }
    return 0;                  /* one registrar's failure is not the others' */
}

/* The registrars to ask: the given URLs, else the calling actor's. */
static int
registrars(const char *const *urls, size_t n, actr_addr **out, size_t *nout)
{
    actr_actor *a = actr_self();
    if (!a)
        return actr_error_set(ACTR_ESTATE, "discovery calls run in an actor's task");
    if (n == 0) {
        size_t k;
        const actr_addr *v = actri_actor_registrars(a, &k);
        if (k == 0)
            return actr_error_set(ACTR_ECONNREFUSED, "this actor knows no registrar");
        if (!(*out = malloc(k * sizeof **out)))
            return actr_error_set(ACTR_ENOMEM, "out of memory");
        memcpy(*out, v, k * sizeof **out);
        *nout = k;
        return 0;
    }
    actr_addr *v = calloc(n, sizeof *v);
    if (!v)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        int rc = actr_addr_parse(urls[i], &v[i]);
        if (rc < 0) {
            free(v);
            return actr_error_set(rc, "bad registrar address \"%s\"", urls[i] ? urls[i] : "");
        }
    }
    *out = v;
    *nout = n;
    return 0;
}

/* Runs q against every registrar. 0 when one answered with a find (or a
 * probe as registrar), else ACTR_ENOTFOUND / ACTR_ECONNREFUSED / the
 * caller's cancellation. */
static int
run_query(struct query *q, const char *const *urls, size_t n, actr_addr *which)
{
    actr_addr *regs = NULL;
    size_t nreg = 0;
    int rc = registrars(urls, n, &regs, &nreg);
    if (rc < 0)
        return rc;
    struct qtask *ts = calloc(nreg, sizeof *ts);
    if (!ts) {
        free(regs);
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    }
    q->found = -1;
    if ((rc = actr_nursery_open(&q->n)) < 0) {
        free(ts);
        free(regs);
        return rc;
    }
    for (size_t i = 0; i < nreg; i++) {
        ts[i] = (struct qtask){q, regs[i], (int)i};
        actr_task_opts o = {.name = "registry-query"};
        if (actr_nursery_spawn_opts(q->n, query_task, &ts[i], &o) < 0)
            q->last_err = ACTR_ENOMEM;
    }
    rc = actr_nursery_close(q->n, ACTR_FOREVER);
    q->n = NULL;
    if (q->found >= 0 && which)
        *which = regs[q->found];
    free(ts);
    free(regs);
    if (actr_task_cancelled())
        rc = ACTR_ECANCELED;
    if (rc == ACTR_ECANCELED && q->found < 0)
        return rc;
    if (q->found >= 0)
        return 0;
    if (q->answered > 0)
        return actr_error_set(ACTR_ENOTFOUND, "no registrar knows a live actor \"%s\"",
                              q->name ? q->name : "registrar");
    return actr_error_set(ACTR_ECONNREFUSED, "no registrar answered (%s)",
                          actr_strerror(q->last_err ? q->last_err : ACTR_ECONNREFUSED));
}

/* Unix first, then loopback TCP, then the rest (tractor's prefer_addr). */
static int
rank(const actr_addr *a)
{
    if (a->kind == ACTR_ADDR_UNIX)
        return 0;
    if (strncmp(a->host, "127.", 4) == 0 || strcmp(a->host, "::1") == 0 ||
        strcmp(a->host, "localhost") == 0)
        return 1;
    return 2;
}

/* The URLs of an answer, best first. */
static int
urls_of(const actr_self_addr_list *l, char ***out, size_t *n)
{
    char **v = calloc(l->len ? l->len : 1, sizeof *v);
    int *r = calloc(l->len ? l->len : 1, sizeof *r);
    size_t k = 0;
    if (!v || !r) {
        free(v);
        free(r);
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < l->len; i++) {
        actr_addr a;
        char u[ACTR_ADDR_URL_MAX];
        if (disc_addr_from_wire(&l->items[i], &a) < 0 || actr_addr_format(&a, u, sizeof u) < 0)
            continue;               /* an address we cannot use */
        int rk = rank(&a);
        size_t j = k;
        while (j > 0 && r[j - 1] > rk) {
            v[j] = v[j - 1];
            r[j] = r[j - 1];
            j--;
        }
        if (!(v[j] = strdup(u))) {
            actr_urls_free(v, k);
            free(r);
            return actr_error_set(ACTR_ENOMEM, "out of memory");
        }
        r[j] = rk;
        k++;
    }
    free(r);
    *out = v;
    *n = k;
    return 0;
}

void
actr_urls_free(char **urls, size_t n)
{
    if (!urls)
        return;
    for (size_t i = 0; i < n; i++)
        free(urls[i]);
    free(urls);
}

static int
lookup(enum qkind kind, const char *name, const char *const *registry, size_t n, char ***urls,
       size_t *nurls)
{
    if (!name || !*name)
        return actr_error_set(ACTR_EINVAL, "no actor name");
    struct query q = {.kind = kind, .name = name};
    int rc = run_query(&q, registry, n, NULL);
    if (rc == 0)
        rc = urls_of(&q.addrs, urls, nurls);
    actr_self_addr_list_free(&q.addrs);
    if (rc == 0 && *nurls == 0) {
        actr_urls_free(*urls, 0);
        rc = actr_error_set(ACTR_ENOTFOUND, "actor \"%s\" has no usable address", name);
    }
    return rc;
}

static int
connect_best(const char *name, char **urls, size_t n, actr_portal **out)
{
    int rc = ACTR_ENOTFOUND;
    for (size_t i = 0; i < n; i++) {
        if ((rc = actr_portal_open(urls[i], out)) == 0)
            return 0;
        if (rc == ACTR_ECANCELED)
            return rc;
        actr_log_runtime(DISC_TAG, "%s at %s: %s", name, urls[i], actr_strerror(rc));
    }
    return actr_error_set(ACTR_ENOTFOUND, "actor \"%s\" was registered but cannot be reached"
                          " (%s)", name, actr_strerror(rc));
}

int
actr_find_addrs(const char *name, const char *const *registry, size_t n, char ***urls,
                size_t *nurls)
{
    return lookup(Q_FIND, name, registry, n, urls, nurls);
}

/* A lookup of kind, then a portal to the best address found. */
static int
lookup_connect(enum qkind kind, const char *name, const char *const *registry, size_t n,
               actr_portal **out)
{
    char **urls;
    size_t nu;
    int rc = lookup(kind, name, registry, n, &urls, &nu);
    if (rc < 0)
        return rc;
    rc = connect_best(name, urls, nu, out);
    actr_urls_free(urls, nu);
    return rc;
}

int
actr_find_actor(const char *name, const char *const *registry, size_t n, actr_portal **out)
{
    return lookup_connect(Q_FIND, name, registry, n, out);
}

int
actr_wait_for_actor(const char *name, const char *const *registry, size_t n, actr_portal **out)
{
    /* An entry the registrar handed out just before it noticed the actor
     * die (a supervisor restarts it under the same name, S26) cannot be
     * reached: wait again, a little longer each time, for the one that
     * can (the registrar drops the dead entry on its next probe). */
    for (int64_t pause = 1;; pause = pause < 256 ? pause * 2 : pause) {
        int rc = lookup_connect(Q_WAIT, name, registry, n, out);
        if (rc != ACTR_ENOTFOUND)
            return rc;
        actr_log_runtime(DISC_TAG, "waiting for %s again: %s", name, actr_last_error()->message);
        if ((rc = actr_sleep(pause)) < 0)
            return rc;
    }
}

int
actr_get_registry(const char *const *registry, size_t n, actr_portal **out)
{
    struct query q = {.kind = Q_PROBE};
    actr_addr which;
    int rc = run_query(&q, registry, n, &which);
    if (rc == ACTR_ENOTFOUND)
        rc = actr_error_set(ACTR_ECONNREFUSED, "actors answer, but none is a registrar");
    if (rc < 0)
        return rc;
    char u[ACTR_ADDR_URL_MAX];
    if ((rc = actr_addr_format(&which, u, sizeof u)) < 0)
        return rc;
    return actr_portal_open(u, out);
}

/* ------------------------------------------------------------ listing */

void
actr_registry_entries_free(actr_registry_entry *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].uuid);
        actr_urls_free(v[i].addrs, v[i].naddrs);
    }
    free(v);
}

static int
entry_fill(actr_registry_entry *e, const char *name, size_t nlen, const char *uuid,
           size_t ulen, int64_t pid, const actr_self_addr *addrs, size_t naddrs)
{
    actr_self_addr_list l = {(actr_self_addr *)addrs, naddrs};
    e->pid = pid;
    if (!(e->name = strndup(name, nlen)) || !(e->uuid = strndup(uuid, ulen)))
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    return urls_of(&l, &e->addrs, &e->naddrs);
}

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
