/* Cancellation rules one by one (SEMANTICS S11-S14, S24, and DESIGN.md's
 * "a task that returns with contexts still open"): the bounded waits, the
 * third actor's view of an actor cancel, cancel requests as calls, dead
 * links, and the cancel log lines. The cause x phase matrix is in
 * check_cancel_matrix.c. */
#include "itest.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <actr/ipc.h>

static actr_str
S(const char *z)
{
    actr_str s = {(char *)z, strlen(z)};
    return s;
}

typedef void (*body_fn)(actr_actor_nursery *an, actr_portal *p);

/* The signal a body killed its child with (the nursery's close then
 * reports that death), or 0. */
static int child_killed;

static int
with_child(actr_actor *self, void *arg)
{
    (void)self;
    body_fn body = (body_fn)arg;
    long tasks0 = itest_tasks();
    actr_actor_nursery_opts no = {.cancel_timeout_ms = 300, .term_after_ms = 300,
                                  .kill_after_ms = 300};
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open_opts(&no, &an));
    actr_spawn_opts so = itest_srv_opts();
    actr_portal *p;
    ck_assert_actr_ok(actr_actor_nursery_start(an, "child", &so, &p));
    body(an, p);
    itest_close_after_death(an, "child", child_killed);
    long n = -1;
    for (int i = 0; i < 100 && (n = itest_tasks()) != tasks0; i++)
        actr_sleep(10);
    ck_assert_int_eq(n, tasks0);
    return 0;
}

static void
run(body_fn body)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(with_child, (void *)body));
    itest_end();
}

static void
child_url(actr_portal *p, char *url, size_t cap)
{
    actr_str u = {0};
    ck_assert_actr_ok(actr_portal_call(p, itest_ep("url"), NULL, &u));
    snprintf(url, cap, "%s", u.ptr);
    actr_codec_free(&actr_type_string, &u);
}

/* ------------------------------------------------------------ S11 */

static void
ack_timeout_body(actr_actor_nursery *an, actr_portal *p)
{
    (void)an;
    /* The remote task ignores cancellation. A deadline is a deadline
     * (DESIGN.md): the call returns when its scope expires; the cancel
     * request goes out from a task of this actor, which waits for the
     * CancelAck (bounded at 0.616 s) and logs that none came. */
    itest_log_start(ACTR_LOG_CANCEL);
    testmod_stubborn_args sa = {false};
    bool r;
    actr_scope sc;
    int64_t t0 = actr_now();
    ck_assert_actr_ok(actr_move_on_after(&sc, 100));
    ck_assert_actr_err(actr_portal_call(p, itest_ep("stubborn"), &sa, &r), ACTR_ECANCELED);
    actr_scope_exit(&sc);
    int64_t dt = actr_now() - t0;
    ck_assert_msg(dt >= 100 && dt < 100 + 60, "the call took %lld ms", (long long)dt);
    /* The actor's own task gives up on the CancelAck 0.616 s later. */
    for (int i = 0; i < 200 && !itest_log_count("no CancelAck from child.", NULL); i++)
        actr_sleep(10);
    dt = actr_now() - t0;
    itest_log_stop();
    ck_assert_msg(dt >= 100 + 600 && dt < 100 + 1200, "the cancel took %lld ms", (long long)dt);
    ck_assert_msg(itest_log_count("no CancelAck from child.", "within 616 ms",
                                  "task cancel-request", NULL) == 1, "%s", itest_log_text());
}

START_TEST(test_S15_deadline_returns_at_once_actor_awaits_the_cancel_ack)
{
    run(ack_timeout_body);
}
END_TEST

static void
quiet_cancel_body(actr_actor_nursery *an, actr_portal *p)
{
    (void)an;
    itest_log_start(ACTR_LOG_CANCEL);
    actr_ctx *c;
    ck_assert_actr_ok(actr_ctx_open(p, itest_ep("sleeper"), NULL, NULL, &c, NULL));
    ck_assert_actr_ok(actr_ctx_cancel(c));
    bool r;
    ck_assert_actr_err(actr_ctx_result(c, &r), ACTR_ECTXCANCEL);
    ck_assert_actr_ok(actr_ctx_close(c));
    itest_log_stop();
    /* Quiet: nothing above level cancel, and the event is at cancel. */
    ck_assert_int_eq(itest_log_count("WARNING", NULL), 0);
    ck_assert_int_eq(itest_log_count("ERROR", NULL), 0);
    ck_assert_int_eq(itest_log_count("CANCEL", "cancelled as we asked", NULL), 1);
}

START_TEST(test_S11_requester_gets_quiet_result_logged_at_cancel)
{
    run(quiet_cancel_body);
}
END_TEST

/* ------------------------------------------------------------ S12 */

static void
peer_sees_canceller_body(actr_actor_nursery *an, actr_portal *p)
{
    /* tractor's actor_cancel_peer capture: a sibling has a context open
     * into the child; we cancel the child; the sibling's context reports
     * ContextCancelled with canceller = us. */
    actr_spawn_opts so = itest_srv_opts();
    actr_portal *peer;
    ck_assert_actr_ok(actr_actor_nursery_start(an, "peer", &so, &peer));
    char url[ACTR_ADDR_URL_MAX];
    child_url(p, url, sizeof url);
    testmod_peer_into_args pa = {S(url)};
    actr_ctx *c;
    bool started = false;
    ck_assert_actr_ok(actr_ctx_open(peer, itest_ep("peer_into"), &pa, NULL, &c, &started));
    ck_assert(started);
    ck_assert_int_eq(actr_portal_cancel_actor(p), 1);
    actr_str who = {0};
    ck_assert_actr_ok(actr_ctx_result(c, &who));
    ck_assert_str_eq(who.ptr, itest_self_uid());
    actr_codec_free(&actr_type_string, &who);
    ck_assert_actr_ok(actr_ctx_close(c));
}

START_TEST(test_S12_peer_context_sees_canceller)
{
    run(peer_sees_canceller_body);
}
END_TEST

static void
dead_channel_body(actr_actor_nursery *an, actr_portal *p)
{
    (void)an;
    int64_t pid;
    ck_assert_actr_ok(actr_portal_call(p, itest_ep("pid"), NULL, &pid));
    itest_kill_child("child", pid, SIGKILL);
    child_killed = SIGKILL;
    for (int i = 0; i < 300 && actr_portal_connected(p); i++)
        actr_sleep(10);
    ck_assert(!actr_portal_connected(p));
    itest_log_start(ACTR_LOG_CANCEL);
    int64_t t0 = actr_now();
    ck_assert_int_eq(actr_portal_cancel_actor(p), 0);
    ck_assert_int_lt(actr_now() - t0, 50);
    itest_log_stop();
    ck_assert_int_eq(itest_log_count("cancel_actor child.", "already gone", NULL), 1);
}

START_TEST(test_S12_cancel_actor_returns_at_once_on_dead_channel)
{
    run(dead_channel_body);
}
END_TEST

/* ------------------------------------------------------------ S13 */

static void
cancelack_body(actr_actor_nursery *an, actr_portal *p)
{
    (void)an;
    /* Cancel requests are ordinary calls into `self`, answered with
     * CancelAck (true), also for a cid nobody runs. */
    static const uint8_t kw[] = "\x81\xa3" "cid\xa4nope";
    actr_any in = {(uint8_t *)kw, sizeof kw - 1}, out = {0};
    ck_assert_actr_ok(actr_portal_call_raw(p, "self:_cancel_task", &in, &out));
    ck_assert_int_eq(out.len, 1);
    ck_assert_int_eq(out.ptr[0], 0xc3);
    actr_codec_free(&actr_type_any, &out);
    ck_assert_actr_ok(actr_portal_call_raw(p, "self:cancel", NULL, &out));
    ck_assert_int_eq(out.ptr[0], 0xc3);
    actr_codec_free(&actr_type_any, &out);
    for (int i = 0; i < 300 && actr_portal_connected(p); i++)
        actr_sleep(10);
    ck_assert(!actr_portal_connected(p));
}

START_TEST(test_S13_cancel_requests_answered_with_cancelack)
{
    run(cancelack_body);
}
END_TEST

static void
other_channel_body(actr_actor_nursery *an, actr_portal *p)
{
    (void)an;
    actr_ctx *c;
    ck_assert_actr_ok(actr_ctx_open(p, itest_ep("sleeper"), NULL, NULL, &c, NULL));
    char url[ACTR_ADDR_URL_MAX], kw[128];
    child_url(p, url, sizeof url);
    actr_portal *p2;
    ck_assert_actr_ok(actr_portal_open(url, &p2));
    /* A second channel asks to cancel a task the first one started. */
    int n = snprintf(kw, sizeof kw, "\x81\xa3" "cid\xd9%c%s", (char)strlen(actr_ctx_cid(c)),
                     actr_ctx_cid(c));
    actr_any in = {(uint8_t *)kw, (size_t)n}, out = {0};
    ck_assert_actr_ok(actr_portal_call_raw(p2, "self:_cancel_task", &in, &out));
    ck_assert_int_eq(out.ptr[0], 0xc3);   /* acked, as tractor: nothing to do */
    actr_codec_free(&actr_type_any, &out);
    /* ...and the task still runs. */
    actr_scope sc;
    bool r;
    ck_assert_actr_ok(actr_move_on_after(&sc, 300));
    ck_assert_actr_err(actr_ctx_result(c, &r), ACTR_ECANCELED);
    actr_scope_exit(&sc);
    ck_assert(!actr_ctx_cancelled_remote(c));
    actr_portal_close(p2);
    /* Its own channel may cancel it. */
    ck_assert_actr_ok(actr_ctx_cancel(c));
    ck_assert_actr_err(actr_ctx_result(c, &r), ACTR_ECTXCANCEL);
    ck_assert_actr_ok(actr_ctx_close(c));
}

START_TEST(test_S13_only_the_starting_channel_may_cancel_a_task)
{
    run(other_channel_body);
}
END_TEST

static void
broken_requester_body(actr_actor_nursery *an, actr_portal *p)
{
    (void)an;
    char report[64], line[512], url[ACTR_ADDR_URL_MAX];
    itest_tmpfile(report, sizeof report);
    testmod_steer_args sa = {S("nursery"), false, S(report)};
    actr_ctx *c;
    int64_t grandchild = 0, pid = 0;
    ck_assert_actr_ok(actr_portal_call(p, itest_ep("pid"), NULL, &pid));
    ck_assert_actr_ok(actr_ctx_open(p, itest_ep("steer"), &sa, NULL, &c, &grandchild));
    child_url(p, url, sizeof url);
    /* A third party sends self:cancel and drops its channel at once,
     * before any answer: the request still runs to completion. */
    actr_addr addr;
    ck_assert_actr_ok(actr_addr_parse(url, &addr));
    actr_ipc *ipc;
    ck_assert_actr_ok(actr_ipc_connect(&addr, NULL, &ipc, actr_deadline_in(5000)));
    static const char ghost_uuid[] = "0badc0de-0000-4000-8000-000000000013";
    actr_msg_aid me = {.name = S("ghost"), .uuid = S(ghost_uuid), .has_pid = true,
                       .pid = getpid(), .has_is_registrar = true};
    ck_assert_actr_ok(actr_ipc_handshake(ipc, &me, actr_deadline_in(5000)));
    static const uint8_t empty[] = {0x80};
    actr_msg m = {.type = ACTR_MSG_START};
    m.u.start.cid = S("0badc0de-0000-4000-8000-0000000000c1");
    m.u.start.ns = S("self");
    m.u.start.func = S("cancel");
    m.u.start.kwargs = (actr_any){(uint8_t *)empty, 1};
    m.u.start.uid = (actr_uid){S("ghost"), S(ghost_uuid)};
    ck_assert_actr_ok(actr_ipc_send(ipc, &m, actr_deadline_in(2000)));
    actr_ipc_close(ipc, actr_deadline_in(2000));

    uint64_t r;
    ck_assert_actr_err(actr_ctx_result(c, &r), ACTR_ECTXCANCEL);
    ck_assert_str_eq(actr_last_error()->canceller_uid, "ghost.0badc0de-0000-4000-8000-000000000013");
    ck_assert(actr_ctx_cancelled_remote(c));
    ck_assert_actr_err(actr_ctx_close(c), ACTR_ECTXCANCEL);
    ck_assert(itest_file_wait(report, "end ", line, sizeof line, 3000));
    ck_assert_str_eq(line, "end rc=ACTR_ECANCELED canceller=ghost.0badc0de-0000-4000-8000-"
                           "000000000013 cancel_called=1");
    /* ...and the actor went away, its grandchild with it. */
    ck_assert(itest_pid_gone((int)pid, 3000));
    ck_assert(itest_pid_gone((int)grandchild, 3000));
    unlink(report);
}

START_TEST(test_S13_cancel_request_survives_requester_channel_break)
{
    run(broken_requester_body);
}
END_TEST

/* ------------------------------------------------------------ S14 */

static void
dead_link_body(actr_actor_nursery *an, actr_portal *p)
{
    (void)an;
    int64_t pid;
    ck_assert_actr_ok(actr_portal_call(p, itest_ep("pid"), NULL, &pid));
    actr_ctx *c1, *c2;
    ck_assert_actr_ok(actr_ctx_open(p, itest_ep("sleeper"), NULL, NULL, &c1, NULL));
    ck_assert_actr_ok(actr_ctx_open(p, itest_ep("sleeper"), NULL, NULL, &c2, NULL));
    int64_t t0 = actr_now();
    itest_kill_child("child", pid, SIGKILL);
    child_killed = SIGKILL;
    bool r;
    ck_assert_actr_err(actr_ctx_result(c1, &r), ACTR_ECLOSED);
    itest_assert_death("child", SIGKILL, "testmod:sleeper");
    ck_assert_int_lt(actr_now() - t0, 1000);
    /* Every context of the channel failed at once: no wait for c2. */
    int64_t t1 = actr_now();
    ck_assert_actr_err(actr_ctx_result(c2, &r), ACTR_ECLOSED);
    ck_assert_int_lt(actr_now() - t1, 20);
    /* Nothing is sent on a dead channel. */
    itest_log_start(ACTR_LOG_CANCEL);
    ck_assert_actr_err(actr_ctx_cancel(c2), ACTR_ECLOSED);
    ck_assert_int_eq(actr_portal_cancel_actor(p), 0);
    ck_assert_int_lt(actr_now() - t1, 50);
    itest_log_stop();
    ck_assert_int_eq(itest_log_count("the channel is gone", actr_ctx_cid(c2), NULL), 1);
    ck_assert_int_eq(itest_log_count("sent to", NULL), 0);
    ck_assert_actr_err(actr_ctx_close(c1), ACTR_ECLOSED);
    ck_assert_actr_err(actr_ctx_close(c2), ACTR_ECLOSED);
}

START_TEST(test_S14_dead_link_fails_every_context_at_once)
{
    run(dead_link_body);
}
END_TEST

static void
dropped_channel_body(actr_actor_nursery *an, actr_portal *p)
{
    (void)an;
    char report[64], line[512], url[ACTR_ADDR_URL_MAX];
    itest_tmpfile(report, sizeof report);
    long tasks0 = itest_remote_tasks(p);
    child_url(p, url, sizeof url);
    actr_portal *p2;
    ck_assert_actr_ok(actr_portal_open(url, &p2));
    testmod_steer_args sa = {S("result"), false, S(report)};
    actr_ctx *c;
    ck_assert_actr_ok(actr_ctx_open(p2, itest_ep("steer"), &sa, NULL, &c, NULL));
    /* The channel that started the task drops: the task is cancelled. */
    actr_portal_close(p2);
    uint64_t r;
    ck_assert_actr_err(actr_ctx_result(c, &r), ACTR_ECLOSED);
    ck_assert_actr_err(actr_ctx_close(c), ACTR_ECLOSED);
    ck_assert(itest_file_wait(report, "end ", line, sizeof line, 3000));
    char want[256];
    snprintf(want, sizeof want, "end rc=ACTR_ECANCELED canceller=%s cancel_called=1",
             itest_self_uid());
    ck_assert_str_eq(line, want);
    long n = -1;
    for (int i = 0; i < 100 && (n = itest_remote_tasks(p)) != tasks0; i++)
        actr_sleep(10);
    ck_assert_int_eq(n, tasks0);
    unlink(report);
}

START_TEST(test_S14_tasks_of_a_dropped_channel_are_cancelled)
{
    run(dropped_channel_body);
}
END_TEST

/* ------------------------------------------------------------ DESIGN.md */

struct leave {
    actr_portal *p;
    char report[64];
};

static int
leave_open_task(void *arg)
{
    struct leave *lv = arg;
    testmod_steer_args sa = {S("result"), false, S(lv->report)};
    actr_ctx *c;
    int rc = actr_ctx_open(lv->p, itest_ep("steer"), &sa, NULL, &c, NULL);
    return rc;                           /* returns with c still open */
}

static void
left_open_body(actr_actor_nursery *an, actr_portal *p)
{
    (void)an;
    struct leave lv = {.p = p};
    char line[512], want[256];
    itest_tmpfile(lv.report, sizeof lv.report);
    long tasks0 = itest_remote_tasks(p);
    itest_log_start(ACTR_LOG_CANCEL);
    actr_nursery *tn;
    ck_assert_actr_ok(actr_nursery_open(&tn));
    ck_assert_actr_ok(actr_nursery_spawn(tn, leave_open_task, &lv));
    ck_assert_actr_ok(actr_nursery_close(tn, actr_deadline_in(5000)));
    itest_log_stop();
    ck_assert_int_eq(itest_log_count("WARNING", "returned with dialog", "open: cancelling it",
                                     NULL), 1);
    ck_assert(itest_file_wait(lv.report, "end ", line, sizeof line, 3000));
    snprintf(want, sizeof want, "end rc=ACTR_ECANCELED canceller=%s cancel_called=1",
             itest_self_uid());
    ck_assert_str_eq(line, want);
    long n = -1;
    for (int i = 0; i < 100 && (n = itest_remote_tasks(p)) != tasks0; i++)
        actr_sleep(10);
    ck_assert_int_eq(n, tasks0);
    unlink(lv.report);
}

START_TEST(test_DESIGN_contexts_left_open_are_cancelled_and_freed)
{
    run(left_open_body);
}
END_TEST

/* ------------------------------------------------------------ S24 */

static void
log_lines_body(actr_actor_nursery *an, actr_portal *p)
{
    (void)an;
    itest_log_start(ACTR_LOG_CANCEL);
    actr_ctx *c;
    ck_assert_actr_ok(actr_ctx_open(p, itest_ep("sleeper"), NULL, NULL, &c, NULL));
    char cid[64];
    snprintf(cid, sizeof cid, "cid %s", actr_ctx_cid(c));
    ck_assert_actr_ok(actr_ctx_cancel(c));
    ck_assert_actr_ok(actr_ctx_close(c));
    ck_assert_int_eq(actr_portal_cancel_actor(p), 1);
    itest_log_stop();
    char me[200], child[200];
    snprintf(me, sizeof me, "actor %s task main", itest_self_uid());
    snprintf(child, sizeof child, "child.%s", actr_portal_uuid(p));
    /* Request, ack and outcome: one line each, naming actor uid, task
     * and cid. */
    ck_assert_msg(itest_log_count("CANCEL", me, cid, "cancel request for testmod:sleeper sent to",
                                  child, NULL) == 1, "%s", itest_log_text());
    ck_assert_int_eq(itest_log_count("CANCEL", me, cid, "CancelAck from", child, NULL), 1);
    ck_assert_int_eq(itest_log_count("CANCEL", me, cid, "cancelled as we asked", NULL), 1);
    ck_assert_int_eq(itest_log_count("CANCEL", me, "cancel_actor: self:cancel sent to", child,
                                     NULL), 1);
    ck_assert_int_eq(itest_log_count("CANCEL", me, "cancel_actor: CancelAck from", child,
                                     NULL), 1);
}

static char child_log[64];

START_TEST(test_S24_cancel_steps_logged_with_uid_task_cid)
{
    /* The child logs to our stderr (at our level): capture it too. */
    itest_tmpfile(child_log, sizeof child_log);
    int saved = dup(2);
    int fd = open(child_log, O_WRONLY | O_TRUNC);
    ck_assert(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    actr_log_set_level(ACTR_LOG_CANCEL);  /* children log at the spawner's level */
    run(log_lines_body);
    dup2(saved, 2);
    close(saved);
    FILE *f = fopen(child_log, "r");
    ck_assert_ptr_nonnull(f);
    char line[2048];
    int req = 0, done = 0, ack = 0, actor = 0, teardown = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strstr(line, " CANCEL "))
            continue;
        if (strstr(line, "actor child.") && strstr(line, "task self:_cancel_task cid ") &&
            strstr(line, "_cancel_task testmod:sleeper requested by root."))
            req++;
        if (strstr(line, "actor child.") && strstr(line, "task testmod:sleeper cid ") &&
            strstr(line, "cancelled by its 'parent'-side peer root."))
            done++;
        if (strstr(line, "actor child.") && strstr(line, "CancelAck for self:_cancel_task sent"))
            ack++;
        if (strstr(line, "actor child.") && strstr(line, "task self:cancel cid ") &&
            strstr(line, "self:cancel requested by root."))
            actor++;
        if (strstr(line, "actor root.") && strstr(line, "task supervisor") &&
            strstr(line, "reaped"))
            teardown++;
    }
    fclose(f);
    if (getenv("ITEST_KEEP"))
        fprintf(stderr, "child log: %s\n", child_log);
    else
        unlink(child_log);
    ck_assert_int_eq(req, 1);
    ck_assert_int_eq(done, 1);
    ck_assert_int_eq(ack, 1);
    ck_assert_int_eq(actor, 1);
    ck_assert_int_eq(teardown, 1);        /* the nursery's teardown, after the sink */
}
END_TEST

static Suite *
cancel_suite(void)
{
    Suite *s = suite_create("cancel");
    TCase *tc = tcase_create("rules");
    tcase_set_timeout(tc, 30);
    ITEST_ADD(tc, test_S15_deadline_returns_at_once_actor_awaits_the_cancel_ack);
    ITEST_ADD(tc, test_S11_requester_gets_quiet_result_logged_at_cancel);
    ITEST_ADD(tc, test_S12_peer_context_sees_canceller);
    ITEST_ADD(tc, test_S12_cancel_actor_returns_at_once_on_dead_channel);
    ITEST_ADD(tc, test_S13_cancel_requests_answered_with_cancelack);
    ITEST_ADD(tc, test_S13_only_the_starting_channel_may_cancel_a_task);
    ITEST_ADD(tc, test_S13_cancel_request_survives_requester_channel_break);
    ITEST_ADD(tc, test_S14_dead_link_fails_every_context_at_once);
    ITEST_ADD(tc, test_S14_tasks_of_a_dropped_channel_are_cancelled);
    ITEST_ADD(tc, test_DESIGN_contexts_left_open_are_cancelled_and_freed);
    ITEST_ADD(tc, test_S24_cancel_steps_logged_with_uid_task_cid);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(cancel_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
