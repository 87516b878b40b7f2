/* Cancel scopes and deadlines (SEMANTICS S15, DESIGN.md: timeouts are
 * scopes): cancellation wakes blocked calls, deadlines, nesting, shields. */
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ev.h>

#include "core_util.h"
#include "core/sched.h"

/* A task that enters its own scope, publishes it, and blocks in `how`. */
enum how { IN_SLEEP, IN_RECV, IN_FD_WAIT, IN_EVENT, IN_LOCK, IN_SEND, IN_SEM, IN_CHILD,
           IN_START };

struct blocked {
    enum how how;
    actr_scope *scope;       /* published once entered */
    int rc;                  /* what the blocking call returned */
    int64_t returned_at;
    actr_chan *ch;
    int fd;
    actr_event ev;
    actr_lock lock;
    actr_sem sem;
    int pid;
};

static int
never_starts(actr_task_status *st, void *arg)
{
    (void)st;
    (void)arg;
    return actr_sleep_until(ACTR_FOREVER);
}

static int
start_blocked(void)
{
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    int rc = actr_nursery_start(n, never_starts, NULL, NULL, ACTR_FOREVER);
    ck_assert_int_eq(actr_nursery_ntasks(n), 0);   /* the child ended too */
    ck_assert_actr_err(actr_nursery_close(n, ACTR_FOREVER), ACTR_ECANCELED);
    return rc;
}

static int
block_in_scope(void *arg)
{
    struct blocked *b = arg;
    actr_scope s;
    ck_assert_actr_ok(actr_scope_enter(&s, ACTR_FOREVER, 0));
    b->scope = &s;
    int v = 7;
    switch (b->how) {
    case IN_SLEEP: b->rc = actr_sleep(60000); break;
    case IN_RECV: b->rc = actr_chan_recv(b->ch, &v, ACTR_FOREVER); break;
    case IN_FD_WAIT: b->rc = actr_fd_wait(b->fd, ACTR_READ, ACTR_FOREVER); break;
    case IN_EVENT: b->rc = actr_event_wait(&b->ev, ACTR_FOREVER); break;
    case IN_LOCK: b->rc = actr_lock_acquire(&b->lock, ACTR_FOREVER); break;
    case IN_SEND: b->rc = actr_chan_send(b->ch, &v, ACTR_FOREVER); break;
    case IN_SEM: b->rc = actr_sem_acquire(&b->sem, ACTR_FOREVER); break;
    case IN_CHILD: b->rc = actr_child_wait(b->pid, &v, ACTR_FOREVER); break;
    case IN_START: b->rc = start_blocked(); break;
    }
    b->returned_at = actr_now();
    ck_assert(actr_scope_cancel_called(&s));
    ck_assert(!actr_scope_expired(&s));
    b->scope = NULL;
    ck_assert_actr_ok(actr_scope_exit(&s));  /* a cancelled move_on scope exits quietly */
    return 0;
}

static int
cancel_wakes_body(void *arg)
{
    enum how how = *(enum how *)arg;
    struct blocked b = {.how = how, .rc = 1};
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    b.fd = p[0];
    ck_assert_actr_ok(actr_chan_open(&b.ch, sizeof(int), 1));
    actr_event_init(&b.ev);
    actr_lock_init(&b.lock);
    ck_assert_actr_ok(actr_lock_acquire(&b.lock, ACTR_FOREVER));  /* held by main */
    actr_sem_init(&b.sem, 0);
    b.pid = -1;
    if (how == IN_SEND) {
        int full = 1;
        ck_assert_actr_ok(actr_chan_try_send(b.ch, &full));
    }
    if (how == IN_CHILD) {
        b.pid = fork();
        ck_assert_int_ge(b.pid, 0);
        if (b.pid == 0) {
            pause();
            _exit(0);
        }
    }

    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, block_in_scope, &b));
    ck_assert_actr_ok(actr_sleep(20));
    ck_assert_int_eq(b.rc, 1);           /* still blocked */
    ck_assert_ptr_nonnull(b.scope);
    int64_t t0 = actr_now();
    actr_scope_cancel(b.scope);          /* from another task */
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_actr_err(b.rc, ACTR_ECANCELED);
    ck_assert_duration(b.returned_at - t0, 0, 1000);

    if (b.pid > 0) {
        int st;
        ck_assert_int_eq(kill(b.pid, SIGKILL), 0);
        ck_assert_actr_ok(actr_child_wait(b.pid, &st, actr_now() + 5000));
        ck_assert(WIFSIGNALED(st));
    }
    ck_assert_actr_ok(actr_lock_release(&b.lock));
    actr_chan_close(b.ch);
    close(p[0]);
    close(p[1]);
    return 0;
}

START_TEST(test_S15_cancel_wakes_sleep)
{
    enum how h = IN_SLEEP;
    run_main(cancel_wakes_body, &h);
}
END_TEST

START_TEST(test_S15_cancel_wakes_recv)
{
    enum how h = IN_RECV;
    run_main(cancel_wakes_body, &h);
}
END_TEST

START_TEST(test_S15_cancel_wakes_fd_wait)
{
    enum how h = IN_FD_WAIT;
    run_main(cancel_wakes_body, &h);
}
END_TEST

START_TEST(test_S15_cancel_wakes_event_and_lock)
{
    enum how h = IN_EVENT;
    run_main(cancel_wakes_body, &h);
    h = IN_LOCK;
    run_main(cancel_wakes_body, &h);
}
END_TEST

/* A wakeup with a value and a cancellation in the same iteration: the
 * value is delivered (the call returns 0) and the task resumes once; a
 * cancellation first means no value is handed to the cancelled task. */
struct racer {
    actr_chan *ch;
    actr_sem sem;
    actr_scope *scope;
    int got, rc, sem_rc, runs;
};

static int
race_recv(void *arg)
{
    struct racer *r = arg;
    actr_scope s;
    ck_assert_actr_ok(actr_scope_enter(&s, ACTR_FOREVER, 0));
    r->scope = &s;
    r->rc = actr_chan_recv(r->ch, &r->got, ACTR_FOREVER);
    r->runs++;
    r->sem_rc = actr_sem_acquire(&r->sem, ACTR_FOREVER);
    r->scope = NULL;
    ck_assert_actr_ok(actr_scope_exit(&s));
    return 0;
}

static int
wake_cancel_race_body(void *arg)
{
    (void)arg;
    struct racer r = {.rc = 1};
    actr_sem_init(&r.sem, 0);
    ck_assert_actr_ok(actr_chan_open(&r.ch, sizeof(int), 1));
    actr_nursery *n;
    /* Value first, then the cancellation. */
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, race_recv, &r));
    ck_assert_actr_ok(actr_sleep(5));
    int v = 42;
    ck_assert_actr_ok(actr_chan_try_send(r.ch, &v));
    actr_scope_cancel(r.scope);
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_actr_ok(r.rc);
    ck_assert_int_eq(r.got, 42);
    ck_assert_int_eq(r.runs, 1);
    ck_assert_actr_err(r.sem_rc, ACTR_ECANCELED);
    ck_assert_uint_eq(actr_chan_len(r.ch), 0);
    /* Cancellation first: the value stays in the channel; a semaphore
     * unit released after it is not lost either. */
    r = (struct racer){.ch = r.ch, .rc = 1};
    actr_sem_init(&r.sem, 0);
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, race_recv, &r));
    ck_assert_actr_ok(actr_sleep(5));
    actr_scope_cancel(r.scope);
    ck_assert_actr_ok(actr_chan_try_send(r.ch, &v));
    actr_sem_release(&r.sem);
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_actr_err(r.rc, ACTR_ECANCELED);
    ck_assert_uint_eq(actr_chan_len(r.ch), 1);
    ck_assert_actr_ok(actr_sem_try_acquire(&r.sem));
    actr_chan_close(r.ch);
    return 0;
}

START_TEST(test_S15_wakeup_racing_cancel_keeps_value)
{
    run_main(wake_cancel_race_body, NULL);
}
END_TEST

START_TEST(test_S15_cancel_wakes_send_sem_child_wait_and_start)
{
    enum how h = IN_SEND;
    run_main(cancel_wakes_body, &h);
    h = IN_SEM;
    run_main(cancel_wakes_body, &h);
    h = IN_CHILD;
    run_main(cancel_wakes_body, &h);
    h = IN_START;
    run_main(cancel_wakes_body, &h);
}
END_TEST

/* ------------------------------------------------------------ deadlines */

static int
deadline_body(void *arg)
{
    (void)arg;
    actr_scope s;
    int64_t t0 = actr_now();
    ck_assert_actr_ok(actr_move_on_after(&s, 30));
    ck_assert_int_ge(actr_scope_deadline(&s), t0 + 30);
    ck_assert_int_le(actr_scope_deadline(&s), actr_now() + 30);
    ck_assert_actr_err(actr_sleep(60000), ACTR_ECANCELED);
    ck_assert_duration(actr_now() - t0, 29, 3000);
    /* Every later blocking call in the expired scope is cancelled at once. */
    ck_assert_actr_err(actr_checkpoint(), ACTR_ECANCELED);
    ck_assert_actr_err(actr_sleep(0), ACTR_ECANCELED);
    ck_assert(actr_scope_expired(&s));
    ck_assert(actr_scope_cancel_called(&s));
    ck_assert_actr_ok(actr_scope_exit(&s));   /* move_on: quiet */

    t0 = actr_now();
    ck_assert_actr_ok(actr_fail_after(&s, 20));
    ck_assert_actr_err(actr_sleep(60000), ACTR_ECANCELED);
    ck_assert_actr_err(actr_scope_exit(&s), ACTR_ETIMEDOUT);
    ck_assert_duration(actr_now() - t0, 19, 3000);

    /* A fail_after scope whose deadline did not fire exits with 0. */
    ck_assert_actr_ok(actr_fail_after(&s, 10000));
    ck_assert_actr_ok(actr_sleep(1));
    ck_assert_actr_ok(actr_scope_exit(&s));
    ck_assert(!actr_scope_cancel_called(&s));

    /* Cancelled explicitly, a fail_after scope does not report a timeout. */
    ck_assert_actr_ok(actr_fail_after(&s, 10000));
    actr_scope_cancel(&s);
    ck_assert_actr_err(actr_sleep(1), ACTR_ECANCELED);
    ck_assert_actr_ok(actr_scope_exit(&s));

    /* A deadline already past cancels at once. */
    ck_assert_actr_ok(actr_scope_enter(&s, actr_now() - 5, ACTR_SCOPE_FAIL));
    ck_assert_actr_err(actr_checkpoint(), ACTR_ECANCELED);
    ck_assert_actr_err(actr_scope_exit(&s), ACTR_ETIMEDOUT);

    /* Moving the deadline. */
    t0 = actr_now();
    ck_assert_actr_ok(actr_scope_enter(&s, ACTR_FOREVER, 0));
    actr_scope_set_deadline(&s, actr_now() + 20);
    ck_assert_actr_err(actr_sleep(60000), ACTR_ECANCELED);
    ck_assert(actr_scope_expired(&s));
    ck_assert_actr_ok(actr_scope_exit(&s));
    ck_assert_duration(actr_now() - t0, 19, 3000);
    return 0;
}

START_TEST(test_S15_deadline_expiry)
{
    run_main(deadline_body, NULL);
}
END_TEST

/* A timeout too large for the clock means no deadline, not an overflow
 * (signed overflow is undefined; UBSan aborts on it). */
static int
huge_timeout_body(void *arg)
{
    (void)arg;
    ck_assert_int_eq(actr_deadline_in(INT64_MAX), ACTR_FOREVER);
    ck_assert_int_eq(actr_deadline_in(INT64_MAX - 1), ACTR_FOREVER);
    actr_scope s;
    ck_assert_actr_ok(actr_move_on_after(&s, INT64_MAX));
    ck_assert_int_eq(actr_scope_deadline(&s), ACTR_FOREVER);
    ck_assert_actr_ok(actr_checkpoint());
    ck_assert_actr_ok(actr_scope_exit(&s));
    ck_assert_actr_ok(actr_fail_after(&s, INT64_MAX));
    ck_assert_actr_ok(actr_sleep(1));
    ck_assert_actr_ok(actr_scope_exit(&s));
    return 0;
}

START_TEST(test_S15_huge_timeout_is_no_deadline)
{
    run_main(huge_timeout_body, NULL);
}
END_TEST

static int
own_deadline_body(void *arg)
{
    (void)arg;
    /* A call's own deadline is not a cancellation: ETIMEDOUT, scope intact. */
    actr_scope s;
    actr_chan *ch;
    ck_assert_actr_ok(actr_chan_open(&ch, 1, 1));
    ck_assert_actr_ok(actr_fail_after(&s, 10000));
    char c;
    ck_assert_actr_err(actr_chan_recv(ch, &c, actr_now() + 10), ACTR_ETIMEDOUT);
    ck_assert_actr_err(actr_chan_recv(ch, &c, 0), ACTR_ETIMEDOUT);
    ck_assert(!actr_scope_cancel_called(&s));
    ck_assert_actr_ok(actr_scope_exit(&s));
    actr_chan_close(ch);
    return 0;
}

START_TEST(test_call_deadline_is_not_cancellation)
{
    run_main(own_deadline_body, NULL);
}
END_TEST

/* ------------------------------------------------------------ nesting */

static int
inner_deadline_wins_body(void *arg)
{
    (void)arg;
    actr_scope outer, inner;
    ck_assert_actr_ok(actr_move_on_after(&outer, 10000));
    ck_assert_actr_ok(actr_move_on_after(&inner, 20));
    ck_assert_actr_err(actr_sleep(60000), ACTR_ECANCELED);
    ck_assert(actr_scope_expired(&inner));
    ck_assert_actr_ok(actr_scope_exit(&inner));
    /* Back in the outer scope, which was not touched: calls work. */
    ck_assert(!actr_scope_cancel_called(&outer));
    ck_assert_actr_ok(actr_sleep(1));
    ck_assert_actr_ok(actr_scope_exit(&outer));
    return 0;
}

START_TEST(test_S15_nested_inner_deadline_wins)
{
    run_main(inner_deadline_wins_body, NULL);
}
END_TEST

struct outer_cancel {
    actr_scope *outer;
};

static int
canceller(void *arg)
{
    struct outer_cancel *oc = arg;
    ck_assert_actr_ok(actr_sleep(20));
    actr_scope_cancel(oc->outer);
    return 0;
}

static int
outer_cancel_wins_body(void *arg)
{
    (void)arg;
    actr_scope outer, inner;
    struct outer_cancel oc = {&outer};
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, canceller, &oc));
    ck_assert_actr_ok(actr_scope_enter(&outer, ACTR_FOREVER, 0));
    ck_assert_actr_ok(actr_fail_after(&inner, 10000));
    int64_t t0 = actr_now();
    ck_assert_actr_err(actr_sleep(60000), ACTR_ECANCELED);
    ck_assert_duration(actr_now() - t0, 10, 3000);
    ck_assert(!actr_scope_cancel_called(&inner));
    ck_assert_actr_ok(actr_scope_exit(&inner));   /* its own deadline did not fire */
    ck_assert(actr_scope_cancel_called(&outer));
    ck_assert_actr_err(actr_sleep(1), ACTR_ECANCELED);
    ck_assert_actr_ok(actr_scope_exit(&outer));
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    return 0;
}

START_TEST(test_S15_nested_outer_cancel_wins)
{
    run_main(outer_cancel_wins_body, NULL);
}
END_TEST

/* ------------------------------------------------------------ shield */

static int
shield_body(void *arg)
{
    (void)arg;
    actr_scope outer, sh;
    ck_assert_actr_ok(actr_scope_enter(&outer, ACTR_FOREVER, 0));
    actr_scope_cancel(&outer);
    ck_assert_actr_err(actr_sleep(1), ACTR_ECANCELED);
    ck_assert_int_eq(actr_task_cancelled(), 1);
    ck_assert_actr_ok(actr_scope_enter(&sh, ACTR_FOREVER, ACTR_SCOPE_SHIELD));
    ck_assert_int_eq(actr_task_cancelled(), 0);
    int64_t t0 = actr_now();
    ck_assert_actr_ok(actr_sleep(20));            /* cleanup runs to the end */
    ck_assert_duration(actr_now() - t0, 19, 3000);
    ck_assert_actr_ok(actr_checkpoint());
    ck_assert_actr_ok(actr_scope_exit(&sh));
    ck_assert_actr_err(actr_checkpoint(), ACTR_ECANCELED);
    ck_assert_actr_ok(actr_scope_exit(&outer));

    /* A shield can still be cancelled by its own deadline. */
    ck_assert_actr_ok(actr_scope_enter(&sh, actr_now() + 20, ACTR_SCOPE_SHIELD));
    ck_assert_actr_err(actr_sleep(60000), ACTR_ECANCELED);
    ck_assert_actr_ok(actr_scope_exit(&sh));
    return 0;
}

START_TEST(test_S15_shield_keeps_cleanup_running)
{
    run_main(shield_body, NULL);
}
END_TEST

struct shielded_waiter {
    actr_event ev;
    int rc;
};

static int
shielded_wait(void *arg)
{
    struct shielded_waiter *w = arg;
    actr_scope sh;
    ck_assert_actr_ok(actr_scope_enter(&sh, ACTR_FOREVER, ACTR_SCOPE_SHIELD));
    w->rc = actr_event_wait(&w->ev, ACTR_FOREVER);
    ck_assert_actr_ok(actr_scope_exit(&sh));
    return 0;
}

static int
shield_in_nursery_body(void *arg)
{
    (void)arg;
    struct shielded_waiter w = {.rc = 1};
    actr_event_init(&w.ev);
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, shielded_wait, &w));
    ck_assert_actr_ok(actr_sleep(5));
    actr_nursery_cancel(n);
    /* The body is inside the cancelled nursery too: shield our own wait. */
    actr_scope sh;
    ck_assert_actr_ok(actr_scope_enter(&sh, ACTR_FOREVER, ACTR_SCOPE_SHIELD));
    ck_assert_actr_ok(actr_sleep(10));
    ck_assert_actr_ok(actr_scope_exit(&sh));
    ck_assert_int_eq(w.rc, 1);                    /* the shield held */
    actr_event_set(&w.ev);
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_actr_ok(w.rc);
    return 0;
}

START_TEST(test_S15_shield_holds_against_nursery_cancel)
{
    run_main(shield_in_nursery_body, NULL);
}
END_TEST

/* ------------------------------------------------------------ checkpoints */

static int
cpu_loop_body(void *arg)
{
    (void)arg;
    actr_scope s;
    uint64_t spins = 0;
    int rc;
    ck_assert_actr_ok(actr_fail_after(&s, 20));
    while ((rc = actr_checkpoint()) == 0)
        spins++;
    ck_assert_actr_err(rc, ACTR_ECANCELED);
    ck_assert_uint_gt(spins, 0);
    ck_assert_actr_err(actr_scope_exit(&s), ACTR_ETIMEDOUT);
    return 0;
}

START_TEST(test_S15_checkpoint_in_cpu_loop)
{
    run_main(cpu_loop_body, NULL);
}
END_TEST

/* The cancelled answer of a task is cached between changes of the scope
 * tree (issue 8): every change that can flip it must be seen at once,
 * with the cache primed just before. */
struct spinner {
    actr_scope scope;
    int entered;
    int rc;
    int after_exit;              /* cancelled answer after leaving scope */
    uint64_t checks;
};

static int
spin_until_cancelled(void *arg)
{
    struct spinner *sp = arg;
    ck_assert_actr_ok(actr_scope_enter(&sp->scope, ACTR_FOREVER, 0));
    sp->entered = 1;
    int64_t end = actr_now() + 10000;
    while ((sp->rc = actr_checkpoint()) == 0 && actr_now() < end)
        sp->checks++;
    ck_assert_int_eq(actr_task_cancelled(), 1);
    ck_assert_actr_ok(actr_scope_exit(&sp->scope));
    sp->after_exit = actr_task_cancelled();
    return 0;
}

static int
cached_answer_body(void *arg)
{
    (void)arg;
    actr_scope a, sh, d;
    ck_assert_int_eq(actr_task_cancelled(), 0);
    /* Own scope cancelled: seen by the very next question. */
    ck_assert_actr_ok(actr_scope_enter(&a, ACTR_FOREVER, 0));
    ck_assert_int_eq(actr_task_cancelled(), 0);
    actr_scope_cancel(&a);
    ck_assert_int_eq(actr_task_cancelled(), 1);
    ck_assert_actr_err(actr_checkpoint(), ACTR_ECANCELED);
    /* Entering a shield hides it, leaving the shield shows it again. */
    ck_assert_actr_ok(actr_scope_enter(&sh, ACTR_FOREVER, ACTR_SCOPE_SHIELD));
    ck_assert_int_eq(actr_task_cancelled(), 0);
    ck_assert_actr_ok(actr_checkpoint());
    ck_assert_actr_ok(actr_scope_exit(&sh));
    ck_assert_int_eq(actr_task_cancelled(), 1);
    ck_assert_actr_err(actr_checkpoint(), ACTR_ECANCELED);
    /* Leaving the cancelled scope ends it. */
    ck_assert_actr_ok(actr_scope_exit(&a));
    ck_assert_int_eq(actr_task_cancelled(), 0);
    ck_assert_actr_ok(actr_checkpoint());
    /* A deadline firing while the task only checkpoints (never parks). */
    ck_assert_actr_ok(actr_move_on_after(&d, 10));
    int64_t end = actr_now() + 10000;
    int rc;
    while ((rc = actr_checkpoint()) == 0 && actr_now() < end)
        ck_assert_int_eq(actr_task_cancelled(), 0);
    ck_assert_actr_err(rc, ACTR_ECANCELED);
    ck_assert_int_eq(actr_task_cancelled(), 1);
    ck_assert_actr_ok(actr_scope_exit(&d));
    ck_assert_int_eq(actr_task_cancelled(), 0);
    /* A deadline moved into the past. */
    ck_assert_actr_ok(actr_scope_enter(&d, ACTR_FOREVER, 0));
    ck_assert_int_eq(actr_task_cancelled(), 0);
    actr_scope_set_deadline(&d, actr_now() - 1);
    ck_assert_int_eq(actr_task_cancelled(), 1);
    ck_assert_actr_ok(actr_scope_exit(&d));
    ck_assert_int_eq(actr_task_cancelled(), 0);
    /* Another task cancels a spinning task's scope, then its nursery. */
    struct spinner s1 = {0}, s2 = {0};
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, spin_until_cancelled, &s1));
    ck_assert_actr_ok(actr_nursery_spawn(n, spin_until_cancelled, &s2));
    while (!s1.entered || !s2.entered || s1.checks == 0 || s2.checks == 0)
        ck_assert_actr_ok(actr_checkpoint());
    actr_scope_cancel(&s1.scope);
    ck_assert_actr_ok(actr_sleep(5));
    ck_assert_actr_err(s1.rc, ACTR_ECANCELED);
    ck_assert_int_eq(s2.rc, 0);
    ck_assert_int_eq(s1.after_exit, 0);      /* only its own scope was */
    actr_nursery_cancel(n);
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_actr_err(s2.rc, ACTR_ECANCELED);
    ck_assert_int_eq(s2.after_exit, 1);      /* its nursery still is */
    ck_assert_int_eq(actr_task_cancelled(), 0);
    return 0;
}

START_TEST(test_S15_cached_cancel_answer_follows_every_change)
{
    run_main(cached_answer_body, NULL);
}
END_TEST

/* Cancelling from a libev callback, as the transport layer will. */
struct cb_cancel {
    ev_timer timer;
    actr_scope *scope;
};

static void
cancel_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct cb_cancel *c = (struct cb_cancel *)(void *)w;
    ck_assert_ptr_null(actri_task_self());
    actr_scope_cancel(c->scope);
}

static int
callback_cancel_body(void *arg)
{
    (void)arg;
    actr_scope s;
    struct cb_cancel c;
    ck_assert_actr_ok(actr_scope_enter(&s, ACTR_FOREVER, 0));
    c.scope = &s;
    ev_timer_init(&c.timer, cancel_cb, 0.02, 0.);
    ev_timer_start(actri_loop(), &c.timer);
    ck_assert_actr_err(actr_sleep(60000), ACTR_ECANCELED);
    ck_assert_actr_ok(actr_scope_exit(&s));
    return 0;
}

START_TEST(test_cancel_from_callback)
{
    run_main(callback_cancel_body, NULL);
}
END_TEST

static int
misuse_body(void *arg)
{
    (void)arg;
    actr_scope a, b;
    ck_assert_actr_ok(actr_scope_enter(&a, ACTR_FOREVER, 0));
    ck_assert_actr_ok(actr_scope_enter(&b, ACTR_FOREVER, 0));
    ck_assert_actr_err(actr_scope_exit(&a), ACTR_ESTATE);   /* not innermost */
    ck_assert_actr_ok(actr_scope_exit(&b));
    ck_assert_actr_ok(actr_scope_exit(&a));
    ck_assert_actr_err(actr_scope_exit(&a), ACTR_ESTATE);   /* not entered */
    return 0;
}

START_TEST(test_scope_exit_out_of_order_refused)
{
    run_main(misuse_body, NULL);
    actr_scope s;
    ck_assert_actr_err(actr_scope_enter(&s, ACTR_FOREVER, 0), ACTR_ESTATE);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("scope");
    TCase *tc = tcase_create("scope");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_S15_cancel_wakes_sleep);
    tcase_add_test(tc, test_S15_cancel_wakes_recv);
    tcase_add_test(tc, test_S15_cancel_wakes_fd_wait);
    tcase_add_test(tc, test_S15_cancel_wakes_event_and_lock);
    tcase_add_test(tc, test_S15_cancel_wakes_send_sem_child_wait_and_start);
    tcase_add_test(tc, test_S15_wakeup_racing_cancel_keeps_value);
    tcase_add_test(tc, test_S15_deadline_expiry);
    tcase_add_test(tc, test_S15_huge_timeout_is_no_deadline);
    tcase_add_test(tc, test_call_deadline_is_not_cancellation);
    tcase_add_test(tc, test_S15_nested_inner_deadline_wins);
    tcase_add_test(tc, test_S15_nested_outer_cancel_wins);
    tcase_add_test(tc, test_S15_shield_keeps_cleanup_running);
    tcase_add_test(tc, test_S15_shield_holds_against_nursery_cancel);
    tcase_add_test(tc, test_S15_checkpoint_in_cpu_loop);
    tcase_add_test(tc, test_S15_cached_cancel_answer_follows_every_change);
    tcase_add_test(tc, test_cancel_from_callback);
    tcase_add_test(tc, test_scope_exit_out_of_order_refused);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
