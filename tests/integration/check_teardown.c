/* Actor nursery teardown (SEMANTICS S1, S4): closing a nursery whose
 * children still run cancels them gracefully, escalates to SIGTERM and
 * SIGKILL after its configurable grace periods, always reaps, and logs
 * every step at level cancel. */
#include "itest.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static actr_str
S(const char *z)
{
    actr_str s = {(char *)z, strlen(z)};
    return s;
}

/* ------------------------------------------------------------ graceful */

static int
graceful_main(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    long tasks0 = itest_tasks();
    itest_log_start(ACTR_LOG_CANCEL);
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    so.loglevel = ACTR_LOG_WARNING;      /* the children's own lines are not ours */
    actr_portal *p[3];
    actr_ctx *c[3];
    int64_t pid[3];
    const char *names[] = {"c0", "c1", "c2"};
    for (int i = 0; i < 3; i++) {
        ck_assert_actr_ok(actr_actor_nursery_start(an, names[i], &so, &p[i]));
        ck_assert_actr_ok(actr_portal_call(p[i], itest_ep("pid"), NULL, &pid[i]));
        /* Each child is busy serving a dialog when the nursery closes. */
        ck_assert_actr_ok(actr_ctx_open(p[i], itest_ep("sleeper"), NULL, NULL, &c[i], NULL));
    }
    int64_t t0 = actr_now();
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    int64_t dt = actr_now() - t0;
    itest_log_stop();
    ck_assert_msg(dt < 1000, "closing took %lld ms", (long long)dt);
    for (int i = 0; i < 3; i++) {
        ck_assert(itest_pid_gone((int)pid[i], 0));
        /* Our nursery cancelled the whole actor, not these contexts
         * (S12: only a cancel of the context itself is quiet): each ends
         * with a ContextCancelled naming us, raised by close too. */
        bool r;
        ck_assert_actr_err(actr_ctx_result(c[i], &r), ACTR_ECTXCANCEL);
        ck_assert_str_eq(actr_last_error()->canceller_uid, itest_self_uid());
        ck_assert(!actr_ctx_cancel_called(c[i]));
        ck_assert(actr_ctx_cancelled_remote(c[i]));
        ck_assert_actr_err(actr_ctx_close(c[i]), ACTR_ECTXCANCEL);
        ck_assert_str_eq(actr_last_error()->canceller_uid, itest_self_uid());
        char who[64];
        snprintf(who, sizeof who, "child %s.", names[i]);
        ck_assert_int_eq(itest_log_count("CANCEL", "teardown of", who, "asking it to cancel",
                                         NULL), 1);
        ck_assert_int_eq(itest_log_count("CANCEL", who, "reaped (exit status 0)", NULL), 1);
    }
    ck_assert_int_eq(itest_log_count("SIGTERM", NULL), 0);
    ck_assert_int_eq(itest_log_count("SIGKILL", NULL), 0);
    long n = -1;
    for (int i = 0; i < 100 && (n = itest_tasks()) != tasks0; i++)
        actr_sleep(10);
    ck_assert_int_eq(n, tasks0);
    return 0;
}

START_TEST(test_S4_nursery_close_cancels_running_children_gracefully)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(graceful_main, NULL));
    itest_end();
}
END_TEST

/* ------------------------------------------------------------ escalation */

struct stub {
    actr_portal *p;
    bool ignore_term;
    int rc;
};

static int
stubborn_task(void *arg)
{
    struct stub *st = arg;
    testmod_stubborn_args a = {st->ignore_term};
    bool r;
    st->rc = actr_portal_call(st->p, itest_ep("stubborn"), &a, &r);
    return 0;
}

static int
escalate_main(actr_actor *self, void *arg)
{
    (void)self;
    bool ignore_term = arg != NULL;
    actr_actor_nursery_opts no = {.cancel_timeout_ms = 200, .term_after_ms = 300,
                                  .kill_after_ms = 300};
    itest_log_start(ACTR_LOG_CANCEL);
    /* The caller's task nursery encloses the actor nursery: its task is
     * still blocked in the call when the child is torn down. */
    actr_nursery *tn;
    ck_assert_actr_ok(actr_nursery_open(&tn));
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open_opts(&no, &an));
    actr_spawn_opts so = itest_srv_opts();
    so.loglevel = ACTR_LOG_WARNING;
    struct stub st = {.ignore_term = ignore_term};
    ck_assert_actr_ok(actr_actor_nursery_start(an, "stubborn", &so, &st.p));
    ck_assert_actr_ok(actr_nursery_spawn(tn, stubborn_task, &st));
    int64_t pid;
    /* Served in order: stubborn has run (and ignored SIGTERM) by now. */
    ck_assert_actr_ok(actr_portal_call(st.p, itest_ep("pid"), NULL, &pid));
    int64_t t0 = actr_now();
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    int64_t dt = actr_now() - t0;
    ck_assert_actr_ok(actr_nursery_close(tn, actr_deadline_in(5000)));
    itest_log_stop();
    /* The call saw its channel die. */
    ck_assert_actr_err(st.rc, ACTR_ECLOSED);
    ck_assert(itest_pid_gone((int)pid, 0));
    ck_assert_int_eq(itest_log_count("CANCEL", "cancel_actor: no CancelAck from stubborn.",
                                     "timed out", NULL), 1);
    ck_assert_int_eq(itest_log_count("CANCEL", "still runs 300 ms later: SIGTERM", NULL), 1);
    if (ignore_term) {
        ck_assert_int_eq(itest_log_count("CANCEL", "survived SIGTERM for 300 ms: SIGKILL",
                                         NULL), 1);
        ck_assert_int_eq(itest_log_count("CANCEL", "reaped (signal 9)", NULL), 1);
        ck_assert_msg(dt >= 200 + 300 + 300 && dt < 2000, "teardown took %lld ms",
                      (long long)dt);
    } else {
        ck_assert_int_eq(itest_log_count("SIGKILL", NULL), 0);
        ck_assert_int_eq(itest_log_count("CANCEL", "reaped (signal 15)", NULL), 1);
        ck_assert_msg(dt >= 200 + 300 && dt < 1500, "teardown took %lld ms", (long long)dt);
    }
    return 0;
}

START_TEST(test_S4_teardown_escalates_to_sigterm_after_grace)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(escalate_main, NULL));
    itest_end();
}
END_TEST

START_TEST(test_S4_teardown_escalates_to_sigkill_after_grace)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(escalate_main, (void *)1));
    itest_end();
}
END_TEST

/* ------------------------------------------------------------ options */

static int
bad_opts_main(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery_opts no = {.term_after_ms = -1};
    actr_actor_nursery *an;
    ck_assert_actr_err(actr_actor_nursery_open_opts(&no, &an), ACTR_EINVAL);
    return 0;
}

START_TEST(test_S4_nursery_rejects_negative_grace_periods)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(bad_opts_main, NULL));
    itest_end();
}
END_TEST

/* ------------------------------------------------------------ body cancelled */

static int
cancelled_body_main(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    /* The nursery's body is cancelled while it waits on a child's
     * dialog: the close still tears the child down and reaps it. */
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    actr_portal *p;
    ck_assert_actr_ok(actr_actor_nursery_start(an, "child", &so, &p));
    int64_t pid;
    ck_assert_actr_ok(actr_portal_call(p, itest_ep("pid"), NULL, &pid));
    char report[64], line[256], want[256];
    itest_tmpfile(report, sizeof report);
    testmod_steer_args sa = {S("result"), false, S(report)};
    actr_ctx *c;
    ck_assert_actr_ok(actr_ctx_open(p, itest_ep("steer"), &sa, NULL, &c, NULL));
    actr_actor_nursery_cancel(an);
    uint64_t r;
    ck_assert_actr_err(actr_ctx_result(c, &r), ACTR_ECANCELED);
    ck_assert_actr_err(actr_ctx_close(c), ACTR_ECANCELED);
    /* A cancel of the nursery itself is not a failure (actr_nursery_cancel). */
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    ck_assert(itest_pid_gone((int)pid, 0));
    ck_assert(itest_file_wait(report, "end ", line, sizeof line, 1000));
    snprintf(want, sizeof want, "end rc=ACTR_ECANCELED canceller=%s cancel_called=1",
             itest_self_uid());
    ck_assert_str_eq(line, want);
    unlink(report);
    return 0;
}

START_TEST(test_S4_cancelled_nursery_body_still_tears_down_and_reaps)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(cancelled_body_main, NULL));
    itest_end();
}
END_TEST

static Suite *
teardown_suite(void)
{
    Suite *s = suite_create("teardown");
    TCase *tc = tcase_create("teardown");
    tcase_set_timeout(tc, 30);
    ITEST_ADD(tc, test_S4_nursery_close_cancels_running_children_gracefully);
    ITEST_ADD(tc, test_S4_teardown_escalates_to_sigterm_after_grace);
    ITEST_ADD(tc, test_S4_teardown_escalates_to_sigkill_after_grace);
    ITEST_ADD(tc, test_S4_nursery_rejects_negative_grace_periods);
    ITEST_ADD(tc, test_S4_cancelled_nursery_body_still_tears_down_and_reaps);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(teardown_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
