/* An actor's registrations (S19), whatever the backends: at start it
 * registers with every registry it was given, all at once and within
 * the start bound; a keeper task per registry then keeps each one (the
 * backend re-creates it when its registry comes back after going away);
 * at exit the keepers stop and each registration is removed, shielded
 * and bounded, so an actor whose registry is gone still exits promptly. */
#define _GNU_SOURCE
#include "discovery/disc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct keeper {
    disc_registry r;
    void *state;              /* the backend's, while registered */
    int rc;                   /* of reg_open */
    char why[400];            /* its detail (kept from the task that opened) */
    actr_scope sc;            /* the keeper's, cancelled at exit */
    int in_scope;
    int stop;                 /* exit began: do not start keeping */
    int spawned;
    actr_event done;          /* the keeper task ended */
};

static struct {
    struct keeper *v;
    size_t n;
} G;

static int
open_task(void *arg)
{
    struct keeper *k = arg;
    k->rc = k->r.be->reg_open(&k->r, actr_self(), &k->state);
    if (k->rc < 0) {
        k->state = NULL;
        const char *m = actr_last_error()->message;
        snprintf(k->why, sizeof k->why, "%s", m ? m : actr_strerror(k->rc));
    }
    return 0;
}

static void
close_one(struct keeper *k)
{
    if (!k->state)
        return;
    actr_scope sh;
    int shielded = actr_scope_enter(&sh, ACTR_FOREVER, ACTR_SCOPE_SHIELD) == 0;
    k->r.be->reg_close(k->state);
    k->state = NULL;
    if (shielded)
        actr_scope_exit(&sh);
}

static int
keeper_task(void *arg)
{
    struct keeper *k = arg;
    if (!k->stop && actr_scope_enter(&k->sc, ACTR_FOREVER, 0) == 0) {
        k->in_scope = 1;
        k->r.be->reg_keep(k->state);
        k->in_scope = 0;
        actr_scope_exit(&k->sc);
    }
    close_one(k);
    actr_event_set(&k->done);
    return 0;
}

int
disc_register_all(actr_actor *a)
{
    disc_registry *regs;
    size_t n;
    int rc = disc_registries_own(a, &regs, &n);
    if (rc < 0 || n == 0) {
        free(rc < 0 ? NULL : regs);
        return rc;
    }
    if (!(G.v = calloc(n, sizeof *G.v))) {
        free(regs);
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    }
    G.n = n;
    for (size_t i = 0; i < n; i++) {
        G.v[i].r = regs[i];
        actr_event_init(&G.v[i].done);
    }
    free(regs);
    /* All at once: a slow registry does not hold up the others. */
    actr_nursery *nu;
    if ((rc = actr_nursery_open(&nu)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (actr_nursery_spawn(nu, open_task, &G.v[i]) < 0) {
            G.v[i].rc = ACTR_ENOMEM;
            snprintf(G.v[i].why, sizeof G.v[i].why, "cannot start registering");
        }
    rc = actr_nursery_close(nu, ACTR_FOREVER);
    for (size_t i = 0; i < n && rc == 0; i++)
        if (G.v[i].rc < 0)
            rc = actr_error_set(G.v[i].rc, "%s", G.v[i].why);
    if (rc < 0)
        return rc;                    /* (the exit hook removes what was made) */
    for (size_t i = 0; i < n; i++) {
        struct keeper *k = &G.v[i];
        if (k->state && actri_actor_spawn(a, keeper_task, k, "registration") == 0)
            k->spawned = 1;
        else if (k->state)
            actr_log_warning(DISC_TAG, "no task keeps the registration with %s (out of"
                             " memory)", k->r.url);
    }
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
    for (size_t i = 0; i < G.n; i++) {
        G.v[i].stop = 1;
        if (G.v[i].in_scope)
            actr_scope_cancel(&G.v[i].sc);
    }
    /* Each keeper removes its own registration on its way out. */
    for (size_t i = 0; i < G.n; i++) {
        if (G.v[i].spawned)
            actr_event_wait(&G.v[i].done, ACTR_FOREVER);
        else
            close_one(&G.v[i]);
    }
    if (shielded)
        actr_scope_exit(&sh);
    free(G.v);
    G.v = NULL;
    G.n = 0;
}
