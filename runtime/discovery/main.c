/* actr_main: the actor layer composed with discovery. The root decides
 * whether it is the registrar (tractor's probe rule, S19) of the
 * registrar addresses it was given, registrars serve the registry calls,
 * and every actor registers its addresses with its registries (the other
 * registrars, etcd clusters) before it serves, and unregisters at exit. */
#define _GNU_SOURCE
#include "discovery/disc.h"
#include "discovery/http.h"
#include "core/sched.h"

#include <stdlib.h>
#include <string.h>

struct disc_boot {
    actr_role role;
    const actr_actor_opts *opts;
    int registered;           /* registration ran: unregister at exit */
    struct actri_hooks hooks;
    struct actri_exit_hook http_end;
};

/* ------------------------------------------------------------ addresses */

static int
parse_urls(const char *const *urls, size_t n, actr_addr **out)
{
    *out = NULL;
    if (n == 0)
        return 0;
    actr_addr *v = calloc(n, sizeof *v);
    if (!v)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        int rc = actr_addr_parse(urls[i], &v[i]);
        if (rc < 0) {
            free(v);
            return actr_error_set(rc, "bad address \"%s\"", urls[i]);
        }
    }
    *out = v;
    return 0;
}

/* The registry URLs of the environment (ACTR_REGISTRY, else the default). */
static int
env_registry(char ***urls, size_t *n)
{
    const char *env = actr_env_raw(ACTR_ENV_REGISTRY);      /* "" is none */
    return disc_registry_split(env ? env : ACTR_REGISTRY_DEFAULT, urls, n);
}

/* The registrar addresses among urls into *regs (free()), the etcd URLs
 * into *etcd (borrowed from urls). */
static int
classify(char *const *urls, size_t n, actr_addr **regs, size_t *nreg, const char **eurls,
         size_t *netcd)
{
    actr_addr *v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    *nreg = *netcd = 0;
    for (size_t i = 0; i < n; i++) {
        if (etcd_is_url(urls[i])) {
            if (eurls)
                eurls[(*netcd)++] = urls[i];
            continue;
        }
        int rc = actr_addr_parse(urls[i], &v[*nreg]);
        if (rc < 0) {
            free(v);
            return actr_error_set(rc, "bad registry address \"%s\"", urls[i]);
        }
        (*nreg)++;
    }
    *regs = v;
    return 0;
}

int
actr_registry_default(actr_addr **out, size_t *n)
{
    char **urls;
    size_t nu, ne;
    *out = NULL;
    *n = 0;
    int rc = env_registry(&urls, &nu);
    if (rc == 0)
        rc = classify(urls, nu, out, n, NULL, &ne);
    if (rc < 0)
        actr_error_set(rc, "%s in %s", actr_last_error()->message, ACTR_REGISTRY_ENV);
    actr_urls_free(urls, nu);
    return rc;
}

/* The same listen address (port 0 never is: it asks for a new one). */
static int
same_addr(const actr_addr *a, const actr_addr *b)
{
    if (a->kind != b->kind)
        return 0;
    if (a->kind == ACTR_ADDR_TCP)
        return a->port != 0 && a->port == b->port && strcmp(a->host, b->host) == 0;
    return strcmp(a->path, b->path) == 0;
}

/* listen ∪ extra, in that order: *all of *nall, and where each extra
 * address is in it (idx[0..nb)). An address in both is bound once. */
static actr_addr *
addr_union(const actr_addr *a, size_t na, const actr_addr *b, size_t nb, size_t *idx,
           size_t *nall)
{
    actr_addr *v = malloc((na + nb ? na + nb : 1) * sizeof *v);
    if (!v)
        return NULL;
    if (na)
        memcpy(v, a, na * sizeof *v);
    size_t k = na;
    for (size_t i = 0; i < nb; i++) {
        size_t j = 0;
        while (j < k && !same_addr(&v[j], &b[i]))
            j++;
        if (j == k)
            v[k++] = b[i];
        idx[i] = j;
    }
    *nall = k;
    return v;
}

enum probe_state { ABSENT, REGISTRAR, OCCUPIED, CANCELLED };

/* What answers at registry address r. Only a refusal proves it free and
 * only an answer (or something that is not an actor) proves it taken: a
 * stalled or broken probe (a registrar that is busy, or briefly stopped)
 * is tried again with backoff, as tractor does, within
 * ACTR_REGISTRY_PROBE_TOTAL_MS; then it counts as taken. */
static enum probe_state
probe_state(const actr_addr *r, const char *url)
{
    if (r->kind == ACTR_ADDR_TCP && r->port == 0)
        return ABSENT;                  /* "any port": nothing to find */
    int64_t end = actr_deadline_in(ACTR_REGISTRY_PROBE_TOTAL_MS);
    disc_backoff b;
    disc_backoff_reset(&b);
    for (;;) {
        int is_reg = 0;
        int64_t dl = actr_deadline_in(ACTR_PROBE_TIMEOUT_MS);
        int rc = disc_probe(r, NULL, &is_reg, dl < end ? dl : end);
        if (rc == 0)
            return is_reg ? REGISTRAR : OCCUPIED;
        if (rc == ACTR_ECONNREFUSED)
            return ABSENT;
        if (rc == ACTR_ECANCELED)
            return CANCELLED;
        if (rc != ACTR_ETIMEDOUT && rc != ACTR_ECLOSED && rc != ACTR_EIO)
            return OCCUPIED;            /* not an actor, or an unknown host */
        if (actr_now() + b.next_ms >= end)
            return OCCUPIED;
        actr_log_runtime(DISC_TAG, "registry address %s: %s; probing again", url,
                         actr_strerror(rc));
        if (disc_backoff_sleep(&b) < 0)
            return CANCELLED;
    }
}

/* Binds listen ∪ regs[free] and becomes the registrar of the free ones
 * (their real addresses: port 0 becomes the port bound). */
static int
become_registrar(actr_actor *a, struct disc_boot *b, const actr_addr *listen, size_t nl,
                 const actr_addr *free_regs, size_t nf)
{
    size_t *idx = calloc(nf ? nf : 1, sizeof *idx), nall = 0;
    actr_addr *all = idx ? addr_union(listen, nl, free_regs, nf, idx, &nall) : NULL;
    int rc = all ? actri_actor_listen(a, all, nall) : actr_error_set(ACTR_ENOMEM, "out of memory");
    free(all);
    const actr_listener *l = actri_actor_listener(a);
    /* A registrar given no registry address is the registrar of all its
     * own addresses. */
    size_t nb = nf ? nf : nl;
    actr_addr *bound = rc == 0 ? malloc((nb ? nb : 1) * sizeof *bound) : NULL;
    if (rc == 0 && !bound)
        rc = actr_error_set(ACTR_ENOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < nb; i++)
        bound[i] = *actr_listener_addr(l, nf ? idx[i] : i);
    if (rc == 0)
        rc = actri_actor_set_registrars(a, bound, nb);
    free(bound);
    free(idx);
    if (rc < 0)
        return rc;
    b->hooks.is_registrar = 1;
    b->hooks.self_ext = &disc_registrar_ns;
    return 0;
}

/* The registry URLs of the root: opts->registry, else the environment's
 * (unless a registrar was told where to listen: it needs no other). */
static int
root_registry(const struct disc_boot *b, size_t nlisten, char ***urls, size_t *n)
{
    const actr_actor_opts *o = b->opts;
    *urls = NULL;
    *n = 0;
    if (o->nregistry > 0) {
        char **v = calloc(o->nregistry + 1, sizeof *v);
        for (size_t i = 0; v && i < o->nregistry; i++)
            if (!(v[i] = strdup(o->registry[i] ? o->registry[i] : ""))) {
                actr_urls_free(v, i);
                v = NULL;
            }
        if (!v)
            return actr_error_set(ACTR_ENOMEM, "out of memory");
        *urls = v;
        *n = o->nregistry;
        return 0;
    }
    if (b->role == ACTR_ROLE_REGISTRAR && nlisten > 0)
        return 0;
    return env_registry(urls, n);
}

static int
root_listen(actr_actor *a, void *arg, const char *const *urls, size_t n)
{
    struct disc_boot *b = arg;
    static const char *const dflt[] = {"tcp://127.0.0.1:0"};
    actr_addr *listen = NULL, *regs = NULL, *dl = NULL;
    char **rurls = NULL;
    size_t nreg = 0, nr = 0, netcd = 0;
    int rc = parse_urls(urls, n, &listen);
    if (rc == 0)
        rc = parse_urls(dflt, 1, &dl);
    if (rc == 0)
        rc = root_registry(b, n, &rurls, &nr);
    const char **eurls = calloc(nr + 1, sizeof *eurls);
    if (rc == 0 && !eurls)
        rc = actr_error_set(ACTR_ENOMEM, "out of memory");
    if (rc == 0)
        rc = classify(rurls, nr, &regs, &nreg, eurls, &netcd);
    /* (the etcd clusters are registered with in on_start, as children do) */
    if (rc == 0)
        rc = disc_etcd_set(eurls, netcd);
    const actr_addr *plain = n ? listen : dl;
    size_t nplain = n ? n : 1;
    if (rc < 0)
        goto out;

    if (b->role == ACTR_ROLE_REGISTRAR) {
        rc = become_registrar(a, b, listen, n, regs, nreg);
        goto out;
    }
    if (b->role == ACTR_ROLE_CLIENT || nreg == 0) {
        if ((rc = actri_actor_listen(a, plain, nplain)) == 0)
            rc = actri_actor_set_registrars(a, regs, nreg);
        goto out;
    }
    /* AUTO: tractor's rule. A registrar answering anywhere wins; else we
     * are the registrar, on the addresses nobody holds. Two roots racing
     * for a free address: the loser probes again and finds the winner. */
    for (int attempt = 0;; attempt++) {
        size_t nfree = 0, nlive = 0;
        actr_addr *free_regs = calloc(nreg, sizeof *free_regs);
        if (!free_regs) {
            rc = actr_error_set(ACTR_ENOMEM, "out of memory");
            break;
        }
        for (size_t i = 0; i < nreg && rc == 0; i++) {
            char u[ACTR_ADDR_URL_MAX];
            if (actr_addr_format(&regs[i], u, sizeof u) < 0)
                u[0] = 0;
            enum probe_state st = probe_state(&regs[i], u);
            actr_log_runtime(DISC_TAG, "registry address %s: %s", u,
                             st == REGISTRAR ? "a registrar" : st == ABSENT ? "free" : "taken");
            if (st == CANCELLED)
                rc = actr_error_set(ACTR_ECANCELED, "cancelled while probing %s", u);
            else if (st == REGISTRAR)
                nlive++;
            else if (st == ABSENT)
                free_regs[nfree++] = regs[i];
        }
        if (rc < 0) {
            free(free_regs);
            break;
        }
        if (nlive > 0) {
            free(free_regs);
            if ((rc = actri_actor_listen(a, plain, nplain)) == 0)
                rc = actri_actor_set_registrars(a, regs, nreg);
            break;
        }
        if (nfree == 0) {
            free(free_regs);
            rc = actr_error_set(ACTR_EADDRINUSE, "every registry address is taken by"
                                " something that is not a registrar of ours (another"
                                " program, or a registrar that does not hold our secret:"
                                " ACTR_SECRET_FILE)");
            break;
        }
        rc = become_registrar(a, b, listen, n, free_regs, nfree);
        free(free_regs);
        if (rc != ACTR_EADDRINUSE || attempt == 2)
            break;
        if ((rc = actr_sleep(20 * (attempt + 1))) < 0)
            break;
    }
out:
    free(listen);
    free(regs);
    free(dl);
    free(eurls);
    actr_urls_free(rurls, nr);
    return rc;
}

/* ------------------------------------------------------------ hooks */

static void
http_end(struct actri_exit_hook *h)
{
    (void)h;
    disc_http_end();
}

static int
on_start(actr_actor *a, void *arg)
{
    struct disc_boot *b = arg;
    /* The curl state goes with the main task, while the loop still runs. */
    actri_task_on_exit(&b->http_end, http_end);
    int rc = 0;
    if (!actr_actor_is_root(a))
        rc = disc_etcd_inherit();
    if (rc == 0 && b->hooks.is_registrar)
        rc = disc_registrar_start(a);
    if (rc < 0 || (actr_actor_is_root(a) && b->role == ACTR_ROLE_CLIENT))
        return rc;
    b->registered = 1;
    return disc_register_all(a);
}

static void
on_exit_hook(actr_actor *a, void *arg)
{
    struct disc_boot *b = arg;
    if (b->registered)
        disc_unregister_all(a);
}

static void
on_link_end(actr_actor *a, void *arg, struct link *l)
{
    struct disc_boot *b = arg;
    if (b->hooks.is_registrar)
        disc_registrar_link_end(a, l);
}

/* The registrar list of the running actor, held by a global as well: a
 * process that exits from inside its actor (exit() in a task, its stack a
 * fiber's) must not leave it unreachable to LeakSanitizer. */
static const char **volatile main_regs;   /* volatile: kept though never read */

int
actr_main_role(int argc, char **argv, const actr_actor_opts *opts, actr_role role,
               actr_actor_fn fn, void *arg)
{
    static const actr_actor_opts none;
    struct disc_boot b = {.role = role, .opts = opts ? opts : &none};
    b.hooks.arg = &b;
    b.hooks.listen = root_listen;
    b.hooks.on_start = on_start;
    b.hooks.on_exit = on_exit_hook;
    b.hooks.on_link_end = on_link_end;
    /* S28: a root that meets other programs through registrars shares the
     * per-user default secret; one that uses none keeps a secret of its
     * own (actr/auth.h). */
    actr_addr *dflt = NULL;
    size_t ndflt = 0;
    b.hooks.share_secret = role != ACTR_ROLE_AUTO || b.opts->nregistry > 0 ||
                           (actr_registry_default(&dflt, &ndflt) == 0 && ndflt > 0);
    free(dflt);
    /* The actor layer knows registrar addresses only: it gets the others
     * (etcd://) left out, and root_listen reads them from b.opts. */
    actr_actor_opts o = *b.opts;
    const char **regs = calloc(o.nregistry + 1, sizeof *regs);
    if (!regs)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    o.nregistry = 0;
    for (size_t i = 0; i < b.opts->nregistry; i++)
        if (!etcd_is_url(b.opts->registry[i]))
            regs[o.nregistry++] = b.opts->registry[i];
    o.registry = regs;
    main_regs = regs;
    disc_registrar_init();
    int rc = actri_actor_main(argc, argv, &o, fn, arg, &b.hooks);
    disc_registrar_free();
    disc_etcd_clients_free();
    main_regs = NULL;
    free(regs);
    return rc;
}

int
actr_main(int argc, char **argv, const actr_actor_opts *opts, actr_actor_fn fn, void *arg)
{
    return actr_main_role(argc, argv, opts, ACTR_ROLE_AUTO, fn, arg);
}

/* ------------------------------------------------------------ accessors */

int
actr_actor_is_registrar(const actr_actor *a)
{
    const struct actri_hooks *h = actri_actor_hooks(a);
    return h && h->is_registrar;
}

size_t
actr_actor_naddrs(const actr_actor *a)
{
    const actr_listener *l = a ? actri_actor_listener(a) : NULL;
    return l ? actr_listener_naddrs(l) : 0;
}

int
actr_actor_addr(const actr_actor *a, size_t i, char *buf, size_t cap)
{
    const actr_listener *l = a ? actri_actor_listener(a) : NULL;
    const actr_addr *ad = l ? actr_listener_addr(l, i) : NULL;
    if (!ad)
        return actr_error_set(ACTR_EINVAL, "no listen address %zu", i);
    return actr_addr_format(ad, buf, cap);
}

/* The registries of an actor: its registrar addresses, then its etcd
 * clusters (this process's). */
size_t
actr_actor_nregistrars(const actr_actor *a)
{
    size_t n = 0, ne = 0;
    if (a) {
        actri_actor_registrars(a, &n);
        disc_etcd_urls(&ne);
    }
    return n + ne;
}

int
actr_actor_registrar(const actr_actor *a, size_t i, char *buf, size_t cap)
{
    size_t n = 0, ne = 0;
    const actr_addr *v = a ? actri_actor_registrars(a, &n) : NULL;
    const char *const *e = a ? disc_etcd_urls(&ne) : NULL;
    if (i >= n + ne)
        return actr_error_set(ACTR_EINVAL, "no registrar %zu", i);
    if (i < n)
        return actr_addr_format(&v[i], buf, cap);
    size_t len = strlen(e[i - n]);
    if (len + 1 > cap)
        return actr_error_set(ACTR_ERANGE, "a buffer of %zu bytes for %zu", cap, len + 1);
    memcpy(buf, e[i - n], len + 1);
    return (int)len;
}
