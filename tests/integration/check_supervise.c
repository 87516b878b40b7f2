/* Supervisors (actr/supervise.h, SEMANTICS S26): the three strategies
 * over real actors killed with SIGKILL, the four restart policies, the
 * intensity limit, the backoff, restarted actors found again by name,
 * and the reporting of every restart. Multi-process: children are
 * tests/bin/hl_srv. */
#include "disc_helpers.h"
#include "itest.h"

#include "hlmod.actor.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

/* Waits up to 20 s until child name has been restarted n times and runs
 * again; returns its pid (0 for a task child). */
static int64_t
wait_restarted(actr_supervisor *s, const char *name, unsigned n)
{
    int64_t until = actr_now() + 20000;
    actr_sup_child_info ci;
    while (actr_now() < until) {
        if (actr_supervisor_child(s, name, &ci) == 0 && ci.restarts >= n &&
            ci.state == ACTR_SUP_RUNNING)
            return ci.portal ? actr_portal_pid(ci.portal) : 0;
        ck_assert_actr_ok(actr_sleep(5));
    }
    ck_abort_msg("child %s was not restarted %u times in time", name, n);
    return -1;
}

static int64_t
pid_of(actr_supervisor *s, const char *name)
{
    actr_sup_child_info ci;
    ck_assert_actr_ok(actr_supervisor_child(s, name, &ci));
    ck_assert_ptr_nonnull(ci.portal);
    return actr_portal_pid(ci.portal);
}

/* Starts actor children called names[0..n) (hl_srv, permanent, the actor
 * is the child). */
static void
start_actors(actr_supervisor *s, const char *const *names, int n)
{
    actr_spawn_opts so = itest_hl_opts();
    for (int i = 0; i < n; i++) {
        actr_sup_child_spec cs = {.name = names[i], .restart = ACTR_RESTART_PERMANENT,
                                  .spawn = &so};
        ck_assert_actr_ok(actr_supervisor_start(s, &cs, NULL));
    }
}

struct strat {
    actr_sup_strategy strategy;
    int restarted[3];           /* which of a, b, c must come back after b dies */
};

static int
body_strategy(actr_actor *self, void *arg)
{
    (void)self;
    const struct strat *st = arg;
    static const char *const names[] = {"a", "b", "c"};
    actr_actor_nursery *an;
    actr_supervisor *s;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_sup_opts o = {.name = "strat", .strategy = st->strategy};
    ck_assert_actr_ok(actr_supervisor_open(an, &o, &s));
    start_actors(s, names, 3);
    int64_t before[3];
    for (int i = 0; i < 3; i++)
        before[i] = pid_of(s, names[i]);
    itest_log_start(ACTR_LOG_WARNING);
    ck_assert_int_eq(kill((pid_t)before[1], SIGKILL), 0);
    wait_restarted(s, "b", 1);
    for (int i = 0; i < 3; i++)
        if (st->restarted[i])
            wait_restarted(s, names[i], 1);
    /* Give a wrongly restarted sibling time to show. */
    ck_assert_actr_ok(actr_sleep(100));
    itest_log_stop();
    for (int i = 0; i < 3; i++) {
        actr_sup_child_info ci;
        ck_assert_actr_ok(actr_supervisor_child(s, names[i], &ci));
        ck_assert_uint_eq(ci.restarts, (unsigned)st->restarted[i]);
        int64_t now = pid_of(s, names[i]);
        if (st->restarted[i])
            ck_assert_int_ne(now, before[i]);
        else
            ck_assert_int_eq(now, before[i]);
        if (i != 1)
            ck_assert(!st->restarted[i] || itest_pid_gone((int)before[i], 5000));
    }
    /* Reported: the child, its exit reason with the signal, its count. */
    ck_assert_msg(itest_log_count("supervisor strat: restarting b (restart 1)",
                                  "killed by SIGKILL", NULL) == 1, "%s", itest_log_text());
    ck_assert_actr_ok(actr_supervisor_close(s));
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    for (int i = 0; i < 3; i++)
        ck_assert(itest_pid_gone((int)before[i], 5000));
    return 0;
}

START_TEST(test_S26_one_for_one_restarts_only_the_killed_actor)
{
    test_expect_log("killed by SIGKILL");
    test_expect_log("supervise: supervisor ");
    struct strat st = {ACTR_SUP_ONE_FOR_ONE, {0, 1, 0}};
    itest_run_root(body_strategy, &st);
}
END_TEST

START_TEST(test_S26_one_for_all_restarts_every_actor)
{
    test_expect_log("killed by SIGKILL");
    test_expect_log("supervise: supervisor ");
    struct strat st = {ACTR_SUP_ONE_FOR_ALL, {1, 1, 1}};
    itest_run_root(body_strategy, &st);
}
END_TEST

START_TEST(test_S26_rest_for_one_restarts_it_and_the_later_ones)
{
    test_expect_log("killed by SIGKILL");
    test_expect_log("supervise: supervisor ");
    struct strat st = {ACTR_SUP_REST_FOR_ONE, {0, 1, 1}};
    itest_run_root(body_strategy, &st);
}
END_TEST

/* ------------------------------------------------------------ policies */

/* A task child: each run ends after `ms` with rc (0: normally). */
struct task_child {
    int runs;
    int ms;
    int rc;
    int64_t at[16];             /* when each run started */
    int released;
};

static int
task_run(actr_sup_run *r, actr_portal *p, void *arg)
{
    struct task_child *t = arg;
    ck_assert_ptr_null(p);
    ck_assert_uint_eq(actr_sup_run_restarts(r), (unsigned)t->runs);
    if (t->runs < 16)
        t->at[t->runs] = actr_now();
    t->runs++;
    int rc = actr_sup_started(r, t);
    ck_assert_actr_err(actr_sup_started(r, t), ACTR_ESTATE);
    if (rc == 0)
        rc = actr_sleep(t->ms);
    if (rc < 0)
        return rc;
    return t->rc ? actr_error_set(t->rc, "%s ends with %s", actr_sup_run_name(r),
                                  actr_errname(t->rc)) : 0;
}

static void
task_release(void *arg)
{
    ((struct task_child *)arg)->released++;
}

static void
start_task(actr_supervisor *s, const char *name, actr_restart restart, struct task_child *t)
{
    actr_sup_child_spec cs = {.name = name, .restart = restart, .run = task_run, .arg = t,
                              .release = task_release};
    void *started = NULL;
    ck_assert_actr_ok(actr_supervisor_start(s, &cs, &started));
    ck_assert_ptr_eq(started, t);
}

static int
body_policies(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_supervisor *s;
    actr_sup_opts o = {.name = "pol", .max_restarts = 10, .backoff_ms = -1};
    ck_assert_actr_ok(actr_supervisor_open(NULL, &o, &s));
    struct task_child perm_ok = {.ms = 20}, trans_ok = {.ms = 20},
                      trans_bad = {.ms = 20, .rc = ACTR_EIO},
                      temp_bad = {.ms = 20, .rc = ACTR_EIO};
    itest_log_start(ACTR_LOG_INFO);
    start_task(s, "perm_ok", ACTR_RESTART_PERMANENT, &perm_ok);
    start_task(s, "trans_ok", ACTR_RESTART_TRANSIENT, &trans_ok);
    start_task(s, "trans_bad", ACTR_RESTART_TRANSIENT, &trans_bad);
    start_task(s, "temp_bad", ACTR_RESTART_TEMPORARY, &temp_bad);
    /* Permanent: back after a normal end; transient: only after a failure. */
    wait_restarted(s, "perm_ok", 2);
    wait_restarted(s, "trans_bad", 2);
    actr_sup_child_info ci;
    ck_assert_actr_err(actr_supervisor_child(s, "trans_ok", &ci), ACTR_ENOTFOUND);
    ck_assert_actr_err(actr_supervisor_child(s, "temp_bad", &ci), ACTR_ENOTFOUND);
    ck_assert_int_eq(trans_ok.runs, 1);
    ck_assert_int_eq(temp_bad.runs, 1);
    ck_assert_int_eq(trans_ok.released, 1);
    ck_assert_int_eq(temp_bad.released, 1);
    itest_log_stop();
    ck_assert_int_eq(itest_log_count("temporary child temp_bad ended (not restarted)",
                                     "ACTR_EIO", "temp_bad ends with ACTR_EIO", NULL), 1);
    ck_assert_int_ge(itest_log_count("restarting trans_bad", "trans_bad ends with", NULL), 2);
    /* Stopping by name: forgotten, released, not restarted. */
    ck_assert_actr_ok(actr_supervisor_stop(s, "perm_ok"));
    ck_assert_int_eq(perm_ok.released, 1);
    ck_assert_actr_err(actr_supervisor_stop(s, "perm_ok"), ACTR_ENOTFOUND);
    int runs = perm_ok.runs;
    ck_assert_actr_ok(actr_sleep(60));
    ck_assert_int_eq(perm_ok.runs, runs);
    ck_assert_actr_ok(actr_supervisor_close(s));
    ck_assert_int_eq(trans_bad.released, 1);
    return 0;
}

START_TEST(test_S26_restart_policies)
{
    test_expect_log("supervise: supervisor ");
    itest_run_root(body_policies, NULL);
}
END_TEST

/* An unsupervised child's failure is the supervisor's: the body between
 * open and close is cancelled, close reports the child's error. */
static int
body_unsupervised(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_supervisor *s;
    ck_assert_actr_ok(actr_supervisor_open(NULL, NULL, &s));
    struct task_child bad = {.ms = 30, .rc = ACTR_EIO}, other = {.ms = 100000};
    start_task(s, "other", ACTR_RESTART_PERMANENT, &other);
    start_task(s, "bad", ACTR_RESTART_NONE, &bad);
    ck_assert_actr_err(actr_sleep(20000), ACTR_ECANCELED);
    ck_assert_actr_err(actr_supervisor_close(s), ACTR_EIO);
    ck_assert_str_eq(actr_last_error()->message, "bad ends with ACTR_EIO");
    ck_assert_int_eq(bad.runs, 1);
    ck_assert_int_eq(other.released, 1);
    return 0;
}

START_TEST(test_S26_unsupervised_failure_fails_the_supervisor)
{
    test_expect_log("it is not supervised: giving up, stopping every child");
    itest_run_root(body_unsupervised, NULL);
}
END_TEST

/* ------------------------------------------------------------ intensity */

struct failing {
    int runs;
    int64_t pids[8];
};

/* Opens hlmod:serve on the child's actor; it fails after 30 ms. */
static int
serve_run(actr_sup_run *r, actr_portal *p, void *arg)
{
    struct failing *f = arg;
    hlmod_serve *c;
    hlmod_info info;
    int rc = hlmod_serve_open(p, actr_str_from("flaky"), 30, ACTR_STR("ValueError"), NULL,
                              &c, &info);
    if (rc < 0)
        return rc;
    if (f->runs < 8)
        f->pids[f->runs] = info.pid;
    f->runs++;
    hlmod_info_free(&info);
    if ((rc = actr_sup_started(r, NULL)) == 0)
        rc = hlmod_serve_result(c, NULL);
    int crc = hlmod_serve_close(c);
    return rc < 0 ? rc : crc;
}

static int
body_intensity(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    actr_supervisor *s;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_sup_opts o = {.name = "flaky-sup", .max_restarts = 2, .period_ms = 60000};
    ck_assert_actr_ok(actr_supervisor_open(an, &o, &s));
    actr_spawn_opts so = itest_hl_opts();
    struct failing f = {0};
    static const char *const sib[] = {"sibling"};
    start_actors(s, sib, 1);
    int64_t sibling = pid_of(s, "sibling");
    actr_sup_child_spec cs = {.name = "flaky", .restart = ACTR_RESTART_PERMANENT,
                              .spawn = &so, .run = serve_run, .arg = &f};
    itest_log_start(ACTR_LOG_WARNING);
    ck_assert_actr_ok(actr_supervisor_start(s, &cs, NULL));
    /* Three failures: two restarts, then the limit. */
    ck_assert_actr_err(actr_supervisor_wait(s), ACTR_EREMOTE);
    itest_log_stop();
    ck_assert_str_eq(actr_last_error()->type_name, "ValueError");
    ck_assert_str_eq(actr_last_error()->message, "flaky failed");
    ck_assert_int_eq(f.runs, 3);
    ck_assert_int_ne(f.pids[0], f.pids[1]);
    ck_assert_int_ne(f.pids[1], f.pids[2]);
    ck_assert_int_eq(itest_log_count("restarting flaky", "ValueError: flaky failed", NULL), 2);
    ck_assert_int_eq(itest_log_count("restarting flaky (restart 2)", NULL), 1);
    ck_assert_int_eq(itest_log_count("supervisor flaky-sup: child flaky: ValueError: flaky"
                                     " failed; 2 restarts within 60000 ms already: giving up",
                                     NULL), 1);
    /* It stopped the rest: the sibling is gone, and so is every flaky. */
    ck_assert(itest_pid_gone((int)sibling, 5000));
    for (int i = 0; i < 3; i++)
        ck_assert(itest_pid_gone((int)f.pids[i], 5000));
    /* The body is cancelled; close fails upward with the last error. */
    ck_assert_int_eq(actr_task_cancelled(), 1);
    ck_assert_actr_err(actr_supervisor_close(s), ACTR_EREMOTE);
    ck_assert_str_eq(actr_last_error()->message, "flaky failed");
    ck_assert_str_eq(actr_last_error()->type_name, "ValueError");
    ck_assert_int_eq(actr_task_cancelled(), 0);       /* that scope is gone */
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S26_intensity_limit_fails_up_with_the_last_error)
{
    test_expect_log("supervise: supervisor ");
    itest_run_root(body_intensity, NULL);
}
END_TEST

/* ------------------------------------------------------------ backoff */

static int
body_backoff(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_supervisor *s;
    actr_sup_opts o = {.max_restarts = 10, .period_ms = 60000, .backoff_ms = 40,
                       .backoff_max_ms = 160};
    ck_assert_actr_ok(actr_supervisor_open(NULL, &o, &s));
    struct task_child t = {.ms = 0, .rc = ACTR_EIO};
    start_task(s, "crashy", ACTR_RESTART_PERMANENT, &t);
    for (int64_t until = actr_now() + 20000; t.runs < 6 && actr_now() < until;)
        ck_assert_actr_ok(actr_sleep(5));
    ck_assert_int_ge(t.runs, 6);
    ck_assert_actr_ok(actr_supervisor_close(s));
    /* Waits of at least d/2: 20, 40, 80, 80, 80 ms (d doubles from 40,
     * capped at 160). Only lower bounds: a loaded machine is slower. */
    const int64_t min_gap[] = {20, 40, 80, 80, 80};
    for (int i = 0; i < 5; i++)
        ck_assert_msg(t.at[i + 1] - t.at[i] >= min_gap[i], "gap %d: %lld ms", i,
                      (long long)(t.at[i + 1] - t.at[i]));
    return 0;
}

START_TEST(test_S26_backoff_grows_exponentially)
{
    test_expect_log("supervise: supervisor ");
    itest_run_root(body_backoff, NULL);
}
END_TEST

/* ------------------------------------------------------------ names */

static int
body_found_again(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    actr_supervisor *s;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    ck_assert_actr_ok(actr_supervisor_open(an, NULL, &s));
    static const char *const names[] = {"named"};
    start_actors(s, names, 1);
    /* A caller that found it by name (once it registered)... */
    actr_portal *p;
    actr_scope sc;
    ck_assert_actr_ok(actr_fail_after(&sc, 20000));
    ck_assert_actr_ok(actr_wait_for_actor("named", NULL, 0, &p));
    ck_assert_actr_ok(actr_scope_exit(&sc));
    int64_t pid = 0;
    ck_assert_actr_ok(hlmod_pid(p, &pid));
    /* ...loses it... */
    ck_assert_int_eq(kill((pid_t)pid, SIGKILL), 0);
    ck_assert_actr_err(hlmod_pid(p, &pid), ACTR_ECLOSED);
    actr_portal_close(p);
    /* ...and finds the restarted one under the same name. */
    ck_assert_actr_ok(actr_fail_after(&sc, 20000));
    ck_assert_actr_ok(actr_wait_for_actor("named", NULL, 0, &p));
    ck_assert_actr_ok(actr_scope_exit(&sc));
    int64_t pid2 = 0;
    ck_assert_actr_ok(hlmod_pid(p, &pid2));
    ck_assert_int_ne(pid2, pid);
    ck_assert_int_eq(pid2, pid_of(s, "named"));
    actr_portal_close(p);
    ck_assert_actr_ok(actr_supervisor_close(s));
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S26_restarted_actor_found_again_by_name)
{
    test_expect_log("killed by SIGKILL");
    test_expect_log("supervise: supervisor ");
    itest_begin();
    const char *any[] = {"tcp://127.0.0.1:0"};
    ck_assert_int_eq(disc_root(any, 1, body_found_again, NULL), 0);
    itest_end();
}
END_TEST

/* ------------------------------------------------------------ bad input */

static int
early_run(actr_sup_run *r, actr_portal *p, void *arg)
{
    (void)r;
    (void)p;
    (void)arg;
    return actr_error_set(ACTR_EIO, "too early");
}

static int
body_bad_specs(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_supervisor *s;
    actr_sup_opts bad = {.period_ms = -1};
    ck_assert_actr_err(actr_supervisor_open(NULL, &bad, &s), ACTR_EINVAL);
    actr_sup_opts bad2 = {.strategy = (actr_sup_strategy)7};
    ck_assert_actr_err(actr_supervisor_open(NULL, &bad2, &s), ACTR_EINVAL);
    ck_assert_actr_ok(actr_supervisor_open(NULL, NULL, &s));
    struct task_child t = {.ms = 100000};
    actr_spawn_opts so = itest_hl_opts();
    actr_sup_child_spec none = {.name = "x"};
    ck_assert_actr_err(actr_supervisor_start(s, &none, NULL), ACTR_EINVAL);
    actr_sup_child_spec noname = {.run = task_run, .arg = &t};
    ck_assert_actr_err(actr_supervisor_start(s, &noname, NULL), ACTR_EINVAL);
    actr_sup_child_spec noan = {.name = "y", .spawn = &so};
    ck_assert_actr_err(actr_supervisor_start(s, &noan, NULL), ACTR_EINVAL);
    ck_assert_str_eq(actr_last_error()->message, "child y: supervisor supervisor has no actor"
                     " nursery to spawn into");
    start_task(s, "t", ACTR_RESTART_PERMANENT, &t);
    actr_sup_child_spec dup = {.name = "t", .run = task_run, .arg = &t};
    ck_assert_actr_err(actr_supervisor_start(s, &dup, NULL), ACTR_EINVAL);
    /* A run that fails before started: the start reports it, the child
     * is not kept, release is not called. */
    struct task_child early = {0};
    actr_sup_child_spec fails = {.name = "early", .run = early_run, .arg = &early,
                                 .release = task_release};
    ck_assert_actr_err(actr_supervisor_start(s, &fails, NULL), ACTR_EIO);
    ck_assert_str_eq(actr_last_error()->message, "too early");
    ck_assert_actr_err(actr_supervisor_child(s, "early", NULL), ACTR_ENOTFOUND);
    ck_assert_int_eq(early.released, 0);
    ck_assert_actr_ok(actr_supervisor_stop(s, "t"));
    ck_assert_actr_err(actr_supervisor_stop(s, "nope"), ACTR_ENOTFOUND);
    ck_assert_uint_eq(actr_supervisor_children(s, NULL, 0), 0);
    ck_assert_actr_ok(actr_supervisor_wait(s));
    ck_assert_actr_ok(actr_supervisor_close(s));
    return 0;
}

START_TEST(test_S26_bad_specs_are_clear_errors)
{
    itest_run_root(body_bad_specs, NULL);
}
END_TEST

static Suite *
supervise_suite(void)
{
    Suite *s = suite_create("supervise");
    TCase *tc = tcase_create("supervise");
    tcase_set_timeout(tc, 120);
    ITEST_ADD(tc, test_S26_one_for_one_restarts_only_the_killed_actor);
    ITEST_ADD(tc, test_S26_one_for_all_restarts_every_actor);
    ITEST_ADD(tc, test_S26_rest_for_one_restarts_it_and_the_later_ones);
    ITEST_ADD(tc, test_S26_restart_policies);
    ITEST_ADD(tc, test_S26_unsupervised_failure_fails_the_supervisor);
    ITEST_ADD(tc, test_S26_intensity_limit_fails_up_with_the_last_error);
    ITEST_ADD(tc, test_S26_backoff_grows_exponentially);
    ITEST_ADD(tc, test_S26_restarted_actor_found_again_by_name);
    ITEST_ADD(tc, test_S26_bad_specs_are_clear_errors);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return itest_run_suite(supervise_suite());
}
