/* The wire's error vocabulary (runtime/wire/errors.c, SEMANTICS S3):
 * exception names and codes, an Error message into the error detail and
 * back, relays and error groups. Runs inside actr_run: the detail is per
 * task. */
#include <string.h>

#include "core_util.h"
#include "wire/errors.h"

static actr_str
str(const char *z)
{
    actr_str s = {(char *)z, strlen(z)};
    return s;
}

static const actr_uid self = {{"mid", 3}, {"00000000-0000-4000-8000-00000000000b", 36}};

START_TEST(test_S3_names_and_codes)
{
    actr_str rae = str("RemoteActorError");
    ck_assert_int_eq(actri_wire_error_code(&(actr_str){"ContextCancelled", 16}, &rae),
                     ACTR_ECTXCANCEL);
    const char *own[] = {"ContextCancelled", "StreamOverrun", "MsgTypeError",
                         "ModuleNotExposed", "AttributeError"};
    const int codes[] = {ACTR_ECTXCANCEL, ACTR_EOVERRUN, ACTR_ETYPE, ACTR_ENOTFOUND,
                         ACTR_ENOTFOUND};
    for (int i = 0; i < 5; i++) {
        actr_str name = str(own[i]);
        /* Boxed directly, or relayed: the same code. */
        ck_assert_int_eq(actri_wire_error_code(&name, &name), codes[i]);
        ck_assert_int_eq(actri_wire_error_code(&rae, &name), codes[i]);
    }
    actr_str v = str("ValueError");
    ck_assert_int_eq(actri_wire_error_code(&v, &v), ACTR_EREMOTE);
    ck_assert_int_eq(actri_wire_error_code(&rae, &v), ACTR_EREMOTE);
    ck_assert_str_eq(actri_wire_error_name(ACTR_EOVERRUN), "StreamOverrun");
    ck_assert_ptr_null(actri_wire_error_name(ACTR_EINVAL));
    actr_uid u = actri_uid_of_text("a.b.00000000-0000-4000-8000-00000000000c");
    ck_assert_int_eq((int)u.name.len, 3);
    ck_assert_int_eq((int)u.uuid.len, 36);
    u = actri_uid_of_text("plain");
    ck_assert_int_eq((int)u.name.len, 5);
    ck_assert_int_eq((int)u.uuid.len, 0);
}
END_TEST

/* Encodes m, decodes it again (as a peer would) and raises it. */
static int
through_the_wire(const actri_errmsg *m)
{
    actr_wbuf b = ACTR_WBUF_INIT;
    int n = actr_msg_encode(&m->msg, &b);
    ck_assert_int_gt(n, 4);
    actr_msg got;
    ck_assert_actr_ok(actr_msg_decode(b.ptr + 4, b.len - 4, &got, NULL));
    ck_assert_int_eq(got.type, ACTR_MSG_ERROR);
    int rc = actri_wire_error_raise(&got.u.error, "mid:op");
    actr_wbuf_destroy(&b);
    return rc;
}

static int
relay_body(void *arg)
{
    (void)arg;
    /* A remote error, as the detail a task holds, relayed by "mid". */
    const char *path[] = {"src.00000000-0000-4000-8000-00000000000a"};
    actr_error e = {.code = ACTR_EREMOTE, .message = "bad value", .type_name = "ValueError",
                    .boxed_type = "ValueError", .traceback = "Traceback\nValueError: bad value",
                    .src_uid = path[0], .relay_count = 1, .relay_path = path};
    actri_errbox b;
    actri_errbox_of(&b, &e, "00000000-0000-4000-8000-00000000000b");
    ck_assert_str_eq(b.boxed_type, "RemoteActorError");
    ck_assert_str_eq(b.src_type, "ValueError");
    b.tb = e.traceback;
    actri_errmsg m;
    ck_assert_actr_ok(actri_errmsg_build(&m, &self, "k1", &b, NULL, 0));
    ck_assert_int_eq(through_the_wire(&m), ACTR_EREMOTE);
    actri_errmsg_free(&m);
    const actr_error *d = actr_last_error();
    ck_assert_str_eq(d->message, "bad value");          /* not "ValueError: bad value" */
    ck_assert_str_eq(d->type_name, "ValueError");
    ck_assert_str_eq(d->boxed_type, "RemoteActorError");
    ck_assert_str_eq(d->src_uid, path[0]);
    ck_assert_int_eq(d->relay_count, 2);
    ck_assert_str_eq(d->relay_path[1], "mid.00000000-0000-4000-8000-00000000000b");
    ck_assert_str_eq(d->task_name, "mid:op");
    /* A relayed ContextCancelled stays one, canceller kept. */
    actr_error c = {.code = ACTR_ECTXCANCEL, .message = "cancelled",
                    .type_name = "ContextCancelled", .src_uid = path[0],
                    .canceller_uid = "x.00000000-0000-4000-8000-00000000000d"};
    actri_errbox_of(&b, &c, "00000000-0000-4000-8000-00000000000b");
    ck_assert_actr_ok(actri_errmsg_build(&m, &self, "k1", &b, NULL, 0));
    ck_assert_int_eq(through_the_wire(&m), ACTR_ECTXCANCEL);
    actri_errmsg_free(&m);
    d = actr_last_error();
    ck_assert_str_eq(d->boxed_type, "ContextCancelled");
    ck_assert_str_eq(d->canceller_uid, "x.00000000-0000-4000-8000-00000000000d");
    /* A relayed StreamOverrun keeps its sender and says what it is
     * (issue 16: it went out with no sender and an empty message). */
    actr_error o = {.code = ACTR_EOVERRUN, .message = "", .type_name = "StreamOverrun",
                    .boxed_type = "StreamOverrun", .src_uid = path[0], .relay_count = 1,
                    .relay_path = path, .sender_uid = "mid.00000000-0000-4000-8000-00000000000b"};
    actri_errbox_of(&b, &o, "00000000-0000-4000-8000-00000000000b");
    ck_assert_actr_ok(actri_errmsg_build(&m, &self, "k1", &b, NULL, 0));
    ck_assert_int_eq(m.msg.u.error.has_sender, 1);
    ck_assert_int_eq(m.msg.u.error.has_message, 1);
    ck_assert_str_eq(m.msg.u.error.message.ptr, "remote task raised a 'StreamOverrun'");
    ck_assert_int_eq(through_the_wire(&m), ACTR_EOVERRUN);
    actri_errmsg_free(&m);
    d = actr_last_error();
    ck_assert_str_eq(d->boxed_type, "RemoteActorError");
    ck_assert_str_eq(d->type_name, "StreamOverrun");
    ck_assert_str_eq(d->sender_uid, "mid.00000000-0000-4000-8000-00000000000b");
    return 0;
}

START_TEST(test_S3_a_relay_keeps_the_source)
{
    ck_assert_actr_ok(actr_run(relay_body, NULL));
}
END_TEST

static int
group_body(void *arg)
{
    (void)arg;
    actri_errbox v[3] = {
        {.boxed_type = "KeyError", .message = "", .tb = "KeyError: first"},
        {.boxed_type = "RemoteActorError", .src_type = "StreamOverrun",
         .src_uid = "g.00000000-0000-4000-8000-00000000000e", .message = "over",
         .sender = "s.00000000-0000-4000-8000-00000000000f"},
        {.boxed_type = "ContextCancelled", .src_uid = "h.00000000-0000-4000-8000-000000000010",
         .message = "cancelled", .canceller = "mid.00000000-0000-4000-8000-00000000000b"},
    };
    actri_errmsg m;
    ck_assert_actr_ok(actri_errmsg_build(&m, &self, "k2", NULL, v, 3));
    /* What a tractor peer reads: one ExceptionGroup listing them all. */
    ck_assert(strncmp(m.msg.u.error.boxed_type_str.ptr, "ExceptionGroup", 14) == 0);
    ck_assert_ptr_nonnull(strstr(m.msg.u.error.tb_str.ptr, "KeyError: first"));
    ck_assert_ptr_nonnull(strstr(m.msg.u.error.tb_str.ptr, "from actor g."));
    /* What an actr peer reads: every member, in order. */
    ck_assert_int_eq(through_the_wire(&m), ACTR_EREMOTE);
    actri_errmsg_free(&m);
    const actr_error *d = actr_last_error();
    ck_assert_int_eq(d->count, 3);
    ck_assert_str_eq(d->type_name, "KeyError");
    ck_assert_str_eq(d->list[0].message, "first");
    ck_assert_int_eq(d->list[1].code, ACTR_EOVERRUN);
    ck_assert_str_eq(d->list[1].sender_uid, "s.00000000-0000-4000-8000-00000000000f");
    ck_assert_int_eq(d->list[1].relay_count, 2);
    ck_assert_int_eq(d->list[2].code, ACTR_ECTXCANCEL);
    ck_assert_str_eq(d->list[2].canceller_uid, "mid.00000000-0000-4000-8000-00000000000b");
    return 0;
}

START_TEST(test_S3_an_error_group_keeps_every_member)
{
    ck_assert_actr_ok(actr_run(group_body, NULL));
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("wire_errors");
    TCase *tc = tcase_create("errors");
    tcase_add_test(tc, test_S3_names_and_codes);
    tcase_add_test(tc, test_S3_a_relay_keeps_the_source);
    tcase_add_test(tc, test_S3_an_error_group_keeps_every_member);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
