/* Cached contexts (actr/cache.h, SEMANTICS S21): one resource per key per
 * actor, shared, torn down by the last user; keys by value or function;
 * waiters during the open; errors of the open and of the close; a
 * cancelled last user; a nursery per function; and 100 concurrent users
 * of one context on another actor with random cancellation. */
#include "itest.h"

#include "hlmod.actor.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ a local resource */

/* What the local test functions count. */
static struct {
    int opens, closes, live, max_live;
    int open_ms, close_ms;        /* how long each takes */
    int fail_open, fail_close;    /* fail with ACTR_EIO */
    uint64_t open_task;           /* the task that ran the last open */
    char open_task_name[32];
    char last_args[32];
} rs;

struct res {
    int serial;                   /* which open made it */
    char args[32];
};

static int
res_open(const void *args, size_t len, void **value)
{
    rs.open_task = actr_task_id();
    snprintf(rs.open_task_name, sizeof rs.open_task_name, "%s", actr_task_name());
    int rc = actr_sleep(rs.open_ms);
    if (rc < 0)
        return rc;
    if (rs.fail_open)
        return actr_error_set(ACTR_EIO, "the open fails");
    struct res *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    r->serial = ++rs.opens;
    snprintf(r->args, sizeof r->args, "%.*s", (int)len, (const char *)args);
    snprintf(rs.last_args, sizeof rs.last_args, "%s", r->args);
    if (++rs.live > rs.max_live)
        rs.max_live = rs.live;
    *value = r;
    return 0;
}

static int
res_close(void *value, const void *args, size_t len)
{
    (void)args;
    (void)len;
    int rc = actr_sleep(rs.close_ms);       /* shielded: it is not cut short */
    ck_assert_int_eq(rc, 0);
    rs.closes++;
    rs.live--;
    free(value);
    return rs.fail_close ? actr_error_set(ACTR_EIO, "the close fails") : 0;
}

/* The key: the args up to their first '/'. */
static size_t
res_key(const void *args, size_t len, void *key, size_t cap)
{
    const char *a = args, *slash = memchr(a, '/', len);
    size_t n = slash ? (size_t)(slash - a) : len;
    ck_assert_uint_le(n, cap);
    memcpy(key, a, n);
    return n;
}

static const actr_cache_fn res_fn = {"res", res_open, res_close, NULL};
static const actr_cache_fn keyed_fn = {"keyed", res_open, res_close, res_key};

static void
reset(void)
{
    memset(&rs, 0, sizeof rs);
}

static actr_cache_user *
enter(const actr_cache_fn *fn, const char *args, const char *key, struct res **r)
{
    actr_cache_user *u;
    void *v = NULL;
    ck_assert_actr_ok(actr_cache_enter(fn, args, strlen(args), key, key ? strlen(key) : 0,
                                       &u, &v));
    *r = v;
    return u;
}

static int
body_shared(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    reset();
    struct res *a, *b, *c;
    actr_cache_user *ua = enter(&res_fn, "one", NULL, &a);
    actr_cache_user *ub = enter(&res_fn, "one", NULL, &b);
    actr_cache_user *uc = enter(&res_fn, "two", NULL, &c);
    ck_assert_ptr_eq(a, b);
    ck_assert_ptr_ne(a, c);
    ck_assert_int_eq(actr_cache_hit(ua), 0);
    ck_assert_int_eq(actr_cache_hit(ub), 1);
    ck_assert_int_eq(actr_cache_hit(uc), 0);
    ck_assert_int_eq(rs.opens, 2);
    ck_assert_uint_eq(actr_cache_count(&res_fn), 2);
    /* The open ran in the function's own task, not in ours. */
    ck_assert(rs.open_task != actr_task_id());
    ck_assert_int_eq(actr_cache_exit(ua), 0);
    ck_assert_int_eq(rs.closes, 0);         /* b still uses it */
    ck_assert_int_eq(actr_cache_exit(ub), 0);
    ck_assert_int_eq(rs.closes, 1);         /* the last one out closed it */
    ck_assert_int_eq(actr_cache_exit(uc), 0);
    ck_assert_int_eq(rs.closes, 2);
    ck_assert_uint_eq(actr_cache_count(&res_fn), 0);
    /* Opened anew once nobody uses it. */
    actr_cache_user *ud = enter(&res_fn, "one", NULL, &a);
    ck_assert_int_eq(a->serial, 3);
    ck_assert_int_eq(actr_cache_exit(ud), 0);
    ck_assert_int_eq(rs.max_live, 2);
    ck_assert_actr_err(actr_cache_enter(NULL, "x", 1, NULL, 0, &ud, NULL), ACTR_EINVAL);
    actr_cache_exit(NULL);
    return 0;
}

START_TEST(test_S21_opened_once_per_key_shared_last_out_closes)
{
    itest_run_root(body_shared, NULL);
}
END_TEST

static int
body_keys(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    reset();
    struct res *a, *b, *c, *d;
    /* The key function: "feed/1" and "feed/2" are one resource. */
    actr_cache_user *ua = enter(&keyed_fn, "feed/1", NULL, &a);
    actr_cache_user *ub = enter(&keyed_fn, "feed/2", NULL, &b);
    ck_assert_ptr_eq(a, b);
    ck_assert_str_eq(a->args, "feed/1");    /* the first user's arguments */
    ck_assert_str_eq(rs.open_task_name, "keyed");   /* in keyed_fn's own nursery */
    /* A key value given by the caller wins over both. */
    actr_cache_user *uc = enter(&keyed_fn, "x/1", "k", &c);
    actr_cache_user *ud = enter(&keyed_fn, "y/2", "k", &d);
    ck_assert_ptr_eq(c, d);
    ck_assert_ptr_ne(a, c);
    /* Another function, the same key: another resource. */
    struct res *e;
    actr_cache_user *ue = enter(&res_fn, "feed", NULL, &e);
    ck_assert_ptr_ne(e, a);
    ck_assert_str_eq(rs.open_task_name, "res");     /* in res_fn's */
    ck_assert_int_eq(rs.opens, 3);
    ck_assert_int_eq(actr_cache_exit(ua) | actr_cache_exit(ub) | actr_cache_exit(uc) |
                     actr_cache_exit(ud) | actr_cache_exit(ue), 0);
    ck_assert_int_eq(rs.closes, 3);
    return 0;
}

START_TEST(test_S21_key_is_a_value_or_a_function)
{
    itest_run_root(body_keys, NULL);
}
END_TEST

/* ------------------------------------------------------------ waiters */

struct waiter {
    int rc;
    struct res *r;
    int hit;
    const char *message;
};

static int
waiter_task(void *arg)
{
    struct waiter *w = arg;
    actr_cache_user *u;
    void *v = NULL;
    w->rc = actr_cache_enter(&res_fn, "slow", 4, NULL, 0, &u, &v);
    if (w->rc < 0) {
        w->message = strdup(actr_last_error()->message);
        return 0;
    }
    w->r = v;
    w->hit = actr_cache_hit(u);
    ck_assert_actr_ok(actr_sleep(10));
    ck_assert_int_eq(actr_cache_exit(u), 0);
    return 0;
}

static void
run_waiters(struct waiter *w, int n)
{
    actr_nursery *nu;
    ck_assert_actr_ok(actr_nursery_open(&nu));
    for (int i = 0; i < n; i++) {
        ck_assert_actr_ok(actr_nursery_spawn(nu, waiter_task, &w[i]));
        ck_assert_actr_ok(actr_sleep(5));   /* they arrive during the open */
    }
    ck_assert_actr_ok(actr_nursery_close(nu, ACTR_FOREVER));
}

static int
body_waiters(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    reset();
    rs.open_ms = 60;
    struct waiter w[5] = {{0}};
    run_waiters(w, 5);
    ck_assert_int_eq(rs.opens, 1);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(w[i].rc, 0);
        ck_assert_ptr_eq(w[i].r, w[0].r);
        ck_assert_int_eq(w[i].hit, i > 0);
    }
    ck_assert_int_eq(rs.closes, 1);
    /* An error of the open reaches every waiter; the next user retries. */
    reset();
    rs.open_ms = 60;
    rs.fail_open = 1;
    struct waiter f[4] = {{0}};
    run_waiters(f, 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(f[i].rc, ACTR_EIO);
        ck_assert_str_eq(f[i].message, "the open fails");
        free((char *)f[i].message);
    }
    ck_assert_uint_eq(actr_cache_count(&res_fn), 0);
    rs.fail_open = 0;
    struct res *r;
    actr_cache_user *u = enter(&res_fn, "slow", NULL, &r);
    ck_assert_int_eq(rs.opens, 1);
    ck_assert_int_eq(actr_cache_exit(u), 0);
    return 0;
}

START_TEST(test_S21_waiters_share_the_open_and_its_error)
{
    itest_run_root(body_waiters, NULL);
}
END_TEST

/* ------------------------------------------------------------ teardown */

static int
body_close_error(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    reset();
    rs.fail_close = 1;
    struct res *r;
    actr_cache_user *a = enter(&res_fn, "x", NULL, &r);
    actr_cache_user *b = enter(&res_fn, "x", NULL, &r);
    ck_assert_int_eq(actr_cache_exit(a), 0);              /* not the last */
    ck_assert_actr_err(actr_cache_exit(b), ACTR_EIO);      /* the last one gets it */
    ck_assert_str_eq(actr_last_error()->message, "the close fails");
    /* A cancelled last user still waits for the teardown. */
    reset();
    rs.close_ms = 100;
    actr_cache_user *c = enter(&res_fn, "y", NULL, &r);
    actr_scope sc;
    ck_assert_actr_ok(actr_move_on_after(&sc, 0));
    ck_assert_int_eq(actr_task_cancelled(), 1);
    int64_t t0 = actr_now();
    ck_assert_int_eq(actr_cache_exit(c), 0);
    ck_assert_int_eq(rs.closes, 1);                        /* done when it returns */
    ck_assert_int_ge(actr_now() - t0, 90);
    ck_assert_actr_ok(actr_scope_exit(&sc));
    return 0;
}

START_TEST(test_S21_close_error_and_cancelled_last_user)
{
    test_expect_log("cache: closing res failed: the close fails");
    itest_run_root(body_close_error, NULL);
}
END_TEST

/* The resource lives in its function's nursery, not in the first user's
 * task: that task may end while others still use it. */
static int
first_user(void *arg)
{
    struct res **out = arg;
    actr_cache_user *u = enter(&res_fn, "outlive", NULL, out);
    ck_assert_int_eq(actr_cache_hit(u), 0);
    /* Hand the user to the main task: it leaves for us. */
    out[1] = (struct res *)u;
    return 0;
}

static int
body_outlives(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    reset();
    struct res *got[2] = {0};
    actr_nursery *nu;
    ck_assert_actr_ok(actr_nursery_open(&nu));
    ck_assert_actr_ok(actr_nursery_spawn(nu, first_user, got));
    ck_assert_actr_ok(actr_nursery_close(nu, ACTR_FOREVER));
    struct res *r;
    actr_cache_user *second = enter(&res_fn, "outlive", NULL, &r);
    ck_assert_ptr_eq(r, got[0]);
    ck_assert_int_eq(actr_cache_exit((actr_cache_user *)got[1]), 0);
    ck_assert_int_eq(actr_cache_exit(second), 0);
    ck_assert_int_eq(rs.opens, 1);
    ck_assert_int_eq(rs.closes, 1);
    return 0;
}

START_TEST(test_S21_resource_lives_in_its_function_nursery)
{
    itest_run_root(body_outlives, NULL);
}
END_TEST

/* A retired resource: its users go on, new arrivals wait for its close
 * and open a new one. */
struct arrival {
    int serial;                 /* which open made what it got */
    int64_t at;
};

static int
arrival_task(void *arg)
{
    struct arrival *a = arg;
    struct res *r;
    actr_cache_user *u = enter(&res_fn, "broken", NULL, &r);
    a->serial = r->serial;
    a->at = actr_now();
    ck_assert_int_eq(actr_cache_hit(u), 0);
    ck_assert_int_eq(actr_cache_exit(u), 0);
    return 0;
}

static int
body_retire(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    reset();
    struct res *r1, *r2;
    actr_cache_user *a = enter(&res_fn, "broken", NULL, &r1);
    actr_cache_user *b = enter(&res_fn, "broken", NULL, &r2);
    ck_assert_ptr_eq(r1, r2);
    ck_assert_int_eq(r1->serial, 1);
    actr_cache_retire(a);
    actr_cache_retire(a);                   /* idempotent */
    ck_assert_uint_eq(actr_cache_count(&res_fn), 0);
    struct arrival late = {0};
    actr_nursery *nu;
    ck_assert_actr_ok(actr_nursery_open(&nu));
    ck_assert_actr_ok(actr_nursery_spawn(nu, arrival_task, &late));
    ck_assert_actr_ok(actr_sleep(30));
    ck_assert_int_eq(late.serial, 0);       /* it waits for the old one's close */
    ck_assert_int_eq(actr_cache_exit(a), 0);
    ck_assert_int_eq(rs.closes, 0);         /* b still uses the old one */
    int64_t last_exit = actr_now();
    ck_assert_int_eq(actr_cache_exit(b), 0);
    ck_assert_int_eq(rs.closes, 1);
    ck_assert_actr_ok(actr_nursery_close(nu, ACTR_FOREVER));
    ck_assert_int_eq(late.serial, 2);       /* a new one */
    ck_assert_int_eq(rs.opens, 2);
    ck_assert_int_ge(late.at, last_exit);
    ck_assert_int_eq(rs.max_live, 1);
    return 0;
}

START_TEST(test_S21_retired_resource_is_opened_anew)
{
    itest_run_root(body_retire, NULL);
}
END_TEST

/* ------------------------------------------------------------ 100 users */

/* The resource: a session context on another actor. */
struct session {
    hlmod_session *ctx;
    hlmod_session_count at_open;
};

static struct {
    int opens, closes, live, max_live;
} ss;

static int
session_open(const void *args, size_t len, void **value)
{
    actr_portal *p;
    ck_assert_uint_eq(len, sizeof p);
    memcpy(&p, args, sizeof p);
    struct session *s = calloc(1, sizeof *s);
    ck_assert_ptr_nonnull(s);
    int rc = hlmod_session_open(p, ACTR_STR("shared"), NULL, &s->ctx, &s->at_open);
    if (rc < 0) {
        free(s);
        return rc;
    }
    ss.opens++;
    if (++ss.live > ss.max_live)
        ss.max_live = ss.live;
    *value = s;
    return 0;
}

static int
session_close(void *value, const void *args, size_t len)
{
    (void)args;
    (void)len;
    struct session *s = value;
    hlmod_session_cancel(s->ctx);
    int rc = hlmod_session_close(s->ctx);
    ss.closes++;
    ss.live--;
    free(s);
    return rc;
}

static const actr_cache_fn session_fn = {"session", session_open, session_close, NULL};

struct user {
    actr_portal *p;
    unsigned seed;
    int entered, cancelled, cut;   /* cut: cancelled while holding it */
};

static int
user_task(void *arg)
{
    struct user *u = arg;
    int slow = itest_slowdown();          /* the other actor under valgrind */
    ck_assert_actr_ok(actr_sleep(rand_r(&u->seed) % 20 * slow));
    /* Some are cancelled while waiting, some while holding it. */
    actr_scope sc;
    ck_assert_actr_ok(actr_move_on_after(&sc, rand_r(&u->seed) % 40 * slow));
    actr_cache_user *cu;
    void *v;
    int rc = actr_cache_enter(&session_fn, &u->p, sizeof u->p, "s", 1, &cu, &v);
    if (rc == 0) {
        u->entered = 1;
        struct session *s = v;
        ck_assert_int_ge(s->at_open.opened, 1);
        ck_assert_int_eq(ss.live, 1);             /* one session at a time */
        u->cut = actr_sleep(rand_r(&u->seed) % 20 * slow) == ACTR_ECANCELED;
        ck_assert_int_eq(actr_cache_exit(cu), 0);
    } else {
        ck_assert_int_eq(rc, ACTR_ECANCELED);
        u->cancelled = 1;
    }
    ck_assert_actr_ok(actr_scope_exit(&sc));
    return 0;
}

static int
body_hundred(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    memset(&ss, 0, sizeof ss);
    actr_actor_nursery *an;
    actr_portal *p = itest_open_with_hl(&an, "sessions");
    long tasks0 = itest_tasks();
    static struct user users[100];
    for (int round = 0; round < 3; round++) {
        actr_nursery *nu;
        ck_assert_actr_ok(actr_nursery_open(&nu));
        for (int i = 0; i < 100; i++) {
            users[i] = (struct user){.p = p, .seed = (unsigned)(round * 1000 + i)};
            ck_assert_actr_ok(actr_nursery_spawn(nu, user_task, &users[i]));
        }
        ck_assert_actr_ok(actr_nursery_close(nu, ACTR_FOREVER));
        int in = 0, out = 0, cut = 0;
        for (int i = 0; i < 100; i++) {
            in += users[i].entered;
            out += users[i].cancelled;
            cut += users[i].cut;
        }
        ck_assert_int_eq(in + out, 100);
        /* Natively the random times give all three kinds of user; with the
         * other actor under valgrind the mix depends on its speed, and only
         * the invariants below are the point. */
        if (itest_slowdown() == 1)
            ck_assert_msg(in > 0 && out > 0 && cut > 0, "round %d: %d in, %d cancelled"
                          " waiting, %d cancelled holding", round, in, out, cut);
        ck_assert_uint_eq(actr_cache_count(&session_fn), 0);
        ck_assert_int_eq(ss.live, 0);
    }
    ck_assert_int_eq(ss.max_live, 1);
    ck_assert_int_eq(ss.opens, ss.closes);
    /* The other actor agrees: at least as many sessions opened (an open
     * abandoned by its waiters may have reached it), and soon none left
     * (the cancel of an abandoned one goes out in the background). */
    hlmod_session_count c = {0};
    for (int64_t until = actr_now() + 10000; actr_now() < until; actr_sleep(10)) {
        ck_assert_actr_ok(hlmod_sessions(p, &c));
        if (c.live == 0)
            break;
    }
    ck_assert_int_eq(c.live, 0);
    ck_assert_int_ge((int)c.opened, ss.opens);
    itest_tasks_back_to(tasks0);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S21_100_users_of_one_context_with_random_cancellation)
{
    itest_run_root(body_hundred, NULL);
}
END_TEST

static Suite *
cache_suite(void)
{
    Suite *s = suite_create("cache");
    TCase *tc = tcase_create("cache");
    tcase_set_timeout(tc, 120);
    ITEST_ADD(tc, test_S21_opened_once_per_key_shared_last_out_closes);
    ITEST_ADD(tc, test_S21_key_is_a_value_or_a_function);
    ITEST_ADD(tc, test_S21_waiters_share_the_open_and_its_error);
    ITEST_ADD(tc, test_S21_close_error_and_cancelled_last_user);
    ITEST_ADD(tc, test_S21_resource_lives_in_its_function_nursery);
    ITEST_ADD(tc, test_S21_retired_resource_is_opened_anew);
    ITEST_ADD(tc, test_S21_100_users_of_one_context_with_random_cancellation);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return itest_run_suite(cache_suite());
}
