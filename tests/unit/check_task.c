/* Tasks and nurseries (SEMANTICS S15): run, spawn, start, close,
 * failures. Stacks, the loop and its hooks are in check_task_loop.c. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core_util.h"
#include "testlog.h"
#include "core/sched.h"

/* ------------------------------------------------------------ helpers */

struct counter {
    int n;
    int cancelled;
};

static int
sleep_then_count(void *arg)
{
    struct counter *c = arg;
    int rc = actr_sleep(5 + c->n % 7);
    c->n++;
    return rc;
}

static int
sleep_forever(void *arg)
{
    struct counter *c = arg;
    int rc = actr_sleep_until(ACTR_FOREVER);
    if (rc == ACTR_ECANCELED && c)
        c->cancelled++;
    return rc;
}

static int
fail_after_20ms(void *arg)
{
    (void)arg;
    ck_assert_int_eq(actr_sleep(20), 0);
    return actr_error_set(ACTR_EIO, "disk %s is on fire", "sda");
}

static int
fail_now(void *arg)
{
    return actr_error_set(*(int *)arg, "immediate failure %d", *(int *)arg);
}

/* ------------------------------------------------------------ actr_run */

static int
main_returns_error(void *arg)
{
    (void)arg;
    ck_assert_str_eq(actr_task_name(), "main");
    ck_assert_uint_eq(actr_task_id(), 1);
    return actr_error_set(ACTR_EPROTO, "bad peer");
}

START_TEST(test_run_returns_main_result)
{
    ck_assert_actr_err(actr_run(main_returns_error, NULL), ACTR_EPROTO);
    ck_assert_str_eq(actr_last_error()->message, "bad peer");
    /* Runs one after another are fine and release everything. */
    ck_assert_actr_err(actr_run(main_returns_error, NULL), ACTR_EPROTO);
    actr_stats st;
    actr_stats_get(&st);
    ck_assert_uint_eq(st.tasks_live, 0);
    ck_assert_uint_eq(st.stacks_mapped, 0);
}
END_TEST

static int
nested_run(void *arg)
{
    (void)arg;
    ck_assert_actr_err(actr_run(nested_run, NULL), ACTR_ESTATE);
    return 0;
}

START_TEST(test_run_not_nested)
{
    run_main(nested_run, NULL);
    /* Outside a task, blocking calls refuse. */
    ck_assert_actr_err(actr_sleep(1), ACTR_ESTATE);
    actr_nursery *n;
    ck_assert_actr_err(actr_nursery_open(&n), ACTR_ESTATE);
}
END_TEST

/* ------------------------------------------------------------ close */

static int
close_waits_body(void *arg)
{
    (void)arg;
    struct counter c = {0};
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    for (int i = 0; i < 5; i++)
        ck_assert_actr_ok(actr_nursery_spawn(n, sleep_then_count, &c));
    ck_assert_uint_eq(actr_nursery_ntasks(n), 5);
    ck_assert_int_eq(c.n, 0);
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_int_eq(c.n, 5);
    return 0;
}

START_TEST(test_S15_close_waits_for_all)
{
    run_main(close_waits_body, NULL);
}
END_TEST

static int
first_failure_body(void *arg)
{
    (void)arg;
    struct counter c = {0};
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    for (int i = 0; i < 3; i++)
        ck_assert_actr_ok(actr_nursery_spawn(n, sleep_forever, &c));
    ck_assert_actr_ok(actr_nursery_spawn_opts(n, fail_after_20ms, NULL,
                                              &(actr_task_opts){0, "burner"}));
    int64_t t0 = actr_now();
    /* The body between open and close is inside the nursery's scope. */
    ck_assert_actr_err(actr_sleep(10000), ACTR_ECANCELED);
    ck_assert_int_lt(actr_now() - t0, 5000);
    ck_assert_actr_err(actr_nursery_close(n, ACTR_FOREVER), ACTR_EIO);
    ck_assert_int_eq(c.cancelled, 3);
    const actr_error *e = actr_last_error();
    ck_assert_int_eq(e->code, ACTR_EIO);
    ck_assert_str_eq(e->message, "disk sda is on fire");
    ck_assert_str_eq(e->task_name, "burner");
    ck_assert_uint_eq(e->count, 1);
    ck_assert_int_eq(e->list[0].code, ACTR_EIO);
    return 0;
}

START_TEST(test_S15_first_failure_cancels_siblings)
{
    run_main(first_failure_body, NULL);
}
END_TEST

static int
all_errors_body(void *arg)
{
    (void)arg;
    static int codes[3] = {ACTR_EPROTO, ACTR_EIO, ACTR_ETYPE};
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    for (int i = 0; i < 3; i++)
        ck_assert_actr_ok(actr_nursery_spawn(n, fail_now, &codes[i]));
    ck_assert_actr_ok(actr_nursery_spawn(n, sleep_forever, NULL));
    ck_assert_actr_err(actr_nursery_close(n, ACTR_FOREVER), ACTR_EPROTO);
    const actr_error *e = actr_last_error();
    ck_assert_uint_eq(e->count, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(e->list[i].code, codes[i]);
        char want[64];
        snprintf(want, sizeof want, "immediate failure %d", codes[i]);
        ck_assert_str_eq(e->list[i].message, want);
    }
    return 0;
}

START_TEST(test_S15_all_errors_readable)
{
    run_main(all_errors_body, NULL);
}
END_TEST

static int
close_deadline_body(void *arg)
{
    (void)arg;
    struct counter c = {0};
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, sleep_forever, &c));
    ck_assert_actr_ok(actr_nursery_spawn(n, sleep_forever, &c));
    int64_t t0 = actr_now();
    ck_assert_actr_err(actr_nursery_close(n, actr_now() + 30), ACTR_ETIMEDOUT);
    ck_assert_duration(actr_now() - t0, 25, 3000);
    ck_assert_int_eq(c.cancelled, 2);
    return 0;
}

START_TEST(test_S15_close_deadline_cancels_rest)
{
    run_main(close_deadline_body, NULL);
}
END_TEST

static int
nursery_cancel_body(void *arg)
{
    (void)arg;
    struct counter c = {0};
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, sleep_forever, &c));
    ck_assert_actr_ok(actr_sleep(5));
    actr_nursery_cancel(n);
    /* Cancelling is not a failure. */
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_int_eq(c.cancelled, 1);
    return 0;
}

START_TEST(test_S15_nursery_cancel_is_not_failure)
{
    run_main(nursery_cancel_body, NULL);
}
END_TEST

/* A task that forgets to close its nursery: the runtime closes it when the
 * task returns, so the child never outlives it. */
static int
leaky_parent(void *arg)
{
    struct counter *c = arg;
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, sleep_then_count, c));
    return 0;
}

static int
outlive_body(void *arg)
{
    (void)arg;
    struct counter c = {0};
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, leaky_parent, &c));
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_int_eq(c.n, 1);
    actr_stats st;
    actr_stats_get(&st);
    ck_assert_uint_eq(st.tasks_live, 1);
    return 0;
}

START_TEST(test_S15_task_cannot_outlive_nursery)
{
    test_expect_log("returned with a nursery open: closing it");
    run_main(outlive_body, NULL);
}
END_TEST

/* A body that returns with a deadline scope and a nursery (with a child
 * inside a scope of its own) still entered: the scopes live in the body's
 * dead frames, which the runtime must not trample before leaving them. */
static int
scope_leaky_child(void *arg)
{
    struct counter *c = arg;
    actr_scope s;
    ck_assert_actr_ok(actr_move_on_after(&s, 10000));
    c->n++;
    return 0;
}

static int
scope_leaky_parent(void *arg)
{
    struct counter *c = arg;
    actr_scope outer, inner;
    actr_nursery *n;
    ck_assert_actr_ok(actr_move_on_after(&outer, 10000));
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, sleep_then_count, c));
    ck_assert_actr_ok(actr_scope_enter(&inner, actr_deadline_in(20000), 0));
    return 0;
}

static int
leftover_scopes_body(void *arg)
{
    (void)arg;
    struct counter c = {0};
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, scope_leaky_child, &c));
    ck_assert_actr_ok(actr_nursery_spawn(n, scope_leaky_parent, &c));
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_int_eq(c.n, 2);
    /* The loop goes on: no stale timer of a dead scope fires. */
    ck_assert_actr_ok(actr_sleep(20));
    actr_stats st;
    actr_stats_get(&st);
    ck_assert_uint_eq(st.tasks_live, 1);
    return 0;
}

START_TEST(test_S15_task_returning_inside_scopes_leaves_them)
{
    test_expect_log("returned with a nursery open: closing it");
    test_expect_log("returned inside a cancel scope: leaving it");
    run_main(leftover_scopes_body, NULL);
}
END_TEST

static int
slow_cleanup(void *arg)
{
    struct counter *c = arg;
    int rc = actr_sleep_until(ACTR_FOREVER);
    ck_assert_int_eq(rc, ACTR_ECANCELED);
    actr_scope sh;
    ck_assert_actr_ok(actr_scope_enter(&sh, ACTR_FOREVER, ACTR_SCOPE_SHIELD));
    ck_assert_actr_ok(actr_sleep(20));    /* cleanup still runs */
    c->n++;
    ck_assert_actr_ok(actr_scope_exit(&sh));
    return rc;
}

static int
close_cancelled_body(void *arg)
{
    (void)arg;
    struct counter c = {0};
    actr_scope s;
    ck_assert_actr_ok(actr_scope_enter(&s, ACTR_FOREVER, 0));
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, slow_cleanup, &c));
    ck_assert_actr_ok(actr_sleep(5));
    actr_scope_cancel(&s);
    /* Close works in a cancelled task: it waits for the shielded cleanup,
     * then tells the caller to unwind. */
    ck_assert_actr_err(actr_nursery_close(n, ACTR_FOREVER), ACTR_ECANCELED);
    ck_assert_int_eq(c.n, 1);
    ck_assert_actr_ok(actr_scope_exit(&s));
    return 0;
}

START_TEST(test_S15_close_in_cancelled_task)
{
    run_main(close_cancelled_body, NULL);
}
END_TEST

static int
close_order_body(void *arg)
{
    (void)arg;
    actr_nursery *n;
    actr_scope s;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_scope_enter(&s, ACTR_FOREVER, 0));
    ck_assert_actr_err(actr_nursery_close(n, ACTR_FOREVER), ACTR_ESTATE);
    ck_assert_actr_err(actr_scope_exit((actr_scope *)(void *)n), ACTR_ESTATE);
    ck_assert_actr_ok(actr_scope_exit(&s));
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    return 0;
}

START_TEST(test_close_out_of_order_refused)
{
    run_main(close_order_body, NULL);
}
END_TEST

/* ------------------------------------------------------------ start */

struct server {
    int port;
    int served;
};

static int
start_server(actr_task_status *st, void *arg)
{
    struct server *s = arg;
    ck_assert_actr_ok(actr_sleep(5));     /* setting up */
    s->port = 4242;
    ck_assert_actr_ok(actr_task_started(st, &s->port));
    ck_assert_actr_err(actr_task_started(st, NULL), ACTR_ESTATE);
    ck_assert_actr_ok(actr_sleep(5));
    s->served = 1;
    return 0;
}

static int
start_fail_early(actr_task_status *st, void *arg)
{
    (void)st;
    (void)arg;
    ck_assert_actr_ok(actr_sleep(2));
    return actr_error_set(ACTR_EADDRINUSE, "port taken");
}

static int
start_never_reports(actr_task_status *st, void *arg)
{
    (void)st;
    (void)arg;
    return 0;
}

static int
start_hangs(actr_task_status *st, void *arg)
{
    (void)st;
    struct counter *c = arg;
    int rc = actr_sleep_until(ACTR_FOREVER);
    if (rc == ACTR_ECANCELED)
        c->cancelled++;
    return rc;
}

static int
start_body(void *arg)
{
    (void)arg;
    struct server s = {0};
    struct counter c = {0};
    actr_nursery *n;
    void *val = NULL;
    ck_assert_actr_ok(actr_nursery_open(&n));

    ck_assert_actr_ok(actr_nursery_start(n, start_server, &s, &val, ACTR_FOREVER));
    ck_assert_ptr_eq(val, &s.port);
    ck_assert_int_eq(*(int *)val, 4242);
    ck_assert_int_eq(s.served, 0);        /* still running in the nursery */

    /* Failing before started fails the start, not the nursery. */
    val = NULL;
    ck_assert_actr_err(actr_nursery_start(n, start_fail_early, NULL, &val, ACTR_FOREVER),
                       ACTR_EADDRINUSE);
    ck_assert_ptr_null(val);
    ck_assert_str_eq(actr_last_error()->message, "port taken");

    ck_assert_actr_err(actr_nursery_start(n, start_never_reports, NULL, &val, ACTR_FOREVER),
                       ACTR_ESTATE);

    /* A start that takes too long is cancelled. */
    int64_t t0 = actr_now();
    ck_assert_actr_err(actr_nursery_start(n, start_hangs, &c, &val, actr_now() + 20),
                       ACTR_ETIMEDOUT);
    ck_assert_int_eq(c.cancelled, 1);
    ck_assert_duration(actr_now() - t0, 15, 3000);

    actr_scope sc;
    ck_assert_actr_ok(actr_move_on_after(&sc, 20));
    ck_assert_actr_err(actr_nursery_start(n, start_hangs, &c, &val, ACTR_FOREVER),
                       ACTR_ECANCELED);
    ck_assert_actr_ok(actr_scope_exit(&sc));
    ck_assert_int_eq(c.cancelled, 2);

    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_int_eq(s.served, 1);
    return 0;
}

START_TEST(test_S15_start_hands_back_started_value)
{
    run_main(start_body, NULL);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("task");
    TCase *tc = tcase_create("nursery");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_run_returns_main_result);
    tcase_add_test(tc, test_run_not_nested);
    tcase_add_test(tc, test_S15_close_waits_for_all);
    tcase_add_test(tc, test_S15_first_failure_cancels_siblings);
    tcase_add_test(tc, test_S15_all_errors_readable);
    tcase_add_test(tc, test_S15_close_deadline_cancels_rest);
    tcase_add_test(tc, test_S15_nursery_cancel_is_not_failure);
    tcase_add_test(tc, test_S15_task_cannot_outlive_nursery);
    tcase_add_test(tc, test_S15_task_returning_inside_scopes_leaves_them);
    tcase_add_test(tc, test_S15_close_in_cancelled_task);
    tcase_add_test(tc, test_close_out_of_order_refused);
    tcase_add_test(tc, test_S15_start_hands_back_started_value);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
