/* Supervisors (actr/supervise.h, S26): children as tasks of the
 * supervisor's nursery, each run optionally owning an actor; one
 * coordinator task that learns of every child's end and applies the
 * restart policy, the strategy, the intensity and the backoff.
 *
 * Only the public API of the layers below is used. One lock serializes
 * what changes the set of children (start, stop, a restart, the end);
 * child tasks never take it: they only flag their end and wake the
 * coordinator. */
#define _GNU_SOURCE
#include <actr/actr.h>
#include <actr/supervise.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "hilevel/calls.h"
#include "hilevel/restart.h"
#include "hilevel/spawncopy.h"

#define TAG "supervise"
#define NAME_MAX_ 63

struct sup_child {
    struct sup_child *next;           /* start order */
    actr_supervisor *sup;
    char name[NAME_MAX_ + 1];
    actr_restart restart;
    struct hl_spawn_copy spawn;          /* has == 0: a task child */
    actr_sup_run_fn run;
    void *arg;
    void (*release)(void *arg);
    actr_sup_state state;
    unsigned restarts;
    struct hl_restart_window recent;     /* this child's restarts (backoff) */
    int again;                        /* chosen to restart (coordinator) */

    /* the current run */
    int running;                      /* its task is alive */
    int started;                      /* it called actr_sup_started */
    int stop_req;                     /* the supervisor stops it */
    int ended;                        /* it ended by itself: for the coordinator */
    actr_scope *scope;                /* its run's scope, while in run */
    actr_portal *portal;
    actr_event done;                  /* its task has finished */
    int rc;                           /* how it ended */
    actr_error *reason;               /* its detail when it failed */
    int wstatus;                      /* its actor's wait status */
    int has_wstatus;
};

struct actr_supervisor {
    actr_actor_nursery *an;
    actr_nursery *tn;
    char name[NAME_MAX_ + 1];
    actr_sup_opts o;
    struct sup_child *children;
    actr_lock lock;
    struct hl_call_set calls;            /* start, stop, wait in flight */
    actr_event wake;                  /* a child ended */
    actr_event idle;                  /* no child left, or gave up */
    struct hl_restart_window recent;     /* every restart (intensity) */
    uint64_t rng;
    int closing;
    int failed;                       /* gave up */
    int fail_rc;
    actr_error *fail_err;
};

struct actr_sup_run {
    struct sup_child *ch;
    actr_task_status *status;
};

static const char *const state_names[] = {"?", "starting", "running", "restarting",
                                          "stopping"};

const char *
actr_sup_state_name(actr_sup_state st)
{
    return st >= ACTR_SUP_STARTING && st <= ACTR_SUP_STOPPING ? state_names[st] : "?";
}

/* ------------------------------------------------------------ exit reasons */

/* One line on how ch's last run ended, for the logs. */
static void
describe_end(const struct sup_child *ch, char *buf, size_t cap)
{
    int n = 0;
    if (ch->rc == 0)
        n = snprintf(buf, cap, "it ended normally");
    else if (ch->reason)
        n = snprintf(buf, cap, "%s: %s",
                     ch->reason->type_name ? ch->reason->type_name : actr_errname(ch->rc),
                     ch->reason->message);
    else
        n = snprintf(buf, cap, "%s", actr_errname(ch->rc));
    if (n < 0 || (size_t)n >= cap || !ch->has_wstatus || !WIFSIGNALED(ch->wstatus) ||
        strstr(buf, " killed by "))             /* the error says it already */
        return;
    snprintf(buf + n, cap - (size_t)n, "; its actor was killed by SIG%s",
             sigabbrev_np(WTERMSIG(ch->wstatus)) ? sigabbrev_np(WTERMSIG(ch->wstatus)) : "?");
}

/* A child without run function is its actor: it runs until the process
 * exits, which is a failure unless with status 0. */
static int
run_actor_only(actr_sup_run *r, actr_portal *p)
{
    int rc = actr_sup_started(r, NULL);
    int st = 0;
    if (rc == 0)
        rc = actr_portal_wait_exit(p, &st, ACTR_FOREVER);
    if (rc < 0)
        return rc;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    if (WIFSIGNALED(st))
        return actr_error_set(ACTR_ECLOSED, "child '%s' (pid %lld) killed by SIG%s",
                              r->ch->name, (long long)actr_portal_pid(p),
                              sigabbrev_np(WTERMSIG(st)) ? sigabbrev_np(WTERMSIG(st)) : "?");
    return actr_error_set(ACTR_ECLOSED, "child '%s' (pid %lld) exited with status %d",
                          r->ch->name, (long long)actr_portal_pid(p), WEXITSTATUS(st));
}

/* ------------------------------------------------------------ one run */

static int
child_task(actr_task_status *status, void *arg)
{
    struct sup_child *ch = arg;
    actr_supervisor *s = ch->sup;
    actr_sup_run r = {ch, status};
    actr_scope sc;
    actr_portal *p = NULL;
    int rc = actr_scope_enter(&sc, ACTR_FOREVER, 0);
    if (rc < 0)
        return rc;
    ch->scope = &sc;
    if (ch->spawn.has)
        rc = actr_actor_nursery_start(s->an, ch->name, &ch->spawn.o, &p);
    ch->portal = p;
    if (rc == 0)
        rc = ch->run ? ch->run(&r, p, ch->arg) : run_actor_only(&r, p);
    if (rc == 0 && !ch->started)
        rc = actr_error_set(ACTR_ESTATE, "child %s: its run returned without"
                            " actr_sup_started", ch->name);
    ch->scope = NULL;
    actr_scope_exit(&sc);

    actr_error_free(ch->reason);
    ch->reason = NULL;
    if (rc < 0 && actr_last_error()->code != rc)
        actr_error_set(rc, "child %s failed: %s", ch->name, actr_strerror(rc));
    if (rc < 0 && actr_error_dup(actr_last_error(), &ch->reason) < 0)
        ch->reason = NULL;
    ch->has_wstatus = 0;
    if (p) {
        ch->has_wstatus = actr_actor_nursery_stop(s->an, p, &ch->wstatus) == 0;
        ch->portal = NULL;
        actr_error_restore(ch->reason);
    }
    ch->rc = rc;
    ch->running = 0;
    actr_event_set(&ch->done);
    if (!ch->started)
        return rc;              /* the starter reports it */
    if (!ch->stop_req) {
        ch->ended = 1;
        ch->state = ACTR_SUP_RESTARTING;
        actr_event_set(&s->wake);
    }
    return 0;
}

/* Starts a run of ch and waits until it reports started. */
static int
run_start(struct sup_child *ch, void **started)
{
    ch->running = 1;
    ch->started = 0;
    ch->ended = 0;
    ch->state = ACTR_SUP_STARTING;
    actr_event_clear(&ch->done);
    actr_task_opts to = {.name = ch->name};
    void *v = NULL;
    int rc = actr_nursery_start_opts(ch->sup->tn, child_task, ch, &to, &v, ACTR_FOREVER);
    if (rc < 0) {
        ch->running = 0;
        return rc;
    }
    if (started)
        *started = v;
    return 0;
}

/* Stops ch's run, if one is alive, and waits for its end (shielded). */
static void
run_stop(struct sup_child *ch)
{
    if (!ch->running)
        return;
    actr_scope sh;
    if (actr_scope_enter(&sh, ACTR_FOREVER, ACTR_SCOPE_SHIELD) < 0)
        return;
    ch->stop_req = 1;
    ch->state = ACTR_SUP_STOPPING;
    if (ch->scope)
        actr_scope_cancel(ch->scope);
    (void)actr_event_wait(&ch->done, ACTR_FOREVER);
    ch->stop_req = 0;
    ch->ended = 0;
    actr_scope_exit(&sh);
}

int
actr_sup_started(actr_sup_run *r, void *value)
{
    if (!r || r->ch->started)
        return actr_error_set(ACTR_ESTATE, "actr_sup_started called twice");
    r->ch->started = 1;
    r->ch->state = ACTR_SUP_RUNNING;
    return actr_task_started(r->status, value);
}

const char *
actr_sup_run_name(const actr_sup_run *r)
{
    return r->ch->name;
}

unsigned
actr_sup_run_restarts(const actr_sup_run *r)
{
    return r->ch->restarts;
}

/* ------------------------------------------------------------ the set */

static void
update_idle(actr_supervisor *s)
{
    if (s->failed || !s->children)
        actr_event_set(&s->idle);
    else
        actr_event_clear(&s->idle);
}

/* Unlinks ch (not running) and frees it; release gets its arg. */
static void
forget(actr_supervisor *s, struct sup_child *ch)
{
    for (struct sup_child **pp = &s->children; *pp; pp = &(*pp)->next)
        if (*pp == ch) {
            *pp = ch->next;
            break;
        }
    if (ch->release)
        ch->release(ch->arg);
    hl_spawn_copy_free(&ch->spawn);
    hl_restart_window_free(&ch->recent);
    actr_error_free(ch->reason);
    free(ch);
    update_idle(s);
}

static struct sup_child *
find(const actr_supervisor *s, const char *name)
{
    for (struct sup_child *ch = s->children; ch; ch = ch->next)
        if (strcmp(ch->name, name) == 0)
            return ch;
    return NULL;
}

/* Stops every child, last started first, and forgets them. */
static void
stop_all(actr_supervisor *s)
{
    while (s->children) {
        struct sup_child *last = s->children;
        while (last->next)
            last = last->next;
        run_stop(last);
        forget(s, last);
    }
}

/* ------------------------------------------------------------ the coordinator */

/* The supervisor gives up with ch's exit reason: every child stops. */
static int
give_up(actr_supervisor *s, struct sup_child *ch, const char *why)
{
    char end[400];
    describe_end(ch, end, sizeof end);
    actr_log_error(TAG, "supervisor %s: child %s: %s; %s: giving up, stopping every child",
                   s->name, ch->name, end, why);
    s->failed = 1;
    s->fail_rc = ch->rc < 0 ? ch->rc : ACTR_ECLOSED;
    if (ch->reason && actr_error_dup(ch->reason, &s->fail_err) < 0)
        s->fail_err = NULL;
    if (!s->fail_err) {
        actr_error_set(s->fail_rc, "supervisor %s: child %s: %s", s->name, ch->name, end);
        if (actr_error_dup(actr_last_error(), &s->fail_err) < 0)
            s->fail_err = NULL;
    }
    if (s->fail_err && s->fail_err->code < 0)
        s->fail_rc = s->fail_err->code;
    stop_all(s);
    /* The code between open and close is cancelled before anyone waiting
     * hears of the failure (not only once this task has returned). */
    actr_nursery_cancel(s->tn);
    update_idle(s);
    return s->fail_rc;
}

/* Marks who restarts with ch (the strategy) and stops them, in reverse
 * start order; those that are never restarted are forgotten. */
static void
choose_and_stop(actr_supervisor *s, struct sup_child *ch)
{
    int after = 0;
    for (struct sup_child *c = s->children; c; c = c->next) {
        if (c == ch)
            after = 1;
        c->again = c == ch || s->o.strategy == ACTR_SUP_ONE_FOR_ALL ||
                   (s->o.strategy == ACTR_SUP_REST_FOR_ONE && after);
    }
    for (;;) {
        struct sup_child *last = NULL;
        for (struct sup_child *c = s->children; c; c = c->next)
            if (c != ch && c->again && (c->running || c->ended))
                last = c;
        if (!last)
            break;
        run_stop(last);
        last->ended = 0;        /* its own end, if any, is this restart */
        if (last->restart == ACTR_RESTART_NONE || last->restart == ACTR_RESTART_TEMPORARY)
            forget(s, last);
        else
            last->state = ACTR_SUP_RESTARTING;
    }
}

/* Restarts every child marked again, in start order. A restart that
 * fails to start is another end of that child, handled next. */
static void
restart_marked(actr_supervisor *s, const char *why)
{
    for (struct sup_child *c = s->children; c && !s->closing; c = c->next) {
        if (!c->again)
            continue;
        c->again = 0;
        c->restarts++;
        actr_log_warning(TAG, "supervisor %s: restarting %s (restart %u): %s", s->name,
                         c->name, c->restarts, why);
        int rc = run_start(c, NULL);
        if (rc < 0) {
            c->rc = rc;
            actr_error_free(c->reason);
            if (actr_error_dup(actr_last_error(), &c->reason) < 0)
                c->reason = NULL;
            c->has_wstatus = 0;
            c->ended = 1;
            c->state = ACTR_SUP_RESTARTING;
        }
    }
}

/* Applies ch's policy to its end. Called with the lock held, which it
 * lets go during the backoff. Returns 0, or the error the supervisor
 * gives up with. */
static int
handle_end(actr_supervisor *s, struct sup_child *ch)
{
    ch->ended = 0;
    int failed = ch->rc < 0 && ch->rc != ACTR_ECANCELED;
    char end[400];
    describe_end(ch, end, sizeof end);
    switch (ch->restart) {
    case ACTR_RESTART_NONE:
        if (failed)
            return give_up(s, ch, "it is not supervised");
        actr_log_info(TAG, "supervisor %s: %s ended normally", s->name, ch->name);
        forget(s, ch);
        return 0;
    case ACTR_RESTART_TEMPORARY:
        actr_log(failed ? ACTR_LOG_WARNING : ACTR_LOG_INFO, TAG,
                 "supervisor %s: temporary child %s ended (not restarted): %s", s->name,
                 ch->name, end);
        forget(s, ch);
        return 0;
    case ACTR_RESTART_TRANSIENT:
        if (!failed) {
            actr_log_info(TAG, "supervisor %s: transient child %s ended normally", s->name,
                          ch->name);
            forget(s, ch);
            return 0;
        }
        break;
    case ACTR_RESTART_PERMANENT:
        break;
    }
    int64_t now = actr_now();
    if (hl_restart_window_count(&s->recent, now, s->o.period_ms) >= s->o.max_restarts) {
        char why[120];
        snprintf(why, sizeof why, "%u restarts within %lld ms already", s->o.max_restarts,
                 (long long)s->o.period_ms);
        return give_up(s, ch, why);
    }
    if (hl_restart_window_add(&s->recent, now) < 0 || hl_restart_window_add(&ch->recent, now) < 0)
        return give_up(s, ch, "out of memory");
    unsigned k = (unsigned)hl_restart_window_count(&ch->recent, now, s->o.period_ms) - 1;
    choose_and_stop(s, ch);
    int64_t wait = hl_restart_backoff(s->o.backoff_ms, s->o.backoff_max_ms, k, &s->rng);
    if (wait > 0) {
        /* Not holding the lock: a stop meanwhile forgets the child. */
        actr_lock_release(&s->lock);
        int rc = actr_sleep(wait);
        int lrc = actr_lock_acquire(&s->lock, ACTR_FOREVER);
        if (rc < 0 || lrc < 0)
            return lrc < 0 ? lrc : 0;
    }
    if (!s->closing && !s->failed)
        restart_marked(s, end);
    return 0;
}

static int
coordinator(void *arg)
{
    actr_supervisor *s = arg;
    for (;;) {
        actr_event_clear(&s->wake);
        if (actr_lock_acquire(&s->lock, ACTR_FOREVER) < 0)
            return 0;
        struct sup_child *ch = s->children;
        while (ch && !ch->ended)
            ch = ch->next;
        int rc = ch && !s->closing && !s->failed ? handle_end(s, ch) : 0;
        if (rc == ACTR_ECANCELED)
            return 0;               /* cancelled in the backoff, without the lock */
        actr_lock_release(&s->lock);
        if (rc < 0) {
            actr_error_restore(s->fail_err);
            return s->fail_rc;
        }
        if (!ch && actr_event_wait(&s->wake, ACTR_FOREVER) < 0)
            return 0;
    }
}

/* ------------------------------------------------------------ the API */

int
actr_supervisor_open(actr_actor_nursery *an, const actr_sup_opts *opts, actr_supervisor **out)
{
    if (!out || (opts && (opts->period_ms < 0 || opts->backoff_max_ms < 0 ||
                          opts->strategy < ACTR_SUP_ONE_FOR_ONE ||
                          opts->strategy > ACTR_SUP_REST_FOR_ONE)))
        return actr_error_set(ACTR_EINVAL, "bad supervisor options");
    actr_supervisor *s = calloc(1, sizeof *s);
    if (!s)
        return actr_error_set(ACTR_ENOMEM, "out of memory for a supervisor");
    if (opts)
        s->o = *opts;
    snprintf(s->name, sizeof s->name, "%s", s->o.name ? s->o.name : "supervisor");
    s->o.name = s->name;
    if (!s->o.max_restarts)
        s->o.max_restarts = ACTR_SUP_MAX_RESTARTS;
    if (!s->o.period_ms)
        s->o.period_ms = ACTR_SUP_PERIOD_MS;
    if (!s->o.backoff_ms)
        s->o.backoff_ms = ACTR_SUP_BACKOFF_MS;
    if (!s->o.backoff_max_ms)
        s->o.backoff_max_ms = ACTR_SUP_BACKOFF_MAX_MS;
    s->an = an;
    s->rng = hl_restart_seed();
    actr_lock_init(&s->lock);
    hl_calls_init(&s->calls);
    actr_event_init(&s->wake);
    actr_event_init(&s->idle);
    actr_event_set(&s->idle);
    int rc = actr_nursery_open(&s->tn);
    if (rc == 0) {
        actr_task_opts to = {.name = "supervisor"};
        if ((rc = actr_nursery_spawn_opts(s->tn, coordinator, s, &to)) < 0)
            (void)actr_nursery_close(s->tn, ACTR_FOREVER);
    }
    if (rc < 0) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

static int
check_spec(const actr_supervisor *s, const actr_sup_child_spec *spec)
{
    if (!spec || !spec->name || !spec->name[0] || strlen(spec->name) > NAME_MAX_)
        return actr_error_set(ACTR_EINVAL, "a supervised child needs a name of 1..%d bytes",
                              NAME_MAX_);
    if (!spec->spawn && !spec->run)
        return actr_error_set(ACTR_EINVAL, "child %s: neither spawn options nor a run"
                              " function", spec->name);
    if (spec->spawn && !s->an)
        return actr_error_set(ACTR_EINVAL, "child %s: supervisor %s has no actor nursery to"
                              " spawn into", spec->name, s->name);
    if (spec->restart < ACTR_RESTART_NONE || spec->restart > ACTR_RESTART_PERMANENT)
        return actr_error_set(ACTR_EINVAL, "child %s: unknown restart policy %d", spec->name,
                              (int)spec->restart);
    if (find(s, spec->name))
        return actr_error_set(ACTR_EINVAL, "supervisor %s already has a child called %s",
                              s->name, spec->name);
    return 0;
}

/* A call of the API that may block: registered, so that close can
 * cancel it and wait for it (hilevel/calls.h). */
static int
call_begin(actr_supervisor *s, struct hl_inflight *c)
{
    if (s->failed || s->closing)
        return actr_error_set(ACTR_ECLOSED, "supervisor %s %s", s->name,
                              s->failed ? "gave up" : "is closing");
    return hl_calls_enter(&s->calls, c);
}

static int
call_end(actr_supervisor *s, struct hl_inflight *c, int rc)
{
    hl_calls_leave(c);
    if (rc == ACTR_ECANCELED && s->closing)
        rc = actr_error_set(ACTR_ECLOSED, "supervisor %s closed meanwhile", s->name);
    return rc;
}

static int
start_locked(actr_supervisor *s, const actr_sup_child_spec *spec, void **started)
{
    int rc = check_spec(s, spec);
    struct sup_child *ch = NULL;
    if (rc == 0 && !(ch = calloc(1, sizeof *ch)))
        rc = actr_error_set(ACTR_ENOMEM, "out of memory for a child");
    if (rc == 0 && spec->spawn && (rc = hl_spawn_copy_init(&ch->spawn, spec->spawn)) < 0)
        free(ch);
    if (rc < 0)
        return rc;
    ch->sup = s;
    snprintf(ch->name, sizeof ch->name, "%s", spec->name);
    ch->restart = spec->restart;
    ch->run = spec->run;
    ch->arg = spec->arg;
    actr_event_init(&ch->done);
    struct sup_child **pp = &s->children;
    while (*pp)
        pp = &(*pp)->next;
    *pp = ch;
    update_idle(s);
    if ((rc = run_start(ch, started)) < 0)
        forget(s, ch);          /* no release: arg is still the caller's */
    else
        ch->release = spec->release;
    return rc;
}

int
actr_supervisor_start(actr_supervisor *s, const actr_sup_child_spec *spec, void **started)
{
    if (!s)
        return actr_error_set(ACTR_EINVAL, "no supervisor");
    struct hl_inflight c;
    int rc = call_begin(s, &c);
    if (rc < 0)
        return rc;
    if ((rc = actr_lock_acquire(&s->lock, ACTR_FOREVER)) == 0) {
        rc = s->failed ? actr_error_set(ACTR_ECLOSED, "supervisor %s gave up", s->name)
                       : start_locked(s, spec, started);
        actr_lock_release(&s->lock);
    }
    return call_end(s, &c, rc);
}

int
actr_supervisor_stop(actr_supervisor *s, const char *name)
{
    if (!s || !name)
        return actr_error_set(ACTR_EINVAL, "no supervisor or name");
    struct hl_inflight c;
    int rc = call_begin(s, &c);
    if (rc < 0)
        return rc;
    if ((rc = actr_lock_acquire(&s->lock, ACTR_FOREVER)) == 0) {
        struct sup_child *ch = find(s, name);
        if (!ch) {
            rc = actr_error_set(ACTR_ENOTFOUND, "supervisor %s has no child called %s",
                                s->name, name);
        } else {
            actr_log_info(TAG, "supervisor %s: stopping %s", s->name, name);
            run_stop(ch);
            forget(s, ch);
        }
        actr_lock_release(&s->lock);
    }
    return call_end(s, &c, rc);
}

static void
info_of(const struct sup_child *ch, actr_sup_child_info *out)
{
    out->name = ch->name;
    out->state = ch->state;
    out->restart = ch->restart;
    out->restarts = ch->restarts;
    out->portal = ch->portal;
    out->arg = ch->arg;
}

size_t
actr_supervisor_children(const actr_supervisor *s, actr_sup_child_info *v, size_t cap)
{
    size_t n = 0;
    for (const struct sup_child *ch = s ? s->children : NULL; ch; ch = ch->next, n++)
        if (n < cap)
            info_of(ch, &v[n]);
    return n;
}

int
actr_supervisor_child(const actr_supervisor *s, const char *name, actr_sup_child_info *out)
{
    const struct sup_child *ch = s && name ? find(s, name) : NULL;
    if (!ch)
        return actr_error_set(ACTR_ENOTFOUND, "no supervised child called %s",
                              name ? name : "(null)");
    if (out)
        info_of(ch, out);
    return 0;
}

int
actr_supervisor_wait(actr_supervisor *s)
{
    if (!s)
        return actr_error_set(ACTR_EINVAL, "no supervisor");
    if (s->failed) {
        actr_error_restore(s->fail_err);
        return s->fail_rc;
    }
    struct hl_inflight c;
    int rc = call_begin(s, &c);
    if (rc < 0)
        return rc;
    rc = actr_event_wait(&s->idle, ACTR_FOREVER);
    if (rc == 0 && s->failed) {
        actr_error_restore(s->fail_err);
        rc = s->fail_rc;
    }
    hl_calls_leave(&c);
    return rc;
}

int
actr_supervisor_close(actr_supervisor *s)
{
    if (!s)
        return 0;
    actr_scope sh;
    if (actr_scope_enter(&sh, ACTR_FOREVER, ACTR_SCOPE_SHIELD) < 0)
        return actr_error_set(ACTR_ESTATE, "actr_supervisor_close outside a task");
    s->closing = 1;
    /* Starts under way (a caller's, or a restart) give up; callers parked
     * in start, stop or wait leave before anything is freed. */
    for (struct sup_child *ch = s->children; ch; ch = ch->next)
        if (ch->running && !ch->started && ch->scope)
            actr_scope_cancel(ch->scope);
    hl_calls_cancel_wait(&s->calls);
    int locked = actr_lock_acquire(&s->lock, ACTR_FOREVER) == 0;
    stop_all(s);
    if (locked)
        actr_lock_release(&s->lock);
    actr_scope_exit(&sh);
    actr_nursery_cancel(s->tn);
    int rc = actr_nursery_close(s->tn, ACTR_FOREVER);
    if (rc == ACTR_ESTATE && !s->failed)
        return rc;
    if (s->failed) {
        actr_error_restore(s->fail_err);
        rc = s->fail_rc;
    }
    actr_error_free(s->fail_err);
    hl_restart_window_free(&s->recent);
    free(s);
    return rc;
}
