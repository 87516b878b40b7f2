/* actr_main: the actor layer composed with discovery. The root decides
 * whether it is the registrar (tractor's probe rule, S19), registrars
 * serve the registry calls, every other actor registers its addresses
 * with its registrars and unregisters at exit. */
#define _GNU_SOURCE
#include "discovery/disc.h"

#include <stdlib.h>
#include <string.h>

struct disc_boot {
    actr_role role;
    const actr_actor_opts *opts;
    int registered;           /* registration ran: unregister at exit */
    struct actri_hooks hooks;
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

int
actr_registry_default(actr_addr **out, size_t *n)
{
    const char *env = getenv(ACTR_REGISTRY_ENV);    /* "" means none here */
    const char *list = env ? env : ACTR_REGISTRY_DEFAULT;
    *out = NULL;
    *n = 0;
    if (strcmp(list, "none") == 0 || list[0] == 0)
        return 0;
    char *copy = strdup(list);
    actr_addr *v = NULL;
    size_t k = 0;
    int rc = copy ? 0 : actr_error_set(ACTR_ENOMEM, "out of memory");
    char *save = NULL;
    for (char *t = copy ? strtok_r(copy, ", ", &save) : NULL; t && rc == 0;
         t = strtok_r(NULL, ", ", &save)) {
        actr_addr *nv = realloc(v, (k + 1) * sizeof *v);
        if (!nv) {
            rc = actr_error_set(ACTR_ENOMEM, "out of memory");
            break;
        }
        v = nv;
        if ((rc = actr_addr_parse(t, &v[k])) < 0)
            actr_error_set(rc, "bad registrar address \"%s\" in %s", t, ACTR_REGISTRY_ENV);
        else
            k++;
    }
    free(copy);
    if (rc < 0) {
        free(v);
        return rc;
    }
    *out = v;
    *n = k;
    return 0;
}

/* listen ∪ extra, in that order. */
static actr_addr *
concat(const actr_addr *a, size_t na, const actr_addr *b, size_t nb)
{
    actr_addr *v = malloc((na + nb ? na + nb : 1) * sizeof *v);
    if (v) {
        if (na)
            memcpy(v, a, na * sizeof *v);
        if (nb)
            memcpy(v + na, b, nb * sizeof *v);
    }
    return v;
}

enum probe_state { ABSENT, REGISTRAR, OCCUPIED };

static enum probe_state
probe_state(const actr_addr *r)
{
    if (r->kind == ACTR_ADDR_TCP && r->port == 0)
        return ABSENT;                  /* "any port": nothing to find */
    int is_reg = 0;
    int rc = disc_probe(r, NULL, &is_reg, actr_deadline_in(ACTR_PROBE_TIMEOUT_MS));
    if (rc == 0)
        return is_reg ? REGISTRAR : OCCUPIED;
    return rc == ACTR_ECONNREFUSED ? ABSENT : OCCUPIED;
}

/* Binds listen ∪ regs[free] and becomes the registrar of the free ones
 * (their real addresses: port 0 becomes the port bound). */
static int
become_registrar(actr_actor *a, struct disc_boot *b, const actr_addr *listen, size_t nl,
                 const actr_addr *free_regs, size_t nf)
{
    actr_addr *all = concat(listen, nl, free_regs, nf);
    if (!all)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    int rc = actri_actor_listen(a, all, nl + nf);
    free(all);
    if (rc < 0)
        return rc;
    const actr_listener *l = actri_actor_listener(a);
    actr_addr *bound = malloc((nf ? nf : 1) * sizeof *bound);
    if (!bound)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    for (size_t i = 0; i < nf; i++)
        bound[i] = *actr_listener_addr(l, nl + i);
    /* A registrar given no registry address is the registrar of all its
     * own addresses. */
    if (nf == 0) {
        free(bound);
        bound = malloc((nl ? nl : 1) * sizeof *bound);
        if (!bound)
            return actr_error_set(ACTR_ENOMEM, "out of memory");
        for (size_t i = 0; i < nl; i++)
            bound[i] = *actr_listener_addr(l, i);
        nf = nl;
    }
    rc = actri_actor_set_registrars(a, bound, nf);
    free(bound);
    b->hooks.is_registrar = 1;
    b->hooks.self_ext = &disc_registrar_ns;
    return rc;
}

static int
root_listen(actr_actor *a, void *arg, const char *const *urls, size_t n)
{
    struct disc_boot *b = arg;
    const actr_actor_opts *o = b->opts;
    static const char *const dflt[] = {"tcp://127.0.0.1:0"};
    actr_addr *listen = NULL, *regs = NULL, *dl = NULL;
    size_t nreg = 0;
    int rc = parse_urls(urls, n, &listen);
    if (rc == 0)
        rc = parse_urls(dflt, 1, &dl);
    if (rc == 0) {
        if (o->nregistry > 0) {
            rc = parse_urls(o->registry, o->nregistry, &regs);
            nreg = o->nregistry;
        } else if (b->role != ACTR_ROLE_REGISTRAR || n == 0) {
            /* (a registrar told where to listen needs no other address) */
            rc = actr_registry_default(&regs, &nreg);
        }
    }
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
        for (size_t i = 0; i < nreg; i++) {
            enum probe_state st = probe_state(&regs[i]);
            char u[ACTR_ADDR_URL_MAX];
            if (actr_addr_format(&regs[i], u, sizeof u) < 0)
                u[0] = 0;
            actr_log_runtime(DISC_TAG, "registry address %s: %s", u,
                             st == REGISTRAR ? "a registrar" : st == ABSENT ? "free" : "taken");
            if (st == REGISTRAR)
                nlive++;
            else if (st == ABSENT)
                free_regs[nfree++] = regs[i];
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
    return rc;
}

/* ------------------------------------------------------------ hooks */

static int
on_start(actr_actor *a, void *arg)
{
    struct disc_boot *b = arg;
    if (b->hooks.is_registrar)
        return disc_registrar_start(a);
    if (actr_actor_is_root(a) && b->role == ACTR_ROLE_CLIENT)
        return 0;
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
    disc_registrar_init();
    int rc = actri_actor_main(argc, argv, opts, fn, arg, &b.hooks);
    disc_registrar_free();
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

size_t
actr_actor_nregistrars(const actr_actor *a)
{
    size_t n = 0;
    if (a)
        actri_actor_registrars(a, &n);
    return n;
}

int
actr_actor_registrar(const actr_actor *a, size_t i, char *buf, size_t cap)
{
    size_t n = 0;
    const actr_addr *v = a ? actri_actor_registrars(a, &n) : NULL;
    if (i >= n)
        return actr_error_set(ACTR_EINVAL, "no registrar %zu", i);
    return actr_addr_format(&v[i], buf, cap);
}
