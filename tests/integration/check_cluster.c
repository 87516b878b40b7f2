/* Clusters (actr/cluster.h; tractor's open_actor_cluster and
 * gather_contexts): n actors of one program spawned at once, a context
 * opened on each concurrently with all started values or one error that
 * cancels the rest, then streaming to all of them; the typed stubs
 * (hlmod_member_gather, hlmod_member_group_get). Multi-process: members
 * are tests/bin/hl_srv. The rules: S1 (nothing left), S3 (the error
 * reaches the opener), S7 (started values). */
#include "itest.h"

#include "hlmod.actor.h"

#include <stdio.h>
#include <string.h>

#define N 8

static int
body_cluster(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_spawn_opts so = itest_hl_opts();
    actr_cluster *c;
    ck_assert_actr_ok(actr_cluster_open("worker", N, &so, &c));
    ck_assert_uint_eq(actr_cluster_size(c), N);
    int64_t pids[N];
    for (size_t i = 0; i < N; i++) {
        char want[16];
        snprintf(want, sizeof want, "worker-%zu", i);
        ck_assert_str_eq(actr_portal_name(actr_cluster_portal(c, i)), want);
        ck_assert_actr_ok(hlmod_pid(actr_cluster_portal(c, i), &pids[i]));
    }
    ck_assert_ptr_null(actr_cluster_portal(c, N));
    /* Per-member arguments: each its index, none failing. */
    hlmod_member_args args[N];
    for (uint32_t i = 0; i < N; i++)
        args[i] = (hlmod_member_args){i, -1};
    actr_ctx_group *g;
    uint32_t started[N];
    ck_assert_actr_ok(actr_ctx_gather(actr_cluster_portals(c), N, hlmod_member_endpoint(),
                                      args, sizeof args[0], NULL, &g, started));
    ck_assert_uint_eq(actr_ctx_group_size(g), N);
    for (uint32_t i = 0; i < N; i++)
        ck_assert_uint_eq(started[i], i);
    /* Stream to all of them; each answers v + its index. */
    uint32_t v = 100;
    ck_assert_actr_ok(actr_ctx_group_send(g, &v));
    for (uint32_t i = 0; i < N; i++) {
        uint32_t back = 0;
        ck_assert_actr_ok(hlmod_member_recv(hlmod_member_group_get(g, i), &back));
        ck_assert_uint_eq(back, 100 + i);
    }
    ck_assert_ptr_null(actr_ctx_group_get(g, N));
    ck_assert_actr_ok(actr_ctx_group_close(g));
    /* The typed stub: the same arguments for every member. */
    ck_assert_actr_ok(hlmod_member_gather(actr_cluster_portals(c), N, 7, -1, NULL, &g,
                                          started));
    for (uint32_t i = 0; i < N; i++)
        ck_assert_uint_eq(started[i], 7);
    ck_assert_actr_ok(actr_ctx_group_close(g));
    ck_assert_actr_ok(actr_cluster_close(c));
    for (size_t i = 0; i < N; i++)
        ck_assert(itest_pid_gone((int)pids[i], 0));
    return 0;
}

START_TEST(test_S7_cluster_of_8_gathered_and_streamed_to)
{
    itest_run_root(body_cluster, NULL);
}
END_TEST

/* One member fails at start: one error, the rest cancelled. */
static int
body_one_fails(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_spawn_opts so = itest_hl_opts();
    actr_cluster *c;
    ck_assert_actr_ok(actr_cluster_open("member", N, &so, &c));
    long tasks0 = itest_tasks();
    int64_t remote0[N];
    for (size_t i = 0; i < N; i++)
        ck_assert_actr_ok(hlmod_tasks(actr_cluster_portal(c, i), &remote0[i]));
    actr_ctx_group *g = NULL;
    uint32_t started[N];
    /* Each member its index; the one with index 5 fails before started. */
    hlmod_member_args args[N];
    for (uint32_t i = 0; i < N; i++)
        args[i] = (hlmod_member_args){i, 5};
    ck_assert_actr_err(actr_ctx_gather(actr_cluster_portals(c), N, hlmod_member_endpoint(),
                                       args, sizeof args[0], NULL, &g, started), ACTR_EREMOTE);
    ck_assert_str_eq(actr_last_error()->type_name, "ValueError");
    ck_assert_str_eq(actr_last_error()->message, "member 5 fails at start");
    ck_assert_ptr_nonnull(strstr(actr_last_error()->src_uid, "member-5."));
    ck_assert_ptr_null(g);
    /* Nothing was left open, here or in any member (the cancel of the
     * contexts already open goes out in the background: wait for it). */
    itest_tasks_back_to(tasks0);
    for (size_t i = 0; i < N; i++) {
        int64_t now = -1;
        for (int64_t until = actr_now() + 5000; actr_now() < until; actr_sleep(10)) {
            ck_assert_actr_ok(hlmod_tasks(actr_cluster_portal(c, i), &now));
            if (now <= remote0[i])
                break;
        }
        ck_assert_int_le(now, remote0[i]);
    }
    ck_assert_actr_ok(actr_cluster_close(c));
    return 0;
}

START_TEST(test_S3_cluster_of_8_one_member_failing_at_start)
{
    itest_run_root(body_one_fails, NULL);
}
END_TEST

/* A member that cannot spawn fails the cluster; nothing is left. */
static int
body_bad_cluster(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_cluster *c;
    const char *en[] = {"nosuchmodule"};
    actr_spawn_opts so = {.exe = itest_bin("hl_srv"), .enable = en, .nenable = 1};
    ck_assert_actr_err(actr_cluster_open("bad", 4, &so, &c), ACTR_ENOTFOUND);
    ck_assert_str_eq(actr_last_error()->type_name, "ModuleNotExposed");
    ck_assert_actr_err(actr_cluster_open("bad", 0, NULL, &c), ACTR_EINVAL);
    ck_assert_actr_err(actr_ctx_gather(NULL, 0, hlmod_member_endpoint(), NULL, 0, NULL, NULL,
                                       NULL), ACTR_EINVAL);
    return 0;
}

START_TEST(test_S1_cluster_that_cannot_start_leaves_nothing)
{
    itest_run_root(body_bad_cluster, NULL);
}
END_TEST

static Suite *
cluster_suite(void)
{
    Suite *s = suite_create("cluster");
    TCase *tc = tcase_create("cluster");
    tcase_set_timeout(tc, 120);
    ITEST_ADD(tc, test_S7_cluster_of_8_gathered_and_streamed_to);
    ITEST_ADD(tc, test_S3_cluster_of_8_one_member_failing_at_start);
    ITEST_ADD(tc, test_S1_cluster_that_cannot_start_leaves_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return itest_run_suite(cluster_suite());
}
