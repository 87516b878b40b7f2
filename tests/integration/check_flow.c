/* Stream flow control (SEMANTICS S27): with a window of N messages a
 * fast sender waits instead of overrunning its receiver; Stop, a result
 * and cancellation release it; both directions of one context may send
 * before they receive; a generator is held back by its caller; and a
 * peer that does not take part gets S16-S18 as before. The callee is
 * dialogs_srv (dialogs.actor: fc_*). */
#include "itest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dialogs.actor.h"

static void
run(itest_body_fn body)
{
    itest_run_with_children(body);
}

/* Reads n values of a flood, sleeping ms every `every`; checks they come
 * in order. Returns how many arrived. */
static uint64_t
read_flood(dialogs_fc_flood *c, uint64_t n, int every, int ms)
{
    uint64_t v, got = 0;
    while (got < n && dialogs_fc_flood_recv(c, &v) == 0) {
        ck_assert_int_eq(v, got);
        got++;
        if (every && got % every == 0)
            actr_sleep(ms);
    }
    return got;
}

/* ------------------------------------------------------------ windows */

static void
windows_body(actr_actor_nursery *an, actr_portal *p, actr_portal *srv)
{
    (void)an;
    (void)srv;
    const uint32_t windows[] = {1, 64, 1024};
    for (int k = 0; k < 3; k++) {
        /* A fast sender, a slow receiver: everything arrives, in order,
         * nothing is dropped. */
        const uint32_t n = 3000;
        actr_ctx_opts o = {.window = windows[k]};
        dialogs_fc_flood *c;
        bool started;
        ck_assert_actr_ok(dialogs_fc_flood_open(p, n, &o, &c, &started));
        ck_assert_int_eq(read_flood(c, n, 300, 20), n);
        uint64_t sent;
        ck_assert_actr_ok(dialogs_fc_flood_result(c, &sent));
        ck_assert_int_eq(sent, n);
        ck_assert_int_eq(actr_ctx_overruns(dialogs_fc_flood_base(c)), 0);
        ck_assert_actr_ok(dialogs_fc_flood_close(c));
        /* The other way: we are the fast sender, the callee reads slowly
         * (its window: 1, 64, 1024). */
        dialogs_fc_sink *s;
        ck_assert_actr_ok(dialogs_fc_sink_open(p, windows[k], 0, 0, NULL, &s, &started));
        for (uint64_t i = 0; i < n; i++) {
            ck_assert_actr_ok(dialogs_fc_sink_send(s, i));
            if (i % 500 == 0)
                actr_sleep(5);
        }
        ck_assert_actr_ok(dialogs_fc_sink_done(s));
        uint64_t arrived;
        ck_assert_actr_ok(dialogs_fc_sink_result(s, &arrived));
        ck_assert_int_eq(arrived, n);
        ck_assert_actr_ok(dialogs_fc_sink_close(s));
    }
    /* Without a window the same slow reader is overrun (S17): the test
     * can tell the difference. */
    dialogs_fc_flood *c;
    bool started;
    test_expect_log("(dialogs:fc_flood): receive queue full (64), message from child dropped");
    test_expect_log("output to child is over its high-water mark: Error dropped");
    ck_assert_actr_ok(dialogs_fc_flood_open(p, 3000, NULL, &c, &started));
    uint64_t v;
    actr_sleep(200);
    int rc;
    while ((rc = dialogs_fc_flood_recv(c, &v)) == 0)
        ;
    ck_assert_actr_err(rc, ACTR_EOVERRUN);
    ck_assert_int_gt(actr_ctx_overruns(dialogs_fc_flood_base(c)), 0);
    dialogs_fc_flood_close(c);
}

START_TEST(test_S27_a_fast_sender_waits_for_a_slow_receiver_windows_1_64_1024)
{
    run(windows_body);
}
END_TEST

static void
slow_sink_body(actr_actor_nursery *an, actr_portal *p, actr_portal *srv)
{
    (void)an;
    (void)srv;
    /* The receiver takes a value every 10 us (and then some): with the
     * IDL's window of 8, 2000 values, none lost. */
    dialogs_fc_sink *s;
    bool started;
    ck_assert_actr_ok(dialogs_fc_sink_open(p, 0, 10, 0, NULL, &s, &started));
    for (uint64_t i = 0; i < 2000; i++)
        ck_assert_actr_ok(dialogs_fc_sink_send(s, i));
    ck_assert_actr_ok(dialogs_fc_sink_done(s));
    uint64_t arrived;
    ck_assert_actr_ok(dialogs_fc_sink_result(s, &arrived));
    ck_assert_int_eq(arrived, 2000);
    ck_assert_actr_ok(dialogs_fc_sink_close(s));
}

START_TEST(test_S27_the_idl_window_holds_a_sender_to_a_slow_callee)
{
    run(slow_sink_body);
}
END_TEST

/* ------------------------------------------------------------ releases */

static void
releases_body(actr_actor_nursery *an, actr_portal *p, actr_portal *srv)
{
    (void)an;
    (void)srv;
    bool started;
    /* Cancellation: a send waiting for the window is a cancellation
     * point, and obeys a deadline. */
    dialogs_fc_sink *s;
    ck_assert_actr_ok(dialogs_fc_sink_open(p, 4, 1000000, 0, NULL, &s, &started));
    actr_scope sc;
    ck_assert_actr_ok(actr_move_on_after(&sc, 300));
    int64_t t0 = actr_now();
    int rc = 0;
    uint64_t sent = 0;
    while (rc == 0 && sent < 1000)
        if ((rc = dialogs_fc_sink_send(s, sent)) == 0)
            sent++;
    actr_scope_exit(&sc);
    ck_assert_actr_err(rc, ACTR_ECANCELED);
    ck_assert_int_lt(sent, 1000);                    /* it did wait */
    ck_assert_int_lt(actr_now() - t0, 300 + 200);    /* and left at the deadline */
    ck_assert_actr_ok(actr_ctx_cancel(dialogs_fc_sink_base(s)));
    dialogs_fc_sink_close(s);

    /* Our Stop: the callee is held back by our window of 4 and we read
     * nothing; done() lifts the window (we may still read, and our result
     * or close takes the rest), so it sends on and returns while we do
     * not read at all. */
    actr_ctx_opts o = {.window = 4};
    dialogs_fc_flood *c;
    ck_assert_actr_ok(dialogs_fc_flood_open(p, 300, &o, &c, &started));
    actr_sleep(100);
    ck_assert_actr_ok(dialogs_fc_flood_done(c));
    actr_sleep(500);
    /* Had it still waited for our window, this cancel would end it (and
     * result would say ContextCancelled); it had returned already. */
    ck_assert_actr_ok(dialogs_fc_flood_cancel(c));
    uint64_t n;
    ck_assert_actr_ok(dialogs_fc_flood_result(c, &n));
    ck_assert_int_eq(n, 300);
    ck_assert_int_eq(actr_ctx_overruns(dialogs_fc_flood_base(c)), 0);
    ck_assert_actr_ok(dialogs_fc_flood_close(c));

    /* Our result(): it takes (and drops) what arrives, so the callee
     * goes on to its end. */
    ck_assert_actr_ok(dialogs_fc_flood_open(p, 5000, &o, &c, &started));
    actr_sleep(50);
    ck_assert_actr_ok(dialogs_fc_flood_result(c, &n));
    ck_assert_int_eq(n, 5000);
    ck_assert_actr_ok(dialogs_fc_flood_close(c));

    /* The callee's result: we wait in send on its window of 2; it takes
     * 3 values (slowly) and returns: our waiting send ends with EPIPE. */
    ck_assert_actr_ok(dialogs_fc_sink_open(p, 2, 50000, 3, NULL, &s, &started));
    sent = 0;
    while ((rc = dialogs_fc_sink_send(s, sent)) == 0 && sent < 100000)
        sent++;
    ck_assert_int_lt(sent, 10);
    ck_assert_actr_err(rc, ACTR_EPIPE);
    ck_assert_actr_ok(dialogs_fc_sink_result(s, &n));
    ck_assert_int_eq(n, 3);
    ck_assert_actr_ok(dialogs_fc_sink_close(s));
}

START_TEST(test_S27_stop_result_and_cancel_release_a_waiting_sender)
{
    run(releases_body);
}
END_TEST

/* ------------------------------------------------------------ both ways */

static void
both_ways_body(actr_actor_nursery *an, actr_portal *p, actr_portal *srv)
{
    (void)an;
    (void)srv;
    /* Both sides send 500 values before they receive one, each with a
     * window of 16: neither waits for ever (the rule in flow.c: a side
     * parked in send lets its peer go on, up to its queue's bound). */
    const uint32_t n = 500;
    actr_ctx_opts o = {.window = 16};
    dialogs_fc_both *c;
    bool started;
    ck_assert_actr_ok(dialogs_fc_both_open(p, n, 16, 0, &o, &c, &started));
    for (uint64_t i = 0; i < n; i++)
        ck_assert_actr_ok(dialogs_fc_both_send(c, i));
    uint64_t v;
    for (uint64_t i = 0; i < n; i++) {
        ck_assert_actr_ok(dialogs_fc_both_recv(c, &v));
        ck_assert_int_eq(v, i);
    }
    ck_assert_actr_ok(dialogs_fc_both_done(c));
    uint64_t got;
    ck_assert_actr_ok(dialogs_fc_both_result(c, &got));
    ck_assert_int_eq(got, n);
    ck_assert_int_eq(actr_ctx_overruns(dialogs_fc_both_base(c)), 0);
    ck_assert_actr_ok(dialogs_fc_both_close(c));
    /* Past the bound (a window of 8 and room for 32 more) the two wait
     * for each other, as writers of two full pipes do: memory stays
     * bounded and a deadline ends the wait. */
    o = (actr_ctx_opts){.window = 8, .overflow_max = 32};
    ck_assert_actr_ok(dialogs_fc_both_open(p, 5000, 8, 32, &o, &c, &started));
    actr_scope sc;
    ck_assert_actr_ok(actr_move_on_after(&sc, 500));
    int rc = 0;
    uint64_t sent = 0;
    while (rc == 0 && sent < 5000)
        if ((rc = dialogs_fc_both_send(c, sent)) == 0)
            sent++;
    actr_scope_exit(&sc);
    ck_assert_actr_err(rc, ACTR_ECANCELED);
    ck_assert_int_le(sent, 8 + 32 + 8);
    ck_assert_actr_ok(actr_ctx_cancel(dialogs_fc_both_base(c)));
    dialogs_fc_both_close(c);
}

START_TEST(test_S27_both_directions_send_before_they_receive)
{
    run(both_ways_body);
}
END_TEST

/* ------------------------------------------------------------ generators */

static void
generator_body(actr_actor_nursery *an, actr_portal *p, actr_portal *srv)
{
    (void)an;
    (void)srv;
    /* 200000 values through the IDL's window of 16, read with pauses:
     * the generator waits in its yield, nothing is overrun. */
    dialogs_fc_count *g;
    ck_assert_actr_ok(dialogs_fc_count_open(p, 200000, &g));
    uint64_t v, n = 0;
    int rc;
    while ((rc = dialogs_fc_count_recv(g, &v)) == 0) {
        ck_assert_int_eq(v, n);
        if (++n % 50000 == 0)
            actr_sleep(50);
    }
    ck_assert_actr_err(rc, ACTR_EPIPE);
    ck_assert_int_eq(n, 200000);
    ck_assert_int_eq(actr_ctx_overruns(dialogs_fc_count_base(g)), 0);
    ck_assert_actr_ok(dialogs_fc_count_close(g));
}

START_TEST(test_S27_a_generator_waits_in_its_yield)
{
    run(generator_body);
}
END_TEST

/* ------------------------------------------------------------ without */

static int
no_support_main(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    /* A peer with the extension off: it answers no window, so our window
     * is not used and S16-S18 hold (a slow reader is overrun). */
    setenv("ACTR_FLOW_CONTROL", "off", 1);
    actr_spawn_opts so = itest_dialogs_opts();
    actr_portal *p;
    int rc = actr_actor_nursery_start(an, "plain", &so, &p);
    unsetenv("ACTR_FLOW_CONTROL");
    ck_assert_actr_ok(rc);
    actr_ctx_opts o = {.window = 4};
    dialogs_fc_flood *c;
    bool started;
    test_expect_log("(dialogs:fc_flood): receive queue full (64), message from plain dropped");
    test_expect_log("output to plain is over its high-water mark: Error dropped");
    ck_assert_actr_ok(dialogs_fc_flood_open(p, 3000, &o, &c, &started));
    actr_sleep(200);
    uint64_t v;
    while ((rc = dialogs_fc_flood_recv(c, &v)) == 0)
        ;
    ck_assert_actr_err(rc, ACTR_EOVERRUN);
    ck_assert_int_gt(actr_ctx_overruns(dialogs_fc_flood_base(c)), 0);
    dialogs_fc_flood_close(c);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S27_a_peer_without_flow_control_gets_S16_S18)
{
    itest_run_root(no_support_main, NULL);
}
END_TEST

static Suite *
flow_suite(void)
{
    Suite *s = suite_create("flow");
    TCase *tc = tcase_create("S27");
    tcase_set_timeout(tc, 90);
    ITEST_ADD(tc, test_S27_a_fast_sender_waits_for_a_slow_receiver_windows_1_64_1024);
    ITEST_ADD(tc, test_S27_the_idl_window_holds_a_sender_to_a_slow_callee);
    ITEST_ADD(tc, test_S27_stop_result_and_cancel_release_a_waiting_sender);
    ITEST_ADD(tc, test_S27_both_directions_send_before_they_receive);
    ITEST_ADD(tc, test_S27_a_generator_waits_in_its_yield);
    ITEST_ADD(tc, test_S27_a_peer_without_flow_control_gets_S16_S18);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return itest_run_suite(flow_suite());
}
