/* actrc's typed stubs end to end (SEMANTICS S3, S5-S9, S11): a root actor
 * spawns tests/bin/typed_actor, which serves typedmod.actor through the
 * generated typedmod_*_impl functions, and calls every endpoint kind
 * through the generated caller stubs only: no hand-built message, no
 * descriptor lookup. This suite itself links typedmod without defining
 * any impl (a pure caller); spawned in child mode it serves typedmod with
 * no impls at all. Every test checks that no child process and no fd is
 * left behind. */
#include "itest.h"

#include <math.h>
#include <string.h>

#include "typedmod.actor.h"

/* Spawns typed_actor (typedmod enabled) in the nursery *an opens. */
static actr_portal *
spawn_typed(actr_actor_nursery **an)
{
    static const char *en[] = {"typedmod"};
    actr_spawn_opts so = {.exe = itest_bin("typed_actor"), .enable = en, .nenable = 1};
    actr_portal *p;
    ck_assert_actr_ok(actr_actor_nursery_open(an));
    ck_assert_actr_ok(actr_actor_nursery_start(*an, "typed", &so, &p));
    return p;
}

static actr_str
str(const char *s)
{
    actr_str v = {(char *)s, strlen(s)};
    return v;
}

/* ------------------------------------------------------------ fn */

static int
body_fn(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    actr_portal *p = spawn_typed(&an);

    int64_t sum = 0;
    ck_assert_actr_ok(typedmod_add(p, 40, 2, &sum));
    ck_assert_int_eq(sum, 42);
    ck_assert_actr_ok(typedmod_add(p, INT64_MIN, 0, &sum));
    ck_assert(sum == INT64_MIN);
    ck_assert_actr_ok(typedmod_add(p, 1, 1, NULL));      /* result discarded */

    /* A string result the callee handed over (actr_call_own_result). */
    actr_str title = str("Dr.");
    typedmod_string_opt hello = {0};
    ck_assert_actr_ok(typedmod_greet(p, str("Bob"), &title, &hello));
    ck_assert(hello.has);
    ck_assert_str_eq(hello.value.ptr, "hello, Dr. Bob");
    typedmod_string_opt_free(&hello);
    ck_assert_actr_ok(typedmod_greet(p, str("Ann"), NULL, &hello));
    ck_assert_str_eq(hello.value.ptr, "hello, Ann");
    typedmod_string_opt_free(&hello);

    /* S9: nil is a result; the out value says absent. */
    hello.has = true;
    ck_assert_actr_ok(typedmod_greet(p, str(""), NULL, &hello));
    ck_assert(!hello.has);

    /* Structs, lists, optional struct, optional scalar, enum. */
    typedmod_quote qs[] = {
        {str("A"), 10.0, 1, TYPEDMOD_SIDE_BUY},
        {str("B"), 20.0, 2, TYPEDMOD_SIDE_SELL},
        {str("C"), 30.0, 3, TYPEDMOD_SIDE_BUY},
        {str("D"), 40.0, 4, TYPEDMOD_SIDE_BUY},
    };
    typedmod_quote_list list = {qs, 4};
    actr_str tags[] = {str("x")};
    typedmod_filter f = {25.0, {tags, 1}};
    double total = -1;
    ck_assert_actr_ok(typedmod_total(p, &list, NULL, TYPEDMOD_SIDE_BUY, NULL, &total));
    ck_assert(fabs(total - 80.0) < 1e-9);
    ck_assert_actr_ok(typedmod_total(p, &list, &f, TYPEDMOD_SIDE_BUY, NULL, &total));
    ck_assert(fabs(total - 70.0) < 1e-9);
    uint32_t limit = 1;
    ck_assert_actr_ok(typedmod_total(p, &list, &f, TYPEDMOD_SIDE_BUY, &limit, &total));
    ck_assert(fabs(total - 30.0) < 1e-9);
    ck_assert_actr_ok(typedmod_total(p, &list, NULL, TYPEDMOD_SIDE_SELL, NULL, &total));
    ck_assert(fabs(total - 20.0) < 1e-9);

    /* A required pointer argument may not be NULL: refused locally. */
    total = -1;
    ck_assert_actr_err(typedmod_total(p, NULL, NULL, TYPEDMOD_SIDE_BUY, NULL, &total),
                       ACTR_EINVAL);
    ck_assert(total == -1);

    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S9_typed_fn_results_nil_included)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(body_fn, NULL));
    itest_end();
}
END_TEST

static int
body_fn_errors(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    actr_portal *p = spawn_typed(&an);

    /* S3: the callee's error type and message reach the caller. */
    ck_assert_actr_err(typedmod_fail(p, str("ValueError"), str("bad value 7")), ACTR_EREMOTE);
    const actr_error *e = actr_last_error();
    ck_assert_str_eq(e->type_name, "ValueError");
    ck_assert_ptr_nonnull(strstr(e->message, "bad value 7"));
    ck_assert_ptr_nonnull(e->src_uid);
    ck_assert_ptr_nonnull(strstr(e->src_uid, "typed"));

    /* S5: an endpoint the program does not implement fails cleanly as
     * AttributeError, and the actor keeps serving. */
    bool b = true;
    ck_assert_actr_err(typedmod_missing(p, &b), ACTR_ENOTFOUND);
    ck_assert_str_eq(actr_last_error()->type_name, "AttributeError");
    ck_assert_ptr_nonnull(strstr(actr_last_error()->message, "typedmod:missing"));
    ck_assert(b);                       /* untouched on failure */
    int64_t sum = 0;
    ck_assert_actr_ok(typedmod_add(p, 1, 2, &sum));
    ck_assert_int_eq(sum, 3);

    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S3_typed_fn_remote_error_and_missing_impl)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(body_fn_errors, NULL));
    itest_end();
}
END_TEST

/* ------------------------------------------------------------ gen */

static int
body_gen(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    actr_portal *p = spawn_typed(&an);

    typedmod_quotes *s;
    ck_assert_actr_ok(typedmod_quotes_open(p, str("ACME"), 5, NULL, &s));
    for (uint64_t i = 0; i < 5; i++) {
        typedmod_quote q = {0};
        ck_assert_actr_ok(typedmod_quotes_recv(s, &q));
        ck_assert_str_eq(q.sym.ptr, "ACME");
        ck_assert(q.seq == i);
        ck_assert(q.price == 100.0 + (double)i);
        ck_assert_int_eq(q.side, i % 2 ? TYPEDMOD_SIDE_SELL : TYPEDMOD_SIDE_BUY);
        typedmod_quote_free(&q);
    }
    typedmod_quote q = {0};
    ck_assert_actr_err(typedmod_quotes_recv(s, &q), ACTR_EPIPE);
    ck_assert_actr_err(typedmod_quotes_recv(s, &q), ACTR_EPIPE);
    ck_assert_actr_ok(typedmod_quotes_close(s));

    /* An empty generator ends at once. */
    ck_assert_actr_ok(typedmod_quotes_open(p, str("NONE"), 0, NULL, &s));
    ck_assert_actr_err(typedmod_quotes_recv(s, &q), ACTR_EPIPE);
    ck_assert_actr_ok(typedmod_quotes_close(s));

    /* Closing early cancels the generator (it would run 100 s more); the
     * actor keeps serving. */
    uint32_t pause = 100;
    ck_assert_actr_ok(typedmod_quotes_open(p, str("SLOW"), 1000, &pause, &s));
    for (int i = 0; i < 3; i++) {
        ck_assert_actr_ok(typedmod_quotes_recv(s, &q));
        ck_assert_str_eq(q.sym.ptr, "SLOW");
        typedmod_quote_free(&q);
    }
    int64_t t0 = actr_now();
    ck_assert_actr_ok(typedmod_quotes_close(s));
    ck_assert_int_lt(actr_now() - t0, 2000);
    int64_t sum = 0;
    ck_assert_actr_ok(typedmod_add(p, 2, 2, &sum));
    ck_assert_int_eq(sum, 4);

    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S6_typed_gen_values_then_end)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(body_gen, NULL));
    itest_end();
}
END_TEST

/* ------------------------------------------------------------ context */

static int
body_ctx(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    actr_portal *p = spawn_typed(&an);

    actr_str syms[] = {str("a"), str("b"), str("c")};
    typedmod_string_list sl = {syms, 3};
    typedmod_feed *c;
    uint32_t started = 0;
    ck_assert_actr_ok(typedmod_feed_open(p, &sl, NULL, &c, &started));
    ck_assert_uint_eq(started, 3);
    const char *asks[] = {"X", "Y", "Z"};
    for (uint64_t i = 0; i < 3; i++) {
        ck_assert_actr_ok(typedmod_feed_send(c, str(asks[i])));
        typedmod_quote q = {0};
        ck_assert_actr_ok(typedmod_feed_recv(c, &q));
        ck_assert_str_eq(q.sym.ptr, asks[i]);
        ck_assert(q.seq == i);
        ck_assert(q.price == 1.5 * (double)(i + 1));
        typedmod_quote_free(&q);
    }
    ck_assert_int_eq(typedmod_feed_done(c), 0);
    /* S8: our Stop ends the callee's loop; it returns its count. */
    uint64_t n = 0;
    ck_assert_actr_ok(typedmod_feed_result(c, &n));
    ck_assert(n == 3);
    n = 0;
    ck_assert_actr_ok(typedmod_feed_result(c, &n));   /* S9: cached */
    ck_assert(n == 3);
    ck_assert(!actr_ctx_cancel_called(typedmod_feed_base(c)));
    ck_assert_int_eq(typedmod_feed_close(c), 0);

    /* Opened with options, started discarded, closed without done:
     * close sends Stop itself and waits for the result. */
    actr_ctx_opts opts = {.queue_size = 4};
    ck_assert_actr_ok(typedmod_feed_open(p, &sl, &opts, &c, NULL));
    ck_assert_actr_ok(typedmod_feed_send(c, str("W")));
    typedmod_quote q = {0};
    ck_assert_actr_ok(typedmod_feed_recv(c, &q));
    ck_assert_str_eq(q.sym.ptr, "W");
    typedmod_quote_free(&q);
    ck_assert_int_eq(typedmod_feed_close(c), 0);

    /* A required pointer argument may not be NULL: refused locally. */
    c = NULL;
    ck_assert_actr_err(typedmod_feed_open(p, NULL, NULL, &c, NULL), ACTR_EINVAL);
    ck_assert_ptr_null(c);

    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S7_typed_context_started_stream_result)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(body_ctx, NULL));
    itest_end();
}
END_TEST

static int
body_ctx_nil(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    actr_portal *p = spawn_typed(&an);

    typedmod_drain *d;
    ck_assert_actr_ok(typedmod_drain_open(p, NULL, &d));
    int64_t want = 0;
    for (int64_t i = 1; i <= 4; i++) {
        ck_assert_actr_ok(typedmod_drain_send(d, i));
        int64_t got = 0;
        ck_assert_actr_ok(typedmod_drain_recv(d, &got));
        want += i;
        ck_assert_int_eq(got, want);
    }
    ck_assert_int_eq(typedmod_drain_done(d), 0);
    int64_t v;
    ck_assert_actr_err(typedmod_drain_recv(d, &v), ACTR_EPIPE);
    ck_assert_actr_ok(typedmod_drain_result(d));      /* nil result */
    ck_assert_actr_ok(typedmod_drain_result(d));
    ck_assert_int_eq(typedmod_drain_close(d), 0);

    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S8_typed_context_nil_started_and_result)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(body_ctx_nil, NULL));
    itest_end();
}
END_TEST

static int
body_ctx_cancel(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    actr_portal *p = spawn_typed(&an);

    typedmod_idle *c;
    actr_str started = {0};
    ck_assert_actr_ok(typedmod_idle_open(p, str("t1"), NULL, &c, &started));
    ck_assert_str_eq(started.ptr, "idle:t1");
    actr_codec_free(&actr_type_string, &started);
    ck_assert_int_eq(typedmod_idle_cancel(c), 0);
    /* S11: we asked, so the result is a quiet cancelled status. */
    bool r = true;
    ck_assert_actr_err(typedmod_idle_result(c, &r), ACTR_ECTXCANCEL);
    ck_assert(r);                       /* untouched */
    ck_assert(actr_ctx_cancel_called(typedmod_idle_base(c)));
    ck_assert(!actr_ctx_cancelled_remote(typedmod_idle_base(c)));
    ck_assert_int_eq(typedmod_idle_close(c), 0);

    /* The actor keeps serving after the cancelled dialog. */
    int64_t sum = 0;
    ck_assert_actr_ok(typedmod_add(p, 5, 5, &sum));
    ck_assert_int_eq(sum, 10);

    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S11_typed_context_cancel)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(body_ctx_cancel, NULL));
    itest_end();
}
END_TEST

/* ------------------------------------------------------------ no impls */

static int
body_no_impls(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    /* This very program in child mode: it links typedmod but defines no
     * typedmod_*_impl, so every endpoint fails as AttributeError. */
    static const char *en[] = {"typedmod"};
    actr_spawn_opts so = {.enable = en, .nenable = 1};
    actr_actor_nursery *an;
    actr_portal *p;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    ck_assert_actr_ok(actr_actor_nursery_start(an, "bare", &so, &p));

    int64_t sum = 7;
    ck_assert_actr_err(typedmod_add(p, 1, 2, &sum), ACTR_ENOTFOUND);
    ck_assert_str_eq(actr_last_error()->type_name, "AttributeError");
    ck_assert_ptr_nonnull(strstr(actr_last_error()->message, "typedmod:add"));
    ck_assert_int_eq(sum, 7);

    typedmod_quotes *s;
    typedmod_quote q;
    ck_assert_actr_ok(typedmod_quotes_open(p, str("X"), 3, NULL, &s));
    ck_assert_actr_err(typedmod_quotes_recv(s, &q), ACTR_ENOTFOUND);
    ck_assert_str_eq(actr_last_error()->type_name, "AttributeError");
    ck_assert_actr_err(typedmod_quotes_close(s), ACTR_ENOTFOUND);  /* freed all the same */

    actr_str syms[] = {str("a")};
    typedmod_string_list sl = {syms, 1};
    typedmod_feed *c = NULL;
    ck_assert_actr_err(typedmod_feed_open(p, &sl, NULL, &c, NULL), ACTR_ENOTFOUND);
    ck_assert_str_eq(actr_last_error()->type_name, "AttributeError");
    ck_assert_ptr_null(c);

    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

/* ------------------------------------------------------------ run_in_actor */

/* S2, S9: P_run spawns a child and calls the endpoint in it; its result
 * is cached (every P_run_result returns it again); a failing call fails
 * the nursery's close (S3). The string helpers build the arguments. */
static int
body_run(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    static const char *en[] = {"typedmod"};
    actr_spawn_opts so = {.exe = itest_bin("typed_actor"), .enable = en, .nenable = 1};
    actr_actor_nursery *an;
    actr_portal *p1, *p2;

    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    ck_assert_actr_ok(typedmod_add_run(an, "adder", &so, 40, 2, &p1));
    actr_str title = actr_str_from("Dr.");
    ck_assert_actr_ok(typedmod_greet_run(an, "greeter", &so, ACTR_STR("Bob"), &title, &p2));
    int64_t sum = 0;
    ck_assert_actr_ok(typedmod_add_run_result(p1, &sum));
    ck_assert_int_eq(sum, 42);
    sum = 0;
    ck_assert_actr_ok(typedmod_add_run_result(p1, &sum));     /* cached */
    ck_assert_int_eq(sum, 42);
    typedmod_string_opt hello = {0};
    ck_assert_actr_ok(typedmod_greet_run_result(p2, &hello));
    ck_assert(hello.has);
    ck_assert_str_eq(hello.value.ptr, "hello, Dr. Bob");
    actr_str_free(&hello.value);
    ck_assert_ptr_null(hello.value.ptr);
    ck_assert_actr_ok(actr_actor_nursery_close(an));

    actr_portal *p3;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    ck_assert_actr_ok(typedmod_fail_run(an, "failer", &so, ACTR_STR("ValueError"),
                                        actr_str_from("from run"), &p3));
    ck_assert_actr_err(typedmod_fail_run_result(p3), ACTR_EREMOTE);
    ck_assert_str_eq(actr_last_error()->type_name, "ValueError");
    ck_assert_actr_err(actr_actor_nursery_close(an), ACTR_EREMOTE);
    return 0;
}

START_TEST(test_S2_typed_run_in_actor_stubs)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(body_run, NULL));
    itest_end();
}
END_TEST

START_TEST(test_S5_typed_module_without_impls_links_and_refuses)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(body_no_impls, NULL));
    itest_end();
}
END_TEST

static Suite *
typed_suite(void)
{
    Suite *s = suite_create("typed_stubs");
    TCase *tc = tcase_create("kinds");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_S9_typed_fn_results_nil_included);
    tcase_add_test(tc, test_S3_typed_fn_remote_error_and_missing_impl);
    tcase_add_test(tc, test_S6_typed_gen_values_then_end);
    tcase_add_test(tc, test_S7_typed_context_started_stream_result);
    tcase_add_test(tc, test_S8_typed_context_nil_started_and_result);
    tcase_add_test(tc, test_S11_typed_context_cancel);
    tcase_add_test(tc, test_S5_typed_module_without_impls_links_and_refuses);
    tcase_add_test(tc, test_S2_typed_run_in_actor_stubs);
    suite_add_tcase(s, tc);
    return s;
}

int
main(int argc, char **argv)
{
    /* Spawned as a child (test_S5_typed_module_without_impls...): serve
     * typedmod with whatever impls this program has, i.e. none. */
    if (actr_is_child(argc, argv)) {
        const actr_module *mods[] = {&typedmod_module};
        actr_actor_opts o = {.modules = mods, .nmodules = 1};
        return actr_main(argc, argv, &o, NULL, NULL) < 0;
    }
    SRunner *sr = srunner_create(typed_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
