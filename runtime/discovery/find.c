/* The client side of discovery (S20): find_actor, wait_for_actor,
 * get_registry, whatever the registries' backends. Every registry is
 * asked at once; the first answer wins and the other queries are
 * cancelled, so a registry that is down or slow never delays one that is
 * up. The addresses of the actor found are tried unix first, then
 * loopback TCP, then the rest (tractor's prefer_addr). */
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
    int found;                /* index of the registry that answered, or -1 */
    actr_registry_entry entry;    /* its answer (owned) */
    size_t answered;          /* registries that answered at all */
    int last_err;
};

struct qtask {
    struct query *q;
    disc_registry r;
    int idx;
};

static int
query_task(void *arg)
{
    struct qtask *t = arg;
    struct query *q = t->q;
    int64_t dl = actr_deadline_in(ACTR_REGISTRY_TIMEOUT_MS);
    actr_registry_entry e = {0};
    int rc;
    if (q->kind == Q_PROBE) {
        int is_reg = 0;
        rc = disc_probe(&t->r.addr, NULL, &is_reg, dl);
        rc = rc < 0 ? rc : is_reg;
    } else if (q->kind == Q_FIND) {
        rc = t->r.be->find(&t->r, q->name, &e, dl);
    } else {
        rc = t->r.be->wait(&t->r, q->name, &e);
    }
    if (rc >= 0)
        q->answered++;
    if (rc == 1 && q->found < 0) {
        q->found = t->idx;
        q->entry = e;
        memset(&e, 0, sizeof e);
        actr_nursery_cancel(q->n);    /* the others stop asking */
    }
    disc_entry_clear(&e);
    if (rc < 0 && rc != ACTR_ECANCELED) {
        actr_log_runtime(DISC_TAG, "%s %s: %s", t->r.be->kind, t->r.url,
                         actr_last_error()->message);
        q->last_err = rc;
    }
    return 0;                  /* one registry's failure is not the others' */
}

/* Runs q against every registry (the given URLs, else the actor's). 0
 * when one answered with a find (or a probe as registrar), else
 * ACTR_ENOTFOUND / ACTR_ECONNREFUSED / the caller's cancellation. */
static int
run_query(struct query *q, const char *const *urls, size_t n, char *which, size_t wcap)
{
    disc_registry *regs = NULL;
    size_t nreg = 0;
    int rc = disc_registries(urls, n, &regs, &nreg);
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
    size_t asked = 0;
    for (size_t i = 0; i < nreg; i++) {
        /* A probe looks for a registrar actor: etcd is none. */
        if (q->kind == Q_PROBE && regs[i].be != &disc_registrar_backend)
            continue;
        ts[i] = (struct qtask){q, regs[i], (int)i};
        actr_task_opts o = {.name = "registry-query"};
        if (actr_nursery_spawn_opts(q->n, query_task, &ts[i], &o) < 0)
            q->last_err = ACTR_ENOMEM;
        asked++;
    }
    rc = actr_nursery_close(q->n, ACTR_FOREVER);
    q->n = NULL;
    if (q->found >= 0 && which)
        snprintf(which, wcap, "%s", regs[q->found].url);
    free(ts);
    free(regs);
    if (actr_task_cancelled())
        rc = ACTR_ECANCELED;
    if (rc == ACTR_ECANCELED && q->found < 0)
        return rc;
    if (q->found >= 0)
        return 0;
    if (asked == 0)
        return actr_error_set(ACTR_ENOTSUP, "no registrar among the registries (an etcd"
                              " cluster is a store, not an actor: list it with actr ps)");
    if (q->answered > 0)
        return actr_error_set(ACTR_ENOTFOUND, "no registry knows a live actor \"%s\"",
                              q->name ? q->name : "registrar");
    return actr_error_set(ACTR_ECONNREFUSED, "no registry answered (%s)",
                          actr_strerror(q->last_err ? q->last_err : ACTR_ECONNREFUSED));
}

/* Unix first, then loopback TCP, then the rest (tractor's prefer_addr). */
static int
rank(const char *url)
{
    actr_addr a;
    if (actr_addr_parse(url, &a) < 0)
        return 3;
    if (a.kind == ACTR_ADDR_UNIX)
        return 0;
    if (strncmp(a.host, "127.", 4) == 0 || strcmp(a.host, "::1") == 0 ||
        strcmp(a.host, "localhost") == 0)
        return 1;
    return 2;
}

void
disc_urls_rank(char **urls, size_t n)
{
    /* Insertion sort: stable, and lists are short. */
    for (size_t i = 1; i < n; i++) {
        char *u = urls[i];
        int r = rank(u);
        size_t j = i;
        while (j > 0 && rank(urls[j - 1]) > r) {
            urls[j] = urls[j - 1];
            j--;
        }
        urls[j] = u;
    }
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
    int rc = run_query(&q, registry, n, NULL, 0);
    if (rc == 0 && q.entry.naddrs == 0)
        rc = actr_error_set(ACTR_ENOTFOUND, "actor \"%s\" has no usable address", name);
    if (rc == 0) {
        disc_urls_rank(q.entry.addrs, q.entry.naddrs);
        *urls = q.entry.addrs;
        *nurls = q.entry.naddrs;
        q.entry.addrs = NULL;
        q.entry.naddrs = 0;
    }
    disc_entry_clear(&q.entry);
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
actr_find_addrs(const char *name, const char *const *registry, size_t n, char ***urls,
                size_t *nurls)
{
    return lookup(Q_FIND, name, registry, n, urls, nurls);
}

int
actr_find_actor(const char *name, const char *const *registry, size_t n, actr_portal **out)
{
    return lookup_connect(Q_FIND, name, registry, n, out);
}

int
actr_wait_for_actor(const char *name, const char *const *registry, size_t n, actr_portal **out)
{
    /* An entry the registry handed out just before it noticed the actor
     * die (a supervisor restarts it under the same name, S26) cannot be
     * reached: wait again, a little longer each time, for the one that
     * can (the registrar drops the dead entry on its next probe; etcd's
     * lease ends). */
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
    char which[DISC_URL_MAX];
    int rc = run_query(&q, registry, n, which, sizeof which);
    if (rc == ACTR_ENOTFOUND)
        rc = actr_error_set(ACTR_ECONNREFUSED, "actors answer, but none is a registrar");
    if (rc < 0)
        return rc;
    return actr_portal_open(which, out);
}

void
disc_entry_clear(actr_registry_entry *e)
{
    free(e->name);
    free(e->uuid);
    actr_urls_free(e->addrs, e->naddrs);
    memset(e, 0, sizeof *e);
}

void
actr_registry_entries_free(actr_registry_entry *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        disc_entry_clear(&v[i]);
    free(v);
}

int
disc_list(const char *url, actr_registry_entry **out, size_t *n)
{
    disc_registry r;
    int rc = disc_registry_parse(url, &r);
    if (rc < 0)
        return rc;
    return r.be->list(&r, out, n, actr_deadline_in(ACTR_REGISTRY_TIMEOUT_MS));
}
