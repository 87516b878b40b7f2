/* Contexts, streams and generators between processes (SEMANTICS S7-S11,
 * S16-S18), and what a caller sees when the callee's process dies. */
#include "itest.h"

#include <signal.h>
#include <string.h>

/* The signal a body killed its child with (the nursery's close then
 * reports that death), or 0. */
static int child_killed;

/* Spawns one actor_srv child, runs body(p), closes the nursery. */
typedef void (*with_child_fn)(actr_portal *p);

static int
with_child(actr_actor *self, void *arg)
{
    (void)self;
    with_child_fn body = (with_child_fn)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    actr_portal *p;
    ck_assert_actr_ok(actr_actor_nursery_start(an, "child", &so, &p));
    body(p);
    itest_close_after_death(an, "child", child_killed);
    return 0;
}

#define RUN_WITH_CHILD(fn)                                     \
    do {                                                       \
        itest_begin();                                         \
        ck_assert_actr_ok(itest_root(with_child, (void *)fn)); \
        itest_end();                                           \
    } while (0)

static actr_str
S(const char *z)
{
    actr_str s = {(char *)z, strlen(z)};
    return s;
}

/* ------------------------------------------------------------ S7, S8, S9 */

static void
echo_body(actr_portal *p)
{
    testmod_echo_args a = {S("echo:")};
    actr_ctx *c;
    int64_t started = 0;
    ck_assert_actr_ok(actr_ctx_open(p, itest_ep("echo"), &a, NULL, &c, &started));
    ck_assert_int_eq(started, 11);
    const char *words[] = {"alpha", "beta", "gamma"};
    for (int i = 0; i < 3; i++) {
        actr_str w = S(words[i]), got = {0};
        ck_assert_actr_ok(actr_ctx_send(c, &w));
        ck_assert_actr_ok(actr_ctx_recv(c, &got));
        char want[32];
        snprintf(want, sizeof want, "echo:%s", words[i]);
        ck_assert_str_eq(got.ptr, want);
        actr_codec_free(&actr_type_string, &got);
    }
    /* S8: our Stop ends the callee's receive loop cleanly; it returns. */
    ck_assert_actr_ok(actr_ctx_done(c));
    ck_assert_actr_err(actr_ctx_send(c, &(actr_str){"x", 1}), ACTR_ESTATE);
    uint64_t n = 0;
    ck_assert_actr_ok(actr_ctx_result(c, &n));
    ck_assert_int_eq(n, 3);
    /* S9: cached, any number of times. */
    n = 0;
    ck_assert_actr_ok(actr_ctx_result(c, &n));
    ck_assert_int_eq(n, 3);
    /* After the result the stream is over. */
    actr_str x;
    ck_assert_actr_err(actr_ctx_recv(c, &x), ACTR_EPIPE);
    ck_assert(!actr_ctx_cancel_called(c));
    ck_assert_actr_ok(actr_ctx_close(c));
}

START_TEST(test_S7_context_lifecycle_echo)
{
    RUN_WITH_CHILD(echo_body);
}
END_TEST

static void
echo_close_body(actr_portal *p)
{
    /* close without done: it sends Stop, then waits for the result. */
    testmod_echo_args a = {S(">")};
    for (int i = 0; i < 5; i++) {
        actr_ctx *c;
        ck_assert_actr_ok(actr_ctx_open(p, itest_ep("echo"), &a, NULL, &c, NULL));
        actr_str w = S("hi");
        ck_assert_actr_ok(actr_ctx_send(c, &w));
        ck_assert_actr_ok(actr_ctx_close(c));
    }
    /* Raw context by name: raw values. */
    uint8_t kw[] = {0x81, 0xa6, 'p', 'r', 'e', 'f', 'i', 'x', 0xa1, '+'};
    actr_any in = {kw, sizeof kw}, st = {0};
    actr_ctx *c;
    ck_assert_actr_ok(actr_ctx_open_raw(p, "testmod:echo", &in, NULL, &c, &st));
    ck_assert_int_eq(st.len, 1);
    ck_assert_int_eq(st.ptr[0], 11);
    actr_codec_free(&actr_type_any, &st);
    uint8_t v[] = {0xa1, 'a'};
    actr_any out = {v, 2}, got = {0};
    ck_assert_actr_ok(actr_ctx_send(c, &out));
    ck_assert_actr_ok(actr_ctx_recv(c, &got));
    ck_assert_int_eq(got.len, 3);
    ck_assert(memcmp(got.ptr, "\xa2+a", 3) == 0);
    actr_codec_free(&actr_type_any, &got);
    ck_assert_actr_ok(actr_ctx_done(c));
    actr_any res = {0};
    ck_assert_actr_ok(actr_ctx_result(c, &res));
    ck_assert_int_eq(res.ptr[0], 1);
    actr_codec_free(&actr_type_any, &res);
    ck_assert_actr_ok(actr_ctx_close(c));
}

START_TEST(test_S8_close_sends_stop_and_waits_result)
{
    RUN_WITH_CHILD(echo_close_body);
}
END_TEST

static void
gen_body(actr_portal *p)
{
    testmod_count_args a = {10};
    actr_ctx *c;
    ck_assert_actr_ok(actr_stream_open(p, itest_ep("count"), &a, &c));
    for (int64_t i = 0; i < 10; i++) {
        int64_t v = -1;
        ck_assert_actr_ok(actr_ctx_recv(c, &v));
        ck_assert_int_eq(v, i);
    }
    int64_t v;
    /* S8: the generator's Stop ends our receive loop cleanly. */
    ck_assert_actr_err(actr_ctx_recv(c, &v), ACTR_EPIPE);
    ck_assert_actr_err(actr_ctx_send(c, &v), ACTR_ESTATE);
    ck_assert_actr_err(actr_ctx_result(c, &v), ACTR_ESTATE);
    ck_assert_actr_ok(actr_ctx_close(c));
    /* Closing a generator early cancels the remote task. */
    a.n = 1000000;
    ck_assert_actr_ok(actr_stream_open(p, itest_ep("count"), &a, &c));
    for (int64_t i = 0; i < 3; i++) {
        ck_assert_actr_ok(actr_ctx_recv(c, &v));
        ck_assert_int_eq(v, i);
    }
    ck_assert_actr_ok(actr_ctx_close(c));
    /* The child still serves. */
    testmod_add_args aa = {4, 5};
    int64_t out;
    ck_assert_actr_ok(actr_portal_call(p, itest_ep("add"), &aa, &out));
    ck_assert_int_eq(out, 9);
}

START_TEST(test_S6_generator_stream)
{
    RUN_WITH_CHILD(gen_body);
}
END_TEST

/* ------------------------------------------------------------ S10 */

static void
errors_first_body(actr_portal *p)
{
    /* 10 values, then the callee fails; we read only after both arrived. */
    testmod_flood_args a = {20, 10, S("fail")};
    actr_ctx *c;
    ck_assert_actr_ok(actr_ctx_open(p, itest_ep("flood"), &a, NULL, &c, NULL));
    actr_sleep(300);
    int64_t v;
    ck_assert_actr_err(actr_ctx_recv(c, &v), ACTR_EREMOTE);
    ck_assert_str_eq(actr_last_error()->type_name, "ValueError");
    ck_assert_str_eq(actr_last_error()->message, "flood failed after 10 values");
    /* The error is raised at every later operation too. */
    ck_assert_actr_err(actr_ctx_result(c, &v), ACTR_EREMOTE);
    ck_assert_actr_err(actr_ctx_close(c), ACTR_EREMOTE);
}

START_TEST(test_S10_error_before_queued_payload)
{
    RUN_WITH_CHILD(errors_first_body);
}
END_TEST

/* ------------------------------------------------------------ S11 */

static void
ctx_cancel_body(actr_portal *p)
{
    actr_ctx *c;
    bool started = false;
    ck_assert_actr_ok(actr_ctx_open(p, itest_ep("sleeper"), NULL, NULL, &c, &started));
    ck_assert(started);
    int64_t t0 = actr_now();
    ck_assert_actr_ok(actr_ctx_cancel(c));
    ck_assert(actr_ctx_cancel_called(c));
    ck_assert(!actr_ctx_cancelled_remote(c));
    bool r;
    /* We asked: a quiet cancelled status, canceller = us. */
    ck_assert_actr_err(actr_ctx_result(c, &r), ACTR_ECTXCANCEL);
    ck_assert_str_eq(actr_last_error()->type_name, "ContextCancelled");
    ck_assert_ptr_nonnull(strstr(actr_last_error()->canceller_uid,
                                 actr_actor_uuid(actr_self())));
    ck_assert_ptr_nonnull(strstr(actr_last_error()->src_uid, "child."));
    ck_assert_int_lt(actr_now() - t0, 700);
    ck_assert_actr_ok(actr_ctx_close(c));
    /* The child still serves. */
    testmod_add_args aa = {1, 2};
    int64_t out;
    ck_assert_actr_ok(actr_portal_call(p, itest_ep("add"), &aa, &out));
    ck_assert_int_eq(out, 3);
}

START_TEST(test_S11_ctx_cancel_quiet_for_requester)
{
    RUN_WITH_CHILD(ctx_cancel_body);
}
END_TEST

static void
caller_cancelled_body(actr_portal *p)
{
    /* A caller cancelled by a scope deadline cancels the remote task. */
    actr_scope sc;
    ck_assert_actr_ok(actr_move_on_after(&sc, 200));
    testmod_sleep_ms_args a = {60000};
    bool r;
    ck_assert_actr_err(actr_portal_call(p, itest_ep("sleep_ms"), &a, &r), ACTR_ECANCELED);
    actr_scope_exit(&sc);
    ck_assert(actr_scope_expired(&sc));
    actr_ctx *c;
    ck_assert_actr_ok(actr_ctx_open(p, itest_ep("sleeper"), NULL, NULL, &c, NULL));
    ck_assert_actr_ok(actr_move_on_after(&sc, 200));
    ck_assert_actr_err(actr_ctx_result(c, &r), ACTR_ECANCELED);
    ck_assert_actr_err(actr_ctx_close(c), ACTR_ECANCELED);
    actr_scope_exit(&sc);
    testmod_add_args aa = {1, 2};
    int64_t out;
    ck_assert_actr_ok(actr_portal_call(p, itest_ep("add"), &aa, &out));
}

START_TEST(test_S15_cancelled_caller_cancels_remote_task)
{
    RUN_WITH_CHILD(caller_cancelled_body);
}
END_TEST

/* ------------------------------------------------------------ S16-S18 */

static void
overrun_body(actr_portal *p)
{
    testmod_flood_args a = {500, 0, S("")};
    actr_ctx *c;
    test_expect_log("(testmod:flood): receive queue full (64), message from child dropped");
    test_expect_log("output to child is over its high-water mark: Error dropped");
    ck_assert_actr_ok(actr_ctx_open(p, itest_ep("flood"), &a, NULL, &c, NULL));
    actr_sleep(500);            /* be slow: the queue of 64 overflows */
    int64_t v;
    int rc;
    int got = 0;
    while ((rc = actr_ctx_recv(c, &v)) == 0)
        got++;
    /* S17: the sender was told (StreamOverrun naming it) and failed. */
    ck_assert_actr_err(rc, ACTR_EOVERRUN);
    ck_assert_str_eq(actr_last_error()->type_name, "StreamOverrun");
    ck_assert_int_le(got, ACTR_CTX_QUEUE_DEFAULT);
    ck_assert_actr_err(actr_ctx_close(c), ACTR_EOVERRUN);
}

START_TEST(test_S17_overrun_is_an_error)
{
    RUN_WITH_CHILD(overrun_body);
}
END_TEST

static void
allow_overruns_body(actr_portal *p)
{
    testmod_flood_args a = {300, 0, S("")};
    actr_ctx *c;
    actr_ctx_opts o = {.allow_overruns = 1};
    ck_assert_actr_ok(actr_ctx_open(p, itest_ep("flood"), &a, &o, &c, NULL));
    actr_sleep(300);
    for (int64_t i = 0; i < 300; i++) {
        int64_t v = -1;
        ck_assert_actr_ok(actr_ctx_recv(c, &v));
        ck_assert_int_eq(v, i);
    }
    uint64_t n = 0;
    ck_assert_actr_ok(actr_ctx_result(c, &n));
    ck_assert_int_eq(n, 300);
    ck_assert_actr_ok(actr_ctx_close(c));
}

START_TEST(test_S18_allow_overruns_keeps_order)
{
    RUN_WITH_CHILD(allow_overruns_body);
}
END_TEST

/* ------------------------------------------------------------ crashes */

/* The callee's process dies mid-stream: the caller's context fails at
 * once, with how it died and what it was serving. */
static void
crash_body_how(actr_portal *p, const char *how)
{
    child_killed = strcmp(how, "abort") == 0 ? SIGABRT : SIGKILL;
    test_expect_log("while serving testmod:flood");     /* its death, logged */
    testmod_flood_args a = {1000000, 5, S(how)};
    actr_ctx *c;
    ck_assert_actr_ok(actr_ctx_open(p, itest_ep("flood"), &a, NULL, &c, NULL));
    int64_t t0 = actr_now(), v;
    int rc, got = 0;
    while ((rc = actr_ctx_recv(c, &v)) == 0)
        got++;
    ck_assert_actr_err(rc, ACTR_ECLOSED);
    itest_assert_death("child", child_killed, "testmod:flood");
    ck_assert_int_eq(got, 5);
    ck_assert_int_lt(actr_now() - t0, 1000);
    ck_assert_actr_err(actr_ctx_close(c), ACTR_ECLOSED);
    ck_assert(!actr_portal_connected(p));
}

static void
crash_abort_body(actr_portal *p)
{
    crash_body_how(p, "abort");
}

static void
crash_kill_body(actr_portal *p)
{
    crash_body_how(p, "kill");
}

START_TEST(test_S14_child_abort_mid_stream_fails_ctx)
{
    RUN_WITH_CHILD(crash_abort_body);
}
END_TEST

START_TEST(test_S14_child_sigkill_mid_stream_fails_ctx)
{
    RUN_WITH_CHILD(crash_kill_body);
}
END_TEST

static Suite *
ctx_suite(void)
{
    Suite *s = suite_create("ctx");
    TCase *tc = tcase_create("lifecycle");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_S7_context_lifecycle_echo);
    tcase_add_test(tc, test_S8_close_sends_stop_and_waits_result);
    tcase_add_test(tc, test_S6_generator_stream);
    tcase_add_test(tc, test_S10_error_before_queued_payload);
    tcase_add_test(tc, test_S11_ctx_cancel_quiet_for_requester);
    tcase_add_test(tc, test_S15_cancelled_caller_cancels_remote_task);
    suite_add_tcase(s, tc);
    tc = tcase_create("overrun");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_S17_overrun_is_an_error);
    tcase_add_test(tc, test_S18_allow_overruns_keeps_order);
    suite_add_tcase(s, tc);
    tc = tcase_create("crash");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_S14_child_abort_mid_stream_fails_ctx);
    tcase_add_test(tc, test_S14_child_sigkill_mid_stream_fails_ctx);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(ctx_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
