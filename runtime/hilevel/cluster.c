/* Clusters of actors and gathered contexts (actr/cluster.h): one task
 * per member, in a nursery of the calling task, so that the first failure
 * cancels the rest (the nursery's rule) and nothing outlives the close. A
 * gathered context lives in its member's task until the group closes: a
 * context belongs to the task that opened it. */
#define _GNU_SOURCE
#include <actr/actr.h>
#include <actr/cluster.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ clusters */

struct actr_cluster {
    actr_actor_nursery *an;
    size_t n;
    actr_portal **ps;
};

struct spawner {
    actr_cluster *c;
    size_t i;
    const char *name;
    const actr_spawn_opts *opts;
};

static int
spawn_one(void *arg)
{
    struct spawner *s = arg;
    char name[64];
    snprintf(name, sizeof name, "%s-%zu", s->name, s->i);
    return actr_actor_nursery_start(s->c->an, name, s->opts, &s->c->ps[s->i]);
}

/* Spawns every member at once; the first failure cancels the others. */
static int
spawn_all(actr_cluster *c, const char *name, const actr_spawn_opts *opts)
{
    struct spawner *sp = calloc(c->n, sizeof *sp);
    actr_nursery *tn;
    if (!sp)
        return actr_error_set(ACTR_ENOMEM, "out of memory spawning a cluster");
    int rc = actr_nursery_open(&tn);
    for (size_t i = 0; rc == 0 && i < c->n; i++) {
        sp[i] = (struct spawner){c, i, name, opts};
        rc = actr_nursery_spawn(tn, spawn_one, &sp[i]);
    }
    if (rc < 0)
        actr_nursery_cancel(tn);
    int crc = actr_nursery_close(tn, ACTR_FOREVER);
    free(sp);
    return crc < 0 ? crc : rc;
}

int
actr_cluster_open(const char *name, size_t n, const actr_spawn_opts *opts, actr_cluster **out)
{
    if (!name || !*name || strlen(name) > 40 || n == 0 || !out)
        return actr_error_set(ACTR_EINVAL, "a cluster needs a name of 1..40 bytes and at least"
                              " one actor");
    actr_cluster *c = calloc(1, sizeof *c);
    if (!c || !(c->ps = calloc(n, sizeof *c->ps))) {
        free(c);
        return actr_error_set(ACTR_ENOMEM, "out of memory for a cluster");
    }
    c->n = n;
    int rc = actr_actor_nursery_open(&c->an);
    if (rc == 0 && (rc = spawn_all(c, name, opts)) < 0) {
        actr_error *kept = NULL;
        if (actr_error_dup(actr_last_error(), &kept) < 0)
            kept = NULL;
        (void)actr_actor_nursery_close(c->an);     /* reaps the ones that started */
        actr_error_restore(kept);
        actr_error_free(kept);
    }
    if (rc < 0) {
        free(c->ps);
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

size_t
actr_cluster_size(const actr_cluster *c)
{
    return c ? c->n : 0;
}

actr_portal *
actr_cluster_portal(const actr_cluster *c, size_t i)
{
    return c && i < c->n ? c->ps[i] : NULL;
}

actr_portal *const *
actr_cluster_portals(const actr_cluster *c)
{
    return c ? c->ps : NULL;
}

int
actr_cluster_close(actr_cluster *c)
{
    if (!c)
        return 0;
    int rc = actr_actor_nursery_close(c->an);
    free(c->ps);
    free(c);
    return rc;
}

/* ------------------------------------------------------------ gathered contexts */

struct member {
    actr_ctx_group *g;
    size_t i;
    actr_ctx *ctx;
    int opened;
};

struct actr_ctx_group {
    actr_nursery *tn;
    size_t n, nopen;
    struct member *m;
    actr_portal *const *ps;
    const actr_endpoint *ep;
    const char *args;
    size_t stride;
    const actr_ctx_opts *opts;
    char *started;
    actr_event all_open;
    actr_event closing;
};

static int
member_task(void *arg)
{
    struct member *m = arg;
    actr_ctx_group *g = m->g;
    const actr_type *st = g->ep->started;
    void *started = g->started && st ? g->started + m->i * st->size : NULL;
    int rc = actr_ctx_open(g->ps[m->i], g->ep, g->args ? g->args + m->i * g->stride : NULL,
                           g->opts, &m->ctx, started);
    if (rc < 0)
        return rc;              /* the nursery cancels the others */
    m->opened = 1;
    if (++g->nopen == g->n)
        actr_event_set(&g->all_open);
    /* Held until the group closes (or a sibling failed: cancelled). */
    (void)actr_event_wait(&g->closing, ACTR_FOREVER);
    rc = actr_ctx_close(m->ctx);
    m->ctx = NULL;
    return rc;
}

int
actr_ctx_gather(actr_portal *const *ps, size_t n, const actr_endpoint *ep, const void *args,
                size_t args_stride, const actr_ctx_opts *opts, actr_ctx_group **out,
                void *started)
{
    if (!ps || n == 0 || !ep || ep->kind != ACTR_ENDPOINT_CONTEXT || !out)
        return actr_error_set(ACTR_EINVAL, "gathering needs portals and a context endpoint");
    actr_ctx_group *g = calloc(1, sizeof *g);
    if (!g || !(g->m = calloc(n, sizeof *g->m))) {
        free(g);
        return actr_error_set(ACTR_ENOMEM, "out of memory gathering contexts");
    }
    *g = (actr_ctx_group){.n = n, .m = g->m, .ps = ps, .ep = ep, .args = args,
                          .stride = args_stride, .opts = opts, .started = started};
    actr_event_init(&g->all_open);
    actr_event_init(&g->closing);
    int rc = actr_nursery_open(&g->tn);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        g->m[i] = (struct member){g, i, NULL, 0};
        rc = actr_nursery_spawn(g->tn, member_task, &g->m[i]);
    }
    if (rc == 0 && (rc = actr_event_wait(&g->all_open, ACTR_FOREVER)) == 0) {
        *out = g;
        return 0;
    }
    /* A member failed (which cancelled this wait) or we are cancelled. */
    if (g->tn) {
        actr_nursery_cancel(g->tn);
        int crc = actr_nursery_close(g->tn, ACTR_FOREVER);
        rc = crc < 0 ? crc : rc;
    }
    const actr_type *st = ep->started;
    for (size_t i = 0; st && started && i < n; i++)
        if (g->m[i].opened)
            actr_codec_free(st, (char *)started + i * st->size);
    free(g->m);
    free(g);
    return rc;
}

size_t
actr_ctx_group_size(const actr_ctx_group *g)
{
    return g ? g->n : 0;
}

actr_ctx *
actr_ctx_group_get(const actr_ctx_group *g, size_t i)
{
    return g && i < g->n ? g->m[i].ctx : NULL;
}

int
actr_ctx_group_send(actr_ctx_group *g, const void *v)
{
    if (!g)
        return actr_error_set(ACTR_EINVAL, "no context group");
    int first = 0;
    for (size_t i = 0; i < g->n; i++) {
        int rc = g->m[i].ctx ? actr_ctx_send(g->m[i].ctx, v)
                             : actr_error_set(ACTR_ECLOSED, "member %zu is closed", i);
        if (rc == ACTR_ECANCELED)
            return rc;
        if (rc < 0 && first == 0)
            first = rc;
    }
    return first;
}

int
actr_ctx_group_close(actr_ctx_group *g)
{
    if (!g)
        return 0;
    actr_event_set(&g->closing);
    int rc = actr_nursery_close(g->tn, ACTR_FOREVER);
    if (rc == ACTR_ESTATE)
        return rc;
    free(g->m);
    free(g);
    return rc;
}
