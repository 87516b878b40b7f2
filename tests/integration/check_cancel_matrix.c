/* The cancel scenario matrix (SEMANTICS S11-S14): every cause of a
 * cancellation crossed with every phase a context can be in, one Check
 * test per cell, generated from the table at the end.
 *
 * Each cell: the root actor spawns the callee (actor_srv; plus a third
 * actor for S12 by a third party), opens testmod:steer in one task (the
 * opener) while a second task (the trigger) waits for the callee to report
 * that it reached the phase, then fires the cause. The cell then checks
 * who got which status or error, the canceller uid, the cancel_called /
 * cancelled_remote flags, that the result stays readable (cached) where
 * the rules say so, what the callee saw (its report file), and that no
 * task, child process, grandchild or fd is left. */
#include "itest.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum cause {
    OPENER_CANCELS,       /* S11: actr_ctx_cancel (before started: of the open) */
    CALLEE_CANCELS,       /* S11: actr_call_cancel in the callee */
    OPENER_CANCELS_ACTOR, /* S12: actr_portal_cancel_actor by the opener */
    THIRD_CANCELS_ACTOR,  /* S12: a third actor cancels the callee actor */
    NURSERY_CANCELLED,    /* S15: the opener's task nursery is cancelled */
    DEADLINE,             /* S15: a fail_after deadline expires in the opener */
    CALLEE_KILLED,        /* S14: SIGKILL to the callee's process */
};

enum phase { PRESTART, STREAMING, RESULT, NURSERY };

static const char *const phase_name[] = {"prestart", "streaming", "result", "nursery"};

#define DEADLINE_MS 300     /* after the open (times the slowdown under valgrind) */
#define PROMPT_MS 1500      /* how soon the opener must see the outcome */

struct cell {
    enum cause cause;
    enum phase phase;
    actr_portal *p;                   /* to the callee */
    actr_portal *peer;                /* the third actor */
    int64_t callee_pid;
    char root_uid[160], callee_uid[160], peer_uid[160];
    char url[ACTR_ADDR_URL_MAX];
    char report[64];
    actr_nursery *tn;                 /* the opener's task nursery */
    actr_scope open_scope;            /* OPENER_CANCELS x PRESTART */
    int in_open;
    actr_ctx *c;                      /* shared with the trigger once open */
    /* what the opener saw */
    int open_rc, op_rc, result_rc, result2_rc, close_rc, scope_rc;
    int cancel_called, cancelled_remote, mismatches, exchanges;
    char type[64], canceller[160], canceller2[160], src[160];
    int64_t started;
    int64_t t_fire, t_done;
    int fired, acked;
};

static actr_str
S(const char *z)
{
    actr_str s = {(char *)z, strlen(z)};
    return s;
}

static void
copy_detail(struct cell *x, char *canceller, size_t cap)
{
    const actr_error *e = actr_last_error();
    snprintf(x->type, sizeof x->type, "%s", e->type_name ? e->type_name : "");
    snprintf(canceller, cap, "%s", e->canceller_uid ? e->canceller_uid : "");
    snprintf(x->src, sizeof x->src, "%s", e->src_uid ? e->src_uid : "");
}

static int
opener_task(void *arg)
{
    struct cell *x = arg;
    testmod_steer_args a = {S(phase_name[x->phase]), x->cause == CALLEE_CANCELS, S(x->report)};
    actr_scope dl;
    int dl_on = 0;
    if (x->cause == DEADLINE) {
        /* Long enough for the callee to reach its phase (under valgrind
         * the "nursery" phase spawns a grandchild first). */
        int64_t ms = DEADLINE_MS * itest_slowdown();
        ck_assert_actr_ok(actr_fail_after(&dl, ms));
        x->t_fire = actr_now() + ms;
        dl_on = 1;
    }
    if (x->cause == OPENER_CANCELS && x->phase == PRESTART) {
        /* Before started the only handle the opener has on the dialog
         * is the scope around its open. */
        ck_assert_actr_ok(actr_scope_enter(&x->open_scope, ACTR_FOREVER, 0));
        x->in_open = 1;
    }
    actr_ctx *c = NULL;
    int rc = actr_ctx_open(x->p, itest_ep("steer"), &a, NULL, &c, &x->started);
    if (x->in_open) {
        x->in_open = 0;
        actr_scope_exit(&x->open_scope);
    }
    x->open_rc = rc;
    if (rc < 0) {
        x->t_done = actr_now();
        copy_detail(x, x->canceller, sizeof x->canceller);
        goto out;
    }
    x->c = c;
    if (x->phase == STREAMING) {
        int64_t v = 0;
        for (int i = 0;; i++) {
            if ((rc = actr_ctx_send(c, &v)) < 0)
                break;
            int64_t w = -1;
            if ((rc = actr_ctx_recv(c, &w)) < 0)
                break;
            x->mismatches += w != v + 1;
            v = w;
            x->exchanges++;
            if (i == 20 && x->cause == OPENER_CANCELS) {
                x->t_fire = actr_now();
                x->fired = 1;
                ck_assert_actr_ok(actr_ctx_cancel(c));
            }
        }
    } else {
        int64_t r;
        rc = actr_ctx_result(c, &r);
    }
    x->t_done = actr_now();
    x->op_rc = rc;
    copy_detail(x, x->canceller, sizeof x->canceller);
    x->cancel_called = actr_ctx_cancel_called(c);
    x->cancelled_remote = actr_ctx_cancelled_remote(c);
    if (rc != ACTR_ECANCELED) {
        /* Results stay readable: the same outcome every time (S9). */
        int64_t r;
        x->result_rc = actr_ctx_result(c, &r);
        copy_detail(x, x->canceller2, sizeof x->canceller2);
        x->result2_rc = actr_ctx_result(c, &r);
    }
    x->c = NULL;
    x->close_rc = actr_ctx_close(c);
out:
    if (dl_on)
        x->scope_rc = actr_scope_exit(&dl);
    return 0;
}

static int
trigger_task(void *arg)
{
    struct cell *x = arg;
    if (x->cause == DEADLINE || (x->cause == OPENER_CANCELS && x->phase == STREAMING))
        return 0;                        /* the cause fires in the opener */
    char line[256];
    if (!itest_file_wait(x->report, "reached", line, sizeof line, 5000)) {
        x->fired = -1;
        return 0;
    }
    if (x->cause == CALLEE_CANCELS) {
        x->t_fire = actr_now();          /* it cancels itself there */
        x->fired = 1;
        return 0;
    }
    /* The callee writes "reached" right after started(), before its
     * output is flushed: past PRESTART, wait until the opener has its
     * Started, whatever the cause, or a loaded machine fires the cause
     * while the open is still running (a flake seen under SAN + load). */
    if (x->phase != PRESTART)
        for (int i = 0; i < 500 && !x->c; i++)
            actr_sleep(5);
    x->t_fire = actr_now();
    x->fired = 1;
    switch (x->cause) {
    case OPENER_CANCELS:
        if (x->phase == PRESTART) {
            if (x->in_open)
                actr_scope_cancel(&x->open_scope);
            else
                x->fired = -2;
        } else if (x->c) {
            ck_assert_actr_ok(actr_ctx_cancel(x->c));
        } else {
            x->fired = -3;
        }
        break;
    case OPENER_CANCELS_ACTOR:
        x->acked = actr_portal_cancel_actor(x->p);
        break;
    case THIRD_CANCELS_ACTOR: {
        testmod_cancel_actor_at_args ca = {S(x->url)};
        bool ack = false;
        ck_assert_actr_ok(actr_portal_call(x->peer, itest_ep("cancel_actor_at"), &ca, &ack));
        x->acked = ack;
        break;
    }
    case NURSERY_CANCELLED:
        actr_nursery_cancel(x->tn);
        break;
    case CALLEE_KILLED:
        itest_kill_child("callee", x->callee_pid, SIGKILL);
        break;
    default:
        break;
    }
    return 0;
}

/* The callee's own account: "end rc=... canceller=... cancel_called=...". */
static void
check_report(struct cell *x, const char *who)
{
    char line[512], want[400];
    ck_assert_msg(itest_file_wait(x->report, "end ", line, sizeof line, 4000),
                  "the callee did not report its end");
    snprintf(want, sizeof want, "end rc=ACTR_ECANCELED canceller=%s cancel_called=1", who);
    ck_assert_str_eq(line, want);
}

static void
expect_ctxc(struct cell *x, int rc, const char *who, int quiet)
{
    ck_assert_msg(rc == ACTR_ECTXCANCEL, "expected ACTR_ECTXCANCEL, got %s",
                  actr_errname(rc) ? actr_errname(rc) : "0");
    ck_assert_str_eq(x->type, "ContextCancelled");
    ck_assert_str_eq(x->canceller, who);
    ck_assert_str_eq(x->src, x->callee_uid);
    if (x->open_rc < 0)
        return;                          /* before started: no context */
    ck_assert_int_eq(x->cancel_called, quiet);
    ck_assert_int_eq(x->cancelled_remote, !quiet);
    ck_assert_actr_err(x->result_rc, ACTR_ECTXCANCEL);
    ck_assert_actr_err(x->result2_rc, ACTR_ECTXCANCEL);
    ck_assert_str_eq(x->canceller2, who);
    /* S11: the side that asked closes quietly, anyone else gets the error. */
    ck_assert_actr_err(x->close_rc, quiet ? 0 : ACTR_ECTXCANCEL);
}

static void
expect_outcome(struct cell *x)
{
    int pre = x->phase == PRESTART;
    int rc = pre ? x->open_rc : x->op_rc;
    ck_assert_msg(x->fired >= 0, "the trigger did not fire (%d)", x->fired);
    if (x->phase == STREAMING && !pre)
        ck_assert_msg(x->exchanges >= 5 && x->mismatches == 0, "streaming: %d exchanges, %d bad",
                      x->exchanges, x->mismatches);
    if (!pre)
        ck_assert_actr_ok(x->open_rc);
    switch (x->cause) {
    case OPENER_CANCELS:
        if (pre) {
            ck_assert_actr_err(rc, ACTR_ECANCELED);
        } else {
            expect_ctxc(x, rc, x->root_uid, 1);
        }
        check_report(x, x->root_uid);
        break;
    case CALLEE_CANCELS:
        expect_ctxc(x, rc, x->callee_uid, 0);
        check_report(x, x->callee_uid);
        break;
    case OPENER_CANCELS_ACTOR:
        /* S12: cancelling the whole actor is not a cancel of this
         * context (tractor's _is_self_cancelled): raised, naming us. */
        expect_ctxc(x, rc, x->root_uid, 0);
        check_report(x, x->root_uid);
        ck_assert_int_eq(x->acked, 1);
        break;
    case THIRD_CANCELS_ACTOR:
        expect_ctxc(x, rc, x->peer_uid, 0);
        check_report(x, x->peer_uid);
        ck_assert_int_eq(x->acked, 1);
        break;
    case NURSERY_CANCELLED:
    case DEADLINE:
        /* The opener is being cancelled: it unwinds with ACTR_ECANCELED,
         * a local status (the dialog itself was not cancelled yet, so
         * both flags read 0); its close asks the callee to cancel on its
         * behalf (the report names us) and reports ACTR_ECANCELED. */
        ck_assert_actr_err(rc, ACTR_ECANCELED);
        if (!pre) {
            ck_assert_int_eq(x->cancel_called, 0);
            ck_assert_int_eq(x->cancelled_remote, 0);
            ck_assert_actr_err(x->close_rc, ACTR_ECANCELED);
        }
        if (x->cause == DEADLINE)
            ck_assert_actr_err(x->scope_rc, ACTR_ETIMEDOUT);
        check_report(x, x->root_uid);
        break;
    case CALLEE_KILLED:
        /* S14: the dead channel fails the context at once. */
        ck_assert_actr_err(rc, ACTR_ECLOSED);
        if (!pre) {
            ck_assert_int_eq(x->cancel_called, 0);
            ck_assert_int_eq(x->cancelled_remote, 0);
            ck_assert_actr_err(x->result_rc, ACTR_ECLOSED);
            ck_assert_actr_err(x->result2_rc, ACTR_ECLOSED);
            ck_assert_actr_err(x->close_rc, ACTR_ECLOSED);
        }
        ck_assert(!actr_portal_connected(x->p));
        break;
    }
    ck_assert_msg(x->t_done - x->t_fire < PROMPT_MS, "the outcome took %lld ms",
                  (long long)(x->t_done - x->t_fire));
}

static int
callee_alive_after(enum cause c)
{
    return c != OPENER_CANCELS_ACTOR && c != THIRD_CANCELS_ACTOR && c != CALLEE_KILLED;
}

static int
cell_main(actr_actor *self, void *arg)
{
    (void)self;
    struct cell *x = arg;
    long root_tasks0 = itest_tasks();
    snprintf(x->root_uid, sizeof x->root_uid, "%s", itest_self_uid());
    actr_actor_nursery_opts no = {.cancel_timeout_ms = 500, .term_after_ms = 1000,
                                  .kill_after_ms = 500};
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open_opts(&no, &an));
    actr_spawn_opts so = itest_srv_opts();
    ck_assert_actr_ok(actr_actor_nursery_start(an, "callee", &so, &x->p));
    snprintf(x->callee_uid, sizeof x->callee_uid, "%s.%s", actr_portal_name(x->p),
             actr_portal_uuid(x->p));
    ck_assert_actr_ok(actr_portal_call(x->p, itest_ep("pid"), NULL, &x->callee_pid));
    actr_str url = {0};
    ck_assert_actr_ok(actr_portal_call(x->p, itest_ep("url"), NULL, &url));
    snprintf(x->url, sizeof x->url, "%s", url.ptr);
    actr_codec_free(&actr_type_string, &url);
    if (x->cause == THIRD_CANCELS_ACTOR) {
        ck_assert_actr_ok(actr_actor_nursery_start(an, "peer", &so, &x->peer));
        snprintf(x->peer_uid, sizeof x->peer_uid, "%s.%s", actr_portal_name(x->peer),
                 actr_portal_uuid(x->peer));
    }
    long callee_tasks0 = itest_remote_tasks(x->p);

    ck_assert_actr_ok(actr_nursery_open(&x->tn));
    actr_task_opts oo = {.name = "opener"}, to = {.name = "trigger"};
    ck_assert_actr_ok(actr_nursery_spawn_opts(x->tn, opener_task, x, &oo));
    ck_assert_actr_ok(actr_nursery_spawn_opts(x->tn, trigger_task, x, &to));
    int rc = actr_nursery_close(x->tn, actr_deadline_in(20000));
    ck_assert_msg(rc == 0 || rc == ACTR_ECANCELED, "task nursery: %s", actr_errname(rc));

    expect_outcome(x);

    /* Nothing left behind. */
    if (callee_alive_after(x->cause)) {
        long n = -1;
        for (int i = 0; i < 100 && (n = itest_remote_tasks(x->p)) != callee_tasks0; i++)
            actr_sleep(10);
        ck_assert_int_eq(n, callee_tasks0);
        testmod_add_args aa = {2, 3};
        int64_t sum = 0;
        ck_assert_actr_ok(actr_portal_call(x->p, itest_ep("add"), &aa, &sum));
        ck_assert_int_eq(sum, 5);
    } else {
        ck_assert_msg(itest_pid_gone((int)x->callee_pid, 3000), "callee %lld still runs",
                      (long long)x->callee_pid);
    }
    if (x->phase == NURSERY && x->open_rc == 0)
        ck_assert_msg(itest_pid_gone((int)x->started, 3000), "grandchild %lld still runs",
                      (long long)x->started);
    itest_close_after_death(an, "callee", x->cause == CALLEE_KILLED ? SIGKILL : 0);
    long n = -1;
    for (int i = 0; i < 100 && (n = itest_tasks()) != root_tasks0; i++)
        actr_sleep(10);
    ck_assert_int_eq(n, root_tasks0);
    return 0;
}

static void
run_cell(enum cause cause, enum phase phase)
{
    struct cell x;
    memset(&x, 0, sizeof x);
    x.cause = cause;
    x.phase = phase;
    itest_tmpfile(x.report, sizeof x.report);
    itest_begin();
    ck_assert_actr_ok(itest_root(cell_main, &x));
    itest_end();
    unlink(x.report);
}

#define CELL(rule, name, cause, ph, PH)                \
    START_TEST(test_##rule##_##name##__##ph)           \
    {                                                  \
        run_cell(cause, PH);                           \
    }                                                  \
    END_TEST

#define ROW(rule, name, cause)                         \
    CELL(rule, name, cause, prestart, PRESTART)        \
    CELL(rule, name, cause, streaming, STREAMING)      \
    CELL(rule, name, cause, result, RESULT)            \
    CELL(rule, name, cause, nursery, NURSERY)

ROW(S11, opener_cancels, OPENER_CANCELS)
ROW(S11, callee_cancels_itself, CALLEE_CANCELS)
ROW(S12, opener_cancels_actor, OPENER_CANCELS_ACTOR)
ROW(S12, third_actor_cancels_actor, THIRD_CANCELS_ACTOR)
ROW(S15, opener_nursery_cancelled, NURSERY_CANCELLED)
ROW(S15, opener_deadline_expires, DEADLINE)
ROW(S14, callee_killed, CALLEE_KILLED)

#define ADD_ROW(tc, rule, name)                                    \
    do {                                                           \
        ITEST_ADD(tc, test_##rule##_##name##__prestart);      \
        ITEST_ADD(tc, test_##rule##_##name##__streaming);     \
        ITEST_ADD(tc, test_##rule##_##name##__result);        \
        ITEST_ADD(tc, test_##rule##_##name##__nursery);       \
    } while (0)

static Suite *
matrix_suite(void)
{
    Suite *s = suite_create("cancel_matrix");
    TCase *tc = tcase_create("matrix");
    tcase_set_timeout(tc, 30);
    ADD_ROW(tc, S11, opener_cancels);
    ADD_ROW(tc, S11, callee_cancels_itself);
    ADD_ROW(tc, S12, opener_cancels_actor);
    ADD_ROW(tc, S12, third_actor_cancels_actor);
    ADD_ROW(tc, S15, opener_nursery_cancelled);
    ADD_ROW(tc, S15, opener_deadline_expires);
    ADD_ROW(tc, S14, callee_killed);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(matrix_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
