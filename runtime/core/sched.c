/* The scheduler: one libev loop, a run queue drained once per loop
 * iteration from an ev_prepare watcher, parking and waking of tasks,
 * iteration hooks, and actr_run. */
#define _GNU_SOURCE
#include "core/backtrace.h"
#include "core/core.h"

#include <stdlib.h>
#include <malloc.h>
#include <string.h>

/* A drain (one loop iteration's worth of tasks) runs in rounds: a round
 * runs the tasks that were runnable when it began; tasks made runnable
 * meanwhile (woken, spawned, or yielding again at a checkpoint) wait for
 * the next round. Between rounds the drain may end, so that the iteration
 * hooks (channel output flushes), io and timers get their turn: once it
 * has run DRAIN_SLICE seconds or DRAIN_BUDGET switches. Under busy tasks
 * (a read flood) that is after every round, so a task that keeps
 * checkpointing cannot hold back StreamOverrun errors or cancel requests;
 * under cheap ones (a yield in a loop, a stream sender) a poll per round
 * would cost far more than the rounds themselves, and many writes share
 * one flush. */
#define DRAIN_BUDGET 1024
#ifndef DRAIN_SLICE
#define DRAIN_SLICE 1e-3
#endif
/* The clock is read every check_every rounds: doubled up to this while
 * rounds are short, back to 1 when they are long. */
#define CHECK_EVERY_MAX 64

struct sched actri_sched;
#define S actri_sched

struct ev_loop *
actri_loop(void)
{
    return S.running ? S.loop : NULL;
}

struct actri_task *
actri_task_self(void)
{
    return S.current;
}

/* Outside a drain, a runnable task (or a hook) must keep the loop from
 * blocking, and from ending: the idle watcher does both. The drain itself
 * settles the idle watcher when it finishes. */
static inline void
keep_loop_going(void)
{
    if (S.running && !S.in_drain && !ev_is_active(&S.idle))
        ev_idle_start(S.loop, &S.idle);
}

void
actri_rq_push(struct actri_task *t)
{
    keep_loop_going();
    t->rq_next = NULL;
    if (S.rq_tail)
        S.rq_tail->rq_next = t;
    else
        S.rq_head = t;
    S.rq_tail = t;
    S.rq_len++;
}

static struct actri_task *
rq_pop(void)
{
    struct actri_task *t = S.rq_head;
    if (t) {
        S.rq_head = t->rq_next;
        if (!S.rq_head)
            S.rq_tail = NULL;
        S.rq_len--;
    }
    return t;
}

void
actri_reap(void)
{
    if (S.zombie) {
        struct actri_task *z = S.zombie;
        S.zombie = NULL;
        actri_task_release(z);
    }
}

/* Picks what runs after self: the next runnable task of this round (a
 * direct fiber-to-fiber switch), or the next round's first task while no
 * clock read is due; otherwise the loop's fiber, whose drain decides. */
static struct actri_task *
pick_next(void)
{
    struct actri_task *next = NULL;
    if (S.round_left == 0) {
        if (S.fast_rounds == 0 || !S.rq_head)
            goto out;
        S.fast_rounds--;
        S.round_left = S.rq_len;
    }
    next = rq_pop();
    S.round_left--;
    next->state = T_RUNNING;
out:
    S.current = next;
    return next;
}

void
actri_switch_out(struct actri_task *self)
{
    struct actri_task *next = pick_next();
    if (next == self)
        return;                           /* it yielded and is alone */
    actri_fiber_switch(&self->fiber, next ? &next->fiber : &S.main_fiber);
    actri_reap();
}

void
actri_switch_final(struct actri_task *self)
{
    S.zombie = self;
    struct actri_task *next = pick_next();
    actri_fiber_switch_final(&self->fiber, next ? &next->fiber : &S.main_fiber);
}

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct actri_task *t = w->data;
    int64_t left = t->park_deadline - actr_now();
    if (left > 0) {
        /* libev measured from its cached loop time: not there yet. */
        ev_timer_set(w, (double)left / 1e3, 0.);
        ev_timer_start(loop, w);
        return;
    }
    actri_wake(t, ACTR_ETIMEDOUT);
}

int
actri_park(int64_t deadline)
{
    struct actri_task *t = S.current;
    if (!t)
        return ACTR_ESTATE;
    if (actri_task_chain_cancelled(t))
        return ACTR_ECANCELED;
    int timed = 0;
    if (deadline >= 0) {
        int64_t left = deadline - actr_now();
        if (left <= 0)
            return ACTR_ETIMEDOUT;
        t->park_deadline = deadline;
        ev_timer_init(&t->timer, timer_cb, (double)left / 1e3, 0.);
        t->timer.data = t;
        ev_timer_start(S.loop, &t->timer);
        timed = 1;
    }
    t->state = T_PARKED;
    t->wake_rc = 0;
    actri_switch_out(t);
    if (timed)
        ev_timer_stop(S.loop, &t->timer);
    return t->wake_rc;
}

void
actri_wake(struct actri_task *t, int rc)
{
    if (t->state != T_PARKED)
        return;
    t->state = T_READY;
    t->wake_rc = rc;
    actri_rq_push(t);
}

int
actri_cancelled(void)
{
    struct actri_task *t = S.current;
    return t ? actri_task_chain_cancelled(t) : 0;
}

int
actri_enter_blocking(struct actri_task **out)
{
    struct actri_task *t = S.current;
    if (!t)
        return actri_error_code(ACTR_ESTATE, "blocking call outside a task");
    if (actri_task_chain_cancelled(t))
        return actri_error_code(ACTR_ECANCELED, "task cancelled");
    *out = t;
    return 0;
}

/* ------------------------------------------------------------ hooks */

void
actri_hook_init(struct actri_hook *h, void (*fn)(struct actri_hook *h))
{
    h->next_ = NULL;
    h->fn = fn;
    h->queued_ = 0;
}

void
actri_hook_request(struct actri_hook *h)
{
    if (h->queued_ || !S.running)
        return;
    keep_loop_going();
    h->queued_ = 1;
    h->next_ = NULL;
    /* FIFO: hooks run in the order they were requested. */
    struct actri_hook **p = &S.hooks;
    if (S.hooks_last)
        p = &S.hooks_last->next_;
    *p = h;
    S.hooks_last = h;
}

void
actri_hook_cancel(struct actri_hook *h)
{
    if (!h->queued_)
        return;
    struct actri_hook *prev = NULL;
    for (struct actri_hook **p = &S.hooks; *p; prev = *p, p = &(*p)->next_) {
        if (*p == h) {
            *p = h->next_;
            if (S.hooks_last == h)
                S.hooks_last = prev;
            goto out;
        }
    }
    /* Or still waiting in the round being run (cancelled by a hook). */
    for (struct actri_hook **p = &S.hooks_run; *p; p = &(*p)->next_) {
        if (*p == h) {
            *p = h->next_;
            break;
        }
    }
out:
    h->queued_ = 0;
    h->next_ = NULL;
}

static void
run_hooks(void)
{
    /* Hooks requested while these run go to the next round. The rest of
     * this round stays reachable, so a hook may cancel a later one. */
    S.hooks_run = S.hooks;
    S.hooks = S.hooks_last = NULL;
    while (S.hooks_run) {
        struct actri_hook *h = S.hooks_run;
        S.hooks_run = h->next_;
        h->next_ = NULL;
        h->queued_ = 0;
        h->fn(h);
    }
}

/* ------------------------------------------------------------ the loop */

/* Reads the clock at a round end: 1 when the drain has had its slice.
 * Sets how many rounds may start before the next read. */
static int
slice_spent(void)
{
    double now = ev_time();
    double since = now - S.last_check;
    S.last_check = now;
    /* Aim at a read every DRAIN_SLICE/8 to DRAIN_SLICE/2. */
    if (since < DRAIN_SLICE / 8) {
        if (S.check_every < CHECK_EVERY_MAX)
            S.check_every *= 2;
    } else if (since > DRAIN_SLICE / 2) {
        S.check_every = 1;
    }
    S.fast_rounds = S.check_every - 1;
    /* ev_now: the loop's time when this iteration began. */
    return now - ev_now(S.loop) >= DRAIN_SLICE;
}

static void
drain(void)
{
    unsigned long long sw0 = actri_fiber_switches;
    S.fast_rounds = S.check_every - 1;
    S.round_left = S.rq_len;
    for (;;) {
        struct actri_task *t;
        while ((t = pick_next()) != NULL) {
            actri_fiber_switch(&S.main_fiber, &t->fiber);
            S.current = NULL;
            actri_reap();
        }
        S.current = NULL;
        if (S.main_done)
            break;
        int spent = actri_fiber_switches - sw0 >= DRAIN_BUDGET
                    || (S.rq_head && S.fast_rounds == 0 && slice_spent());
        if (S.rq_head && !spent) {
            S.round_left = S.rq_len;      /* a round end with nothing to do */
            continue;
        }
        /* The queue ran dry or the slice is spent: the hooks' turn. What
         * they wake runs in this drain while the slice lasts. */
        if (S.hooks)
            run_hooks();
        if (!S.rq_head || spent || S.main_done)
            break;
        S.round_left = S.rq_len;
    }
    S.round_left = 0;
}

static void
prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
    (void)w;
    (void)revents;
    S.in_drain = 1;
    drain();
    S.in_drain = 0;
    if (S.main_done) {
        ev_break(loop, EVBREAK_ALL);
        return;
    }
    /* Runnable tasks left (budget spent) or hooks queued: poll, don't block. */
    if (S.rq_head || S.hooks) {
        if (!ev_is_active(&S.idle))
            ev_idle_start(loop, &S.idle);
    } else if (ev_is_active(&S.idle)) {
        ev_idle_stop(loop, &S.idle);
    }
}

/* Memory after a burst goes back to the OS (S28): every TRIM_EVERY_S,
 * once the live tasks fell to a quarter of their peak since the last
 * trim (the burst is over), the stack pool keeps TRIM_KEEP_STACKS (the
 * pages a stack touched stay resident while it is pooled) and the heap
 * returns its free pages (malloc_trim), when it holds more than
 * TRIM_HEAP_MIN free. A quiet actor does nothing. */
#define TRIM_EVERY_S 2.0
#define TRIM_KEEP_STACKS 64
#define TRIM_HEAP_MIN ((size_t)1 << 20)

static void
trim_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    if (S.tasks_live > S.trim_peak)
        S.trim_peak = S.tasks_live;
    if (S.tasks_live * 4 > S.trim_peak)
        return;
    size_t pooled = actri_stack_pooled();
    if (pooled > TRIM_KEEP_STACKS)
        actri_stack_pool_shrink(TRIM_KEEP_STACKS);
    struct mallinfo2 mi = mallinfo2();
    if (mi.fordblks > TRIM_HEAP_MIN || pooled > TRIM_KEEP_STACKS) {
        malloc_trim(0);
        actr_log_debug("sched", "trimmed memory after a burst of %zu tasks (%zu stacks"
                       " pooled, %zu bytes free in the heap)", S.trim_peak, pooled,
                       (size_t)mi.fordblks);
    }
    S.trim_peak = S.tasks_live;
}

/* Counts live tasks towards the trim's peak (called as tasks start). */
void
actri_trim_note(void)
{
    if (S.tasks_live > S.trim_peak)
        S.trim_peak = S.tasks_live;
}

static void
idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
}

int
actr_run(actr_task_fn main_fn, void *arg)
{
    if (S.running)
        return actri_error_code(ACTR_ESTATE, "actr_run is already running");
    if (!main_fn)
        return actri_error_code(ACTR_EINVAL, "actr_run without a main function");
    actri_log_init();
    actri_crash_install();
    struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
    if (!loop) {
        actr_log_error("sched", "cannot create the libev loop");
        return ACTR_ENOMEM;
    }
    memset(&S, 0, sizeof S);
    S.next_id = 1;
    S.cancel_gen = 1;
    S.check_every = 1;
    S.loop = loop;
    S.running = 1;

    ev_prepare_init(&S.prepare, prepare_cb);
    ev_set_priority(&S.prepare, EV_MAXPRI);
    ev_prepare_start(loop, &S.prepare);
    ev_unref(loop);                   /* the loop ends when tasks wait on nothing */
    ev_idle_init(&S.idle, idle_cb);
    ev_child_init(&S.child, actri_child_cb, 0, 0);
    ev_child_start(loop, &S.child);
    ev_unref(loop);                   /* referenced only while a task waits */
    ev_timer_init(&S.trim, trim_cb, TRIM_EVERY_S, TRIM_EVERY_S);
    ev_timer_start(loop, &S.trim);
    ev_unref(loop);                   /* not a reason to keep running */

    int rc = actri_task_spawn(NULL, main_fn, NULL, arg, &(actr_task_opts){0, "main"}, NULL);
    int deadlocks = 0;
    if (rc == 0) {
        while (!S.main_done) {
            ev_run(loop, 0);
            if (S.main_done)
                break;
            /* Nothing can wake any task: every one waits on a task-only
             * object that no one will signal. Cancel them all, once. */
            if (deadlocks++ > 0) {
                actr_log_error("sched", "deadlock persists in shielded tasks: giving up"
                               " (%zu tasks leaked)", S.tasks_live);
                break;
            }
            actr_log_error("sched", "deadlock: all %zu tasks wait on nothing;"
                           " cancelling the main task", S.tasks_live);
            actri_scope_cancel(&S.main_task->root, 0);
            if (!S.rq_head)
                break;
        }
        rc = S.main_done ? S.main_rc : actri_error_code(ACTR_ESTATE, "deadlock");
    }
    actri_reap();
    /* Hooks still queued belong to objects of this run: forget them. */
    while (S.hooks) {
        struct actri_hook *h = S.hooks;
        S.hooks = h->next_;
        h->next_ = NULL;
        h->queued_ = 0;
    }
    S.hooks_last = NULL;

    ev_ref(loop);
    ev_timer_stop(loop, &S.trim);
    ev_ref(loop);
    ev_child_stop(loop, &S.child);
    ev_ref(loop);
    ev_prepare_stop(loop, &S.prepare);
    if (ev_is_active(&S.idle))
        ev_idle_stop(loop, &S.idle);
    actri_child_cleanup();
    ev_loop_destroy(loop);
    actri_stack_pool_drain();
    actri_bt_release();
    S.running = 0;
    S.loop = NULL;
    return rc;
}

/* ------------------------------------------------------------ stats */

void
actr_stats_get(actr_stats *out)
{
    out->tasks_live = S.tasks_live;
    out->stacks_mapped = actri_stack_mapped();
    out->stacks_pooled = actri_stack_pooled();
    out->tasks_spawned = actri_tasks_spawned;
    out->switches = actri_fiber_switches;
}
