/* Errors flow up (SEMANTICS S3): remote error detail, run_in_actor
 * failures cancelling siblings, several errors together, relays through
 * a chain of actors; and no orphan when a parent dies (S1). */
#include "itest.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static actr_str
S(const char *z)
{
    actr_str s = {(char *)z, strlen(z)};
    return s;
}

static int
body_detail(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    actr_portal *p;
    ck_assert_actr_ok(actr_actor_nursery_start(an, "child", &so, &p));
    testmod_fail_args fa = {S("ValueError"), S("bad value")};
    ck_assert_actr_err(actr_portal_call(p, itest_ep("fail"), &fa, NULL), ACTR_EREMOTE);
    const actr_error *e = actr_last_error();
    ck_assert_str_eq(e->type_name, "ValueError");
    ck_assert_str_eq(e->message, "bad value");
    ck_assert_ptr_nonnull(e->src_uid);
    ck_assert_int_eq(strncmp(e->src_uid, "child.", 6), 0);
    ck_assert_str_eq(e->src_uid + 6, actr_portal_uuid(p));
    ck_assert_ptr_nonnull(strstr(e->traceback, "actor 'child'"));
    ck_assert_ptr_nonnull(strstr(e->traceback, "endpoint 'testmod:fail'"));
    ck_assert_ptr_nonnull(strstr(e->traceback, "C backtrace:"));
    /* Symbolized (function at file:line), from the frame that failed:
     * srv_fail, or the task that called it where srv_fail's
     * `return actr_call_fail(...)` became a tail call (-O2). */
    ck_assert_msg((strstr(e->traceback, "    #0  srv_fail at ") &&
                   strstr(e->traceback, "bin/actor_srv.c:")) ||
                  strstr(e->traceback, "    #0  rpc_task at "), "%s", e->traceback);
    ck_assert_msg(strstr(e->traceback, "rpc_task at runtime/actor/invoke.c:"), "%s",
                  e->traceback);
    ck_assert_msg(!strstr(e->traceback, "actr_call_fail"), "%s", e->traceback);
    ck_assert_ptr_null(e->canceller_uid);
    /* Default type name. */
    fa.type_name = S("");
    fa.type_name.ptr = NULL;
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S3_remote_error_detail)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(body_detail, NULL));
    itest_end();
}
END_TEST

static int
body_run_fail(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    actr_portal *d, *r;
    ck_assert_actr_ok(actr_actor_nursery_start(an, "daemon", &so, &d));
    testmod_sleep_ms_args sa = {60000};
    actr_portal *s;
    ck_assert_actr_ok(actr_actor_nursery_run(an, "sleepy", &so, itest_ep("sleep_ms"), &sa, &s));
    testmod_fail_args fa = {S("KeyError"), S("no such key")};
    ck_assert_actr_ok(actr_actor_nursery_run(an, "bad", &so, itest_ep("fail"), &fa, &r));
    /* The body is cancelled by the failure (S3, like trio's nursery). */
    int64_t t0 = actr_now();
    ck_assert_actr_err(actr_sleep(20000), ACTR_ECANCELED);
    int rc = actr_actor_nursery_close(an);
    ck_assert_int_lt(actr_now() - t0, 3000);
    ck_assert_actr_err(rc, ACTR_EREMOTE);
    const actr_error *e = actr_last_error();
    /* The failure first; the sibling it cancelled is listed too, as a
     * cancelled member naming us as canceller (tractor's group). The
     * daemon is not a run_in_actor child: it has no result to lose. */
    ck_assert_int_eq(e->count, 2);
    ck_assert_str_eq(e->type_name, "KeyError");
    ck_assert_str_eq(e->message, "no such key");
    ck_assert_int_eq(strncmp(e->src_uid, "bad.", 4), 0);
    ck_assert_int_eq(e->list[1].code, ACTR_ECTXCANCEL);
    ck_assert_str_eq(e->list[1].type_name, "ContextCancelled");
    ck_assert_int_eq(strncmp(e->list[1].src_uid, "sleepy.", 7), 0);
    ck_assert_str_eq(e->list[1].canceller_uid, itest_self_uid());
    return 0;
}

START_TEST(test_S3_run_in_actor_error_cancels_siblings)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(body_run_fail, NULL));
    itest_end();
}
END_TEST

static int
body_two_fail(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    /* Both fail at about the same time, once both are running. */
    uint32_t ms = 300 * (uint32_t)itest_slowdown();
    testmod_fail_after_shielded_args fa = {ms, S("ValueError"), S("one")};
    testmod_fail_after_shielded_args fb = {ms, S("TypeError"), S("two")};
    actr_portal *a, *b;
    ck_assert_actr_ok(actr_actor_nursery_run(an, "one", &so, itest_ep("fail_after_shielded"), &fa, &a));
    ck_assert_actr_ok(actr_actor_nursery_run(an, "two", &so, itest_ep("fail_after_shielded"), &fb, &b));
    int rc = actr_actor_nursery_close(an);
    ck_assert_actr_err(rc, ACTR_EREMOTE);
    const actr_error *e = actr_last_error();
    ck_assert_int_eq(e->count, 2);
    int seen_v = 0, seen_t = 0;
    for (size_t i = 0; i < e->count; i++) {
        ck_assert_int_eq(e->list[i].code, ACTR_EREMOTE);
        seen_v += strcmp(e->list[i].type_name, "ValueError") == 0;
        seen_t += strcmp(e->list[i].type_name, "TypeError") == 0;
        ck_assert_ptr_nonnull(e->list[i].traceback);
    }
    ck_assert_int_eq(seen_v, 1);
    ck_assert_int_eq(seen_t, 1);
    return 0;
}

START_TEST(test_S3_several_errors_reported_together)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(body_two_fail, NULL));
    itest_end();
}
END_TEST

static int
body_relay(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    actr_portal *p;
    ck_assert_actr_ok(actr_actor_nursery_start(an, "child", &so, &p));
    testmod_relay_fail_args ra = {S("deep trouble")};
    ck_assert_actr_err(actr_portal_call(p, itest_ep("relay_fail"), &ra, NULL), ACTR_EREMOTE);
    const actr_error *e = actr_last_error();
    /* The source is the grandchild; the child relayed it. */
    ck_assert_str_eq(e->type_name, "ValueError");
    ck_assert_int_eq(strncmp(e->src_uid, "grandchild.", 11), 0);
    ck_assert_ptr_nonnull(strstr(e->traceback, "actor 'grandchild'"));
    ck_assert_ptr_nonnull(strstr(e->traceback, "Relayed by actor 'child'"));
    ck_assert_ptr_nonnull(strstr(e->traceback, "deep trouble"));
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S3_error_relayed_through_a_chain)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(body_relay, NULL));
    itest_end();
}
END_TEST

/* 1 while pid runs; a zombie waiting for whoever adopted it has exited. */
static int
pid_running(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *rp = strrchr(buf, ')');
    return !(rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'));
}

START_TEST(test_S1_parent_killed_child_exits)
{
    itest_begin();
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    char *argv[] = {(char *)itest_bin("actor_srv"), "--parent-test", NULL};
    pid_t parent;
    ck_assert_int_eq(posix_spawn(&parent, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    char buf[32] = {0};
    FILE *f = fdopen(fds[0], "r");
    ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
    fclose(f);
    pid_t child = (pid_t)atoll(buf);
    ck_assert_int_gt(child, 0);
    ck_assert_int_eq(kill(child, 0), 0);
    ck_assert_int_eq(kill(parent, SIGKILL), 0);
    int st;
    ck_assert_int_eq(waitpid(parent, &st, 0), parent);
    usleep(1000 * 1000);
    ck_assert_msg(!pid_running(child), "child %d still runs", (int)child);
    itest_end();
}
END_TEST

static Suite *
errors_suite(void)
{
    Suite *s = suite_create("errors");
    TCase *tc = tcase_create("S3");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_S3_remote_error_detail);
    tcase_add_test(tc, test_S3_run_in_actor_error_cancels_siblings);
    tcase_add_test(tc, test_S3_several_errors_reported_together);
    tcase_add_test(tc, test_S3_error_relayed_through_a_chain);
    suite_add_tcase(s, tc);
    tc = tcase_create("S1");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_S1_parent_killed_child_exits);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(errors_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
