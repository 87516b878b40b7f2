/* Wire messages, bad input: what is not msgpack is malformed; a valid
 * msgpack value that is not a valid message is a MsgTypeError that keeps
 * its cid, so the channel can answer it; field order and unknown fields. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <actr/err.h>
#include <actr/wire.h>

#include "wire_json.h"

static int
decode_hex(const char *hex, actr_msg *m, actr_wire_err *err)
{
    static uint8_t buf[512];
    size_t n;
    wire_test_hex2bin(hex, buf, &n);
    return actr_msg_decode(buf, n, m, err);
}

START_TEST(test_bad_msgpack_is_malformed)
{
    static const char *const bad[] = {
        "c1",                       /* never-used byte */
        "81a86d73675f74797065",     /* map missing its value */
        "a5616263",                 /* str shorter than its head */
        "dc0005",                   /* array16 of 5 with nothing */
        "82a86d73675f74797065a453746f70a3636964a2c328", /* bad UTF-8 cid */
        "82a86d73675f74797065a453746f70a3636964a26331c0", /* trailing byte */
        "dd7fffffff",               /* huge array head, no elements */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        actr_msg m;
        actr_wire_err err;
        m.type = ACTR_MSG_AID;
        ck_assert_msg(decode_hex(bad[i], &m, &err) == ACTR_EPROTO,
                      "case %zu: %s", i, bad[i]);
        ck_assert_int_eq(err.fault, ACTR_WIRE_MALFORMED);
        ck_assert_int_eq(m.type, ACTR_MSG_AID);   /* out untouched */
    }
    actr_msg m;
    actr_wire_err err;
    ck_assert_int_eq(actr_msg_decode((const uint8_t *)"", 0, &m, &err), ACTR_EPROTO);
    ck_assert_int_eq(err.fault, ACTR_WIRE_MALFORMED);
    ck_assert_int_eq(actr_msg_decode((const uint8_t *)"", 0, &m, NULL), ACTR_EPROTO);
}
END_TEST

START_TEST(test_truncated_frames_are_malformed)
{
    wire_capture cap;
    wire_capture_load("context.jsonl", &cap);
    size_t checked = 0;
    for (size_t i = 0; i < cap.nlines; i++) {
        wire_capline *cl = &cap.lines[i];
        if (!cl->frame)
            continue;
        size_t body = cl->frame_len - 4;
        for (size_t cut = 0; cut < body; cut++) {
            uint8_t *b = malloc(cut ? cut : 1);     /* exact size for ASan */
            memcpy(b, cl->frame + 4, cut);
            actr_msg m;
            actr_wire_err err;
            ck_assert_int_eq(actr_msg_decode(b, cut, &m, &err), ACTR_EPROTO);
            ck_assert_int_eq(err.fault, ACTR_WIRE_MALFORMED);
            free(b);
            checked++;
        }
    }
    ck_assert_uint_gt(checked, 1000);
    wire_capture_free(&cap);
}
END_TEST

START_TEST(test_non_map_top_level_is_msgtype)
{
    actr_msg m;
    actr_wire_err err;
    ck_assert_int_eq(decode_hex("93010203", &m, &err), ACTR_ETYPE);
    ck_assert_int_eq(err.fault, ACTR_WIRE_MSGTYPE);
    ck_assert(!err.has_cid);
    ck_assert_uint_eq(err.body.len, 0);
    ck_assert_str_eq(err.what, "expected a message map, got array");
    ck_assert_int_eq(decode_hex("c0", &m, &err), ACTR_ETYPE);
    /* but a non-map that is not msgpack either is malformed */
    ck_assert_int_eq(decode_hex("9301", &m, &err), ACTR_EPROTO);
}
END_TEST

START_TEST(test_missing_and_unknown_msg_type_keep_cid)
{
    actr_msg m;
    actr_wire_err err;
    /* {"cid": "c1"} */
    ck_assert_int_eq(decode_hex("81a3636964a26331", &m, &err), ACTR_ETYPE);
    ck_assert_int_eq(err.fault, ACTR_WIRE_MSGTYPE);
    ck_assert(err.has_cid && wire_test_str_is(err.cid, "c1"));
    ck_assert_str_eq(err.what, "message without a msg_type field");
    /* {"msg_type": "Bogus", "cid": "c2"} */
    ck_assert_int_eq(decode_hex("82a86d73675f74797065a5426f677573a3636964a26332",
                                &m, &err), ACTR_ETYPE);
    ck_assert(err.has_cid && wire_test_str_is(err.cid, "c2"));
    ck_assert_str_eq(err.what, "unknown msg_type 'Bogus'");
    ck_assert_int_eq(err.type, ACTR_MSG_NONE);
    /* {"msg_type": 5} */
    ck_assert_int_eq(decode_hex("81a86d73675f7479706505", &m, &err), ACTR_ETYPE);
    ck_assert(!err.has_cid);
}
END_TEST

/* Builds {"msg_type": type, <extra pairs>} from hex pieces. */
static int
decode_fields(const char *type, const char *pairs, int npairs, actr_msg *m,
              actr_wire_err *err)
{
    char hex[1024];
    char th[64] = "";
    for (size_t i = 0; type[i]; i++)
        sprintf(th + 2 * i, "%02x", (unsigned char)type[i]);
    snprintf(hex, sizeof hex, "%02x a86d73675f74797065 %02zx%s %s",
             0x80 + npairs + 1, 0xa0 + strlen(type), th, pairs);
    return decode_hex(hex, m, err);
}

#define CID_C1 "a3636964a26331"   /* "cid": "c1" */

START_TEST(test_wrong_field_types_are_msgtype_with_cid)
{
    actr_msg m;
    actr_wire_err err;
    /* Yield with pld only: missing cid */
    ck_assert_int_eq(decode_fields("Yield", "a3706c6401", 1, &m, &err), ACTR_ETYPE);
    ck_assert_str_eq(err.what, "Yield.cid: missing required field");
    ck_assert(!err.has_cid);
    /* Yield without pld: missing pld, cid known */
    ck_assert_int_eq(decode_fields("Yield", CID_C1, 1, &m, &err), ACTR_ETYPE);
    ck_assert_str_eq(err.what, "Yield.pld: missing required field");
    ck_assert(err.has_cid && wire_test_str_is(err.cid, "c1"));
    ck_assert_int_eq(err.type, ACTR_MSG_YIELD);
    /* cid of the wrong type */
    ck_assert_int_eq(decode_fields("Stop", "a3636964 07", 1, &m, &err), ACTR_ETYPE);
    ck_assert_str_eq(err.what, "Stop.cid: expected str, got int");
    ck_assert(!err.has_cid);
    /* CancelAck.pld must be a bool */
    ck_assert_int_eq(decode_fields("CancelAck", CID_C1 " a3706c6401", 2, &m, &err),
                     ACTR_ETYPE);
    ck_assert_str_eq(err.what, "CancelAck.pld: expected bool, got int");
    ck_assert(err.has_cid && wire_test_str_is(err.cid, "c1"));
    /* StartAck.functype is a literal */
    ck_assert_int_eq(decode_fields("StartAck", CID_C1 " a866756e6374797065 a3626164",
                                   2, &m, &err), ACTR_ETYPE);
    ck_assert_str_eq(err.what, "StartAck.functype: invalid value 'bad'");
    /* Start.kwargs must be a map (with str keys) */
    const char *start_head = CID_C1 " a26e73 a16d a466756e63 a166 a6 6b7761726773";
    char hex[512];
    snprintf(hex, sizeof hex, "%s a178 a3756964 92a172a175", start_head);
    ck_assert_int_eq(decode_fields("Start", hex, 5, &m, &err), ACTR_ETYPE);
    ck_assert_str_eq(err.what, "Start.kwargs: expected map, got str");
    ck_assert(err.has_cid && wire_test_str_is(err.cid, "c1"));
    snprintf(hex, sizeof hex, "%s 810101 a3756964 92a172a175", start_head);
    ck_assert_int_eq(decode_fields("Start", hex, 5, &m, &err), ACTR_ETYPE);
    ck_assert_str_eq(err.what, "Start.kwargs: expected str keys, got int");
    /* Start.uid must be [str, str] */
    snprintf(hex, sizeof hex, "%s 80 a3756964 93a172a175a176", start_head);
    ck_assert_int_eq(decode_fields("Start", hex, 5, &m, &err), ACTR_ETYPE);
    ck_assert_str_eq(err.what, "Start.uid: expected [str, str], got array of another length");
    /* and the well-typed one decodes, with the default pld_spec */
    snprintf(hex, sizeof hex, "%s 80 a3756964 92a172a175", start_head);
    ck_assert_int_eq(decode_fields("Start", hex, 5, &m, &err), 0);
    ck_assert(wire_test_str_is(m.u.start.pld_spec, "typing.Any"));
    ck_assert(wire_test_str_is(m.u.start.func, "f"));
    /* Aid.pid: int|null */
    ck_assert_int_eq(decode_fields("Aid", "a46e616d65a161 a475756964a162 a3706964a178",
                                   3, &m, &err), ACTR_ETYPE);
    ck_assert_str_eq(err.what, "Aid.pid: expected int|null, got str");
    ck_assert_int_eq(decode_fields("Aid", "a46e616d65a161 a475756964a162 a3706964"
                                   "cfffffffffffffffff", 3, &m, &err), ACTR_ETYPE);
    /* SpawnSpec.enable_modules: dict[str, str] */
    ck_assert_int_eq(decode_fields("SpawnSpec",
        "b15f706172656e745f6d61696e5f6461746180 ad5f72756e74696d655f7661727380 "
        "ae656e61626c655f6d6f64756c657381a16d01 a97265675f616464727390 "
        "aa62696e645f6164647273c0", 5, &m, &err), ACTR_ETYPE);
    ck_assert_str_eq(err.what, "SpawnSpec.enable_modules: expected str values, got int");
    /* Error.relay_path entries are uids */
    ck_assert_int_eq(decode_fields("Error",
        "a77372635f75696492a161a162 ac7372635f747970655f737472a158 "
        "ae626f7865645f747970655f737472a158 aa72656c61795f706174689101",
        4, &m, &err), ACTR_ETYPE);
    ck_assert_str_eq(err.what, "Error.relay_path: expected [str, str], got int");
    /* Error._bad_msg must be a payload message */
    ck_assert_int_eq(decode_fields("Error",
        "a77372635f75696492a161a162 ac7372635f747970655f737472a158 "
        "ae626f7865645f747970655f737472a158 aa72656c61795f7061746890 "
        "a85f6261645f6d736781a86d73675f74797065a453746f70",
        5, &m, &err), ACTR_ETYPE);
    ck_assert_str_eq(err.what, "Error._bad_msg: expected Started|Yield|Return, got Stop");
}
END_TEST

START_TEST(test_field_order_and_unknown_fields)
{
    actr_msg m;
    actr_wire_err err;
    /* {"cid": "c1", "extra": [1], "msg_type": "Stop"}: out of order, with a
     * field tractor would ignore; re-encoding gives the canonical form */
    ck_assert_int_eq(decode_hex("83 a3636964a26331 a56578747261 9101 "
                                "a86d73675f74797065a453746f70", &m, &err), 0);
    ck_assert_int_eq(m.type, ACTR_MSG_STOP);
    ck_assert(wire_test_str_is(m.u.stop.cid, "c1"));
    actr_wbuf out = ACTR_WBUF_INIT;
    ck_assert_int_gt(actr_msg_encode(&m, &out), 0);
    uint8_t want[64];
    size_t wl;
    wire_test_hex2bin("16000000 82 a86d73675f74797065 a453746f70 a3636964 a26331", want, &wl);
    ck_assert(out.len == wl && memcmp(out.ptr, want, wl) == 0);
    actr_wbuf_destroy(&out);
    /* the value of an unknown field must still be msgpack */
    ck_assert_int_eq(decode_hex("83 a3636964a26331 a56578747261 c1 "
                                "a86d73675f74797065a453746f70", &m, &err),
                     ACTR_EPROTO);
}
END_TEST

START_TEST(test_mte_answer_for_refused_message)
{
    actr_msg m, e;
    actr_wire_err err;
    actr_uid self = {wire_test_str("child"), wire_test_str("u-child")};
    ck_assert_int_eq(decode_fields("CancelAck", CID_C1 " a3706c6401", 2, &m, &err),
                     ACTR_ETYPE);
    ck_assert_int_eq(actr_msg_mte(&e, &self, &err), 0);
    actr_wbuf out = ACTR_WBUF_INIT;
    ck_assert_int_gt(actr_msg_encode(&e, &out), 0);
    actr_msg back;
    ck_assert_int_eq(actr_msg_decode(out.ptr + 4, out.len - 4, &back, NULL), 0);
    ck_assert_int_eq(back.type, ACTR_MSG_ERROR);
    const actr_msg_error *x = &back.u.error;
    ck_assert(wire_test_str_is(x->boxed_type_str, "MsgTypeError"));
    ck_assert(wire_test_str_is(x->src_type_str, "MsgTypeError"));
    ck_assert(wire_test_str_is(x->src_uid.name, "child"));
    ck_assert(x->has_cid && wire_test_str_is(x->cid, "c1"));
    ck_assert(x->has_message &&
              wire_test_str_is(x->message, "CancelAck.pld: expected bool, got int"));
    ck_assert_uint_eq(x->relay_path.count, 1);
    ck_assert_uint_eq(x->bad_msg_as_dict.len, err.body.len);
    ck_assert(memcmp(x->bad_msg_as_dict.ptr, err.body.ptr, err.body.len) == 0);
    actr_wbuf_destroy(&out);
    /* only message type faults get one */
    ck_assert_int_eq(decode_hex("c1", &m, &err), ACTR_EPROTO);
    ck_assert_int_eq(actr_msg_mte(&e, &self, &err), ACTR_EINVAL);
}
END_TEST

/* Every example frame in runtime/PROTOCOL.md decodes and re-encodes to
 * the bytes shown, so the document cannot drift from the code. */

int
main(void)
{
    Suite *s = suite_create("wire_bad");
    TCase *tc = tcase_create("bad_input");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_bad_msgpack_is_malformed);
    tcase_add_test(tc, test_truncated_frames_are_malformed);
    tcase_add_test(tc, test_non_map_top_level_is_msgtype);
    tcase_add_test(tc, test_missing_and_unknown_msg_type_keep_cid);
    tcase_add_test(tc, test_wrong_field_types_are_msgtype_with_cid);
    tcase_add_test(tc, test_field_order_and_unknown_fields);
    tcase_add_test(tc, test_mte_answer_for_refused_message);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
