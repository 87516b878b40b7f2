/* What the layers above the actor layer may add to a running actor
 * (actr/actor.h): modules served from now on, and background tasks that
 * live as long as the actor (runtime/hilevel serves its remote API and
 * runs the tasks of cached resources with them). */
#define _GNU_SOURCE
#include "actor/actor.h"

#include <stdlib.h>
#include <string.h>

int
actr_actor_serve(actr_actor *a, const actr_module *m)
{
    if (!a || !m || !m->ns || !m->ns[0])
        return actr_error_set(ACTR_EINVAL, "actr_actor_serve: no actor or module");
    if (strcmp(m->ns, "self") == 0 || strcmp(m->ns, "actr") == 0)
        return actr_error_set(ACTR_EINVAL, "namespace '%s' is the runtime's own", m->ns);
    for (size_t i = 0; i < a->nenabled; i++)
        if (strcmp(a->enabled[i]->ns, m->ns) == 0)
            return actr_error_set(ACTR_ESTATE, "namespace '%s' is already served by actor %s",
                                  m->ns, a->uid.name);
    /* Room for this one and for every compiled-in module, which a
     * SpawnSpec may still enable (actri_actor_enable does not grow it). */
    const actr_module **v = realloc(a->enabled, (a->nenabled + a->nmodules + 2) * sizeof *v);
    if (!v)
        return actr_error_set(ACTR_ENOMEM, "out of memory serving module %s", m->ns);
    a->enabled = v;
    a->enabled[a->nenabled++] = m;
    actr_log_runtime(ACTOR_TAG, "module %s served", m->ns);
    return 0;
}

int
actr_actor_unserve(actr_actor *a, const actr_module *m)
{
    for (size_t i = 0; a && i < a->nenabled; i++) {
        if (a->enabled[i] == m) {
            memmove(&a->enabled[i], &a->enabled[i + 1],
                    (a->nenabled - i - 1) * sizeof a->enabled[0]);
            a->nenabled--;
            actr_log_runtime(ACTOR_TAG, "module %s no longer served", m->ns);
            return 0;
        }
    }
    return actr_error_set(ACTR_ENOTFOUND, "module %s is not served here",
                          m && m->ns ? m->ns : "(null)");
}

struct bg {
    actr_task_fn fn;
    void *arg;
};

/* A failing background task must not cancel the actor's service nursery
 * (every runtime task lives there): its failure is logged and absorbed. */
static int
bg_task(void *arg)
{
    struct bg b = *(struct bg *)arg;
    free(arg);
    int rc = b.fn(b.arg);
    if (rc < 0 && rc != ACTR_ECANCELED)
        actr_log_warning(ACTOR_TAG, "background task %s failed: %s (%s)", actr_task_name(),
                         actr_errname(rc), actr_last_error()->message);
    return 0;
}

int
actr_actor_spawn(actr_task_fn fn, void *arg, const char *name)
{
    actr_actor *a = actr_self();
    if (!fn)
        return actr_error_set(ACTR_EINVAL, "actr_actor_spawn: no function");
    if (!a || !a->svc)
        return actr_error_set(ACTR_ESTATE, "actr_actor_spawn: no actor serves in this process");
    struct bg *b = malloc(sizeof *b);
    if (!b)
        return actr_error_set(ACTR_ENOMEM, "out of memory for a background task");
    b->fn = fn;
    b->arg = arg;
    actr_task_opts o = {.name = name};
    int rc = actr_nursery_spawn_opts(a->svc, bg_task, b, &o);
    if (rc < 0)
        free(b);
    return rc;
}
