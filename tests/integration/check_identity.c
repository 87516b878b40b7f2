/* Errors keep their identity across actors (SEMANTICS S3, S11-S13): the
 * source's type, message and uid, the type each hop boxed it as, the
 * relay path, the canceller, and every member of an error group; no
 * successful cleanup and no cancelled cleanup replaces the error a task
 * failed with. The middle actor is dialogs_srv (dialogs.actor), the
 * grandchildren actor_srv (testmod). */
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

static actr_str
srv(void)
{
    return S(itest_bin("actor_srv"));
}

/* The uid text "<name>.<uuid>" starts with name and a dot. */
static int
uid_named(const char *uid, const char *name)
{
    size_t n = strlen(name);
    return uid && strncmp(uid, name, n) == 0 && uid[n] == '.';
}

/* ------------------------------------------------------------ relays */

static void
relay_body(actr_actor_nursery *an, actr_portal *p, actr_portal *srv_)
{
    (void)an;
    (void)srv_;
    /* testmod:fail in the grandchild, relayed by the child. */
    static const uint8_t kw[] = "\x82\xa9type_name\xaa" "ValueError\xa7message\xac"
                                "deep trouble";
    actr_any kwa = {(uint8_t *)kw, sizeof kw - 1}, out;
    ck_assert_actr_err(dialogs_relay_call(p, srv(), S("testmod:fail"), kwa, &out),
                       ACTR_EREMOTE);
    const actr_error *e = actr_last_error();
    ck_assert_int_eq(e->count, 1);
    ck_assert_str_eq(e->type_name, "ValueError");          /* where it started */
    ck_assert_str_eq(e->boxed_type, "RemoteActorError");   /* as this hop saw it */
    ck_assert_str_eq(e->message, "deep trouble");          /* the source's text */
    ck_assert(uid_named(e->src_uid, "grandchild"));
    ck_assert_int_eq(e->relay_count, 2);
    ck_assert(uid_named(e->relay_path[0], "grandchild"));
    ck_assert_str_eq(e->src_uid, e->relay_path[0]);
    char child[160];
    snprintf(child, sizeof child, "child.%s", actr_portal_uuid(p));
    ck_assert_str_eq(e->relay_path[1], child);
    ck_assert_ptr_nonnull(strstr(e->traceback, "Relayed by actor 'child'"));
    ck_assert_ptr_nonnull(strstr(e->traceback, "actor 'grandchild'"));
}

START_TEST(test_S3_relayed_error_keeps_source_type_message_uid_and_path)
{
    run(relay_body);
}
END_TEST

static void
relay_not_exposed_body(actr_actor_nursery *an, actr_portal *p, actr_portal *srv_)
{
    (void)an;
    (void)srv_;
    actr_any none = {(uint8_t *)"\x80", 1}, out;
    /* Direct: ModuleNotExposed is ACTR_ENOTFOUND ... */
    ck_assert_actr_err(actr_portal_call_raw(p, "nosuchmod:f", &none, &out), ACTR_ENOTFOUND);
    ck_assert_str_eq(actr_last_error()->type_name, "ModuleNotExposed");
    /* ... and relayed, still. */
    ck_assert_actr_err(dialogs_relay_call(p, srv(), S("nosuchmod:f"), none, &out),
                       ACTR_ENOTFOUND);
    const actr_error *e = actr_last_error();
    ck_assert_str_eq(e->type_name, "ModuleNotExposed");
    ck_assert_str_eq(e->boxed_type, "RemoteActorError");
    ck_assert(uid_named(e->src_uid, "grandchild"));
    ck_assert_ptr_nonnull(strstr(e->message, "nosuchmod"));
}

START_TEST(test_S3_relayed_module_not_exposed_keeps_its_code)
{
    run(relay_not_exposed_body);
}
END_TEST

static void
cleanup_body(actr_actor_nursery *an, actr_portal *p, actr_portal *srv_)
{
    (void)an;
    (void)srv_;
    /* The child got the grandchild's error, then cancelled and closed
     * another context (both succeeded): the error it returns is still
     * the grandchild's, not a generic one naming the child. */
    ck_assert_actr_err(dialogs_cleanup_after_error(p, srv()), ACTR_EREMOTE);
    const actr_error *e = actr_last_error();
    ck_assert_str_eq(e->type_name, "ValueError");
    ck_assert_str_eq(e->message, "flood failed after 5 values");
    ck_assert(uid_named(e->src_uid, "grandchild"));
    ck_assert_int_eq(e->relay_count, 2);
}

START_TEST(test_S3_successful_cleanup_keeps_the_error_detail)
{
    run(cleanup_body);
}
END_TEST

/* A call that succeeds does not touch the detail of the last failure. */
static void
success_keeps_detail_body(actr_actor_nursery *an, actr_portal *p, actr_portal *srv_)
{
    (void)an;
    (void)srv_;
    actr_any none = {(uint8_t *)"\x80", 1}, out;
    ck_assert_actr_err(actr_portal_call_raw(p, "nosuchmod:f", &none, &out), ACTR_ENOTFOUND);
    actr_ctx *c;
    ck_assert_actr_ok(actr_ctx_open(p, actr_module_find(&dialogs_module, "stop_rules", 10),
                                    &(dialogs_stop_rules_args){false}, NULL, &c, NULL));
    ck_assert_actr_ok(actr_ctx_cancel(c));
    ck_assert_actr_ok(actr_ctx_close(c));     /* the quiet outcome we asked for */
    ck_assert_int_eq(actr_portal_cancel_actor(p), 1);
    ck_assert_int_eq(actr_last_error()->code, ACTR_ENOTFOUND);
    ck_assert_str_eq(actr_last_error()->type_name, "ModuleNotExposed");
}

START_TEST(test_S3_successful_calls_leave_the_detail_alone)
{
    run(success_keeps_detail_body);
}
END_TEST

/* ------------------------------------------------------------ groups */

static void
group_body(actr_actor_nursery *an, actr_portal *p, actr_portal *srv_)
{
    (void)an;
    (void)srv_;
    /* The child's nursery fails with three errors at once; all three
     * cross to us, each with its own source. */
    ck_assert_actr_err(dialogs_group_fail(p, srv(), 3, 300 * itest_slowdown()), ACTR_EREMOTE);
    const actr_error *e = actr_last_error();
    ck_assert_int_eq(e->count, 3);
    int seen[3] = {0};
    for (size_t i = 0; i < e->count; i++) {
        const actr_error *m = &e->list[i];
        ck_assert_int_eq(m->code, ACTR_EREMOTE);
        ck_assert_msg(m->type_name && m->type_name[0] == 'E', "member %zu: %s", i,
                      m->type_name);
        int k = atoi(m->type_name + 1);
        ck_assert(k >= 0 && k < 3);
        seen[k]++;
        char msg[32], who[16];
        snprintf(msg, sizeof msg, "failure %d", k);
        snprintf(who, sizeof who, "g%d", k);
        ck_assert_str_eq(m->message, msg);
        ck_assert(uid_named(m->src_uid, who));
        ck_assert_int_eq(m->relay_count, 2);      /* g<k>, then the child */
        ck_assert_str_eq(m->boxed_type, "RemoteActorError");
    }
    ck_assert(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
}

START_TEST(test_S3_error_group_crosses_actor_boundaries)
{
    run(group_body);
}
END_TEST

/* 25 children natively; under valgrind (make valgrind) 6, each slower. */
#define MANY ((size_t)(itest_slowdown() == 1 ? 25 : 6))

static int
many_body(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    /* MANY children fail at about the same moment (each sleeps, shielded,
     * then fails); two more would run for a minute. */
    for (int i = 0; i < (int)MANY; i++) {
        char name[16], msg[32];
        snprintf(name, sizeof name, "f%d", i);
        snprintf(msg, sizeof msg, "failure %d", i);
        uint32_t ms = (2000 - 50 * (uint32_t)i) * (uint32_t)itest_slowdown();
        testmod_fail_after_shielded_args fa = {ms, S("KeyError"), S(msg)};
        actr_portal *p;
        ck_assert_actr_ok(actr_actor_nursery_run(an, name, &so, itest_ep("fail_after_shielded"),
                                                 &fa, &p));
    }
    actr_portal *s1, *s2;
    testmod_sleep_ms_args sa = {60000};
    ck_assert_actr_ok(actr_actor_nursery_run(an, "s1", &so, itest_ep("sleep_ms"), &sa, &s1));
    ck_assert_actr_ok(actr_actor_nursery_run(an, "s2", &so, itest_ep("sleep_ms"), &sa, &s2));
    ck_assert(!actr_actor_nursery_cancel_called(an));
    int rc = actr_sleep(60000);
    ck_assert_actr_err(rc, ACTR_ECANCELED);          /* the body is cancelled too */
    ck_assert(actr_actor_nursery_cancel_called(an));
    rc = actr_actor_nursery_close(an);
    ck_assert_actr_err(rc, ACTR_EREMOTE);
    const actr_error *e = actr_last_error();
    ck_assert_int_eq(e->count, MANY + 2);
    int failures = 0, cancelled = 0;
    for (size_t i = 0; i < e->count; i++) {
        const actr_error *m = &e->list[i];
        if (i < MANY) {
            /* Every failure, however close together, before any cancelled
             * member. */
            ck_assert_int_eq(m->code, ACTR_EREMOTE);
            ck_assert_str_eq(m->type_name, "KeyError");
            ck_assert(m->src_uid && m->src_uid[0] == 'f');
            failures++;
        } else {
            ck_assert_int_eq(m->code, ACTR_ECTXCANCEL);
            ck_assert_str_eq(m->type_name, "ContextCancelled");
            ck_assert(uid_named(m->src_uid, "s1") || uid_named(m->src_uid, "s2"));
            ck_assert_str_eq(m->canceller_uid, itest_self_uid());
            cancelled++;
        }
    }
    ck_assert_int_eq(failures, MANY);
    ck_assert_int_eq(cancelled, 2);
    return 0;
}

START_TEST(test_S3_run_in_actor_collects_every_failure_and_cancelled_sibling)
{
    itest_run_root(many_body, NULL);
}
END_TEST

/* ------------------------------------------------------------ cancels */

static void
relay_ctxc_body(actr_actor_nursery *an, actr_portal *p, actr_portal *srv_)
{
    (void)an;
    (void)srv_;
    char report[64];
    itest_tmpfile(report, sizeof report);
    dialogs_relay_ctxc *c;
    bool started;
    ck_assert_actr_ok(dialogs_relay_ctxc_open(p, srv(), S(report), NULL, &c, &started));
    int64_t r;
    /* The grandchild cancelled itself; the child relays the
     * ContextCancelled with its canceller: not ours, so it is raised. */
    ck_assert_actr_err(dialogs_relay_ctxc_result(c, &r), ACTR_ECTXCANCEL);
    const actr_error *e = actr_last_error();
    ck_assert_str_eq(e->type_name, "ContextCancelled");
    ck_assert(uid_named(e->canceller_uid, "grandchild"));
    ck_assert(uid_named(e->src_uid, "grandchild"));
    ck_assert_int_eq(e->relay_count, 2);
    ck_assert(!actr_ctx_cancel_called(dialogs_relay_ctxc_base(c)));
    ck_assert(actr_ctx_cancelled_remote(dialogs_relay_ctxc_base(c)));
    ck_assert_actr_err(dialogs_relay_ctxc_close(c), ACTR_ECTXCANCEL);
    ck_assert(uid_named(actr_last_error()->canceller_uid, "grandchild"));
    unlink(report);
}

START_TEST(test_S12_relayed_context_cancelled_keeps_its_canceller)
{
    run(relay_ctxc_body);
}
END_TEST

static void
cleanup_cancel_body(actr_actor_nursery *an, actr_portal *p, actr_portal *srv_)
{
    (void)an;
    (void)srv_;
    const char *modes[] = {"recorded", "masked"};
    for (int i = 0; i < 2; i++) {
        dialogs_fail_in_cleanup *c;
        bool started;
        ck_assert_actr_ok(dialogs_fail_in_cleanup_open(p, S(modes[i]), srv(), NULL, &c,
                                                       &started));
        /* We cancel it while it cleans up after its failure: the failure
         * comes back, not the ContextCancelled we asked for. */
        ck_assert_actr_ok(dialogs_fail_in_cleanup_cancel(c));
        bool r;
        ck_assert_actr_err(dialogs_fail_in_cleanup_result(c, &r), ACTR_EREMOTE);
        const actr_error *e = actr_last_error();
        ck_assert_str_eq(e->type_name, "ValueError");
        if (i == 0) {
            ck_assert_str_eq(e->message, "recorded before the cleanup");
            ck_assert(uid_named(e->src_uid, "child"));
        } else {
            ck_assert_str_eq(e->message, "flood failed after 5 values");
            ck_assert(uid_named(e->src_uid, "grandchild"));
        }
        ck_assert_actr_err(dialogs_fail_in_cleanup_close(c), ACTR_EREMOTE);
    }
}

START_TEST(test_S11_a_cancelled_cleanup_does_not_mask_the_error)
{
    run(cleanup_cancel_body);
}
END_TEST

static Suite *
identity_suite(void)
{
    Suite *s = suite_create("identity");
    TCase *tc = tcase_create("identity");
    tcase_set_timeout(tc, 60);
    ITEST_ADD(tc, test_S3_relayed_error_keeps_source_type_message_uid_and_path);
    ITEST_ADD(tc, test_S3_relayed_module_not_exposed_keeps_its_code);
    ITEST_ADD(tc, test_S3_successful_cleanup_keeps_the_error_detail);
    ITEST_ADD(tc, test_S3_successful_calls_leave_the_detail_alone);
    ITEST_ADD(tc, test_S3_error_group_crosses_actor_boundaries);
    ITEST_ADD(tc, test_S3_run_in_actor_collects_every_failure_and_cancelled_sibling);
    ITEST_ADD(tc, test_S12_relayed_context_cancelled_keeps_its_canceller);
    ITEST_ADD(tc, test_S11_a_cancelled_cleanup_does_not_mask_the_error);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return itest_run_suite(identity_suite());
}
