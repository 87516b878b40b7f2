/* Registry URLs (discovery/backend.h): which backend a URL names, the
 * list syntax of ACTR_REGISTRY, the etcd registries of this process and
 * how its children inherit them, the retry backoff. */
#define _GNU_SOURCE
#include "discovery/disc.h"

#include <stdlib.h>
#include <string.h>

/* Every etcd client of the process, one per cluster URL, so that lookups
 * reuse the endpoint that answered last (and curl its connections). */
struct client {
    struct client *next;
    etcd *e;
};

static struct {
    struct client *clients;
    char **etcd_urls;         /* this actor's etcd registries */
    size_t netcd;
} RS;

static int
client_get(const char *url, etcd **out)
{
    for (struct client *c = RS.clients; c; c = c->next)
        if (strcmp(etcd_url(c->e), url) == 0) {
            *out = c->e;
            return 0;
        }
    struct client *c = calloc(1, sizeof *c);
    if (!c)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    int rc = etcd_open(url, &c->e);
    if (rc < 0) {
        free(c);
        return rc;
    }
    c->next = RS.clients;
    RS.clients = c;
    *out = c->e;
    return 0;
}

static int
bad_registry(int rc, const char *url)
{
    return actr_error_set(rc, "bad registry address \"%s\" (expected tcp://HOST:PORT,"
                          " unix:///PATH or etcd://HOST:PORT[,HOST:PORT...][/PREFIX])", url);
}

int
disc_registry_parse(const char *url, disc_registry *out)
{
    memset(out, 0, sizeof *out);
    if (!url || strlen(url) >= sizeof out->url)
        return actr_error_set(ACTR_EINVAL, "bad registry address \"%.60s\"", url ? url : "");
    strcpy(out->url, url);
    if (etcd_is_url(url)) {
        out->be = &disc_etcd_backend;
        return client_get(url, &out->etcd);
    }
    int rc = actr_addr_parse(url, &out->addr);
    if (rc < 0)
        return bad_registry(rc, url);
    out->be = &disc_registrar_backend;
    return 0;
}

int
disc_registry_check(const char *url)
{
    if (url && etcd_is_url(url)) {
        etcd *e;
        int rc = etcd_open(url, &e);
        etcd_free(rc == 0 ? e : NULL);
        return rc;
    }
    actr_addr a;
    int rc = actr_addr_parse(url ? url : "", &a);
    return rc < 0 ? bad_registry(rc, url ? url : "") : 0;
}

/* ------------------------------------------------------------ lists */

/* 1 when an etcd URL's host list is still open: no '/' after the hosts,
 * so a following "host:port" token belongs to it. */
static int
etcd_hosts_open(const char *url)
{
    return etcd_is_url(url) && !strchr(strstr(url, "://") + 3, '/');
}

static int
push(char ***v, size_t *n, char *s)
{
    char **nv = s ? realloc(*v, (*n + 2) * sizeof *nv) : NULL;
    if (!nv) {
        free(s);
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    }
    nv[(*n)++] = s;
    nv[*n] = NULL;
    *v = nv;
    return 0;
}

int
disc_registry_split(const char *text, char ***urls, size_t *n)
{
    *urls = NULL;
    *n = 0;
    if (!text || strcmp(text, "none") == 0)
        return 0;
    char *copy = strdup(text), *save = NULL;
    char **v = NULL;
    size_t k = 0;
    int rc = copy ? 0 : actr_error_set(ACTR_ENOMEM, "out of memory");
    for (char *t = copy ? strtok_r(copy, ", ", &save) : NULL; t && rc == 0;
         t = strtok_r(NULL, ", ", &save)) {
        if (!strstr(t, "://") && k > 0 && etcd_hosts_open(v[k - 1])) {
            char *joined = NULL;
            if (asprintf(&joined, "%s,%s", v[k - 1], t) < 0)
                rc = actr_error_set(ACTR_ENOMEM, "out of memory");
            else {
                free(v[k - 1]);
                v[k - 1] = joined;
            }
            continue;
        }
        rc = push(&v, &k, strdup(t));
    }
    free(copy);
    if (rc < 0) {
        actr_urls_free(v, k);
        return rc;
    }
    *urls = v;
    *n = k;
    return 0;
}

/* ------------------------------------------------------------ this process */

static int
append(disc_registry **v, size_t *n, const char *url, const actr_addr *addr)
{
    disc_registry *nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    *v = nv;
    if (addr) {
        memset(&nv[*n], 0, sizeof nv[*n]);
        nv[*n].be = &disc_registrar_backend;
        nv[*n].addr = *addr;
        if (actr_addr_format(addr, nv[*n].url, sizeof nv[*n].url) < 0)
            nv[*n].url[0] = 0;
    } else {
        int rc = disc_registry_parse(url, &nv[*n]);
        if (rc < 0)
            return rc;
    }
    (*n)++;
    return 0;
}

static int
collect(actr_actor *a, int registrars, disc_registry **out, size_t *nout)
{
    disc_registry *v = NULL;
    size_t k = 0, nreg = 0;
    const actr_addr *regs = actri_actor_registrars(a, &nreg);
    int rc = 0;
    for (size_t i = 0; registrars && i < nreg && rc == 0; i++)
        rc = append(&v, &k, NULL, &regs[i]);
    for (size_t i = 0; i < RS.netcd && rc == 0; i++)
        rc = append(&v, &k, RS.etcd_urls[i], NULL);
    if (rc < 0) {
        free(v);
        return rc;
    }
    *out = v;
    *nout = k;
    return 0;
}

int
disc_registries(const char *const *urls, size_t n, disc_registry **out, size_t *nout)
{
    actr_actor *a = actr_self();
    if (!a)
        return actr_error_set(ACTR_ESTATE, "discovery calls run in an actor's task");
    if (n == 0) {
        int rc = collect(a, 1, out, nout);
        if (rc == 0 && *nout == 0) {
            free(*out);
            return actr_error_set(ACTR_ECONNREFUSED, "this actor knows no registry");
        }
        return rc;
    }
    disc_registry *v = NULL;
    size_t k = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = append(&v, &k, urls[i] ? urls[i] : "", NULL);
    if (rc < 0) {
        free(v);
        return rc;
    }
    *out = v;
    *nout = k;
    return 0;
}

int
disc_registries_own(actr_actor *a, disc_registry **out, size_t *nout)
{
    return collect(a, !actr_actor_is_registrar(a), out, nout);
}

/* ------------------------------------------------------------ etcd of the tree */

int
disc_etcd_set(const char *const *urls, size_t n)
{
    disc_etcd_clear();
    size_t total = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        disc_registry r;
        if ((rc = disc_registry_parse(urls[i], &r)) == 0)
            rc = push(&RS.etcd_urls, &RS.netcd, strdup(urls[i]));
        total += strlen(urls[i]) + 1;
    }
    char *relay = rc == 0 ? calloc(1, total + 1) : NULL;
    if (rc == 0 && !relay)
        rc = actr_error_set(ACTR_ENOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < RS.netcd; i++) {
        if (i)
            strcat(relay, " ");
        strcat(relay, RS.etcd_urls[i]);
    }
    /* Children are started with this process's environment. */
    if (rc == 0 && (n ? setenv(DISC_ETCD_TREE_ENV, relay, 1) : unsetenv(DISC_ETCD_TREE_ENV)) < 0)
        rc = actr_error_set(ACTR_ENOMEM, "cannot set %s", DISC_ETCD_TREE_ENV);
    free(relay);
    if (rc < 0)
        disc_etcd_clear();
    return rc;
}

int
disc_etcd_inherit(void)
{
    char **urls;
    size_t n;
    int rc = disc_registry_split(actr_env_get(ACTR_ENV_ETCD_TREE), &urls, &n);
    if (rc == 0)
        rc = disc_etcd_set((const char *const *)urls, n);
    if (rc < 0)
        actr_error_set(rc, "the etcd registries of the parent (%s): %s", DISC_ETCD_TREE_ENV,
                       actr_last_error()->message);
    actr_urls_free(urls, n);
    return rc;
}

const char *const *
disc_etcd_urls(size_t *n)
{
    *n = RS.netcd;
    return (const char *const *)RS.etcd_urls;
}

void
disc_etcd_clear(void)
{
    actr_urls_free(RS.etcd_urls, RS.netcd);
    RS.etcd_urls = NULL;
    RS.netcd = 0;
}

/* Frees every etcd client: the end of actr_main. */
void
disc_etcd_clients_free(void)
{
    disc_etcd_clear();
    while (RS.clients) {
        struct client *c = RS.clients;
        RS.clients = c->next;
        etcd_free(c->e);
        free(c);
    }
}

/* ------------------------------------------------------------ backoff */

void
disc_backoff_reset(disc_backoff *b)
{
    b->next_ms = ACTR_REGISTRY_RETRY_MIN_MS;
}

int
disc_backoff_sleep(disc_backoff *b)
{
    if (b->next_ms < ACTR_REGISTRY_RETRY_MIN_MS)
        b->next_ms = ACTR_REGISTRY_RETRY_MIN_MS;
    int64_t ms = b->next_ms;
    b->next_ms = ms * 2 > ACTR_REGISTRY_RETRY_MAX_MS ? ACTR_REGISTRY_RETRY_MAX_MS : ms * 2;
    return actr_sleep(ms);
}
