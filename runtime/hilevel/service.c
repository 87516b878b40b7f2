/* The service manager (actr/service.h, S23): one per actor, shared by
 * every open and get, torn down by its owner's last close. Each service
 * is a child of the manager's supervisor (actr/supervise.h): supervision
 * is an option of the service (its restart policy), not a second
 * mechanism, and an unsupervised service's failure fails the supervisor,
 * hence the manager. */
#define _GNU_SOURCE
#include <actr/actr.h>
#include <actr/service.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hilevel/anyval.h"
#include "hilevel/calls.h"
#include "hilevel/spawncopy.h"
#include "hilevel/svcmgr.h"

#define TAG "service"
#define NAME_MAX_ 63

/* A service the remote API may start (actr_service_define). */
struct svc_def {
    struct svc_def *next;
    char *name;
    struct hl_spawn_copy spawn;
    actr_restart restart;
    char *fn;
    actr_any kwargs;
};

/* One service: the supervised child's arg. */
struct svc {
    char name[NAME_MAX_ + 1];
    actr_service_kind kind;
    char *fn;                       /* its context: "module:func" */
    actr_any kwargs;
    actr_portal *portal;            /* CTX: the actor it runs on (borrowed) */
    actr_service_fn task;           /* TASK */
    void *task_arg;
    actr_any started;               /* the last run's started value */
    char *uid;                      /* the last run's actor */
    int64_t pid;
};

/* The actor's manager: one object per process, as there is one actor. */
struct actr_service_mngr {
    int open;                       /* between the first open and teardown */
    actr_actor *actor;
    uint64_t owner;                 /* the task that allocated it */
    unsigned owner_opens;           /* the owner's opens not closed yet */
    actr_actor_nursery *an;
    actr_supervisor *sup;
    actr_lock lock;                 /* starts by name, one at a time */
    struct hl_call_set calls;          /* blocking calls in flight */
    struct svc_def *defs;
};

static actr_service_mngr the_mngr;

static const char *const kind_names[] = {"?", "actor", "ctx", "task"};

const char *
actr_service_kind_name(actr_service_kind k)
{
    return k >= ACTR_SERVICE_ACTOR && k <= ACTR_SERVICE_TASK ? kind_names[k] : "?";
}

/* ------------------------------------------------------------ one service */

static void
svc_free(void *arg)
{
    struct svc *v = arg;
    free(v->fn);
    actr_any_free(&v->kwargs);
    actr_any_free(&v->started);
    free(v->uid);
    free(v);
}

static char *
uid_text(const char *name, const char *uuid)
{
    char *s = NULL;
    return asprintf(&s, "%s.%s", name, uuid) < 0 ? NULL : s;
}

/* S23: a ContextCancelled whose canceller is neither this actor nor the
 * service's actor (a peer cancelled the service) is a normal end. */
static int
judge_cancel(struct svc *v, actr_ctx *c, actr_portal *target, int rc)
{
    if (rc != ACTR_ECTXCANCEL)
        return rc;
    if (actr_ctx_cancel_called(c))
        return 0;                   /* we asked: the quiet outcome */
    const char *by = actr_last_error()->canceller_uid;
    actr_actor *a = actr_self();
    char *me = uid_text(actr_actor_name(a), actr_actor_uuid(a));
    char *it = uid_text(actr_portal_name(target), actr_portal_uuid(target));
    if (by && me && it && strcmp(by, me) != 0 && strcmp(by, it) != 0) {
        actr_log_cancel(TAG, "service %s was cancelled by %s, another actor: not a failure"
                        " of the service manager", v->name, by);
        rc = 0;
    }
    free(me);
    free(it);
    return rc;
}

/* A service's run (actr/supervise.h): the supervising context, or the
 * task. */
static int
svc_run(actr_sup_run *r, actr_portal *p, void *arg)
{
    struct svc *v = arg;
    if (v->kind == ACTR_SERVICE_TASK) {
        int rc = actr_sup_started(r, v);
        return rc < 0 ? rc : v->task(v->task_arg);
    }
    actr_portal *target = p ? p : v->portal;
    actr_ctx *c;
    actr_any started = {0};
    int rc = actr_ctx_open_raw(target, v->fn, v->kwargs.len ? &v->kwargs : NULL, NULL, &c,
                               &started);
    if (rc < 0)
        return rc;
    actr_any_free(&v->started);
    v->started = started;
    free(v->uid);
    v->uid = uid_text(actr_portal_name(target), actr_portal_uuid(target));
    v->pid = actr_portal_pid(target);
    actr_log_info(TAG, "service %s runs (%s in actor %s, pid %lld)", v->name, v->fn,
                  v->uid ? v->uid : "?", (long long)v->pid);
    if ((rc = actr_sup_started(r, v)) == 0)
        rc = actr_ctx_result(c, NULL);
    if (rc == ACTR_ECANCELED)
        actr_ctx_cancel(c);         /* the manager stops it (shielded) */
    else
        rc = judge_cancel(v, c, target, rc);
    actr_error *kept = NULL;
    if (rc < 0 && actr_error_dup(actr_last_error(), &kept) < 0)
        kept = NULL;
    (void)actr_ctx_close(c);        /* its outcome was taken above */
    if (v->kind == ACTR_SERVICE_CTX)
        actr_portal_cancel_actor(target);
    if (kept) {
        actr_error_restore(kept);
        actr_error_free(kept);
    }
    return rc;
}

/* ------------------------------------------------------------ the manager */

/* The manager of this actor, if one is open. */
static actr_service_mngr *
current(void)
{
    actr_actor *a = actr_self();
    return a && the_mngr.open && the_mngr.actor == a ? &the_mngr : NULL;
}

int
actr_service_mngr_open(const actr_service_mngr_opts *opts, actr_service_mngr **out)
{
    if (!out)
        return actr_error_set(ACTR_EINVAL, "actr_service_mngr_open: no out parameter");
    actr_actor *a = actr_self();
    if (!a || actr_task_id() == 0)
        return actr_error_set(ACTR_ESTATE, "a service manager needs an actor's task");
    actr_service_mngr *m = current();
    if (m) {
        if (actr_task_id() == m->owner)
            m->owner_opens++;
        *out = m;
        return 0;
    }
    m = &the_mngr;
    memset(m, 0, sizeof *m);
    m->actor = a;
    m->owner = actr_task_id();
    m->owner_opens = 1;
    actr_lock_init(&m->lock);
    hl_calls_init(&m->calls);
    actr_sup_opts so = opts ? opts->sup : (actr_sup_opts){0};
    if (!so.name)
        so.name = "services";
    int rc = actr_actor_nursery_open_opts(opts ? &opts->nursery : NULL, &m->an);
    if (rc == 0 && (rc = actr_supervisor_open(m->an, &so, &m->sup)) < 0)
        (void)actr_actor_nursery_close(m->an);
    if (rc == 0 && (rc = actr_actor_serve(a, hl_svcmgr_module())) < 0) {
        (void)actr_supervisor_close(m->sup);
        (void)actr_actor_nursery_close(m->an);
    }
    if (rc < 0)
        return rc;
    m->open = 1;
    actr_log_info(TAG, "service manager of actor %s open", actr_actor_name(a));
    *out = m;
    return 0;
}

int
actr_service_mngr_get(actr_service_mngr **out)
{
    actr_service_mngr *m = current();
    if (!out)
        return actr_error_set(ACTR_EINVAL, "actr_service_mngr_get: no out parameter");
    if (!m)
        return actr_error_set(ACTR_ESTATE, "no service manager is open in this actor (open"
                              " one with actr_service_mngr_open first)");
    *out = m;
    return 0;
}

static void
def_free(struct svc_def *d)
{
    if (!d)
        return;
    free(d->name);
    free(d->fn);
    hl_spawn_copy_free(&d->spawn);
    actr_any_free(&d->kwargs);
    free(d);
}

/* The owner's last close: calls in flight leave, every service is
 * cancelled, then the nurseries close. */
static int
teardown(actr_service_mngr *m)
{
    if (m->open) {
        m->open = 0;
        (void)actr_actor_unserve(m->actor, hl_svcmgr_module());
        actr_log_info(TAG, "service manager of actor %s closing", actr_actor_name(m->actor));
        hl_calls_cancel_wait(&m->calls);
    }
    int rc = actr_supervisor_close(m->sup);
    if (rc == ACTR_ESTATE)
        return rc;                  /* out of order: the owner closes again */
    m->sup = NULL;
    actr_error *kept = NULL;
    if (rc < 0 && actr_error_dup(actr_last_error(), &kept) < 0)
        kept = NULL;
    int arc = actr_actor_nursery_close(m->an);
    m->an = NULL;
    if (rc < 0 && kept)
        actr_error_restore(kept);
    actr_error_free(kept);
    while (m->defs) {
        struct svc_def *d = m->defs;
        m->defs = d->next;
        def_free(d);
    }
    return rc < 0 ? rc : arc;
}

int
actr_service_mngr_close(actr_service_mngr *m)
{
    if (!m || actr_task_id() != m->owner || !m->sup || m->owner_opens == 0)
        return 0;
    if (--m->owner_opens > 0)
        return 0;
    int rc = teardown(m);
    if (rc == ACTR_ESTATE)
        m->owner_opens = 1;
    return rc;
}

static int
usable(const actr_service_mngr *m)
{
    if (!m)
        return actr_error_set(ACTR_EINVAL, "no service manager");
    if (!m->open)
        return actr_error_set(ACTR_ECLOSED, "the service manager was closed by its owner");
    return 0;
}

/* A call that may block: registered, so the owner's close can cancel it
 * and wait for it. */
static int
call_begin(actr_service_mngr *m, struct hl_inflight *c)
{
    int rc = usable(m);
    return rc < 0 ? rc : hl_calls_enter(&m->calls, c);
}

static int
call_end(actr_service_mngr *m, struct hl_inflight *c, int rc)
{
    hl_calls_leave(c);
    if (rc == ACTR_ECANCELED && !m->open)
        rc = actr_error_set(ACTR_ECLOSED, "the service manager was closed meanwhile");
    return rc;
}

static int
check_name(const char *name)
{
    if (!name || !name[0] || strlen(name) > NAME_MAX_)
        return actr_error_set(ACTR_EINVAL, "a service needs a name of 1..%d bytes",
                              NAME_MAX_);
    return 0;
}

/* ------------------------------------------------------------ starting */

/* Starts service v (taken over: freed on failure) as name, unless one of
 * that name runs; a copy of its started value goes to *started. */
static int
start_locked(actr_service_mngr *m, struct svc *v, const actr_spawn_opts *spawn,
             actr_restart restart, actr_any *started)
{
    int rc = 0;
    actr_sup_child_info ci;
    if (actr_supervisor_child(m->sup, v->name, &ci) == 0) {
        svc_free(v);
        v = ci.arg;                 /* idempotent by name, as the seed */
    } else {
        static const actr_spawn_opts none;
        actr_sup_child_spec cs = {.name = v->name, .restart = restart, .run = svc_run,
                                  .arg = v, .release = svc_free};
        if (v->kind == ACTR_SERVICE_ACTOR)
            cs.spawn = spawn ? spawn : &none;
        if ((rc = actr_supervisor_start(m->sup, &cs, NULL)) < 0)
            return rc;              /* not kept: v is still ours */
    }
    return started ? hl_anyval_dup(started, &v->started) : 0;
}

/* Starts service v (taken over) as v->name, unless one of that name
 * runs; a copy of its started value goes to *started. */
static int
start_child(actr_service_mngr *m, struct svc *v, const actr_spawn_opts *spawn,
            actr_restart restart, actr_any *started)
{
    struct hl_inflight c;
    int rc = check_name(v->name);
    if (rc == 0 && (rc = call_begin(m, &c)) == 0) {
        if ((rc = actr_lock_acquire(&m->lock, ACTR_FOREVER)) == 0) {
            int kept = actr_supervisor_child(m->sup, v->name, NULL) == 0;
            rc = start_locked(m, v, spawn, restart, started);
            if (rc < 0 && !kept)
                svc_free(v);
            v = NULL;
            actr_lock_release(&m->lock);
        }
        rc = call_end(m, &c, rc);
    }
    if (v)
        svc_free(v);
    return rc;
}

static struct svc *
svc_new(const char *name, actr_service_kind kind, const char *fn, const actr_any *kwargs)
{
    struct svc *v = calloc(1, sizeof *v);
    if (!v || (fn && !(v->fn = strdup(fn))) || hl_anyval_dup(&v->kwargs, kwargs) < 0) {
        if (v)
            svc_free(v);
        actr_error_set(ACTR_ENOMEM, "out of memory for a service");
        return NULL;
    }
    snprintf(v->name, sizeof v->name, "%s", name ? name : "");
    v->kind = kind;
    return v;
}

/* The typed forms: encode the arguments, decode the started value. */
static int
start_typed(actr_service_mngr *m, const char *name, actr_portal *p,
            const actr_service_opts *opts, const actr_endpoint *ep, const void *args,
            void *started)
{
    if (!ep || ep->kind != ACTR_ENDPOINT_CONTEXT)
        return actr_error_set(ACTR_EINVAL, "a service needs a context endpoint%s%s",
                              ep ? "; not " : "", ep ? ep->wire_name : "");
    actr_any kw, st = {0};
    int rc = hl_anyval_encode(ep->args, args, &kw, ep->wire_name);
    if (rc < 0)
        return rc;
    struct svc *v = svc_new(name, p ? ACTR_SERVICE_CTX : ACTR_SERVICE_ACTOR, ep->wire_name,
                            &kw);
    actr_any_free(&kw);
    if (!v)
        return ACTR_ENOMEM;
    v->portal = p;
    rc = start_child(m, v, opts ? &opts->spawn : NULL,
                     p || !opts ? ACTR_RESTART_NONE : opts->restart, &st);
    if (rc == 0)
        rc = hl_anyval_decode(ep->started, &st, started, "started value");
    actr_any_free(&st);
    return rc;
}

int
actr_service_start(actr_service_mngr *m, const char *name, const actr_service_opts *opts,
                   const actr_endpoint *ep, const void *args, void *started)
{
    return start_typed(m, name, NULL, opts, ep, args, started);
}

int
actr_service_start_raw(actr_service_mngr *m, const char *name, const actr_service_opts *opts,
                       const char *fn, const actr_any *kwargs, actr_any *started)
{
    if (!fn || !strchr(fn, ':'))
        return actr_error_set(ACTR_EINVAL, "a service needs a context \"module:func\"");
    struct svc *v = svc_new(name, ACTR_SERVICE_ACTOR, fn, kwargs);
    if (!v)
        return ACTR_ENOMEM;
    return start_child(m, v, opts ? &opts->spawn : NULL,
                       opts ? opts->restart : ACTR_RESTART_NONE, started);
}

int
actr_service_start_ctx(actr_service_mngr *m, const char *name, actr_portal *p,
                       const actr_endpoint *ep, const void *args, void *started)
{
    if (!p)
        return actr_error_set(ACTR_EINVAL, "actr_service_start_ctx: no portal");
    return start_typed(m, name, p, NULL, ep, args, started);
}

int
actr_service_start_task(actr_service_mngr *m, const char *name, actr_restart restart,
                        actr_service_fn fn, void *arg)
{
    if (!fn)
        return actr_error_set(ACTR_EINVAL, "a service task needs a function");
    struct svc *v = svc_new(name, ACTR_SERVICE_TASK, NULL, NULL);
    if (!v)
        return ACTR_ENOMEM;
    v->task = fn;
    v->task_arg = arg;
    return start_child(m, v, NULL, restart, NULL);
}

/* ------------------------------------------------------------ cancelling */

static int
cancel_kind(actr_service_mngr *m, const char *name, int task)
{
    int rc = usable(m);
    actr_sup_child_info ci;
    if (rc < 0)
        return rc;
    if (!name || actr_supervisor_child(m->sup, name, &ci) < 0)
        return actr_error_set(ACTR_ENOTFOUND, "no service called %s", name ? name : "(null)");
    const struct svc *v = ci.arg;
    if ((v->kind == ACTR_SERVICE_TASK) != task)
        return actr_error_set(ACTR_EINVAL, "service %s is %s: use %s", name,
                              task ? "not a task" : "a task",
                              task ? "actr_service_cancel" : "actr_service_cancel_task");
    actr_log_info(TAG, "cancelling service %s", name);
    struct hl_inflight c;
    if ((rc = call_begin(m, &c)) == 0)
        rc = call_end(m, &c, actr_supervisor_stop(m->sup, name));
    return rc;
}

int
actr_service_cancel(actr_service_mngr *m, const char *name)
{
    return cancel_kind(m, name, 0);
}

int
actr_service_cancel_task(actr_service_mngr *m, const char *name)
{
    return cancel_kind(m, name, 1);
}

/* ------------------------------------------------------------ listing */

static int
info_of(const actr_sup_child_info *ci, actr_service_info *out)
{
    const struct svc *v = ci->arg;
    actr_service_info i = {.kind = v->kind, .state = ci->state, .pid = v->pid,
                           .restarts = ci->restarts};
    int fail = !(i.name = strdup(ci->name)) || (v->uid && !(i.uid = strdup(v->uid)));
    if (fail || hl_anyval_dup(&i.started, &v->started) < 0) {
        actr_service_info_clear(&i);
        return actr_error_set(ACTR_ENOMEM, "out of memory describing a service");
    }
    *out = i;
    return 0;
}

int
actr_service_find(actr_service_mngr *m, const char *name, actr_service_info *out)
{
    int rc = usable(m);
    actr_sup_child_info ci;
    if (rc < 0)
        return rc;
    if (!name || !out || actr_supervisor_child(m->sup, name, &ci) < 0)
        return actr_error_set(ACTR_ENOTFOUND, "no service called %s", name ? name : "(null)");
    return info_of(&ci, out);
}

int
actr_service_list(actr_service_mngr *m, actr_service_info **out, size_t *n)
{
    int rc = usable(m);
    if (rc < 0)
        return rc;
    size_t k = actr_supervisor_children(m->sup, NULL, 0);
    actr_sup_child_info *ci = calloc(k ? k : 1, sizeof *ci);
    actr_service_info *v = calloc(k ? k : 1, sizeof *v);
    if (!ci || !v) {
        free(ci);
        free(v);
        return actr_error_set(ACTR_ENOMEM, "out of memory listing services");
    }
    actr_supervisor_children(m->sup, ci, k);
    for (size_t i = 0; i < k && rc == 0; i++)
        rc = info_of(&ci[i], &v[i]);
    free(ci);
    if (rc < 0) {
        actr_service_infos_free(v, k);
        return rc;
    }
    *out = v;
    *n = k;
    return 0;
}

void
actr_service_info_clear(actr_service_info *i)
{
    if (!i)
        return;
    free(i->name);
    free(i->uid);
    actr_any_free(&i->started);
    memset(i, 0, sizeof *i);
}

void
actr_service_infos_free(actr_service_info *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        actr_service_info_clear(&v[i]);
    free(v);
}

/* ------------------------------------------------------------ definitions */

int
actr_service_define_raw(actr_service_mngr *m, const char *name, const actr_service_opts *opts,
                        const char *fn, const actr_any *kwargs)
{
    int rc = usable(m);
    if (rc == 0)
        rc = check_name(name);
    if (rc == 0 && (!fn || !strchr(fn, ':')))
        rc = actr_error_set(ACTR_EINVAL, "service %s needs a context \"module:func\"", name);
    if (rc < 0)
        return rc;
    struct svc_def *d = calloc(1, sizeof *d);
    if (!d || !(d->name = strdup(name)) || !(d->fn = strdup(fn)) ||
        hl_spawn_copy_init(&d->spawn, opts ? &opts->spawn : NULL) < 0 ||
        hl_anyval_dup(&d->kwargs, kwargs) < 0) {
        def_free(d);
        return actr_error_set(ACTR_ENOMEM, "out of memory defining service %s", name);
    }
    d->restart = opts ? opts->restart : ACTR_RESTART_NONE;
    /* A new definition replaces an old one of that name. */
    for (struct svc_def **pp = &m->defs; *pp; pp = &(*pp)->next)
        if (strcmp((*pp)->name, name) == 0) {
            struct svc_def *old = *pp;
            *pp = old->next;
            def_free(old);
            break;
        }
    d->next = m->defs;
    m->defs = d;
    return 0;
}

int
actr_service_define(actr_service_mngr *m, const char *name, const actr_service_opts *opts,
                    const actr_endpoint *ep, const void *args)
{
    if (!ep || ep->kind != ACTR_ENDPOINT_CONTEXT)
        return actr_error_set(ACTR_EINVAL, "service %s needs a context endpoint",
                              name ? name : "(null)");
    actr_any kw;
    int rc = hl_anyval_encode(ep->args, args, &kw, ep->wire_name);
    if (rc == 0)
        rc = actr_service_define_raw(m, name, opts, ep->wire_name, &kw);
    actr_any_free(&kw);
    return rc;
}

int
hl_svcmgr_start_defined(actr_service_mngr *m, const char *name, const actr_any *kwargs,
                     actr_service_info *out)
{
    int rc = usable(m);
    if (rc < 0)
        return rc;
    actr_sup_child_info ci;
    if (actr_supervisor_child(m->sup, name, &ci) < 0) {
        const struct svc_def *d = m->defs;
        while (d && strcmp(d->name, name) != 0)
            d = d->next;
        if (!d)
            return actr_error_set(ACTR_ENOTFOUND, "no service called %s is defined in actor"
                                  " %s", name, actr_actor_name(m->actor));
        /* Copies: a definition may be replaced while the start waits. */
        struct hl_spawn_copy spawn;
        if ((rc = hl_spawn_copy_init(&spawn, &d->spawn.o)) < 0)
            return rc;
        struct svc *v = svc_new(name, ACTR_SERVICE_ACTOR, d->fn,
                                hl_anyval_is_nil(kwargs) ? &d->kwargs : kwargs);
        rc = v ? start_child(m, v, &spawn.o, d->restart, NULL) : ACTR_ENOMEM;
        hl_spawn_copy_free(&spawn);
        if (rc < 0)
            return rc;
    }
    return actr_service_find(m, name, out);
}
