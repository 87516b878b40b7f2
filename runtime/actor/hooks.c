/* The actor layer's extension point (actor/hooks.h): accessors the
 * discovery layer uses through its hooks. */
#define _GNU_SOURCE
#include "actor/hooks.h"

#include <stdlib.h>
#include <string.h>

#include "actor/actor.h"
#include "actor/link.h"

int
actri_actor_listen(actr_actor *a, const actr_addr *addrs, size_t n)
{
    actr_listener *l;
    actr_ipc_opts io;
    actri_actor_ipc_opts(a, &io);
    int rc = actr_listener_open(addrs, n, &io, &l);
    if (rc < 0)
        return rc;
    actr_listener_close(a->listener);
    a->listener = l;
    if (actr_addr_format(actr_listener_addr(l, 0), a->url, sizeof a->url) < 0)
        a->url[0] = 0;
    actr_log_runtime(ACTOR_TAG, "actor %s listening on %s (%zu address%s)", a->uid.name,
                     a->url, n, n == 1 ? "" : "es");
    return 0;
}

const actr_listener *
actri_actor_listener(const actr_actor *a)
{
    return a->listener;
}

const actr_addr *
actri_actor_registrars(const actr_actor *a, size_t *n)
{
    *n = a->nreg;
    return a->reg_addrs;
}

int
actri_actor_set_registrars(actr_actor *a, const actr_addr *addrs, size_t n)
{
    actr_addr *v = NULL;
    if (n > 0) {
        if (!(v = malloc(n * sizeof *v)))
            return actr_error_set(ACTR_ENOMEM, "out of memory");
        memcpy(v, addrs, n * sizeof *v);
    }
    free(a->reg_addrs);
    a->reg_addrs = v;
    a->nreg = n;
    return 0;
}

int
actri_actor_spawn(actr_actor *a, actr_task_fn fn, void *arg, const char *name)
{
    if (!a->svc)
        return actr_error_set(ACTR_ESTATE, "the actor does not serve (yet)");
    actr_task_opts o = {.name = name};
    return actr_nursery_spawn_opts(a->svc, fn, arg, &o);
}

int
actri_link_alive(const struct link *l)
{
    return l && actri_link_up(l);
}

int64_t
actri_link_peer_pid(const struct link *l)
{
    const actr_msg_aid *aid = l && l->ipc ? actr_ipc_peer(l->ipc) : NULL;
    return aid && aid->has_pid ? aid->pid : 0;
}

struct actri_hooks *
actri_actor_hooks(const actr_actor *a)
{
    return a ? a->hooks : NULL;
}
