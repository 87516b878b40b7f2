/* What the layers above the actor layer add to it (actr/actor.h,
 * actr/portal.h, actr/ctx.h): modules served at run time, background
 * tasks, stopping one daemon child, its exit status and pid, and the
 * attachment slot of a context. The rules they serve: S5 (names), S1
 * (no child left), S26 (a supervisor learns a child's exit reason), S22
 * (a broadcast lives with its context). */
#include "itest.h"

#include "servemod.actor.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int
servemod_hello_impl(actr_call *call, actr_str *out)
{
    (void)call;
    static char buf[96];
    snprintf(buf, sizeof buf, "served by %s", actr_actor_name(actr_self()));
    *out = actr_str_from(buf);
    return 0;
}

/* A portal to this very actor (a function call to oneself is allowed). */
static actr_portal *
self_portal(actr_actor *self)
{
    char url[ACTR_ADDR_URL_MAX];
    ck_assert_int_gt(actr_actor_url(self, url, sizeof url), 0);
    actr_portal *p;
    ck_assert_actr_ok(actr_portal_open(url, &p));
    return p;
}

static int
body_serve(actr_actor *self, void *arg)
{
    (void)arg;
    actr_portal *p = self_portal(self);
    actr_str out = {0};
    /* Not served yet: ModuleNotExposed (S5). */
    ck_assert_actr_err(servemod_hello(p, &out), ACTR_ENOTFOUND);
    ck_assert_str_eq(actr_last_error()->type_name, "ModuleNotExposed");
    ck_assert_actr_ok(actr_actor_serve(self, &servemod_module));
    ck_assert_actr_ok(servemod_hello(p, &out));
    ck_assert_str_eq(out.ptr, "served by root");
    actr_str_free(&out);
    /* One module per namespace; the runtime's own are not for taking. */
    ck_assert_actr_err(actr_actor_serve(self, &servemod_module), ACTR_ESTATE);
    actr_module self_ns = {.name = "x", .ns = "self"};
    ck_assert_actr_err(actr_actor_serve(self, &self_ns), ACTR_EINVAL);
    ck_assert_actr_err(actr_actor_serve(self, NULL), ACTR_EINVAL);
    ck_assert_actr_ok(actr_actor_unserve(self, &servemod_module));
    ck_assert_actr_err(actr_actor_unserve(self, &servemod_module), ACTR_ENOTFOUND);
    ck_assert_actr_err(servemod_hello(p, &out), ACTR_ENOTFOUND);
    ck_assert_str_eq(actr_last_error()->type_name, "ModuleNotExposed");
    actr_portal_close(p);
    return 0;
}

START_TEST(test_S5_module_served_at_run_time)
{
    itest_run_root(body_serve, NULL);
}
END_TEST

/* ------------------------------------------------------------ background tasks */

struct bg {
    actr_event ran;
    actr_event cancelled;
};

static int
bg_outlives(void *arg)
{
    struct bg *b = arg;
    actr_event_set(&b->ran);
    /* Cancelled by the actor's teardown, which waits for us. */
    if (actr_sleep_until(ACTR_FOREVER) == ACTR_ECANCELED)
        actr_event_set(&b->cancelled);
    return 0;
}

static int
bg_fails(void *arg)
{
    (void)arg;
    return actr_error_set(ACTR_EIO, "a background task fails");
}

static int
spawner(void *arg)
{
    ck_assert_actr_ok(actr_actor_spawn(bg_outlives, arg, "outlives"));
    return 0;                   /* returns at once: the task lives on */
}

static struct bg bg_state;

static int
body_background(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_event_init(&bg_state.ran);
    actr_event_init(&bg_state.cancelled);
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, spawner, &bg_state));
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_actr_ok(actr_event_wait(&bg_state.ran, actr_deadline_in(5000)));
    /* A failure is logged, not a failure of the actor. */
    itest_log_start(ACTR_LOG_WARNING);
    ck_assert_actr_ok(actr_actor_spawn(bg_fails, NULL, "fails"));
    ck_assert_actr_ok(actr_sleep(20));
    itest_log_stop();
    ck_assert_int_eq(itest_log_count("background task fails failed", "ACTR_EIO", NULL), 1);
    ck_assert_actr_err(actr_actor_spawn(NULL, NULL, "x"), ACTR_EINVAL);
    ck_assert(!actr_event_is_set(&bg_state.cancelled));
    return 0;
}

START_TEST(test_S15_background_task_outlives_its_spawner)
{
    itest_begin();
    ck_assert_int_eq(itest_root(body_background, NULL), 0);
    /* actr_main returned: the teardown cancelled and waited for it. */
    ck_assert(actr_event_is_set(&bg_state.cancelled));
    itest_end();
}
END_TEST

/* ------------------------------------------------------------ one child */

static int
body_stop(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    actr_portal *a = itest_open_with_srv(&an, "a"), *b;
    actr_spawn_opts so = itest_srv_opts();
    ck_assert_actr_ok(actr_actor_nursery_start(an, "b", &so, &b));
    int64_t pid_a = actr_portal_pid(a), remote = 0;
    ck_assert_actr_ok(actr_portal_call(a, itest_ep("pid"), NULL, &remote));
    ck_assert_int_eq(pid_a, remote);
    /* Stopping a: cancelled (exit 0), reaped, forgotten; b serves on. */
    int st = -1;
    ck_assert_actr_ok(actr_actor_nursery_stop(an, a, &st));
    ck_assert(WIFEXITED(st));
    ck_assert(itest_pid_gone((int)pid_a, 0));
    ck_assert_int_eq(kill((pid_t)pid_a, 0), -1);      /* reaped: no zombie */
    actr_str who = {0};
    ck_assert_actr_ok(actr_portal_call(b, itest_ep("whoami"), NULL, &who));
    ck_assert_str_eq(who.ptr, "b");
    actr_str_free(&who);
    /* A run_in_actor child or another nursery's is refused. */
    actr_portal *r;
    testmod_sleep_ms_args sl = {200};
    ck_assert_actr_ok(actr_actor_nursery_run(an, "r", &so, itest_ep("sleep_ms"), &sl, &r));
    ck_assert_actr_err(actr_actor_nursery_stop(an, r, NULL), ACTR_EINVAL);
    ck_assert_actr_err(actr_actor_nursery_stop(an, NULL, NULL), ACTR_EINVAL);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S1_stop_one_daemon_child)
{
    itest_run_root(body_stop, NULL);
}
END_TEST

static int
body_exit_status(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    actr_portal *p = itest_open_with_srv(&an, "victim");
    actr_ctx *c;
    ck_assert_actr_ok(actr_ctx_open(p, itest_ep("sleeper"), NULL, NULL, &c, NULL));
    ck_assert_int_eq(actr_ctx_stream_over(c), 0);
    int st;
    ck_assert_actr_err(actr_portal_wait_exit(p, &st, actr_deadline_in(20)), ACTR_ETIMEDOUT);
    /* Nobody asked it to die: the child's exit tells how. */
    ck_assert_int_eq(kill((pid_t)actr_portal_pid(p), SIGKILL), 0);
    ck_assert_actr_ok(actr_portal_wait_exit(p, &st, actr_deadline_in(10000)));
    ck_assert(WIFSIGNALED(st));
    ck_assert_int_eq(WTERMSIG(st), SIGKILL);
    ck_assert_actr_err(actr_ctx_result(c, NULL), ACTR_ECLOSED);
    ck_assert_int_eq(actr_ctx_stream_over(c), 1);
    ck_assert_actr_err(actr_ctx_close(c), ACTR_ECLOSED);
    int st2 = 0;
    ck_assert_actr_ok(actr_actor_nursery_stop(an, p, &st2));
    ck_assert_int_eq(st2, st);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S26_exit_status_of_a_killed_child)
{
    test_expect_log("child 'victim' (pid");
    itest_run_root(body_exit_status, NULL);
}
END_TEST

/* The nursery's memory and tasks stay bounded over many stop cycles (a
 * supervisor restarting a child). */
static int
body_stop_cycles(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    long tasks0 = -1;
    for (int i = 0; i < 10; i++) {
        actr_portal *p;
        ck_assert_actr_ok(actr_actor_nursery_start(an, "again", &so, &p));
        if (i % 2)
            itest_kill_child("again", actr_portal_pid(p), SIGKILL);
        ck_assert_actr_ok(actr_actor_nursery_stop(an, p, NULL));
        if (tasks0 < 0)
            tasks0 = itest_tasks();
        ck_assert_int_le(itest_tasks(), tasks0);
    }
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S1_stop_cycles_leave_nothing)
{
    itest_run_root(body_stop_cycles, NULL);
}
END_TEST

/* ------------------------------------------------------------ attachment */

static int released;

static void
release_it(void *ext)
{
    ck_assert_ptr_eq(ext, &released);
    released++;
}

static int
body_attach(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    actr_portal *p = itest_open_with_srv(&an, "srv");
    actr_ctx *c;
    testmod_echo_args ea = {itest_str("> ")};
    ck_assert_actr_ok(actr_ctx_open(p, itest_ep("echo"), &ea, NULL, &c, NULL));
    ck_assert_ptr_null(actr_ctx_attached(c));
    ck_assert_actr_ok(actr_ctx_attach(c, &released, release_it));
    ck_assert_ptr_eq(actr_ctx_attached(c), &released);
    ck_assert_actr_err(actr_ctx_attach(c, &released, release_it), ACTR_ESTATE);
    ck_assert_actr_err(actr_ctx_attach(c, NULL, NULL), ACTR_EINVAL);
    /* The peer's Stop ends the stream once nothing is queued. */
    actr_str s = itest_str("x");
    ck_assert_actr_ok(actr_ctx_send(c, &s));
    ck_assert_actr_ok(actr_ctx_done(c));
    ck_assert_actr_ok(actr_ctx_result(c, NULL));
    ck_assert_int_eq(actr_ctx_stream_over(c), 1);
    ck_assert_int_eq(released, 0);
    ck_assert_actr_ok(actr_ctx_close(c));
    ck_assert_int_eq(released, 1);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S22_ctx_attachment_released_at_close)
{
    itest_run_root(body_attach, NULL);
}
END_TEST

static Suite *
extend_suite(void)
{
    Suite *s = suite_create("extend");
    TCase *tc = tcase_create("extend");
    tcase_set_timeout(tc, 60);
    ITEST_ADD(tc, test_S5_module_served_at_run_time);
    ITEST_ADD(tc, test_S15_background_task_outlives_its_spawner);
    ITEST_ADD(tc, test_S1_stop_one_daemon_child);
    ITEST_ADD(tc, test_S26_exit_status_of_a_killed_child);
    ITEST_ADD(tc, test_S1_stop_cycles_leave_nothing);
    ITEST_ADD(tc, test_S22_ctx_attachment_released_at_close);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return itest_run_suite(extend_suite());
}
