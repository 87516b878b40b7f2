/* The rules of one dialog (SEMANTICS S2, S5-S8, S16-S18) that the dialogs
 * re-cut settled: what each end may do in which state, the end of a
 * stream both ways, several tasks on one context, the served side's
 * queue options, when a full queue is an overrun, contexts into oneself,
 * unknown keyword arguments, a child that cannot serve its modules,
 * actor nurseries closed out of order, and the introspection calls.
 * Each body gets two children: dialogs_srv (dialogs.actor) and
 * actor_srv (testmod). */
#include "itest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dialogs.actor.h"

#define S itest_str

static void
run(itest_body_fn body)
{
    itest_run_with_children(body);
}

/* ------------------------------------------------------------ S8 */

static void
stop_body(actr_actor_nursery *an, actr_portal *dlg, actr_portal *srv)
{
    (void)an;
    (void)srv;
    /* The callee stops first: our recv ends cleanly, then our send fails
     * as tractor's does after the end of the channel. */
    dialogs_stop_rules *c;
    bool started;
    ck_assert_actr_ok(dialogs_stop_rules_open(dlg, true, NULL, &c, &started));
    actr_str v;
    ck_assert_actr_err(dialogs_stop_rules_recv(c, &v), ACTR_EPIPE);
    ck_assert_actr_err(dialogs_stop_rules_send(c, S("late")), ACTR_EPIPE);
    ck_assert_msg(strstr(actr_last_error()->message, "ended the stream") != NULL, "%s",
                  actr_last_error()->message);
    ck_assert_actr_ok(dialogs_stop_rules_done(c));
    actr_str r;
    ck_assert_actr_ok(dialogs_stop_rules_result(c, &r));
    ck_assert_str_eq(r.ptr, "-");
    actr_codec_free(&actr_type_string, &r);
    ck_assert_actr_ok(dialogs_stop_rules_close(c));
    /* We stop first: the callee's recv ends, and then its send fails. */
    ck_assert_actr_ok(dialogs_stop_rules_open(dlg, false, NULL, &c, &started));
    ck_assert_actr_ok(dialogs_stop_rules_send(c, S("one")));
    ck_assert_actr_ok(dialogs_stop_rules_done(c));
    ck_assert_actr_ok(dialogs_stop_rules_result(c, &r));
    ck_assert_str_eq(r.ptr, "ACTR_EPIPE");
    actr_codec_free(&actr_type_string, &r);
    ck_assert_actr_ok(dialogs_stop_rules_close(c));
}

START_TEST(test_S8_send_after_the_peers_stop_is_EPIPE_on_both_ends)
{
    run(stop_body);
}
END_TEST

/* ------------------------------------------------------------ states */

static void
misuse_body(actr_actor_nursery *an, actr_portal *dlg, actr_portal *srv)
{
    (void)an;
    (void)dlg;
    /* A generator's caller only receives, and there is no result. */
    actr_ctx *g;
    testmod_count_args ca = {3};
    ck_assert_actr_ok(actr_stream_open(srv, itest_ep("count"), &ca, &g));
    int64_t v = 0;
    ck_assert_actr_err(actr_ctx_send(g, &v), ACTR_ESTATE);
    ck_assert_ptr_nonnull(strstr(actr_last_error()->message, "only receives"));
    ck_assert_ptr_nonnull(strstr(actr_last_error()->message, "testmod:count"));
    ck_assert_actr_err(actr_ctx_result(g, NULL), ACTR_ESTATE);
    ck_assert_ptr_nonnull(strstr(actr_last_error()->message, "no result"));
    for (int64_t i = 0; i < 3; i++) {
        ck_assert_actr_ok(actr_ctx_recv(g, &v));
        ck_assert_int_eq(v, i);
    }
    ck_assert_actr_err(actr_ctx_recv(g, &v), ACTR_EPIPE);
    ck_assert_actr_ok(actr_ctx_close(g));
    /* After done(), no more sends. */
    actr_ctx *c;
    testmod_echo_args ea = {S(">")};
    int64_t started;
    ck_assert_actr_ok(actr_ctx_open(srv, itest_ep("echo"), &ea, NULL, &c, &started));
    ck_assert_actr_ok(actr_ctx_done(c));
    actr_str s = S("x");
    ck_assert_actr_err(actr_ctx_send(c, &s), ACTR_ESTATE);
    ck_assert_ptr_nonnull(strstr(actr_last_error()->message, "send after done()"));
    uint64_t n;
    ck_assert_actr_ok(actr_ctx_result(c, &n));
    ck_assert_int_eq(n, 0);
    ck_assert_actr_ok(actr_ctx_close(c));
}

START_TEST(test_S7_misuse_of_a_context_is_ESTATE)
{
    run(misuse_body);
}
END_TEST

/* ------------------------------------------------------------ waiters */

struct shared {
    actr_ctx *c;
    int got[2];
    int rc[2];
};

static int
reader(struct shared *s, int k)
{
    int64_t v;
    while ((s->rc[k] = actr_ctx_recv(s->c, &v)) == 0)
        s->got[k]++;
    return 0;
}

static int
reader_0(void *arg)
{
    return reader(arg, 0);
}

static int
reader_1(void *arg)
{
    return reader(arg, 1);
}

static void
waiters_body(actr_actor_nursery *an, actr_portal *dlg, actr_portal *srv)
{
    (void)an;
    (void)dlg;
    /* Two tasks read one generator: every value reaches one of them, and
     * both see its end. */
    struct shared s = {0};
    testmod_tick_args ta = {100, 1};
    ck_assert_actr_ok(actr_stream_open(srv, itest_ep("tick"), &ta, &s.c));
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, reader_0, &s));
    ck_assert_actr_ok(actr_nursery_spawn(n, reader_1, &s));
    ck_assert_actr_ok(actr_nursery_close(n, actr_deadline_in(20000)));
    ck_assert_int_eq(s.got[0] + s.got[1], 100);
    ck_assert_actr_err(s.rc[0], ACTR_EPIPE);
    ck_assert_actr_err(s.rc[1], ACTR_EPIPE);
    ck_assert_actr_ok(actr_ctx_close(s.c));
    /* A task parked on a context that another task closes does not hang
     * and does not touch freed memory: it gets ACTR_ESTATE. */
    memset(&s, 0, sizeof s);
    ck_assert_actr_ok(actr_ctx_open(srv, itest_ep("sleeper"), NULL, NULL, &s.c, NULL));
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, reader_0, &s));
    ck_assert_actr_ok(actr_sleep(50));
    actr_scope sc;
    ck_assert_actr_ok(actr_scope_enter(&sc, ACTR_FOREVER, 0));
    actr_scope_cancel(&sc);
    /* Closed in a cancelled scope: it does not wait for the callee. */
    ck_assert_actr_err(actr_ctx_close(s.c), ACTR_ECANCELED);
    actr_scope_exit(&sc);
    ck_assert_actr_ok(actr_nursery_close(n, actr_deadline_in(5000)));
    ck_assert_actr_err(s.rc[0], ACTR_ESTATE);
}

START_TEST(test_S7_several_tasks_wait_on_one_context)
{
    run(waiters_body);
}
END_TEST

/* ------------------------------------------------------------ queues */

static void
callee_queue_body(actr_actor_nursery *an, actr_portal *dlg, actr_portal *srv)
{
    (void)an;
    (void)srv;
    /* The served side allows overruns with a queue of 4: all 500 values
     * sent while it sleeps arrive, in order (S18). */
    dialogs_slow_reader *c;
    bool started;
    ck_assert_actr_ok(dialogs_slow_reader_open(dlg, 4, true, 300, NULL, &c, &started));
    for (uint64_t i = 0; i < 500; i++)
        ck_assert_actr_ok(dialogs_slow_reader_send(c, i));
    ck_assert_actr_ok(dialogs_slow_reader_done(c));
    uint64_t n;
    ck_assert_actr_ok(dialogs_slow_reader_result(c, &n));
    ck_assert_int_eq(n, 500);
    ck_assert_actr_ok(dialogs_slow_reader_close(c));
    /* Without overruns, its queue of 4 overflows: we hear of it (S17). */
    test_expect_log("(dialogs:slow_reader): receive queue full (4)");
    ck_assert_actr_ok(dialogs_slow_reader_open(dlg, 4, false, 300, NULL, &c, &started));
    int rc = 0;
    for (uint64_t i = 0; i < 500 && rc == 0; i++) {
        rc = dialogs_slow_reader_send(c, i);
        if (i % 50 == 0 && rc == 0)
            rc = actr_sleep(10);          /* let the overrun errors come back */
    }
    if (rc == 0)
        rc = dialogs_slow_reader_result(c, &n);
    ck_assert_actr_err(rc, ACTR_EOVERRUN);
    ck_assert_str_eq(actr_last_error()->type_name, "StreamOverrun");
    dialogs_slow_reader_close(c);
}

START_TEST(test_S18_the_served_side_sets_its_queue_and_overruns)
{
    run(callee_queue_body);
}
END_TEST

static void
busy_reader_body(actr_actor_nursery *an, actr_portal *dlg, actr_portal *srv)
{
    (void)an;
    (void)srv;
    /* We read a flood and send an ack now and then: a reader busy sending
     * on the very dialog has not fallen behind; no overrun (S16). */
    for (int round = 0; round < 3; round++) {
        dialogs_ack_flood *c;
        bool started;
        const uint32_t n = 20000;
        ck_assert_actr_ok(dialogs_ack_flood_open(dlg, n, NULL, &c, &started));
        uint64_t v, acks = 0;
        for (uint64_t i = 0; i < n; i++) {
            ck_assert_actr_ok(dialogs_ack_flood_recv(c, &v));
            ck_assert_int_eq(v, i);
            if (i % 16 == 0) {
                ck_assert_actr_ok(dialogs_ack_flood_send(c, i));
                acks++;
            }
        }
        ck_assert_actr_ok(dialogs_ack_flood_done(c));
        uint64_t got;
        ck_assert_actr_ok(dialogs_ack_flood_result(c, &got));
        ck_assert_int_eq(got, acks);
        ck_assert_int_eq(actr_ctx_overruns(dialogs_ack_flood_base(c)), 0);
        ck_assert_actr_ok(dialogs_ack_flood_close(c));
    }
}

START_TEST(test_S16_a_reader_busy_sending_is_not_overrun)
{
    run(busy_reader_body);
}
END_TEST

/* ------------------------------------------------------------ refusals */

static void
refusals_body(actr_actor_nursery *an, actr_portal *dlg, actr_portal *srv)
{
    (void)an;
    (void)dlg;
    /* S5: a keyword argument the function does not have is a TypeError,
     * as a Python callee raises it. */
    static const uint8_t kw[] = {0x83, 0xa1, 'a', 0x01, 0xa1, 'b', 0x02, 0xa1, 'c', 0x03};
    actr_any out;
    ck_assert_actr_err(actr_portal_call_raw(srv, "testmod:add", &(actr_any){(uint8_t *)kw,
                                                                            sizeof kw}, &out),
                       ACTR_EREMOTE);
    ck_assert_str_eq(actr_last_error()->type_name, "TypeError");
    ck_assert_str_eq(actr_last_error()->message,
                     "add() got an unexpected keyword argument 'c'");
    /* S6: a context or stream into this very actor is refused. */
    char url[ACTR_ADDR_URL_MAX];
    ck_assert_int_gt(actr_actor_url(actr_self(), url, sizeof url), 0);
    actr_portal *me;
    ck_assert_actr_ok(actr_portal_open(url, &me));
    actr_ctx *c;
    ck_assert_actr_err(actr_ctx_open(me, itest_ep("sleeper"), NULL, NULL, &c, NULL),
                       ACTR_EINVAL);
    ck_assert_ptr_nonnull(strstr(actr_last_error()->message, "into this actor itself"));
    testmod_count_args ca = {1};
    ck_assert_actr_err(actr_stream_open(me, itest_ep("count"), &ca, &c), ACTR_EINVAL);
    actr_portal_close(me);
}

START_TEST(test_S5_S6_unknown_kwargs_and_contexts_into_oneself_are_refused)
{
    run(refusals_body);
}
END_TEST

static int
boot_fail_main(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    static const char *en[] = {"testmod", "nosuchmod"};
    actr_spawn_opts so = {.exe = itest_bin("actor_srv"), .enable = en, .nenable = 2};
    actr_portal *p;
    int64_t t0 = actr_now();
    ck_assert_actr_err(actr_actor_nursery_start(an, "broken", &so, &p), ACTR_ENOTFOUND);
    ck_assert_int_lt(actr_now() - t0, 5000);
    const actr_error *e = actr_last_error();
    ck_assert_str_eq(e->type_name, "ModuleNotExposed");
    ck_assert_ptr_nonnull(strstr(e->message, "'nosuchmod'"));
    ck_assert_ptr_nonnull(strstr(e->message, "broken"));
    /* The nursery still works and reaps the child that did not start. */
    actr_spawn_opts ok = itest_srv_opts();
    ck_assert_actr_ok(actr_actor_nursery_start(an, "fine", &ok, &p));
    int64_t pid;
    ck_assert_actr_ok(actr_portal_call(p, itest_ep("pid"), NULL, &pid));
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S2_a_child_that_cannot_enable_a_module_fails_its_start)
{
    itest_run_root(boot_fail_main, NULL);
}
END_TEST

/* ------------------------------------------------------------ nurseries */

static int
out_of_order_main(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    actr_portal *p;
    ck_assert_actr_ok(actr_actor_nursery_start(an, "kept", &so, &p));
    actr_nursery *inner;
    ck_assert_actr_ok(actr_nursery_open(&inner));
    /* Closed before the nursery opened inside it: refused, nothing
     * freed, the child still serves. */
    ck_assert_actr_err(actr_actor_nursery_close(an), ACTR_ESTATE);
    ck_assert_ptr_nonnull(strstr(actr_last_error()->message, "out of order"));
    int64_t pid;
    ck_assert_actr_ok(actr_portal_call(p, itest_ep("pid"), NULL, &pid));
    ck_assert_actr_ok(actr_nursery_close(inner, ACTR_FOREVER));
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    ck_assert(itest_pid_gone((int)pid, 0));
    return 0;
}

START_TEST(test_S1_an_actor_nursery_closed_out_of_order_is_ESTATE)
{
    itest_run_root(out_of_order_main, NULL);
}
END_TEST

static int64_t left_open_pid;

static int
leaves_it_open(void *arg)
{
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    actr_portal *p;
    ck_assert_actr_ok(actr_actor_nursery_start(an, "orphaned", &so, &p));
    ck_assert_actr_ok(actr_portal_call(p, itest_ep("pid"), NULL, &left_open_pid));
    return 0;                             /* without closing it */
}

static int
left_open_main(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, leaves_it_open, NULL));
    ck_assert_actr_ok(actr_nursery_close(n, actr_deadline_in(10000)));
    /* The runtime closed it when the task returned: the child is gone. */
    ck_assert(left_open_pid > 0);
    ck_assert(itest_pid_gone((int)left_open_pid, 0));
    return 0;
}

START_TEST(test_S1_an_actor_nursery_left_open_is_closed_by_its_tasks_end)
{
    test_expect_log("returned with an actor nursery open: closing it");
    itest_run_root(left_open_main, NULL);
}
END_TEST

/* ------------------------------------------------------------ introspection */

static void
introspection_body(actr_actor_nursery *an, actr_portal *dlg, actr_portal *srv)
{
    /* The served call of the current task. */
    bool me = false;
    ck_assert_actr_ok(dialogs_current_is_me(dlg, &me));
    ck_assert(me);
    ck_assert_ptr_null(actr_call_current());      /* our main task serves nothing */
    /* A portal's peer address. */
    actr_str url = {0};
    ck_assert_actr_ok(actr_portal_call(srv, itest_ep("url"), NULL, &url));
    actr_portal *q;
    ck_assert_actr_ok(actr_portal_open(url.ptr, &q));
    char addr[ACTR_ADDR_URL_MAX];
    ck_assert_int_gt(actr_portal_addr(q, addr, sizeof addr), 0);
    ck_assert_str_eq(addr, url.ptr);
    ck_assert_actr_err(actr_portal_addr(q, addr, 4), ACTR_ERANGE);
    actr_portal_close(q);
    actr_codec_free(&actr_type_string, &url);
    /* An actor nursery's cancel_called and cancelled_caught. */
    ck_assert(!actr_actor_nursery_cancel_called(an));
    ck_assert(!actr_actor_nursery_cancelled_caught(an));
    int64_t pid;
    ck_assert_actr_ok(actr_portal_call(srv, itest_ep("pid"), NULL, &pid));
    actr_actor_nursery_cancel(an);
    ck_assert(actr_actor_nursery_cancel_called(an));
    /* Our own task is inside the nursery: it is cancelled too; shielded,
     * it watches the children go. */
    actr_scope sh;
    ck_assert_actr_ok(actr_scope_enter(&sh, actr_deadline_in(10000), ACTR_SCOPE_SHIELD));
    for (int i = 0; i < 500 && !actr_actor_nursery_cancelled_caught(an); i++)
        actr_sleep(10);
    actr_scope_exit(&sh);
    ck_assert(actr_actor_nursery_cancelled_caught(an));
    ck_assert(itest_pid_gone((int)pid, 0));
}

START_TEST(test_DESIGN_introspection_current_call_portal_address_nursery_flags)
{
    /* The nursery's own cancel is absorbed by it (as trio's scopes do):
     * its close, after the body, reports no error. */
    run(introspection_body);
}
END_TEST

static Suite *
rules_suite(void)
{
    Suite *s = suite_create("dialog_rules");
    TCase *tc = tcase_create("rules");
    tcase_set_timeout(tc, 60);
    ITEST_ADD(tc, test_S8_send_after_the_peers_stop_is_EPIPE_on_both_ends);
    ITEST_ADD(tc, test_S7_misuse_of_a_context_is_ESTATE);
    ITEST_ADD(tc, test_S7_several_tasks_wait_on_one_context);
    ITEST_ADD(tc, test_S18_the_served_side_sets_its_queue_and_overruns);
    ITEST_ADD(tc, test_S16_a_reader_busy_sending_is_not_overrun);
    ITEST_ADD(tc, test_S5_S6_unknown_kwargs_and_contexts_into_oneself_are_refused);
    ITEST_ADD(tc, test_S2_a_child_that_cannot_enable_a_module_fails_its_start);
    ITEST_ADD(tc, test_S1_an_actor_nursery_closed_out_of_order_is_ESTATE);
    ITEST_ADD(tc, test_S1_an_actor_nursery_left_open_is_closed_by_its_tasks_end);
    ITEST_ADD(tc, test_DESIGN_introspection_current_call_portal_address_nursery_flags);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return itest_run_suite(rules_suite());
}
