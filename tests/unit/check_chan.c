/* Channels between tasks: ordering, done/close semantics, rendezvous,
 * try-variants, deadlines, wakes from callbacks. */
#include <stdint.h>

#include <ev.h>

#include "core_util.h"
#include "core/sched.h"

struct pc {
    actr_chan *ch;
    int count;
    int sent;
    int rc;
    int64_t done_at;
};

static int
producer(void *arg)
{
    struct pc *p = arg;
    for (int i = 0; i < p->count; i++) {
        p->rc = actr_chan_send(p->ch, &i, ACTR_FOREVER);
        if (p->rc < 0)
            return p->rc;
        p->sent++;
    }
    p->done_at = actr_now();
    actr_chan_done(p->ch);
    return 0;
}

static int
ordering_body(void *arg)
{
    size_t cap = *(size_t *)arg;
    struct pc p = {.count = 1000};
    ck_assert_actr_ok(actr_chan_open(&p.ch, sizeof(int), cap));
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, producer, &p));
    int v, expect = 0, rc;
    while ((rc = actr_chan_recv(p.ch, &v, ACTR_FOREVER)) == 0) {
        ck_assert_int_eq(v, expect);
        expect++;
        if (expect % 97 == 0)
            ck_assert_actr_ok(actr_checkpoint());
    }
    ck_assert_actr_err(rc, ACTR_EPIPE);       /* done and drained */
    ck_assert_int_eq(expect, 1000);
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    actr_chan_close(p.ch);
    return 0;
}

START_TEST(test_chan_fifo_order)
{
    size_t caps[] = {0, 1, 7, 64};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
        run_main(ordering_body, &caps[i]);
}
END_TEST

static int
rendezvous_body(void *arg)
{
    (void)arg;
    struct pc p = {.count = 1};
    ck_assert_actr_ok(actr_chan_open(&p.ch, sizeof(int), 0));
    int v = 5;
    ck_assert_actr_err(actr_chan_try_send(p.ch, &v), ACTR_EAGAIN);   /* nobody receives */
    ck_assert_actr_err(actr_chan_try_recv(p.ch, &v), ACTR_EAGAIN);
    ck_assert_actr_err(actr_chan_send(p.ch, &v, 0), ACTR_ETIMEDOUT);
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, producer, &p));
    int64_t t0 = actr_now();
    ck_assert_actr_ok(actr_sleep(20));
    ck_assert_int_eq(p.sent, 0);              /* send waits for a receiver */
    ck_assert_uint_eq(actr_chan_len(p.ch), 0);
    ck_assert_actr_ok(actr_chan_recv(p.ch, &v, ACTR_FOREVER));
    ck_assert_int_eq(v, 0);
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_int_eq(p.sent, 1);
    ck_assert_int_ge(p.done_at - t0, 19);
    actr_chan_close(p.ch);
    return 0;
}

START_TEST(test_chan_capacity_0_is_rendezvous)
{
    run_main(rendezvous_body, NULL);
}
END_TEST

struct blocked {
    actr_chan *ch;
    int rc;
};

static int
blocked_sender(void *arg)
{
    struct blocked *b = arg;
    int v = 1;
    b->rc = actr_chan_send(b->ch, &v, ACTR_FOREVER);
    return 0;
}

static int
blocked_receiver(void *arg)
{
    struct blocked *b = arg;
    int v;
    b->rc = actr_chan_recv(b->ch, &v, ACTR_FOREVER);
    return 0;
}

static int
done_body(void *arg)
{
    (void)arg;
    actr_chan *ch;
    ck_assert_actr_ok(actr_chan_open(&ch, sizeof(int), 2));
    int v = 1;
    ck_assert_actr_ok(actr_chan_send(ch, &v, ACTR_FOREVER));
    v = 2;
    ck_assert_actr_ok(actr_chan_try_send(ch, &v));
    ck_assert_actr_err(actr_chan_try_send(ch, &v), ACTR_EAGAIN);   /* full */
    ck_assert_uint_eq(actr_chan_len(ch), 2);

    /* A sender blocked on the full channel gets ECLOSED at done. */
    struct blocked s = {ch, 1};
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, blocked_sender, &s));
    ck_assert_actr_ok(actr_sleep(5));
    ck_assert_int_eq(s.rc, 1);
    actr_chan_done(ch);
    actr_chan_done(ch);                       /* idempotent */
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_actr_err(s.rc, ACTR_ECLOSED);

    /* After done: sends fail, buffered elements drain, then EPIPE. */
    ck_assert_actr_err(actr_chan_send(ch, &v, ACTR_FOREVER), ACTR_ECLOSED);
    ck_assert_actr_err(actr_chan_try_send(ch, &v), ACTR_ECLOSED);
    ck_assert_actr_ok(actr_chan_recv(ch, &v, ACTR_FOREVER));
    ck_assert_int_eq(v, 1);
    ck_assert_actr_ok(actr_chan_try_recv(ch, &v));
    ck_assert_int_eq(v, 2);
    ck_assert_actr_err(actr_chan_recv(ch, &v, ACTR_FOREVER), ACTR_EPIPE);
    ck_assert_actr_err(actr_chan_try_recv(ch, &v), ACTR_EPIPE);
    actr_chan_close(ch);

    /* A receiver blocked on an empty channel gets EPIPE at done. */
    ck_assert_actr_ok(actr_chan_open(&ch, sizeof(int), 2));
    struct blocked r = {ch, 1};
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, blocked_receiver, &r));
    ck_assert_actr_ok(actr_sleep(5));
    actr_chan_done(ch);
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_actr_err(r.rc, ACTR_EPIPE);
    actr_chan_close(ch);
    return 0;
}

START_TEST(test_chan_done_semantics)
{
    run_main(done_body, NULL);
}
END_TEST

static int
close_body(void *arg)
{
    (void)arg;
    actr_chan *full, *empty;
    ck_assert_actr_ok(actr_chan_open(&full, sizeof(int), 0));
    ck_assert_actr_ok(actr_chan_open(&empty, sizeof(int), 4));
    struct blocked s = {full, 1}, r1 = {empty, 1}, r2 = {empty, 1};
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, blocked_sender, &s));
    ck_assert_actr_ok(actr_nursery_spawn(n, blocked_receiver, &r1));
    ck_assert_actr_ok(actr_nursery_spawn(n, blocked_receiver, &r2));
    ck_assert_actr_ok(actr_sleep(5));
    actr_chan_close(full);                    /* frees at once */
    actr_chan_close(empty);
    actr_chan_close(NULL);
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_actr_err(s.rc, ACTR_ECLOSED);
    ck_assert_actr_err(r1.rc, ACTR_ECLOSED);
    ck_assert_actr_err(r2.rc, ACTR_ECLOSED);
    return 0;
}

START_TEST(test_chan_close_wakes_blocked)
{
    run_main(close_body, NULL);
}
END_TEST

static int
deadline_body(void *arg)
{
    (void)arg;
    actr_chan *ch;
    ck_assert_actr_ok(actr_chan_open(&ch, sizeof(int), 1));
    int v = 3;
    int64_t t0 = actr_now();
    ck_assert_actr_err(actr_chan_recv(ch, &v, actr_now() + 20), ACTR_ETIMEDOUT);
    ck_assert_duration(actr_now() - t0, 19, 3000);
    ck_assert_actr_ok(actr_chan_send(ch, &v, 0));         /* room: no blocking */
    ck_assert_actr_err(actr_chan_send(ch, &v, actr_now() + 10), ACTR_ETIMEDOUT);
    ck_assert_actr_ok(actr_chan_recv(ch, &v, 0));
    ck_assert_int_eq(v, 3);
    actr_chan_close(ch);
    ck_assert_actr_err(actr_chan_open(&ch, 0, 1), ACTR_EINVAL);
    return 0;
}

START_TEST(test_chan_deadlines)
{
    run_main(deadline_body, NULL);
}
END_TEST

/* A timed-out receiver must not swallow a later element. */
struct late {
    actr_chan *ch;
    int got;
    int rc;
};

static int
impatient(void *arg)
{
    struct late *l = arg;
    l->rc = actr_chan_recv(l->ch, &l->got, actr_now() + 5);
    return 0;
}

static int
timed_out_waiter_body(void *arg)
{
    (void)arg;
    struct late l = {.got = -1};
    ck_assert_actr_ok(actr_chan_open(&l.ch, sizeof(int), 0));
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, impatient, &l));
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_actr_err(l.rc, ACTR_ETIMEDOUT);
    int v = 9;
    ck_assert_actr_err(actr_chan_try_send(l.ch, &v), ACTR_EAGAIN);
    ck_assert_int_eq(l.got, -1);
    actr_chan_close(l.ch);
    return 0;
}

START_TEST(test_chan_timed_out_waiter_leaves_queue)
{
    run_main(timed_out_waiter_body, NULL);
}
END_TEST

struct feeder {
    ev_timer timer;
    actr_chan *ch;
    int next;
};

static void
feed_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct feeder *f = (struct feeder *)(void *)w;
    ck_assert_ptr_null(actri_task_self());
    ck_assert_actr_ok(actr_chan_try_send(f->ch, &f->next));
    if (++f->next == 3) {
        actr_chan_done(f->ch);
        ev_timer_stop(loop, w);
    }
}

static int
callback_body(void *arg)
{
    (void)arg;
    struct feeder f = {.next = 0};
    ck_assert_actr_ok(actr_chan_open(&f.ch, sizeof(int), 0));
    ev_timer_init(&f.timer, feed_cb, 0.005, 0.005);
    ev_timer_start(actri_loop(), &f.timer);
    int v, rc, want = 0;
    while ((rc = actr_chan_recv(f.ch, &v, actr_now() + 5000)) == 0)
        ck_assert_int_eq(v, want++);
    ck_assert_actr_err(rc, ACTR_EPIPE);
    ck_assert_int_eq(want, 3);
    actr_chan_close(f.ch);
    return 0;
}

START_TEST(test_chan_try_send_from_callback_wakes_receiver)
{
    run_main(callback_body, NULL);
}
END_TEST

/* Several receivers are served in the order they arrived. */
struct rx {
    actr_chan *ch;
    int *order;
    int *pos;
    int id;
};

static int
rx_task(void *arg)
{
    struct rx *r = arg;
    int v;
    ck_assert_actr_ok(actr_chan_recv(r->ch, &v, ACTR_FOREVER));
    r->order[(*r->pos)++] = r->id * 100 + v;
    return 0;
}

static int
fair_body(void *arg)
{
    (void)arg;
    actr_chan *ch;
    int order[3], pos = 0;
    struct rx r[3];
    ck_assert_actr_ok(actr_chan_open(&ch, sizeof(int), 0));
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    for (int i = 0; i < 3; i++) {
        r[i] = (struct rx){ch, order, &pos, i};
        ck_assert_actr_ok(actr_nursery_spawn(n, rx_task, &r[i]));
        ck_assert_actr_ok(actr_sleep(2));
    }
    for (int i = 0; i < 3; i++)
        ck_assert_actr_ok(actr_chan_send(ch, &i, ACTR_FOREVER));
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_int_eq(order[0], 0);
    ck_assert_int_eq(order[1], 101);
    ck_assert_int_eq(order[2], 202);
    actr_chan_close(ch);
    return 0;
}

START_TEST(test_chan_receivers_fifo)
{
    run_main(fair_body, NULL);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("chan");
    TCase *tc = tcase_create("chan");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_chan_fifo_order);
    tcase_add_test(tc, test_chan_capacity_0_is_rendezvous);
    tcase_add_test(tc, test_chan_done_semantics);
    tcase_add_test(tc, test_chan_close_wakes_blocked);
    tcase_add_test(tc, test_chan_deadlines);
    tcase_add_test(tc, test_chan_timed_out_waiter_leaves_queue);
    tcase_add_test(tc, test_chan_try_send_from_callback_wakes_receiver);
    tcase_add_test(tc, test_chan_receivers_fifo);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
