/* The service manager (actr/service.h, SEMANTICS S23): one per actor,
 * open/get semantics, service actors, contexts and tasks, cancelling by
 * name, listing, the end of a service, a peer cancelling a service (the
 * manager survives), any other error failing the manager, supervision as
 * an option of a service (S26), and the remote API with
 * actr_service_connect (the seeds' maybe_spawn_daemon). Multi-process:
 * services are tests/bin/hl_srv children. */
#include "disc_helpers.h"
#include "itest.h"

#include "hlmod.actor.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static const actr_endpoint *
serve_ep(void)
{
    return hlmod_serve_endpoint();
}

static actr_service_opts
svc_opts(actr_restart restart)
{
    actr_service_opts o = {.spawn = itest_hl_opts(), .restart = restart};
    return o;
}

/* Starts hlmod:serve as service name; returns its started value. */
static hlmod_info
start_serve(actr_service_mngr *m, const char *name, int64_t fail_ms, const char *fail_type,
            actr_restart restart)
{
    actr_service_opts o = svc_opts(restart);
    hlmod_info info;
    ck_assert_actr_ok(hlmod_serve_start_service(m, name, &o, actr_str_from(name), fail_ms,
                                                actr_str_from(fail_type), &info));
    ck_assert_str_eq(info.name.ptr, name);
    ck_assert_str_eq(info.tag.ptr, name);
    return info;
}

/* Waits up to 20 s until the manager has n services. */
static void
wait_services(actr_service_mngr *m, size_t n)
{
    for (int64_t until = actr_now() + 20000; actr_now() < until;) {
        actr_service_info *v;
        size_t k;
        ck_assert_actr_ok(actr_service_list(m, &v, &k));
        actr_service_infos_free(v, k);
        if (k == n)
            return;
        ck_assert_actr_ok(actr_sleep(5));
    }
    ck_abort_msg("the manager never had %zu services", n);
}

/* ------------------------------------------------------------ opening */

/* A service task: runs until cancelled; *state says where it is. */
static int
task_body(void *arg)
{
    int *state = arg;
    *state = 1;
    int rc = actr_sleep_until(ACTR_FOREVER);
    *state = 2;
    return rc;
}

struct sharer {
    actr_service_mngr *seen;
};

static int
other_task(void *arg)
{
    struct sharer *s = arg;
    actr_service_mngr *m;
    ck_assert_actr_ok(actr_service_mngr_open(NULL, &m));
    s->seen = m;
    ck_assert_int_eq(actr_service_mngr_close(m), 0);
    return 0;
}

static int
body_open_get(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_service_mngr *m, *g, *m2;
    ck_assert_actr_err(actr_service_mngr_get(&g), ACTR_ESTATE);
    ck_assert_str_eq(actr_last_error()->message, "no service manager is open in this actor"
                     " (open one with actr_service_mngr_open first)");
    ck_assert_actr_ok(actr_service_mngr_open(NULL, &m));
    ck_assert_actr_ok(actr_service_mngr_get(&g));
    ck_assert_ptr_eq(g, m);
    ck_assert_actr_ok(actr_service_mngr_open(NULL, &m2));    /* the owner, nested */
    ck_assert_ptr_eq(m2, m);
    struct sharer sh = {0};
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, other_task, &sh));
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_ptr_eq(sh.seen, m);
    /* The owner's inner close only lets go. */
    ck_assert_int_eq(actr_service_mngr_close(m2), 0);
    int state = 0;
    ck_assert_actr_ok(actr_service_start_task(m, "still", ACTR_RESTART_NONE, task_body,
                                              &state));
    /* The owner's last close tears it down; what g points to is closed. */
    ck_assert_int_eq(actr_service_mngr_close(m), 0);
    actr_service_info *v;
    size_t k;
    ck_assert_actr_err(actr_service_list(g, &v, &k), ACTR_ECLOSED);
    ck_assert_int_eq(state, 2);             /* cancelled by the teardown */
    ck_assert_actr_err(actr_service_start_task(g, "late", ACTR_RESTART_NONE, task_body,
                                               &state), ACTR_ECLOSED);
    ck_assert_actr_err(actr_service_mngr_get(&g), ACTR_ESTATE);
    /* A new open allocates a new one. */
    ck_assert_actr_ok(actr_service_mngr_open(NULL, &m));
    ck_assert_int_eq(actr_service_mngr_close(m), 0);
    return 0;
}

START_TEST(test_S23_open_shares_get_fails_before_open)
{
    itest_run_root(body_open_get, NULL);
}
END_TEST

/* ------------------------------------------------------------ starting */

static int
body_start(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_service_mngr *m;
    ck_assert_actr_ok(actr_service_mngr_open(NULL, &m));
    hlmod_info a = start_serve(m, "alpha", 0, "", ACTR_RESTART_NONE);
    ck_assert_int_ne(a.pid, getpid());
    /* Idempotent by name: the same service, its started value. */
    hlmod_info again = start_serve(m, "alpha", 0, "", ACTR_RESTART_NONE);
    ck_assert_int_eq(again.pid, a.pid);
    hlmod_info b = start_serve(m, "beta", 0, "", ACTR_RESTART_NONE);
    /* Listed with their state, in start order. */
    actr_service_info *v;
    size_t n;
    ck_assert_actr_ok(actr_service_list(m, &v, &n));
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(v[0].name, "alpha");
    ck_assert_str_eq(v[1].name, "beta");
    ck_assert_int_eq(v[0].kind, ACTR_SERVICE_ACTOR);
    ck_assert_int_eq(v[0].state, ACTR_SUP_RUNNING);
    ck_assert_int_eq(v[1].pid, b.pid);
    ck_assert_ptr_nonnull(strstr(v[0].uid, "alpha."));
    hlmod_info dec;
    ck_assert_actr_ok(hlmod_info_decode_buf(v[1].started.ptr, v[1].started.len, &dec, NULL,
                                            NULL));
    ck_assert_str_eq(dec.tag.ptr, "beta");
    hlmod_info_free(&dec);
    actr_service_infos_free(v, n);
    actr_service_info one;
    ck_assert_actr_ok(actr_service_find(m, "beta", &one));
    ck_assert_str_eq(actr_service_kind_name(one.kind), "actor");
    actr_service_info_clear(&one);
    ck_assert_actr_err(actr_service_find(m, "gamma", &one), ACTR_ENOTFOUND);
    /* Bad input: clear errors. */
    hlmod_serve_args sa = {ACTR_STR("x"), 0, ACTR_STR("")};
    ck_assert_actr_err(actr_service_start(m, "", NULL, serve_ep(), &sa, NULL), ACTR_EINVAL);
    ck_assert_actr_err(actr_service_start(m, "x", NULL, actr_module_find(&hlmod_module, "pid",
                                                                          3), NULL, NULL),
                       ACTR_EINVAL);
    /* A start that fails keeps nothing. */
    actr_service_opts o = svc_opts(ACTR_RESTART_NONE);
    hlmod_serve_args early = {ACTR_STR("early"), -1, ACTR_STR("KeyError")};
    ck_assert_actr_err(actr_service_start(m, "early", &o, serve_ep(), &early, NULL),
                       ACTR_EREMOTE);
    ck_assert_str_eq(actr_last_error()->type_name, "KeyError");
    ck_assert_actr_err(actr_service_find(m, "early", &one), ACTR_ENOTFOUND);
    /* cancel_service: gone when it returns. */
    ck_assert_actr_ok(actr_service_cancel(m, "alpha"));
    ck_assert(itest_pid_gone((int)a.pid, 0));
    ck_assert_actr_err(actr_service_cancel(m, "alpha"), ACTR_ENOTFOUND);
    ck_assert_actr_err(actr_service_cancel_task(m, "beta"), ACTR_EINVAL);
    ck_assert_int_eq(actr_service_mngr_close(m), 0);
    ck_assert(itest_pid_gone((int)b.pid, 0));
    hlmod_info_free(&a);
    hlmod_info_free(&again);
    hlmod_info_free(&b);
    return 0;
}

START_TEST(test_S23_start_service_list_find_cancel)
{
    itest_run_root(body_start, NULL);
}
END_TEST

/* start_service_ctx on an actor of ours; start_service_task. */

static int
body_ctx_and_task(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    actr_portal *p = itest_open_with_hl(&an, "theirs");
    actr_service_mngr *m;
    ck_assert_actr_ok(actr_service_mngr_open(NULL, &m));
    hlmod_serve_args a = {ACTR_STR("on-theirs"), 0, ACTR_STR("")};
    hlmod_info info;
    ck_assert_actr_ok(actr_service_start_ctx(m, "ctxsvc", p, serve_ep(), &a, &info));
    ck_assert_str_eq(info.name.ptr, "theirs");
    hlmod_info_free(&info);
    int state = 0;
    ck_assert_actr_ok(actr_service_start_task(m, "ticker", ACTR_RESTART_NONE, task_body,
                                              &state));
    ck_assert_int_eq(state, 1);
    actr_service_info i;
    ck_assert_actr_ok(actr_service_find(m, "ctxsvc", &i));
    ck_assert_int_eq(i.kind, ACTR_SERVICE_CTX);
    actr_service_info_clear(&i);
    ck_assert_actr_ok(actr_service_find(m, "ticker", &i));
    ck_assert_int_eq(i.kind, ACTR_SERVICE_TASK);
    ck_assert_ptr_null(i.uid);
    actr_service_info_clear(&i);
    ck_assert_actr_err(actr_service_cancel(m, "ticker"), ACTR_EINVAL);
    ck_assert_actr_ok(actr_service_cancel_task(m, "ticker"));
    ck_assert_int_eq(state, 2);
    ck_assert_actr_err(actr_service_cancel_task(m, "ticker"), ACTR_ENOTFOUND);
    /* The context's end cancels its actor, ours or not. */
    ck_assert_actr_ok(actr_service_cancel(m, "ctxsvc"));
    int st;
    ck_assert_actr_ok(actr_portal_wait_exit(p, &st, actr_deadline_in(10000)));
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ck_assert_int_eq(actr_service_mngr_close(m), 0);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S23_service_ctx_and_service_task)
{
    itest_run_root(body_ctx_and_task, NULL);
}
END_TEST

/* ------------------------------------------------------------ ends */

static int
body_end(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_service_mngr *m;
    ck_assert_actr_ok(actr_service_mngr_open(NULL, &m));
    hlmod_info keep = start_serve(m, "keeper", 0, "", ACTR_RESTART_NONE);
    hlmod_info brief = start_serve(m, "brief", 50, "", ACTR_RESTART_NONE);
    /* Its context returned: its actor is cancelled, the entry goes. */
    wait_services(m, 1);
    ck_assert(itest_pid_gone((int)brief.pid, 5000));
    actr_service_info i;
    ck_assert_actr_ok(actr_service_find(m, "keeper", &i));
    actr_service_info_clear(&i);
    ck_assert_int_eq(actr_service_mngr_close(m), 0);
    hlmod_info_free(&keep);
    hlmod_info_free(&brief);
    return 0;
}

START_TEST(test_S23_a_service_that_ends_is_removed)
{
    itest_run_root(body_end, NULL);
}
END_TEST

static int
body_peer_cancel(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    actr_portal *peer = itest_open_with_hl(&an, "peer");
    actr_service_mngr *m;
    ck_assert_actr_ok(actr_service_mngr_open(NULL, &m));
    hlmod_info victim = start_serve(m, "victim", 0, "", ACTR_RESTART_NONE);
    itest_log_start(ACTR_LOG_CANCEL);
    bool acked = false;
    ck_assert_actr_ok(hlmod_cancel_at(peer, victim.url, &acked));
    ck_assert(acked);
    wait_services(m, 0);
    itest_log_stop();
    ck_assert_msg(itest_log_count("service victim was cancelled by peer.",
                                  actr_portal_uuid(peer), "not a failure", NULL) == 1, "%s",
                  itest_log_text());
    ck_assert(itest_pid_gone((int)victim.pid, 5000));
    /* The manager runs on. */
    ck_assert_int_eq(actr_task_cancelled(), 0);
    hlmod_info next = start_serve(m, "next", 0, "", ACTR_RESTART_NONE);
    ck_assert_int_eq(actr_service_mngr_close(m), 0);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    hlmod_info_free(&victim);
    hlmod_info_free(&next);
    return 0;
}

START_TEST(test_S23_peer_cancelling_a_service_does_not_fail_the_manager)
{
    itest_run_root(body_peer_cancel, NULL);
}
END_TEST

struct failure {
    const char *fail_type;
    int code;
};

static int
body_failure(actr_actor *self, void *arg)
{
    (void)self;
    const struct failure *f = arg;
    actr_service_mngr *m;
    ck_assert_actr_ok(actr_service_mngr_open(NULL, &m));
    hlmod_info other = start_serve(m, "other", 0, "", ACTR_RESTART_NONE);
    hlmod_info bad = start_serve(m, "bad", 50, f->fail_type, ACTR_RESTART_NONE);
    /* The owner's body is cancelled; close reports the service's error. */
    ck_assert_actr_err(actr_sleep(20000), ACTR_ECANCELED);
    ck_assert_actr_err(actr_service_mngr_close(m), f->code);
    const actr_error *e = actr_last_error();
    if (f->code == ACTR_EREMOTE) {
        ck_assert_str_eq(e->type_name, "ValueError");
        ck_assert_str_eq(e->message, "bad failed");
        ck_assert_ptr_nonnull(strstr(e->src_uid, "bad."));
    } else {
        ck_assert_str_eq(e->type_name, "ContextCancelled");
        ck_assert_ptr_nonnull(strstr(e->canceller_uid, "bad."));
    }
    ck_assert(itest_pid_gone((int)other.pid, 0));
    ck_assert(itest_pid_gone((int)bad.pid, 0));
    hlmod_info_free(&other);
    hlmod_info_free(&bad);
    return 0;
}

START_TEST(test_S23_any_other_error_fails_the_manager)
{
    test_expect_log("it is not supervised: giving up, stopping every child");
    struct failure f = {"ValueError", ACTR_EREMOTE};
    itest_run_root(body_failure, &f);
}
END_TEST

START_TEST(test_S23_a_service_cancelling_itself_fails_the_manager)
{
    test_expect_log("it is not supervised: giving up, stopping every child");
    struct failure f = {"self-cancel", ACTR_ECTXCANCEL};
    itest_run_root(body_failure, &f);
}
END_TEST

/* ------------------------------------------------------------ S26 */

static int
body_supervised(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_service_mngr *m;
    actr_service_mngr_opts mo = {.sup = {.max_restarts = 5}};
    ck_assert_actr_ok(actr_service_mngr_open(&mo, &m));
    hlmod_info s1 = start_serve(m, "phoenix", 0, "", ACTR_RESTART_PERMANENT);
    ck_assert_int_eq(kill((pid_t)s1.pid, SIGKILL), 0);
    actr_service_info i = {0};
    for (int64_t until = actr_now() + 20000; actr_now() < until;) {
        actr_service_info_clear(&i);
        ck_assert_actr_ok(actr_service_find(m, "phoenix", &i));
        if (i.restarts == 1 && i.state == ACTR_SUP_RUNNING && i.pid != s1.pid)
            break;
        ck_assert_actr_ok(actr_sleep(5));
    }
    ck_assert_uint_eq(i.restarts, 1);
    ck_assert_int_ne(i.pid, s1.pid);
    /* The restarted context was opened with the same arguments. */
    hlmod_info s2;
    ck_assert_actr_ok(hlmod_info_decode_buf(i.started.ptr, i.started.len, &s2, NULL, NULL));
    ck_assert_str_eq(s2.tag.ptr, "phoenix");
    ck_assert_int_eq(s2.pid, i.pid);
    actr_service_info_clear(&i);
    ck_assert_int_eq(actr_task_cancelled(), 0);
    ck_assert_int_eq(actr_service_mngr_close(m), 0);
    ck_assert(itest_pid_gone((int)s2.pid, 0));
    hlmod_info_free(&s1);
    hlmod_info_free(&s2);
    return 0;
}

START_TEST(test_S26_supervised_service_is_restarted)
{
    test_expect_log("killed by SIGKILL");
    test_expect_log("supervise: supervisor services: restarting phoenix");
    itest_run_root(body_supervised, NULL);
}
END_TEST

/* ------------------------------------------------------------ remote API */

static int
body_remote(actr_actor *self, void *arg)
{
    (void)arg;
    actr_service_mngr *m;
    ck_assert_actr_ok(actr_service_mngr_open(NULL, &m));
    actr_service_opts o = svc_opts(ACTR_RESTART_NONE);
    hlmod_serve_args defaults = {ACTR_STR("by-request"), 0, ACTR_STR("")};
    ck_assert_actr_ok(actr_service_define(m, "feed", &o, serve_ep(), &defaults));
    actr_actor_nursery *an;
    actr_portal *client = itest_open_with_hl(&an, "client");
    /* maybe_spawn_daemon: not found, so the daemon ("root") starts it. */
    actr_str first = {0}, second = {0};
    ck_assert_actr_ok(hlmod_connect(client, ACTR_STR("root"), ACTR_STR("feed"), &first));
    ck_assert_int_eq(strncmp(first.ptr, "feed ", 5), 0);
    /* Found by name the second time: the same actor (name and pid). */
    ck_assert_actr_ok(hlmod_connect(client, ACTR_STR("root"), ACTR_STR("feed"), &second));
    ck_assert_str_eq(second.ptr, first.ptr);
    actr_str_free(&first);
    actr_str_free(&second);

    /* The API itself, over the wire (a portal to this actor). */
    char url[ACTR_ADDR_URL_MAX];
    ck_assert_int_gt(actr_actor_url(self, url, sizeof url), 0);
    actr_portal *d;
    ck_assert_actr_ok(actr_portal_open(url, &d));
    actr_service_info i;
    ck_assert_actr_ok(actr_service_remote_find(d, "feed", &i));
    ck_assert_str_eq(i.name, "feed");
    ck_assert_int_eq(i.state, ACTR_SUP_RUNNING);
    ck_assert_int_eq(i.kind, ACTR_SERVICE_ACTOR);
    actr_service_info_clear(&i);
    ck_assert_actr_err(actr_service_remote_find(d, "nope", &i), ACTR_ENOTFOUND);
    /* A start with the request's own arguments, typed both ways. */
    ck_assert_actr_ok(actr_service_define(m, "feed2", &o, serve_ep(), &defaults));
    hlmod_serve_args mine = {ACTR_STR("mine"), 0, ACTR_STR("")};
    hlmod_info started;
    ck_assert_actr_ok(actr_service_remote_start(d, "feed2", serve_ep(), &mine, &started, &i));
    ck_assert_str_eq(started.tag.ptr, "mine");
    ck_assert_int_eq(started.pid, i.pid);
    hlmod_info_free(&started);
    actr_service_info_clear(&i);
    /* The typed stub: already running, its started value back. */
    ck_assert_actr_ok(hlmod_serve_request_service(d, "feed2", ACTR_STR("ignored"), 0,
                                                  ACTR_STR(""), &started));
    ck_assert_str_eq(started.tag.ptr, "mine");
    hlmod_info_free(&started);
    actr_service_info *v;
    size_t n;
    ck_assert_actr_ok(actr_service_remote_list(d, &v, &n));
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(v[0].name, "feed");
    ck_assert_str_eq(v[1].name, "feed2");
    actr_service_infos_free(v, n);
    ck_assert_actr_ok(actr_service_remote_cancel(d, "feed2"));
    ck_assert_actr_err(actr_service_remote_cancel(d, "feed2"), ACTR_EREMOTE);
    ck_assert_str_eq(actr_last_error()->type_name, "KeyError");
    ck_assert_actr_err(actr_service_remote_start(d, "undefined", NULL, NULL, NULL, NULL),
                       ACTR_EREMOTE);
    ck_assert_str_eq(actr_last_error()->type_name, "KeyError");
    ck_assert_str_eq(actr_last_error()->message, "no service called undefined is defined in"
                     " actor root");
    actr_portal_close(d);
    /* An actor without a manager does not serve the API. */
    ck_assert_actr_err(actr_service_remote_list(client, &v, &n), ACTR_ENOTFOUND);
    ck_assert_str_eq(actr_last_error()->type_name, "ModuleNotExposed");
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    ck_assert_int_eq(actr_service_mngr_close(m), 0);
    return 0;
}

START_TEST(test_S23_remote_api_and_maybe_spawn_daemon)
{
    itest_begin();
    const char *any[] = {"tcp://127.0.0.1:0"};
    ck_assert_int_eq(disc_root(any, 1, body_remote, NULL), 0);
    itest_end();
}
END_TEST

static Suite *
service_suite(void)
{
    Suite *s = suite_create("service");
    TCase *tc = tcase_create("service");
    tcase_set_timeout(tc, 120);
    ITEST_ADD(tc, test_S23_open_shares_get_fails_before_open);
    ITEST_ADD(tc, test_S23_start_service_list_find_cancel);
    ITEST_ADD(tc, test_S23_service_ctx_and_service_task);
    ITEST_ADD(tc, test_S23_a_service_that_ends_is_removed);
    ITEST_ADD(tc, test_S23_peer_cancelling_a_service_does_not_fail_the_manager);
    ITEST_ADD(tc, test_S23_any_other_error_fails_the_manager);
    ITEST_ADD(tc, test_S23_a_service_cancelling_itself_fails_the_manager);
    ITEST_ADD(tc, test_S26_supervised_service_is_restarted);
    ITEST_ADD(tc, test_S23_remote_api_and_maybe_spawn_daemon);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return itest_run_suite(service_suite());
}
