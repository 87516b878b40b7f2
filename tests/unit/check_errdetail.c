/* Per-task error detail (actr/error.h). */
#include <string.h>

#include "core_util.h"

START_TEST(test_error_set_outside_task)
{
    ck_assert_int_eq(actr_last_error()->code, 0);
    ck_assert_uint_eq(actr_last_error()->count, 0);
    ck_assert_int_eq(actr_error_set(ACTR_EINVAL, "bad port %d", 70000), ACTR_EINVAL);
    const actr_error *e = actr_last_error();
    ck_assert_int_eq(e->code, ACTR_EINVAL);
    ck_assert_str_eq(e->message, "bad port 70000");
    ck_assert_ptr_null(e->type_name);
    ck_assert_uint_eq(e->count, 1);
    ck_assert_str_eq(e->list[0].message, "bad port 70000");
    /* fmt NULL: the code's description. */
    actr_error_set(ACTR_ETOOBIG, NULL);
    ck_assert_str_eq(actr_last_error()->message, actr_strerror(ACTR_ETOOBIG));
    /* Long messages are kept whole. */
    char big[2000];
    memset(big, 'm', sizeof big - 1);
    big[sizeof big - 1] = 0;
    actr_error_set(ACTR_EIO, "%s", big);
    ck_assert_uint_eq(strlen(actr_last_error()->message), sizeof big - 1);
    actr_error_clear();
    ck_assert_int_eq(actr_last_error()->code, 0);
}
END_TEST

START_TEST(test_error_remote_detail_and_list)
{
    actr_error remote = {
        .code = ACTR_EREMOTE,
        .message = "division by zero",
        .type_name = "ZeroDivisionError",
        .traceback = "Traceback (most recent call last):\n  ...",
        .src_uid = "calc:1234",
        .canceller_uid = NULL,
    };
    ck_assert_int_eq(actr_error_set_detail(&remote), ACTR_EREMOTE);
    const actr_error *e = actr_last_error();
    ck_assert_str_eq(e->type_name, "ZeroDivisionError");
    ck_assert_str_eq(e->src_uid, "calc:1234");
    ck_assert_ptr_null(e->canceller_uid);
    ck_assert_ptr_ne(e->message, remote.message);   /* copied */

    actr_error two[2] = {remote, {.code = ACTR_ECTXCANCEL, .message = "cancelled",
                                  .type_name = "ContextCancelled",
                                  .canceller_uid = "root:1"}};
    ck_assert_int_eq(actr_error_set_list(two, 2), ACTR_EREMOTE);
    e = actr_last_error();
    ck_assert_uint_eq(e->count, 2);
    ck_assert_str_eq(e->message, "division by zero");
    ck_assert_str_eq(e->list[1].canceller_uid, "root:1");
    ck_assert_uint_eq(e->list[1].count, 1);
    ck_assert_int_eq(actr_error_set_list(NULL, 0), 0);
    ck_assert_int_eq(actr_last_error()->code, 0);
}
END_TEST

/* A kept copy survives the detail it was made of and restores it whole,
 * group members included. */
START_TEST(test_error_dup_keeps_a_group)
{
    actr_error two[2] = {{.code = ACTR_EREMOTE, .message = "boom", .type_name = "ValueError",
                          .src_uid = "svc.1"},
                         {.code = ACTR_ECTXCANCEL, .message = "cancelled",
                          .type_name = "ContextCancelled", .canceller_uid = "root.2"}};
    actr_error_set_list(two, 2);
    actr_error *kept;
    ck_assert_int_eq(actr_error_dup(actr_last_error(), &kept), 0);
    actr_error_set(ACTR_EIO, "something else");
    ck_assert_uint_eq(kept->count, 2);
    ck_assert_str_eq(kept->list[1].canceller_uid, "root.2");
    ck_assert_int_eq(actr_error_restore(kept), ACTR_EREMOTE);
    actr_error_free(kept);
    const actr_error *e = actr_last_error();
    ck_assert_str_eq(e->type_name, "ValueError");
    ck_assert_uint_eq(e->count, 2);
    ck_assert_str_eq(e->list[1].type_name, "ContextCancelled");
    /* A single error, and the bad input. */
    actr_error_set(ACTR_ECLOSED, "gone");
    ck_assert_int_eq(actr_error_dup(actr_last_error(), &kept), 0);
    ck_assert_uint_eq(kept->count, 1);
    ck_assert_ptr_eq(kept->list, kept);
    actr_error_free(kept);
    ck_assert_int_eq(actr_error_dup(NULL, &kept), ACTR_EINVAL);
    actr_error_free(NULL);
    ck_assert_int_eq(actr_error_restore(NULL), 0);
    ck_assert_int_eq(actr_last_error()->code, 0);
}
END_TEST

struct pair {
    actr_event go;
    int peer_code;
};

static int
other_task(void *arg)
{
    struct pair *p = arg;
    actr_error_set(ACTR_EPROTO, "mine");
    ck_assert_actr_ok(actr_event_wait(&p->go, ACTR_FOREVER));
    /* The main task's failure did not overwrite ours. */
    ck_assert_str_eq(actr_last_error()->message, "mine");
    /* A successful call leaves the detail alone. */
    ck_assert_actr_ok(actr_checkpoint());
    ck_assert_int_eq(actr_last_error()->code, ACTR_EPROTO);
    return 0;
}

static int
sleeps_cancelled(void *arg)
{
    (void)arg;
    actr_scope s;
    ck_assert_actr_ok(actr_move_on_after(&s, 1));
    ck_assert_actr_err(actr_sleep(10000), ACTR_ECANCELED);
    ck_assert_int_eq(actr_last_error()->code, ACTR_ECANCELED);
    ck_assert_ptr_nonnull(actr_last_error()->message);
    ck_assert_actr_ok(actr_scope_exit(&s));
    return 0;
}

static int
per_task_main(void *arg)
{
    (void)arg;
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, sleeps_cancelled, NULL));
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    return 0;
}

START_TEST(test_error_detail_is_per_task)
{
    run_main(per_task_main, NULL);
}
END_TEST

static int
isolation_main(void *arg)
{
    (void)arg;
    struct pair p = {.go = ACTR_EVENT_INIT};
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, other_task, &p));
    ck_assert_actr_ok(actr_sleep(2));
    actr_error_set(ACTR_EINVAL, "theirs");
    actr_event_set(&p.go);
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_str_eq(actr_last_error()->message, "theirs");
    return 0;
}

START_TEST(test_error_detail_isolated_between_tasks)
{
    run_main(isolation_main, NULL);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("errdetail");
    TCase *tc = tcase_create("errdetail");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_error_set_outside_task);
    tcase_add_test(tc, test_error_remote_detail_and_list);
    tcase_add_test(tc, test_error_dup_keeps_a_group);
    tcase_add_test(tc, test_error_detail_is_per_task);
    tcase_add_test(tc, test_error_detail_isolated_between_tasks);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
