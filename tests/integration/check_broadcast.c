/* Broadcast (actr/broadcast.h, SEMANTICS S22): every subscriber of one
 * context's stream gets every value from the moment it subscribed, and
 * may send; a lagging subscriber gets "lagged by N" (or skips); the
 * cancellation of one disturbs no other; subscribing to a stream that is
 * over fails clearly; the typed stubs (hlmod_ticks_subscribe,
 * hlmod_ticks_sub_recv/_send). Multi-process: the stream comes from
 * tests/bin/hl_srv. */
#include "itest.h"

#include "hlmod.actor.h"

#include <stdio.h>
#include <string.h>

/* Opens hlmod:ticks(n, pause_ms) on p with room for a flood. */
static hlmod_ticks *
open_ticks(actr_portal *p, uint32_t n, uint32_t pause_ms)
{
    actr_ctx_opts o = {.queue_size = 1024};
    hlmod_ticks *t;
    ck_assert_actr_ok(hlmod_ticks_open(p, n, pause_ms, &o, &t, NULL));
    return t;
}

/* One subscriber's task: reads `want` ticks (echoes count) and checks
 * they come in order. */
struct reader {
    hlmod_ticks_sub *sub;
    int want;
    int got;
    uint64_t first, last;
    int in_order;
    char notes[8][16];          /* echoed notes seen */
    int nnotes;
    const char *send;           /* a note to send first, or NULL */
    int want_notes;             /* read until this many notes were seen */
    int rc;
};

static int
reader_task(void *arg)
{
    struct reader *r = arg;
    r->in_order = 1;
    if (r->send)
        ck_assert_actr_ok(hlmod_ticks_sub_send(r->sub, actr_str_from(r->send)));
    while (r->got < r->want || r->nnotes < r->want_notes) {
        hlmod_tick t;
        if ((r->rc = hlmod_ticks_sub_recv(r->sub, &t)) < 0)
            return 0;
        if (t.note.len > 0 && r->nnotes < 8) {
            snprintf(r->notes[r->nnotes++], sizeof r->notes[0], "%s", t.note.ptr);
        } else if (t.note.len == 0) {
            if (r->got == 0)
                r->first = t.seq;
            else if (t.seq != r->last + 1)
                r->in_order = 0;
            r->last = t.seq;
            r->got++;
        }
        hlmod_tick_free(&t);
    }
    return 0;
}

static int
body_every_value(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    actr_portal *p = itest_open_with_hl(&an, "ticker");
    hlmod_ticks *t = open_ticks(p, 500, 0);
    actr_bcast_opts bo = {.buffer = 1024};
    struct reader r[4] = {{0}};
    for (int i = 0; i < 4; i++) {
        ck_assert_actr_ok(hlmod_ticks_subscribe(t, &bo, &r[i].sub));
        r[i].want = 500;
    }
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    for (int i = 0; i < 4; i++)
        ck_assert_actr_ok(actr_nursery_spawn(n, reader_task, &r[i]));
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    /* Each got all 500 values, in order, each its own copy. */
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(r[i].rc, 0);
        ck_assert_int_eq(r[i].got, 500);
        ck_assert_int_eq(r[i].first, 0);
        ck_assert_int_eq(r[i].last, 499);
        ck_assert(r[i].in_order);
        hlmod_ticks_sub_close(r[i].sub);
    }
    ck_assert_actr_ok(hlmod_ticks_done(t));
    ck_assert_actr_ok(hlmod_ticks_result(t, NULL));
    ck_assert_actr_ok(hlmod_ticks_close(t));
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S22_every_subscriber_gets_every_value)
{
    itest_run_root(body_every_value, NULL);
}
END_TEST

/* Subscribers also send; what each sends comes back to all. And one
 * that subscribes later gets only what comes after. */
static int
body_send(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    actr_portal *p = itest_open_with_hl(&an, "echo");
    hlmod_ticks *t = open_ticks(p, 0, 20);      /* ticks every 20 ms, echoes */
    static const char *notes[] = {"from-a", "from-b", "from-c"};
    struct reader r[3] = {{0}};
    for (int i = 0; i < 3; i++) {
        ck_assert_actr_ok(hlmod_ticks_subscribe(t, NULL, &r[i].sub));
        r[i].send = notes[i];
        r[i].want_notes = 3;
    }
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    for (int i = 0; i < 3; i++)
        ck_assert_actr_ok(actr_nursery_spawn(n, reader_task, &r[i]));
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(r[i].rc, 0);
        ck_assert_int_eq(r[i].nnotes, 3);
        for (int k = 0; k < 3; k++) {
            int seen = 0;
            for (int j = 0; j < 3; j++)
                seen += strcmp(r[i].notes[j], notes[k]) == 0;
            ck_assert_msg(seen == 1, "subscriber %d saw %s %d times", i, notes[k], seen);
        }
    }
    /* A late subscriber starts from now: no old tick, the next ones. */
    struct reader late = {.want = 2};
    actr_bcast_sub *ls;
    ck_assert_actr_ok(actr_bcast_subscribe(hlmod_ticks_sub_base(r[0].sub), NULL, &ls));
    late.sub = (hlmod_ticks_sub *)ls;
    uint64_t newest = r[0].last;
    reader_task(&late);
    ck_assert_int_eq(late.rc, 0);
    ck_assert_int_gt(late.first, newest);
    hlmod_ticks_sub_close(late.sub);
    for (int i = 0; i < 3; i++)
        hlmod_ticks_sub_close(r[i].sub);
    ck_assert_actr_ok(hlmod_ticks_cancel(t));
    ck_assert_actr_ok(hlmod_ticks_close(t));
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S22_subscribers_send_and_see_every_echo)
{
    itest_run_root(body_send, NULL);
}
END_TEST

/* ------------------------------------------------------------ lag */

static int
body_lag(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    actr_portal *p = itest_open_with_hl(&an, "flood");
    hlmod_ticks *t = open_ticks(p, 300, 0);
    actr_bcast_opts fast_o = {.buffer = 512}, slow_o = {.buffer = 16},
                    skip_o = {.buffer = 16, .skip_lag = 1};
    struct reader fast = {.want = 300};
    hlmod_ticks_sub *slow, *skip;
    ck_assert_actr_ok(hlmod_ticks_subscribe(t, &fast_o, &fast.sub));
    ck_assert_actr_ok(hlmod_ticks_subscribe(t, &slow_o, &slow));
    ck_assert_actr_ok(hlmod_ticks_subscribe(t, &skip_o, &skip));
    /* The fast one reads everything while the others sleep. */
    reader_task(&fast);
    ck_assert_int_eq(fast.got, 300);
    ck_assert(fast.in_order);
    hlmod_tick v;
    ck_assert_actr_err(hlmod_ticks_sub_recv(slow, &v), ACTR_ELAGGED);
    ck_assert_str_eq(actr_last_error()->message, "subscriber lagged by 299 values");
    /* It goes on from the newest value. */
    ck_assert_actr_ok(hlmod_ticks_sub_recv(slow, &v));
    ck_assert_int_eq(v.seq, 299);
    hlmod_tick_free(&v);
    ck_assert_uint_eq(actr_bcast_lost(hlmod_ticks_sub_base(slow)), 299);
    /* With skip_lag: silently (a warning line), from the newest value. */
    itest_log_start(ACTR_LOG_WARNING);
    ck_assert_actr_ok(hlmod_ticks_sub_recv(skip, &v));
    itest_log_stop();
    ck_assert_int_eq(v.seq, 299);
    hlmod_tick_free(&v);
    ck_assert_uint_eq(actr_bcast_lost(hlmod_ticks_sub_base(skip)), 299);
    ck_assert_int_eq(itest_log_count("skipped 299 values it fell behind", NULL), 1);
    /* Within its buffer nobody lags: one more echo, all three read it. */
    ck_assert_actr_ok(hlmod_ticks_sub_send(slow, ACTR_STR("x")));
    hlmod_ticks_sub *subs[] = {fast.sub, slow, skip};
    for (int i = 0; i < 3; i++) {
        ck_assert_actr_ok(hlmod_ticks_sub_recv(subs[i], &v));
        ck_assert_str_eq(v.note.ptr, "x");
        hlmod_tick_free(&v);
        hlmod_ticks_sub_close(subs[i]);
    }
    ck_assert_actr_ok(hlmod_ticks_done(t));
    ck_assert_actr_ok(hlmod_ticks_close(t));
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S22_lagging_subscriber_lagged_by_n_or_skips)
{
    itest_run_root(body_lag, NULL);
}
END_TEST

/* ------------------------------------------------------------ cancellation */

struct cancellable {
    struct reader r;
    actr_scope *scope;
    int cancelled;
};

static int
cancellable_task(void *arg)
{
    struct cancellable *c = arg;
    actr_scope sc;
    ck_assert_actr_ok(actr_scope_enter(&sc, ACTR_FOREVER, 0));
    c->scope = &sc;
    reader_task(&c->r);
    c->cancelled = c->r.rc == ACTR_ECANCELED;
    c->scope = NULL;
    ck_assert_actr_ok(actr_scope_exit(&sc));
    return 0;
}

static int
body_cancel_one(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    actr_portal *p = itest_open_with_hl(&an, "steady");
    hlmod_ticks *t = open_ticks(p, 0, 2);
    struct cancellable c[3];
    memset(c, 0, sizeof c);
    for (int i = 0; i < 3; i++) {
        ck_assert_actr_ok(hlmod_ticks_subscribe(t, NULL, &c[i].r.sub));
        c[i].r.want = 60;
    }
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    for (int i = 0; i < 3; i++)
        ck_assert_actr_ok(actr_nursery_spawn(n, cancellable_task, &c[i]));
    /* Cancel the middle one mid-stream, over and over: whether it waits or
     * pulls, the others lose nothing. */
    for (int k = 0; k < 20 && c[1].scope == NULL; k++)
        ck_assert_actr_ok(actr_sleep(1));
    ck_assert_actr_ok(actr_sleep(30));
    ck_assert_ptr_nonnull(c[1].scope);
    actr_scope_cancel(c[1].scope);
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert(c[1].cancelled);
    ck_assert_int_lt(c[1].r.got, 60);
    for (int i = 0; i < 3; i += 2) {
        ck_assert_int_eq(c[i].r.rc, 0);
        ck_assert_int_eq(c[i].r.got, 60);
        ck_assert_msg(c[i].r.in_order, "subscriber %d lost a value", i);
    }
    for (int i = 0; i < 3; i++)
        hlmod_ticks_sub_close(c[i].r.sub);
    ck_assert_actr_ok(hlmod_ticks_cancel(t));
    ck_assert_actr_ok(hlmod_ticks_close(t));
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S22_cancelling_one_subscriber_disturbs_no_other)
{
    itest_run_root(body_cancel_one, NULL);
}
END_TEST

/* ------------------------------------------------------------ after close */

static int
body_closed(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    actr_portal *p = itest_open_with_srv(&an, "gen");
    /* A generator of 3: every subscriber reads them, then the end. */
    actr_ctx *g;
    testmod_count_args ca = {3};
    ck_assert_actr_ok(actr_stream_open(p, itest_ep("count"), &ca, &g));
    actr_bcast_sub *a, *b, *late;
    ck_assert_actr_ok(actr_ctx_subscribe(g, NULL, &a));
    ck_assert_actr_ok(actr_bcast_subscribe(a, NULL, &b));
    int64_t v;
    for (int64_t i = 0; i < 3; i++) {
        ck_assert_actr_ok(actr_bcast_recv(a, &v));
        ck_assert_int_eq(v, i);
    }
    ck_assert_actr_err(actr_bcast_recv(a, &v), ACTR_EPIPE);
    for (int64_t i = 0; i < 3; i++) {
        ck_assert_actr_ok(actr_bcast_recv(b, &v));
        ck_assert_int_eq(v, i);
    }
    ck_assert_actr_err(actr_bcast_recv(b, &v), ACTR_EPIPE);
    /* Over: nothing to subscribe to. */
    ck_assert_actr_err(actr_ctx_subscribe(g, NULL, &late), ACTR_ESTATE);
    ck_assert_ptr_nonnull(strstr(actr_last_error()->message, "is over: nothing to subscribe"));
    ck_assert_actr_err(actr_bcast_subscribe(a, NULL, &late), ACTR_ESTATE);
    actr_bcast_close(a);
    actr_bcast_close(b);
    ck_assert_actr_ok(actr_ctx_close(g));
    /* A stream over before anyone subscribed; a context without stream. */
    ck_assert_actr_ok(actr_stream_open(p, itest_ep("count"), &(testmod_count_args){0}, &g));
    for (int i = 0; i < 500 && !actr_ctx_stream_over(g); i++)
        ck_assert_actr_ok(actr_sleep(2));
    ck_assert_actr_err(actr_ctx_subscribe(g, NULL, &late), ACTR_ESTATE);
    ck_assert_actr_ok(actr_ctx_close(g));
    actr_ctx *s;
    ck_assert_actr_ok(actr_ctx_open(p, itest_ep("sleeper"), NULL, NULL, &s, NULL));
    ck_assert_actr_err(actr_ctx_subscribe(s, NULL, &late), ACTR_ESTATE);
    ck_assert_ptr_nonnull(strstr(actr_last_error()->message, "receives no stream"));
    ck_assert_actr_ok(actr_ctx_cancel(s));
    ck_assert_actr_ok(actr_ctx_close(s));
    /* Closing the context ends the subscriptions. */
    ck_assert_actr_ok(actr_stream_open(p, itest_ep("tick"),
                                       &(testmod_tick_args){1000, 50}, &g));
    ck_assert_actr_ok(actr_ctx_subscribe(g, NULL, &a));
    ck_assert_actr_ok(actr_ctx_close(g));
    ck_assert_actr_err(actr_bcast_recv(a, &v), ACTR_ECLOSED);
    ck_assert_actr_err(actr_bcast_send(a, &v), ACTR_ECLOSED);
    actr_bcast_close(a);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S22_subscribing_to_a_closed_stream_fails_clearly)
{
    itest_run_root(body_closed, NULL);
}
END_TEST

static Suite *
broadcast_suite(void)
{
    Suite *s = suite_create("broadcast");
    TCase *tc = tcase_create("broadcast");
    tcase_set_timeout(tc, 120);
    ITEST_ADD(tc, test_S22_every_subscriber_gets_every_value);
    ITEST_ADD(tc, test_S22_subscribers_send_and_see_every_echo);
    ITEST_ADD(tc, test_S22_lagging_subscriber_lagged_by_n_or_skips);
    ITEST_ADD(tc, test_S22_cancelling_one_subscriber_disturbs_no_other);
    ITEST_ADD(tc, test_S22_subscribing_to_a_closed_stream_fails_clearly);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return itest_run_suite(broadcast_suite());
}
