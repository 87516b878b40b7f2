/* Actors as processes: spawning, function calls, names, cancel_actor,
 * reaping (SEMANTICS S1, S2, S5, S6, S9, S12). Multi-process: every test
 * runs a root actor that spawns tests/bin/actor_srv children. */
#include "itest.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------ S1, S2 */

static int
body_spawn(actr_actor *self, void *arg)
{
    (void)arg;
    ck_assert(actr_actor_is_root(self));
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    actr_portal *p;
    ck_assert_actr_ok(actr_actor_nursery_start(an, "child", &so, &p));
    ck_assert_str_eq(actr_portal_name(p), "child");
    ck_assert_int_eq(strlen(actr_portal_uuid(p)), 36);
    ck_assert(actr_portal_connected(p));
    /* The child took its name from its command line / handshake. */
    actr_str who = {0};
    ck_assert_actr_ok(actr_portal_call(p, itest_ep("whoami"), NULL, &who));
    ck_assert_str_eq(who.ptr, "child");
    actr_codec_free(&actr_type_string, &who);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S2_spawn_handshake_spawnspec)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(body_spawn, NULL));
    itest_end();
}
END_TEST

static int
body_self_exe(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    /* Default executable: this very program, /proc/self/exe, in child
     * mode (main below hands child mode to actr_main). */
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_portal *p;
    ck_assert_actr_ok(actr_actor_nursery_start(an, "selfchild", NULL, &p));
    /* It enabled nothing: any module is not exposed (S5). */
    int64_t out;
    testmod_add_args a = {1, 2};
    ck_assert_actr_err(actr_portal_call(p, itest_ep("add"), &a, &out), ACTR_ENOTFOUND);
    ck_assert_str_eq(actr_last_error()->type_name, "ModuleNotExposed");
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S1_spawn_self_exe_child_mode)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(body_self_exe, NULL));
    itest_end();
}
END_TEST

/* ------------------------------------------------------------ calls */

static int
body_add(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    actr_portal *p;
    ck_assert_actr_ok(actr_actor_nursery_start(an, "child", &so, &p));
    for (int i = 0; i < 20; i++) {
        testmod_add_args a = {i, 1000};
        int64_t out = -1;
        ck_assert_actr_ok(actr_portal_call(p, itest_ep("add"), &a, &out));
        ck_assert_int_eq(out, i + 1000);
    }
    /* By name, with raw msgpack. */
    uint8_t kw[] = {0x82, 0xa1, 'a', 0x02, 0xa1, 'b', 0x03};
    actr_any in = {kw, sizeof kw}, res = {0};
    ck_assert_actr_ok(actr_portal_call_raw(p, "testmod:add", &in, &res));
    ck_assert_int_eq(res.len, 1);
    ck_assert_int_eq(res.ptr[0], 5);
    actr_codec_free(&actr_type_any, &res);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S5_fn_call_by_descriptor_and_name)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(body_add, NULL));
    itest_end();
}
END_TEST

static int
body_nil(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    actr_portal *p;
    ck_assert_actr_ok(actr_actor_nursery_run(an, "oneshot", &so, itest_ep("nothing"), NULL, &p));
    for (int i = 0; i < 3; i++) {
        testmod_string_opt r = {.has = true};
        ck_assert_actr_ok(actr_portal_result(p, &r));
        ck_assert(!r.has);
    }
    actr_any raw = {0};
    ck_assert_actr_ok(actr_portal_result_raw(p, &raw));
    ck_assert_int_eq(raw.len, 1);
    ck_assert_int_eq(raw.ptr[0], 0xc0);
    actr_codec_free(&actr_type_any, &raw);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S9_result_cached_nil)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(body_nil, NULL));
    itest_end();
}
END_TEST

/* ------------------------------------------------------------ S5, S6 */

static int
body_unknown(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    actr_portal *p;
    ck_assert_actr_ok(actr_actor_nursery_start(an, "child", &so, &p));
    actr_any res = {0};
    ck_assert_actr_err(actr_portal_call_raw(p, "nonexistent_mod:f", NULL, &res), ACTR_ENOTFOUND);
    ck_assert_str_eq(actr_last_error()->type_name, "ModuleNotExposed");
    ck_assert_ptr_nonnull(strstr(actr_last_error()->message, "nonexistent_mod"));
    ck_assert_ptr_nonnull(strstr(actr_last_error()->src_uid, "child."));
    ck_assert_actr_err(actr_portal_call_raw(p, "testmod:nope", NULL, &res), ACTR_ENOTFOUND);
    ck_assert_str_eq(actr_last_error()->type_name, "AttributeError");
    ck_assert_ptr_nonnull(strstr(actr_last_error()->message, "nope"));
    /* A name without a module is refused locally. */
    ck_assert_actr_err(actr_portal_call_raw(p, "nocolon", NULL, &res), ACTR_EINVAL);
    /* The target keeps serving. */
    testmod_add_args a = {2, 3};
    int64_t out = 0;
    ck_assert_actr_ok(actr_portal_call(p, itest_ep("add"), &a, &out));
    ck_assert_int_eq(out, 5);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S5_unknown_module_and_function)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(body_unknown, NULL));
    itest_end();
}
END_TEST

static int
body_kind(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    actr_portal *p;
    ck_assert_actr_ok(actr_actor_nursery_start(an, "child", &so, &p));
    /* Before anything runs remotely: the descriptor says the kind. */
    testmod_echo_args ea = {{"x", 1}};
    ck_assert_actr_err(actr_portal_call(p, itest_ep("echo"), &ea, NULL), ACTR_EINVAL);
    actr_ctx *c;
    testmod_add_args aa = {1, 2};
    ck_assert_actr_err(actr_ctx_open(p, itest_ep("add"), &aa, NULL, &c, NULL), ACTR_EINVAL);
    /* By name: at the latest when the callee answers (its StartAck). */
    uint8_t kw[] = {0x81, 0xa6, 'p', 'r', 'e', 'f', 'i', 'x', 0xa1, 'x'};
    actr_any in = {kw, sizeof kw};
    ck_assert_actr_err(actr_portal_call_raw(p, "testmod:echo", &in, NULL), ACTR_EINVAL);
    ck_assert_actr_err(actr_stream_open_raw(p, "testmod:add", NULL, &c), ACTR_EINVAL);
    int64_t out = 0;
    ck_assert_actr_ok(actr_portal_call(p, itest_ep("add"), &aa, &out));
    ck_assert_int_eq(out, 3);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S6_wrong_kind)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(body_kind, NULL));
    itest_end();
}
END_TEST

/* ------------------------------------------------------------ S12 */

static int
body_cancel_actor(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    actr_portal *p;
    ck_assert_actr_ok(actr_actor_nursery_start(an, "child", &so, &p));
    int64_t t0 = actr_now();
    ck_assert_int_eq(actr_portal_cancel_actor(p), 1);
    ck_assert_int_lt(actr_now() - t0, ACTR_CANCEL_ACTOR_TIMEOUT_MS);
    /* The child exits: its channel drops soon after the ack. */
    for (int i = 0; i < 100 && actr_portal_connected(p); i++)
        actr_sleep(10);
    ck_assert(!actr_portal_connected(p));
    /* A dead channel: returns at once, nothing sent (S14). */
    t0 = actr_now();
    ck_assert_int_eq(actr_portal_cancel_actor(p), 0);
    ck_assert_int_lt(actr_now() - t0, 50);
    testmod_add_args a = {1, 1};
    int64_t out;
    ck_assert_actr_err(actr_portal_call(p, itest_ep("add"), &a, &out), ACTR_ECLOSED);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S12_cancel_actor)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(body_cancel_actor, NULL));
    itest_end();
}
END_TEST

static int
body_many(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    actr_portal *p[4];
    char name[16];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "kid%d", i);
        ck_assert_actr_ok(actr_actor_nursery_start(an, name, &so, &p[i]));
    }
    for (int i = 0; i < 4; i++) {
        actr_str who = {0};
        ck_assert_actr_ok(actr_portal_call(p[i], itest_ep("whoami"), NULL, &who));
        snprintf(name, sizeof name, "kid%d", i);
        ck_assert_str_eq(who.ptr, name);
        actr_codec_free(&actr_type_string, &who);
    }
    /* Closing cancels each daemon child and reaps it (S1). */
    int64_t t0 = actr_now();
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    ck_assert_int_lt(actr_now() - t0, 1500);
    return 0;
}

START_TEST(test_S1_nursery_close_reaps_every_child)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(body_many, NULL));
    itest_end();
}
END_TEST

static int
body_cycles(actr_actor *self, void *arg)
{
    (void)self;
    int n = *(int *)arg;
    actr_spawn_opts so = itest_srv_opts();
    int fds = itest_nfds();
    for (int i = 0; i < n; i++) {
        actr_actor_nursery *an;
        ck_assert_actr_ok(actr_actor_nursery_open(&an));
        actr_portal *p;
        ck_assert_actr_ok(actr_actor_nursery_start(an, "cycle", &so, &p));
        testmod_add_args a = {i, i};
        int64_t out = 0;
        ck_assert_actr_ok(actr_portal_call(p, itest_ep("add"), &a, &out));
        ck_assert_int_eq(out, 2 * i);
        ck_assert_actr_ok(actr_actor_nursery_close(an));
        ck_assert_int_eq(itest_nfds(), fds);
    }
    return 0;
}

START_TEST(test_S1_100_spawn_cycles_no_zombie_no_fd_leak)
{
    itest_begin();
    int n = 100;
    ck_assert_actr_ok(itest_root(body_cycles, &n));
    itest_end();
}
END_TEST

static Suite *
actor_suite(void)
{
    Suite *s = suite_create("actor");
    TCase *tc = tcase_create("spawn");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_S2_spawn_handshake_spawnspec);
    tcase_add_test(tc, test_S1_spawn_self_exe_child_mode);
    tcase_add_test(tc, test_S1_nursery_close_reaps_every_child);
    tcase_add_test(tc, test_S12_cancel_actor);
    suite_add_tcase(s, tc);
    tc = tcase_create("calls");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_S5_fn_call_by_descriptor_and_name);
    tcase_add_test(tc, test_S9_result_cached_nil);
    tcase_add_test(tc, test_S5_unknown_module_and_function);
    tcase_add_test(tc, test_S6_wrong_kind);
    suite_add_tcase(s, tc);
    tc = tcase_create("cycles");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_S1_100_spawn_cycles_no_zombie_no_fd_leak);
    suite_add_tcase(s, tc);
    return s;
}

int
main(int argc, char **argv)
{
    /* Spawned as a child (test_S1_spawn_self_exe_child_mode): be an actor. */
    if (actr_is_child(argc, argv)) {
        const actr_module *mods[] = {&testmod_module};
        actr_actor_opts o = {.modules = mods, .nmodules = 1};
        return actr_main(argc, argv, &o, NULL, NULL) < 0;
    }
    SRunner *sr = srunner_create(actor_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
