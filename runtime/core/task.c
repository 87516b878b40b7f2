/* Tasks and nurseries: creation on pooled fiber stacks, the end of a
 * task (results, failures, leftover scopes), actr_nursery_*. */
#define _GNU_SOURCE
#include "core/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S actri_sched

uint64_t actri_tasks_spawned;

/* Names t (cut to fit): once per task, or per call served, so no printf. */
static void
name_set(struct actri_task *t, const char *name)
{
    size_t n = strnlen(name, sizeof t->name - 1);
    memcpy(t->name, name, n);
    t->name[n] = 0;
}

static void task_entry(void *arg);

int
actri_task_spawn(actr_nursery *n, actr_task_fn fn, actr_start_fn sfn, void *arg,
                 const actr_task_opts *opts, struct start_rec *rec)
{
    struct stackinfo info;
    struct actri_task *t = actri_stack_alloc(opts ? opts->stack_size : 0,
                                             sizeof *t, &info);
    if (!t)
        return actri_error_code(ACTR_ENOMEM, "cannot map a task stack");
    t->stack = info;
    t->id = S.next_id++;
    t->fn = fn;
    t->sfn = sfn;
    t->arg = arg;
    t->nursery = n;
    t->start = rec;
    if (rec)
        rec->child = t;
    if (opts && opts->name)
        name_set(t, opts->name);
    /* The root scope hangs under the nursery's scope, so cancelling the
     * nursery (or any scope around it) reaches the task. */
    t->root.task = t;
    t->root.deadline = -1;
    t->root.flags = SCOPE_ROOT;
    t->root.state = SCOPE_ENTERED;
    t->root.parent = n ? &n->scope : NULL;
    if (n) {
        struct scope *p = &n->scope;
        t->root.next = p->first_child;
        if (p->first_child)
            p->first_child->prev = &t->root;
        p->first_child = &t->root;
        n->ntasks++;
    } else {
        S.main_task = t;
    }
    t->scope = &t->root;
    t->cc_gen = 0;
    actri_fiber_init(&t->fiber, info.lo, info.hi, task_entry, t);
    t->state = T_READY;
    t->all_next = S.all;
    if (S.all)
        S.all->all_prev = t;
    S.all = t;
    actri_rq_push(t);
    S.tasks_live++;
    actri_trim_note();
    actri_tasks_spawned++;
    return 0;
}

void
actri_task_release(struct actri_task *t)
{
    struct stackinfo info = t->stack;
    actri_errslot_free(&t->err);
    actri_stack_free(&info);
}

/* Appends a copy of e (task_name defaulting to the failing task's) to n's
 * failures. */
static void
nursery_record(actr_nursery *n, const actr_error *e)
{
    if (n->nerrs == n->caperrs) {
        size_t cap = n->caperrs ? n->caperrs * 2 : 4;
        actr_error *a = realloc(n->errs, cap * sizeof *a);
        if (!a)
            return;
        n->errs = a;
        n->caperrs = cap;
    }
    actr_error c = *e;
    if (!c.task_name)
        c.task_name = actr_task_name();
    if (actri_error_copy(&n->errs[n->nerrs], &c) == 0)
        n->nerrs++;
}

/* Records a failure of t in its nursery; the first one cancels it. A task
 * that failed with several errors (an error group) adds every one. */
static void
nursery_fail(actr_nursery *n, struct actri_task *t, int rc)
{
    const actr_error *own = &t->err.pub;
    actr_error e = {.code = rc, .message = actr_strerror(rc)};
    if (own->code == rc && own->count > 1 && own->list) {
        for (size_t i = 0; i < own->count; i++)
            nursery_record(n, &own->list[i]);
        e = own->list[0];
    } else {
        if (own->code == rc)
            e = *own;
        e.task_name = actr_task_name();
        nursery_record(n, &e);
    }
    if (n->first_rc == 0) {
        n->first_rc = rc;
        actr_log_cancel("nursery", "task %s failed (%s: %s): cancelling its nursery",
                        actr_task_name(), actr_errname(rc) ? actr_errname(rc) : "?",
                        e.message ? e.message : "");
        actri_scope_cancel(&n->scope, 0);
    } else {
        actr_log_runtime("nursery", "task %s failed too (%s)", actr_task_name(),
                         actr_errname(rc) ? actr_errname(rc) : "?");
    }
}

/* Everything a task does after its body returned, still on its stack. */
static void
task_finish(struct actri_task *t, int rc)
{
    /* Exit hooks first: they may cancel dialogs the task left open. */
    while (t->exit_hooks) {
        struct actri_exit_hook *h = t->exit_hooks;
        t->exit_hooks = h->next_;
        if (t->exit_hooks)
            t->exit_hooks->prev_ = NULL;
        h->next_ = h->prev_ = NULL;
        h->task_ = NULL;
        h->fn(h);
    }
    /* A task cannot outlive its nursery, nor a nursery its task. */
    while (t->scope != &t->root) {
        struct scope *s = t->scope;
        if (s->flags & SCOPE_NURSERY) {
            actr_log_warning("nursery", "task %s returned with a nursery open:"
                             " closing it", actr_task_name());
            int crc = actr_nursery_close((actr_nursery *)(void *)s, ACTR_FOREVER);
            if (rc == 0 && crc < 0 && crc != ACTR_ECANCELED)
                rc = crc;
        } else {
            actr_log_warning("scope", "task %s returned inside a cancel scope:"
                             " leaving it", actr_task_name());
            actri_scope_leave(s);
        }
    }
    /* Ending while being cancelled with ECANCELED is the expected answer
     * to a cancellation, not a failure. */
    int cancelled = actri_scope_chain_cancelled(&t->root);
    actr_nursery *n = t->nursery;
    if (t->start) {
        struct start_rec *rec = t->start;
        t->start = NULL;
        rec->state = START_RETURNED;
        rec->rc = rc;
        if (rc < 0) {
            /* The starter gets the failure and its detail (every error of
             * a group). */
            if (t->err.pub.code == rc) {
                actri_errslot_move(&rec->starter->err, &t->err);
            } else {
                actr_error e = {.code = rc, .message = actr_strerror(rc),
                                .task_name = actr_task_name()};
                actr_error *copy = malloc(sizeof *copy);
                if (copy && actri_error_copy(copy, &e) == 0)
                    actri_errslot_take(&rec->starter->err, copy, 1);
                else
                    free(copy);
            }
        }
        actri_wake(rec->starter, 0);
    } else if (n && rc < 0 && !(rc == ACTR_ECANCELED && cancelled)) {
        nursery_fail(n, t, rc);
    }
    if (n) {
        /* Unhook the root scope from the nursery's tree. */
        struct scope *r = &t->root;
        if (r->prev)
            r->prev->next = r->next;
        else
            n->scope.first_child = r->next;
        if (r->next)
            r->next->prev = r->prev;
        if (--n->ntasks == 0 && n->closer)
            actri_wake(n->closer, 0);
    } else {
        S.main_done = 1;
        S.round_left = 0;                 /* back to the loop, which ends */
        S.fast_rounds = 0;
        S.main_rc = rc;
        actri_errslot_to_loop(&t->err);
    }
    S.tasks_live--;
    t->state = T_DONE;
    if (t->all_prev)
        t->all_prev->all_next = t->all_next;
    else
        S.all = t->all_next;
    if (t->all_next)
        t->all_next->all_prev = t->all_prev;
    t->all_next = t->all_prev = NULL;
}

/* Room task_finish needs below the lowest leftover scope (it logs, and
 * may close nurseries); with less, it runs where it is (best effort). */
#define FINISH_ROOM (16u * 1024u)

static void
task_entry(void *arg)
{
    struct actri_task *t = arg;
    actri_fiber_started();
    actri_reap();
    int rc = t->sfn ? t->sfn((actr_task_status *)(void *)t, t->arg) : t->fn(t->arg);
    /* Scopes the body left entered sit in its dead frames, exactly where
     * the frames of task_finish would go. Before calling anything, move
     * the stack pointer below the lowest of them, so task_finish can still
     * read and unlink them. */
    char *low = NULL;
    for (struct scope *s = t->scope; s != &t->root; s = s->parent) {
        char *a = (char *)s;
        VG_DEFINED(s, sizeof *s);
        if (a >= t->stack.lo && a < t->stack.hi && (!low || a < low))
            low = a;
    }
    if (low && (size_t)(low - t->stack.lo) > FINISH_ROOM) {
        char *fp = __builtin_frame_address(0);
        volatile char *gap = __builtin_alloca((size_t)(fp - low) + 64);
        gap[0] = 0;
        /* valgrind forgets the content of stack it sees allocated. */
        for (struct scope *s = t->scope; s != &t->root; s = s->parent)
            VG_DEFINED(s, sizeof *s);
    }
    task_finish(t, rc);
    actri_switch_final(t);
}

/* ------------------------------------------------------------ nurseries */

int
actr_nursery_open(actr_nursery **out)
{
    struct actri_task *t = S.current;
    if (!t)
        return actri_error_code(ACTR_ESTATE, "nursery opened outside a task");
    actr_nursery *n = calloc(1, sizeof *n);
    if (!n)
        return actri_error_code(ACTR_ENOMEM, "out of memory");
    n->owner = t;
    actri_scope_enter_task(t, &n->scope, ACTR_FOREVER, SCOPE_NURSERY);
    *out = n;
    return 0;
}

int
actr_nursery_spawn_opts(actr_nursery *n, actr_task_fn fn, void *arg,
                        const actr_task_opts *opts)
{
    if (!n || !fn)
        return actri_error_code(ACTR_EINVAL, "spawn without a nursery or function");
    if (!S.running)
        return actri_error_code(ACTR_ESTATE, "spawn outside actr_run");
    return actri_task_spawn(n, fn, NULL, arg, opts, NULL);
}

int
actr_nursery_spawn(actr_nursery *n, actr_task_fn fn, void *arg)
{
    return actr_nursery_spawn_opts(n, fn, arg, NULL);
}

int
actr_nursery_start_opts(actr_nursery *n, actr_start_fn fn, void *arg,
                        const actr_task_opts *opts, void **started, int64_t deadline)
{
    if (!n || !fn)
        return actri_error_code(ACTR_EINVAL, "start without a nursery or function");
    struct actri_task *t;
    int rc = actri_enter_blocking(&t);
    if (rc < 0)
        return rc;
    struct start_rec rec = {.starter = t};
    rc = actri_task_spawn(n, NULL, fn, arg, opts, &rec);
    if (rc < 0)
        return rc;
    while (rec.state == 0) {
        rc = actri_park(deadline);
        if (rec.state != 0)
            break;
        if (rc == ACTR_ECANCELED || rc == ACTR_ETIMEDOUT) {
            /* Give up on it: cancel the child and wait until it has either
             * reported started (it then stays, cancelled, in n) or ended. */
            actri_scope_cancel(&rec.child->root, 0);
            struct scope sh;
            actri_scope_enter_task(t, &sh, ACTR_FOREVER, ACTR_SCOPE_SHIELD);
            while (rec.state == 0)
                (void)actri_park(ACTR_FOREVER);
            actri_scope_leave(&sh);
            return actri_error_code(rc, rc == ACTR_ECANCELED
                                    ? "cancelled while starting a task"
                                    : "deadline passed while starting a task");
        }
    }
    if (rec.state == START_STARTED) {
        if (started)
            *started = rec.value;
        return 0;
    }
    if (rec.rc < 0)
        return rec.rc;               /* the detail was copied to this task */
    return actri_error_code(ACTR_ESTATE, "started task returned without"
                            " calling actr_task_started");
}

int
actr_nursery_start(actr_nursery *n, actr_start_fn fn, void *arg, void **started,
                   int64_t deadline)
{
    return actr_nursery_start_opts(n, fn, arg, NULL, started, deadline);
}

int
actr_task_started(actr_task_status *status, void *value)
{
    struct actri_task *t = (struct actri_task *)(void *)status;
    if (!t || t != S.current || !t->start)
        return actri_error_code(ACTR_ESTATE, "actr_task_started: not a starting task");
    struct start_rec *rec = t->start;
    t->start = NULL;
    rec->value = value;
    rec->state = START_STARTED;
    actri_wake(rec->starter, 0);
    return 0;
}

void
actr_nursery_cancel(actr_nursery *n)
{
    if (n)
        actri_scope_cancel(&n->scope, 0);
}

int
actri_nursery_innermost(const actr_nursery *n)
{
    struct actri_task *t = S.current;
    return n && t && n->owner == t && t->scope == &n->scope;
}

size_t
actr_nursery_ntasks(const actr_nursery *n)
{
    return n ? n->ntasks : 0;
}

int
actr_nursery_close(actr_nursery *n, int64_t deadline)
{
    struct actri_task *t = S.current;
    if (!n || !t || n->owner != t || t->scope != &n->scope)
        return actri_error_code(ACTR_ESTATE, "nursery closed out of order or by"
                                " another task");
    /* Shielded: closing must work in a cancelled task. The tasks of n are
     * outside the shield and still see cancellations from above. */
    struct scope sh;
    actri_scope_enter_task(t, &sh, ACTR_FOREVER, ACTR_SCOPE_SHIELD);
    while (n->ntasks > 0) {
        n->closer = t;
        int rc = actri_park(n->timed_out ? ACTR_FOREVER : deadline);
        n->closer = NULL;
        if (rc == ACTR_ETIMEDOUT && !n->timed_out) {
            n->timed_out = 1;
            actr_log_cancel("nursery", "close deadline passed: cancelling %zu tasks",
                            n->ntasks);
            actri_scope_cancel(&n->scope, 0);
        }
    }
    actri_scope_leave(&sh);

    int rc = 0;
    if (n->nerrs > 0) {
        rc = n->first_rc;
        actri_errslot_take(&t->err, n->errs, n->nerrs);
        n->errs = NULL;
    } else if (n->first_rc < 0) {
        rc = actri_error_code(n->first_rc, "a task of the nursery failed");
    } else if (n->timed_out) {
        rc = actri_error_code(ACTR_ETIMEDOUT, "nursery close deadline passed");
    } else if (n->scope.parent && actri_scope_chain_cancelled(n->scope.parent)) {
        rc = actri_error_code(ACTR_ECANCELED, "task cancelled");
    }
    actri_scope_leave(&n->scope);
    free(n->errs);
    free(n);
    return rc;
}

/* ------------------------------------------------------------ task info */

uint64_t
actr_task_id(void)
{
    return S.current ? S.current->id : 0;
}

const char *
actr_task_name(void)
{
    struct actri_task *t = S.current;
    if (!t)
        return "-";
    if (!t->name[0])
        snprintf(t->name, sizeof t->name, "task-%llu", (unsigned long long)t->id);
    return t->name;
}

void
actr_task_set_name(const char *name)
{
    struct actri_task *t = S.current;
    if (t)
        name_set(t, name ? name : "");
}

int
actr_task_cancelled(void)
{
    return actri_cancelled();
}

void
actr_set_default_stack_size(size_t bytes)
{
    actri_stack_set_default(bytes);
}

void **
actri_task_slot(void)
{
    return S.current ? &S.current->slot : NULL;
}

int
actri_task_on_exit(struct actri_exit_hook *h, void (*fn)(struct actri_exit_hook *h))
{
    struct actri_task *t = S.current;
    if (!t)
        return ACTR_ESTATE;
    h->fn = fn;
    h->task_ = t;
    h->prev_ = NULL;
    h->next_ = t->exit_hooks;
    if (h->next_)
        h->next_->prev_ = h;
    t->exit_hooks = h;
    return 0;
}

void
actri_task_on_exit_cancel(struct actri_exit_hook *h)
{
    struct actri_task *t = h->task_;
    if (!t)
        return;
    if (h->prev_)
        h->prev_->next_ = h->next_;
    else
        t->exit_hooks = h->next_;
    if (h->next_)
        h->next_->prev_ = h->prev_;
    h->next_ = h->prev_ = NULL;
    h->task_ = NULL;
}
