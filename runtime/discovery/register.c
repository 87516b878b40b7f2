/* An actor's registration with its registrars (S19): every listen
 * address with every registrar, one register_actor call each, on one
 * channel per registrar that stays open while the actor lives (the
 * registrar re-checks the actor when it breaks), and unregister_actor on
 * that channel at exit, bounded so that an actor whose registrar is gone
 * still exits promptly. */
#define _GNU_SOURCE
#include "discovery/disc.h"

#include <stdlib.h>
#include <string.h>

struct reg {
    actr_addr registrar;
    actr_ipc *ipc;            /* the persistent channel, NULL if it failed */
};

static struct {
    struct reg *v;
    size_t n;
} G;

static int
register_one(void *arg)
{
    struct reg *r = arg;
    actr_actor *a = actr_self();
    char rurl[ACTR_ADDR_URL_MAX] = "?";
    if (actr_addr_format(&r->registrar, rurl, sizeof rurl) < 0)
        rurl[0] = 0;
    int64_t dl = actr_deadline_in(ACTR_REGISTRY_TIMEOUT_MS);
    actr_ipc *ipc;
    int rc = disc_connect(&r->registrar, 0, &ipc, dl);
    if (rc < 0) {
        /* cancelled: the actor is going away before it served; no news */
        actr_log(rc == ACTR_ECANCELED ? ACTR_LOG_CANCEL : ACTR_LOG_WARNING, DISC_TAG,
                 "cannot register with the registrar at %s: %s", rurl, actr_strerror(rc));
        return 0;
    }
    const actr_listener *l = actri_actor_listener(a);
    size_t n = l ? actr_listener_naddrs(l) : 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        actr_self_register_actor_args ra = {0};
        ra.uid.name.ptr = (char *)actr_actor_name(a);
        ra.uid.name.len = strlen(ra.uid.name.ptr);
        ra.uid.uuid.ptr = (char *)actr_actor_uuid(a);
        ra.uid.uuid.len = strlen(ra.uid.uuid.ptr);
        if ((rc = disc_addr_to_wire(actr_listener_addr(l, i), &ra.addr)) < 0)
            break;
        rc = disc_call(ipc, "register_actor", &actr_self_register_actor_args_type, &ra, NULL, NULL, dl);
        actr_self_addr_free(&ra.addr);
    }
    if (rc < 0) {
        actr_log(rc == ACTR_ECANCELED ? ACTR_LOG_CANCEL : ACTR_LOG_WARNING, DISC_TAG,
                 "registering with %s failed: %s", rurl, actr_last_error()->message);
        actr_ipc_close(ipc, 0);
        return 0;
    }
    actr_log_runtime(DISC_TAG, "registered %zu address(es) with %s", n, rurl);
    r->ipc = ipc;
    return 0;
}

int
disc_register_all(actr_actor *a)
{
    size_t n;
    const actr_addr *regs = actri_actor_registrars(a, &n);
    if (n == 0)
        return 0;
    if (!(G.v = calloc(n, sizeof *G.v)))
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    G.n = n;
    for (size_t i = 0; i < n; i++)
        G.v[i].registrar = regs[i];
    /* All registrars at once: a slow one does not hold up the others. */
    actr_nursery *nu;
    int rc = actr_nursery_open(&nu);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (actr_nursery_spawn(nu, register_one, &G.v[i]) < 0)
            actr_log_warning(DISC_TAG, "cannot start registering (out of memory)");
    rc = actr_nursery_close(nu, ACTR_FOREVER);
    return rc == ACTR_ECANCELED ? rc : 0;
}

static int
unregister_one(void *arg)
{
    struct reg *r = arg;
    actr_actor *a = actr_self();
    actr_self_unregister_actor_args ua = {0};
    ua.uid.name.ptr = (char *)actr_actor_name(a);
    ua.uid.name.len = strlen(ua.uid.name.ptr);
    ua.uid.uuid.ptr = (char *)actr_actor_uuid(a);
    ua.uid.uuid.len = strlen(ua.uid.uuid.ptr);
    int rc = disc_call(r->ipc, "unregister_actor", &actr_self_unregister_actor_args_type, &ua, NULL,
                       NULL, actr_deadline_in(ACTR_UNREGISTER_TIMEOUT_MS));
    if (rc < 0)
        actr_log_runtime(DISC_TAG, "unregister: %s", actr_strerror(rc));
    actr_ipc_close(r->ipc, 0);
    r->ipc = NULL;
    return 0;
}

void
disc_unregister_all(actr_actor *a)
{
    (void)a;
    if (!G.v)
        return;
    /* The actor may be cancelled already: unregistering is cleanup. */
    actr_scope sh;
    int shielded = actr_scope_enter(&sh, ACTR_FOREVER, ACTR_SCOPE_SHIELD) == 0;
    actr_nursery *nu;
    if (shielded && actr_nursery_open(&nu) == 0) {
        for (size_t i = 0; i < G.n; i++)
            if (G.v[i].ipc && actr_nursery_spawn(nu, unregister_one, &G.v[i]) < 0)
                unregister_one(&G.v[i]);
        actr_nursery_close(nu, ACTR_FOREVER);
    }
    for (size_t i = 0; i < G.n; i++)
        actr_ipc_close(G.v[i].ipc, 0);
    if (shielded)
        actr_scope_exit(&sh);
    free(G.v);
    G.v = NULL;
    G.n = 0;
}
