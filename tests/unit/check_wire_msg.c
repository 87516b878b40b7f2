/* Wire messages: every frame tractor wrote in the captures decodes to the
 * fields its JSON column shows and re-encodes to the same bytes; messages
 * built from scratch encode like msgspec; bad input is classified. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <actr/err.h>
#include <actr/wire.h>

#include "wire/mp.h"
#include "wire/msg_trusted.h"
#include "wire_json.h"

/* ------------------------------------------------------------ helpers */

static void
ck_json_str(const wire_json *j, actr_str s, const char *what)
{
    ck_assert_msg(j && j->type == WJ_STR, "%s: JSON is not a str", what);
    ck_assert_msg(j->len == s.len && memcmp(j->str, s.ptr, s.len) == 0,
                  "%s: '%.*s' != JSON '%s'", what, (int)s.len, s.ptr, j->str);
}

static void
ck_json_uid(const wire_json *j, const actr_uid *u, const char *what)
{
    ck_assert_msg(j && j->type == WJ_ARR && j->n == 2, "%s: not a uid", what);
    ck_json_str(&j->items[0], u->name, what);
    ck_json_str(&j->items[1], u->uuid, what);
}

static void
ck_json_any(const wire_json *j, actr_any a, const char *what)
{
    if (a.len == 0) {   /* nil-able raw field left empty */
        ck_assert_msg(j && j->type == WJ_NULL, "%s: expected null", what);
        return;
    }
    ck_assert_msg(wire_json_eq_msgpack(j, a.ptr, a.len),
                  "%s: raw value differs from the JSON column", what);
}

static void
ck_json_bool(const wire_json *j, bool has, bool v, const char *what)
{
    if (!has) {
        ck_assert_msg(j && j->type == WJ_NULL, "%s: expected null", what);
        return;
    }
    ck_assert_msg(j && j->type == WJ_BOOL && j->b == v, "%s differs", what);
}

/* Every field of m against the "msg" JSON column. */
static void
ck_fields(const actr_msg *m, const wire_json *js)
{
#define J(k) wire_json_get(js, k)
    ck_json_str(J("msg_type"), wire_test_str(actr_msg_type_name(m->type)), "msg_type");
    switch (m->type) {
    case ACTR_MSG_AID: {
        const actr_msg_aid *a = &m->u.aid;
        ck_json_str(J("name"), a->name, "Aid.name");
        ck_json_str(J("uuid"), a->uuid, "Aid.uuid");
        ck_assert(a->has_pid && J("pid")->is_int && J("pid")->i == a->pid);
        ck_json_bool(J("is_registrar"), a->has_is_registrar, a->is_registrar,
                     "Aid.is_registrar");
        ck_json_bool(J("is_probe"), true, a->is_probe, "Aid.is_probe");
        ck_assert_uint_eq(js->n, 6);
        break;
    }
    case ACTR_MSG_SPAWNSPEC: {
        const actr_msg_spawnspec *s = &m->u.spawnspec;
        ck_json_any(J("_parent_main_data"), s->parent_main_data, "main_data");
        ck_json_any(J("_runtime_vars"), s->runtime_vars, "_runtime_vars");
        ck_json_any(J("enable_modules"), s->enable_modules, "enable_modules");
        ck_json_any(J("reg_addrs"), s->reg_addrs, "reg_addrs");
        ck_json_any(J("bind_addrs"), s->bind_addrs, "bind_addrs");
        ck_assert_uint_eq(js->n, 6);
        break;
    }
    case ACTR_MSG_START: {
        const actr_msg_start *s = &m->u.start;
        ck_json_str(J("cid"), s->cid, "Start.cid");
        ck_json_str(J("ns"), s->ns, "Start.ns");
        ck_json_str(J("func"), s->func, "Start.func");
        ck_json_any(J("kwargs"), s->kwargs, "Start.kwargs");
        ck_json_uid(J("uid"), &s->uid, "Start.uid");
        ck_json_str(J("pld_spec"), s->pld_spec, "Start.pld_spec");
        ck_assert_uint_eq(js->n, 7);
        break;
    }
    case ACTR_MSG_STARTACK:
        ck_json_str(J("cid"), m->u.startack.cid, "StartAck.cid");
        ck_json_str(J("functype"), wire_test_str(actr_functype_name(m->u.startack.functype)),
                    "StartAck.functype");
        ck_assert_uint_eq(js->n, 3);
        break;
    case ACTR_MSG_STARTED:
    case ACTR_MSG_YIELD:
    case ACTR_MSG_RETURN:
        ck_json_str(J("cid"), m->u.started.cid, "cid");
        ck_json_any(J("pld"), m->u.started.pld, "pld");
        ck_assert_uint_eq(js->n, 3);
        break;
    case ACTR_MSG_STOP:
        ck_json_str(J("cid"), m->u.stop.cid, "Stop.cid");
        ck_assert_uint_eq(js->n, 2);
        break;
    case ACTR_MSG_CANCELACK:
        ck_json_str(J("cid"), m->u.cancelack.cid, "CancelAck.cid");
        ck_json_bool(J("pld"), true, m->u.cancelack.pld, "CancelAck.pld");
        ck_assert_uint_eq(js->n, 3);
        break;
    case ACTR_MSG_ERROR: {
        const actr_msg_error *e = &m->u.error;
        const wire_json *rp = J("relay_path");
        ck_json_uid(J("src_uid"), &e->src_uid, "Error.src_uid");
        ck_json_str(J("src_type_str"), e->src_type_str, "src_type_str");
        ck_json_str(J("boxed_type_str"), e->boxed_type_str, "boxed_type_str");
        ck_assert(rp && rp->type == WJ_ARR && rp->n == e->relay_path.count);
        for (size_t i = 0; i < rp->n; i++) {
            actr_uid u;
            ck_assert_int_eq(actr_uidlist_get(&e->relay_path, i, &u), 0);
            ck_json_uid(&rp->items[i], &u, "relay_path[i]");
        }
        if (e->has_message)
            ck_json_str(J("message"), e->message, "Error.message");
        else
            ck_assert(J("message")->type == WJ_NULL);
        ck_json_str(J("tb_str"), e->tb_str, "Error.tb_str");
        if (e->has_canceller)
            ck_json_uid(J("canceller"), &e->canceller, "canceller");
        else
            ck_assert(J("canceller")->type == WJ_NULL);
        if (e->has_sender)
            ck_json_uid(J("sender"), &e->sender, "sender");
        else
            ck_assert(J("sender")->type == WJ_NULL);
        if (e->has_cid)
            ck_json_str(J("cid"), e->cid, "Error.cid");
        else
            ck_assert(J("cid")->type == WJ_NULL);
        ck_json_any(J("_bad_msg"), e->bad_msg, "_bad_msg");
        ck_json_any(J("_bad_msg_as_dict"), e->bad_msg_as_dict, "_bad_msg_as_dict");
        ck_assert_uint_eq(js->n, 12);
        break;
    }
    default:
        ck_abort_msg("unexpected type %d", m->type);
    }
#undef J
}

/* Decodes frame, checks it against js and that it re-encodes to the same
 * bytes; returns its type. */
static actr_msg_type
roundtrip(const uint8_t *frame, size_t len, const wire_json *js, const char *where)
{
    actr_frame f;
    size_t used;
    actr_msg m;
    actr_wire_err err;
    actr_wbuf out = ACTR_WBUF_INIT;

    ck_assert_int_eq(actr_frame_parse(frame, len, ACTR_FRAME_MAX_DEFAULT, &f,
                                      &used), 1);
    ck_assert_uint_eq(used, len);
    int rc = actr_msg_decode(f.body, f.len, &m, &err);
    ck_assert_msg(rc == 0, "%s: decode failed: %s", where, err.what);
    if (js)
        ck_fields(&m, js);
    rc = actr_msg_encode(&m, &out);
    ck_assert_int_eq(rc, (int)len);
    ck_assert_msg(out.len == len && memcmp(out.ptr, frame, len) == 0,
                  "%s: %s re-encodes to other bytes", where,
                  actr_msg_type_name(m.type));
    actr_wbuf_destroy(&out);
    return m.type;
}

/* ------------------------------------------------------------ captures */

START_TEST(test_captures_decode_and_reencode_byte_identical)
{
    size_t seen[ACTR_MSG_TYPE_COUNT] = {0};
    size_t total = 0;

    for (size_t fi = 0; fi < wire_capture_nfiles; fi++) {
        wire_capture cap;
        wire_capture_load(wire_capture_files[fi], &cap);
        const wire_json *frames = wire_json_get(cap.header, "frames");
        const wire_json *elided = wire_json_get(cap.header, "elided");
        ck_assert(frames && elided);
        size_t nframes = 0, nelided = 0;
        /* cid of the last Yield per (sender, conn) for rebuilding runs */
        const uint8_t *last_yield = NULL;
        size_t last_yield_len = 0;

        for (size_t i = 0; i < cap.nlines; i++) {
            wire_capline *cl = &cap.lines[i];
            char where[128];
            snprintf(where, sizeof where, "%s line %zu", cap.name, i + 2);
            if (cl->frame) {
                actr_msg_type t = roundtrip(cl->frame, cl->frame_len,
                                            wire_json_get(cl->json, "msg"), where);
                seen[t]++;
                nframes++;
                if (t == ACTR_MSG_YIELD) {
                    last_yield = cl->frame;
                    last_yield_len = cl->frame_len;
                }
                continue;
            }
            /* An elision line: rebuild the dropped Yield frames from it. */
            const wire_json *n = wire_json_get(cl->json, "elided");
            const wire_json *mt = wire_json_get(cl->json, "msg_type");
            ck_assert_msg(n && mt, "%s: neither frame nor elision", where);
            nelided += (size_t)n->i;
            if (strcmp(mt->str, "Yield") != 0)
                continue;
            ck_assert_ptr_nonnull(last_yield);
            actr_msg prev;
            ck_assert_int_eq(actr_msg_decode(last_yield + 4, last_yield_len - 4,
                                             &prev, NULL), 0);
            int64_t first = wire_json_get(cl->json, "pld_first")->i;
            int64_t last = wire_json_get(cl->json, "pld_last")->i;
            ck_assert_int_eq(last - first + 1, n->i);
            for (int64_t v = first - 1; v <= last; v++) {
                uint8_t pld[9];
                actr_wbuf one = ACTR_WBUF_INIT;
                actr_msg y = {.type = ACTR_MSG_YIELD};
                /* pld as msgspec writes a small non-negative int */
                size_t pl;
                ck_assert(v >= 0 && v <= 0xffff);
                if (v <= 0x7f) {
                    pld[0] = (uint8_t)v;
                    pl = 1;
                } else if (v <= 0xff) {
                    pld[0] = 0xcc;
                    pld[1] = (uint8_t)v;
                    pl = 2;
                } else {
                    pld[0] = 0xcd;
                    pld[1] = (uint8_t)(v >> 8);
                    pld[2] = (uint8_t)v;
                    pl = 3;
                }
                y.u.yield.cid = prev.u.yield.cid;
                y.u.yield.pld.ptr = pld;
                y.u.yield.pld.len = pl;
                ck_assert_int_gt(actr_msg_encode(&y, &one), 0);
                if (v == first - 1) {
                    /* our rebuild of the last kept frame is that frame */
                    ck_assert(one.len == last_yield_len &&
                              memcmp(one.ptr, last_yield, one.len) == 0);
                } else {
                    actr_msg back;
                    ck_assert_int_eq(actr_msg_decode(one.ptr + 4, one.len - 4,
                                                     &back, NULL), 0);
                    ck_assert_int_eq(back.type, ACTR_MSG_YIELD);
                    ck_assert(back.u.yield.pld.len == y.u.yield.pld.len &&
                              memcmp(back.u.yield.pld.ptr, pld,
                                     y.u.yield.pld.len) == 0);
                }
                actr_wbuf_destroy(&one);
            }
        }
        ck_assert_msg(nframes + nelided == (size_t)frames->i,
                      "%s: %zu frames + %zu elided != %lld", cap.name, nframes,
                      nelided, (long long)frames->i);
        ck_assert_uint_eq(nelided, (size_t)elided->i);
        total += nframes;
        wire_capture_free(&cap);
    }
    /* Every tractor message kind is covered (ActrCredit is actr's own:
     * PROTOCOL.md section 13 has its example). */
    for (int t = ACTR_MSG_AID; t < ACTR_MSG_TYPE_COUNT; t++)
        ck_assert_msg(seen[t] > 0 || t == ACTR_MSG_CREDIT || t == ACTR_MSG_AUTH ||
                      t == ACTR_MSG_PING, "no %s frame in the captures",
                      actr_msg_type_name((actr_msg_type)t));
    ck_assert_uint_eq(total, 372);
}
END_TEST

/* The owned copy outlives the frame, has NUL-terminated strings and
 * encodes to the same bytes. */
START_TEST(test_dup_outlives_frame)
{
    wire_capture cap;
    wire_capture_load("error.jsonl", &cap);
    size_t done = 0;
    for (size_t i = 0; i < cap.nlines; i++) {
        wire_capline *cl = &cap.lines[i];
        if (!cl->frame)
            continue;
        size_t len = cl->frame_len;
        uint8_t *copy = malloc(len);
        memcpy(copy, cl->frame, len);
        actr_msg m, d;
        ck_assert_int_eq(actr_msg_decode(copy + 4, len - 4, &m, NULL), 0);
        ck_assert_int_eq(actr_msg_dup(&m, &d), 0);
        memset(copy, 0xee, len);
        free(copy);
        actr_str cid;
        if (actr_msg_cid(&d, &cid))
            ck_assert_uint_eq(strlen(cid.ptr), cid.len);
        if (d.type == ACTR_MSG_ERROR) {
            ck_assert_uint_eq(strlen(d.u.error.tb_str.ptr), d.u.error.tb_str.len);
            ck_assert(wire_test_str_is(d.u.error.src_type_str, "ValueError"));
        }
        actr_wbuf out = ACTR_WBUF_INIT;
        ck_assert_int_eq(actr_msg_encode(&d, &out), (int)len);
        ck_assert(memcmp(out.ptr, cl->frame, len) == 0);
        actr_wbuf_destroy(&out);
        actr_msg_free(&d);
        ck_assert_int_eq(d.type, ACTR_MSG_NONE);
        done++;
    }
    ck_assert_uint_gt(done, 10);
    wire_capture_free(&cap);
}
END_TEST

/* ------------------------------------------------------ built messages */

START_TEST(test_encode_started_example)
{
    /* tractor-protocol.md §1: Started{cid:"c1", pld:11} */
    uint8_t want[64];
    size_t wl;
    wire_test_hex2bin("1e000000 83 a8 6d73675f74797065 a7 53746172746564 a3 636964 "
            "a2 6331 a3 706c64 0b", want, &wl);
    uint8_t pld = 0x0b;
    actr_msg m = {.type = ACTR_MSG_STARTED};
    m.u.started.cid = wire_test_str("c1");
    m.u.started.pld.ptr = &pld;
    m.u.started.pld.len = 1;
    actr_wbuf out = ACTR_WBUF_INIT;
    ck_assert_int_eq(actr_msg_encode(&m, &out), (int)wl);
    ck_assert(memcmp(out.ptr, want, wl) == 0);
    actr_wbuf_destroy(&out);
}
END_TEST

START_TEST(test_encode_start_defaults_and_sizes)
{
    /* Start{cid:c1, ns:mymod, func:f, kwargs:{x:1}, uid:[root,u1]}: the
     * default pld_spec is written out (83 bytes body, tractor-protocol.md) */
    uint8_t kw[] = {0x81, 0xa1, 'x', 0x01};
    actr_msg m = {.type = ACTR_MSG_START};
    m.u.start.cid = wire_test_str("c1");
    m.u.start.ns = wire_test_str("mymod");
    m.u.start.func = wire_test_str("f");
    m.u.start.kwargs.ptr = kw;
    m.u.start.kwargs.len = sizeof kw;
    m.u.start.uid.name = wire_test_str("root");
    m.u.start.uid.uuid = wire_test_str("u1");
    actr_wbuf out = ACTR_WBUF_INIT;
    ck_assert_int_eq(actr_msg_encode(&m, &out), 4 + 83);
    ck_assert_uint_eq(out.ptr[0], 83);
    ck_assert_uint_eq(out.ptr[4], 0x87);
    actr_msg back;
    ck_assert_int_eq(actr_msg_decode(out.ptr + 4, out.len - 4, &back, NULL), 0);
    ck_assert(wire_test_str_is(back.u.start.pld_spec, "typing.Any"));
    ck_assert(wire_test_str_is(back.u.start.uid.uuid, "u1"));

    /* a second frame is appended after the first */
    actr_msg st = {.type = ACTR_MSG_STOP};
    st.u.stop.cid = wire_test_str("c1");
    size_t before = out.len;
    ck_assert_int_gt(actr_msg_encode(&st, &out), 0);
    ck_assert_uint_eq(out.ptr[before + 4], 0x82);
    actr_wbuf_destroy(&out);
}
END_TEST

START_TEST(test_encode_int_and_str_forms)
{
    static const struct {
        int64_t v;
        const char *hex;
    } ints[] = {
        {0, "00"}, {127, "7f"}, {128, "cc80"}, {255, "ccff"}, {256, "cd0100"},
        {7462, "cd1d26"}, {65536, "ce00010000"}, {-1, "ff"}, {-32, "e0"},
        {-33, "d0df"}, {-129, "d1ff7f"}, {INT64_MIN, "d38000000000000000"},
        {4294967296, "cf0000000100000000"},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        actr_msg m = {.type = ACTR_MSG_AID};
        m.u.aid.name = wire_test_str("a");
        m.u.aid.uuid = wire_test_str("b");
        m.u.aid.has_pid = true;
        m.u.aid.pid = ints[i].v;
        actr_wbuf out = ACTR_WBUF_INIT;
        ck_assert_int_gt(actr_msg_encode(&m, &out), 0);
        uint8_t want[16];
        size_t wl;
        wire_test_hex2bin(ints[i].hex, want, &wl);
        /* ... a3 "pid" <int> ac "is_registrar" */
        const uint8_t *p = memmem(out.ptr, out.len, "\xa3pid", 4);
        ck_assert_ptr_nonnull(p);
        ck_assert_msg(memcmp(p + 4, want, wl) == 0 && p[4 + wl] == 0xac,
                      "pid %lld not in smallest form", (long long)ints[i].v);
        actr_msg back;
        ck_assert_int_eq(actr_msg_decode(out.ptr + 4, out.len - 4, &back, NULL), 0);
        ck_assert(back.u.aid.has_pid && back.u.aid.pid == ints[i].v);
        ck_assert(!back.u.aid.has_is_registrar && !back.u.aid.is_probe);
        actr_wbuf_destroy(&out);
    }
    /* strings: fixstr up to 31, str8 up to 255, then str16 */
    static const size_t lens[] = {0, 31, 32, 255, 256, 70000};
    static const uint8_t heads[] = {0xa0, 0xbf, 0xd9, 0xd9, 0xda, 0xdb};
    char *big = malloc(70000);
    memset(big, 'x', 70000);
    for (size_t i = 0; i < 6; i++) {
        actr_msg m = {.type = ACTR_MSG_STOP};
        m.u.stop.cid.ptr = big;
        m.u.stop.cid.len = lens[i];
        actr_wbuf out = ACTR_WBUF_INIT;
        ck_assert_int_gt(actr_msg_encode(&m, &out), 0);
        const uint8_t *p = memmem(out.ptr, out.len, "\xa3" "cid", 4);
        ck_assert_uint_eq(p[4], heads[i]);
        actr_msg back;
        ck_assert_int_eq(actr_msg_decode(out.ptr + 4, out.len - 4, &back, NULL), 0);
        ck_assert_uint_eq(back.u.stop.cid.len, lens[i]);
        actr_wbuf_destroy(&out);
    }
    free(big);
}
END_TEST

START_TEST(test_encode_error_with_built_relay_path)
{
    actr_uid path[2] = {{wire_test_str("child"), wire_test_str("u-child")}, {wire_test_str("root"), wire_test_str("u-root")}};
    actr_msg m = {.type = ACTR_MSG_ERROR};
    actr_msg_error *e = &m.u.error;
    e->src_uid = path[0];
    e->src_type_str = wire_test_str("StreamOverrun");
    e->boxed_type_str = wire_test_str("RemoteActorError");
    e->relay_path.items = path;
    e->relay_path.count = 2;
    e->has_sender = true;
    e->sender = path[1];
    e->has_cid = true;
    e->cid = wire_test_str("c9");
    actr_wbuf out = ACTR_WBUF_INIT;
    ck_assert_int_gt(actr_msg_encode(&m, &out), 0);
    ck_assert_uint_eq(out.ptr[4], 0x8c);      /* fixmap of 12 */
    actr_msg back, dup;
    ck_assert_int_eq(actr_msg_decode(out.ptr + 4, out.len - 4, &back, NULL), 0);
    ck_assert_uint_eq(back.u.error.relay_path.count, 2);
    actr_uid u;
    ck_assert_int_eq(actr_uidlist_get(&back.u.error.relay_path, 1, &u), 0);
    ck_assert(wire_test_str_is(u.name, "root") && wire_test_str_is(u.uuid, "u-root"));
    ck_assert_int_eq(actr_uidlist_get(&back.u.error.relay_path, 2, &u), ACTR_ERANGE);
    ck_assert(!back.u.error.has_message && !back.u.error.has_canceller);
    ck_assert(back.u.error.tb_str.len == 0 && back.u.error.bad_msg.len == 0);
    /* a dup of the built message flattens the list and encodes the same */
    ck_assert_int_eq(actr_msg_dup(&m, &dup), 0);
    actr_wbuf again = ACTR_WBUF_INIT;
    ck_assert_int_eq(actr_msg_encode(&dup, &again), (int)out.len);
    ck_assert(memcmp(again.ptr, out.ptr, out.len) == 0);
    actr_msg_free(&dup);
    actr_wbuf_destroy(&again);
    actr_wbuf_destroy(&out);
}
END_TEST

START_TEST(test_encode_refuses_invalid_values)
{
    actr_wbuf out = ACTR_WBUF_INIT;
    uint8_t bad[] = {0x92, 0x01};           /* array of 2 with one element */
    uint8_t two[] = {0x01, 0x02};           /* two values */
    uint8_t notmap[] = {0xa1, 'x'};
    actr_msg m = {.type = ACTR_MSG_YIELD};
    m.u.yield.cid = wire_test_str("c");
    m.u.yield.pld.ptr = bad;
    m.u.yield.pld.len = sizeof bad;
    ck_assert_int_eq(actr_msg_encode(&m, &out), ACTR_EINVAL);
    m.u.yield.pld.ptr = two;
    m.u.yield.pld.len = sizeof two;
    ck_assert_int_eq(actr_msg_encode(&m, &out), ACTR_EINVAL);
    m.u.yield.cid = wire_test_str("\xff\xfe");
    m.u.yield.pld.len = 1;
    ck_assert_int_eq(actr_msg_encode(&m, &out), ACTR_EINVAL);
    ck_assert_uint_eq(out.len, 0);

    actr_msg s = {.type = ACTR_MSG_START};
    s.u.start.cid = wire_test_str("c");
    s.u.start.kwargs.ptr = notmap;
    s.u.start.kwargs.len = sizeof notmap;
    ck_assert_int_eq(actr_msg_encode(&s, &out), ACTR_EINVAL);
    s.u.start.kwargs.len = 0;               /* a required map left empty */
    ck_assert_int_eq(actr_msg_encode(&s, &out), ACTR_EINVAL);

    actr_msg a = {.type = ACTR_MSG_STARTACK};
    a.u.startack.cid = wire_test_str("c");
    a.u.startack.functype = (actr_functype)9;
    ck_assert_int_eq(actr_msg_encode(&a, &out), ACTR_EINVAL);
    actr_msg none = {.type = ACTR_MSG_NONE};
    ck_assert_int_eq(actr_msg_encode(&none, &out), ACTR_EINVAL);
    ck_assert_uint_eq(out.len, 0);
    /* an empty pld is nil */
    m.u.yield.cid = wire_test_str("c");
    m.u.yield.pld.len = 0;
    ck_assert_int_gt(actr_msg_encode(&m, &out), 0);
    ck_assert_uint_eq(out.ptr[out.len - 1], 0xc0);
    actr_wbuf_destroy(&out);
}
END_TEST

/* The trusted encoder (payloads our codec wrote, link.c -> ipc) writes
 * the same bytes, and skips the scan of the payload only: the public
 * encoder still refuses bad raw values, the trusted one still checks the
 * other fields. */
START_TEST(test_trusted_encode_same_bytes_checks_other_fields)
{
    uint8_t pld[] = {0x92, 0x01, 0xa1, 'x'};        /* [1, "x"] */
    actr_msg m = {.type = ACTR_MSG_YIELD};
    m.u.yield.cid = wire_test_str("c1");
    m.u.yield.pld.ptr = pld;
    m.u.yield.pld.len = sizeof pld;
    actr_wbuf a = ACTR_WBUF_INIT, b = ACTR_WBUF_INIT;
    int na = actr_msg_encode(&m, &a);
    ck_assert_int_gt(na, 0);
    ck_assert_int_eq(actri_msg_encode_trusted(&m, &b), na);
    ck_assert(memcmp(a.ptr, b.ptr, (size_t)na) == 0);

    m.u.yield.pld.len = 0;                          /* empty: nil, both ways */
    ck_assert_int_gt(actri_msg_encode_trusted(&m, &b), 0);
    ck_assert_uint_eq(b.ptr[b.len - 1], 0xc0);
    b.len = 0;
    m.u.yield.pld.len = sizeof pld;
    m.u.yield.cid = wire_test_str("\xff\xfe");                  /* not UTF-8 */
    ck_assert_int_eq(actri_msg_encode_trusted(&m, &b), ACTR_EINVAL);
    uint8_t notmap[] = {0xa1, 'x'};
    actr_msg st = {.type = ACTR_MSG_START};
    st.u.start.cid = wire_test_str("c");
    st.u.start.kwargs.ptr = notmap;
    st.u.start.kwargs.len = sizeof notmap;
    ck_assert_int_eq(actri_msg_encode_trusted(&st, &b), ACTR_EINVAL);
    ck_assert_uint_eq(b.len, 0);
    actr_wbuf_destroy(&a);
    actr_wbuf_destroy(&b);
}
END_TEST

/* The stream's fast paths (issue 19) change no byte: a trusted Yield or
 * Return of any cid length is written as the table-driven encoder writes
 * it, decodes back to the same fields, and the same message with its keys
 * in another order (the general decoder's case) decodes alike. */
START_TEST(test_pld_fast_paths_match_the_general_ones)
{
    static const size_t lens[] = {0, 1, 31, 32, 36, 255, 256};
    static const actr_msg_type types[] = {ACTR_MSG_YIELD, ACTR_MSG_RETURN};
    uint8_t pld[] = {0x92, 0xcd, 0x12, 0x34, 0xa1, 'x'};   /* [0x1234, "x"] */
    char cid[300];
    memset(cid, 'a', sizeof cid);
    for (size_t t = 0; t < 2; t++) {
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
            actr_msg m = {.type = types[t]};
            actr_msg_pld *p = types[t] == ACTR_MSG_YIELD ? &m.u.yield : &m.u.ret;
            p->cid = (actr_str){cid, lens[i]};
            p->pld = (actr_any){pld, sizeof pld};
            actr_wbuf a = ACTR_WBUF_INIT, b = ACTR_WBUF_INIT;
            int na = actr_msg_encode(&m, &a);
            ck_assert_int_gt(na, 0);
            ck_assert_int_eq(actri_msg_encode_trusted(&m, &b), na);
            ck_assert_msg(memcmp(a.ptr, b.ptr, (size_t)na) == 0, "cid of %zu bytes", lens[i]);

            actr_msg d;
            ck_assert_int_eq(actr_msg_decode(b.ptr + 4, b.len - 4, &d, NULL), 0);
            const actr_msg_pld *q = types[t] == ACTR_MSG_YIELD ? &d.u.yield : &d.u.ret;
            ck_assert_int_eq(d.type, types[t]);
            ck_assert_uint_eq(q->cid.len, lens[i]);
            ck_assert(lens[i] == 0 || memcmp(q->cid.ptr, cid, lens[i]) == 0);
            ck_assert_uint_eq(q->pld.len, sizeof pld);
            ck_assert(memcmp(q->pld.ptr, pld, sizeof pld) == 0);
            ck_assert(!q->has_window);

            /* the keys reversed: {pld, cid, msg_type} */
            actr_wbuf r = ACTR_WBUF_INIT;
            const char *name = actr_msg_type_name(types[t]);
            ck_assert_int_eq(mp_put_map(&r, 3), 0);
            ck_assert_int_eq(mp_put_str(&r, "pld", 3), 0);
            ck_assert_int_eq(mp_put_raw(&r, pld, sizeof pld), 0);
            ck_assert_int_eq(mp_put_str(&r, "cid", 3), 0);
            ck_assert_int_eq(mp_put_str(&r, cid, lens[i]), 0);
            ck_assert_int_eq(mp_put_str(&r, "msg_type", 8), 0);
            ck_assert_int_eq(mp_put_str(&r, name, strlen(name)), 0);
            actr_msg g;
            ck_assert_int_eq(actr_msg_decode(r.ptr, r.len, &g, NULL), 0);
            const actr_msg_pld *gq = types[t] == ACTR_MSG_YIELD ? &g.u.yield : &g.u.ret;
            ck_assert_int_eq(g.type, d.type);
            ck_assert_uint_eq(gq->cid.len, q->cid.len);
            ck_assert_uint_eq(gq->pld.len, q->pld.len);
            actr_wbuf_destroy(&r);
            actr_wbuf_destroy(&a);
            actr_wbuf_destroy(&b);
        }
    }
    /* what the fast decoder must leave to the general one, with its verdict */
    static const uint8_t bad_utf8[] = {0x83, 0xa8, 'm', 's', 'g', '_', 't', 'y', 'p', 'e',
                                       0xa5, 'Y', 'i', 'e', 'l', 'd', 0xa3, 'c', 'i', 'd',
                                       0xa2, 0xff, 0xfe, 0xa3, 'p', 'l', 'd', 0x01};
    static const uint8_t trailing[] = {0x83, 0xa8, 'm', 's', 'g', '_', 't', 'y', 'p', 'e',
                                       0xa5, 'Y', 'i', 'e', 'l', 'd', 0xa3, 'c', 'i', 'd',
                                       0xa1, 'c', 0xa3, 'p', 'l', 'd', 0x01, 0x02};
    static const uint8_t cut[] = {0x83, 0xa8, 'm', 's', 'g', '_', 't', 'y', 'p', 'e',
                                  0xa5, 'Y', 'i', 'e', 'l', 'd', 0xa3, 'c', 'i', 'd',
                                  0xa1, 'c', 0xa3, 'p', 'l', 'd', 0x92, 0x01};
    actr_msg x;
    ck_assert_int_eq(actr_msg_decode(bad_utf8, sizeof bad_utf8, &x, NULL), ACTR_EPROTO);
    ck_assert_int_eq(actr_msg_decode(trailing, sizeof trailing, &x, NULL), ACTR_EPROTO);
    ck_assert_int_eq(actr_msg_decode(cut, sizeof cut, &x, NULL), ACTR_EPROTO);
}
END_TEST

/* ------------------------------------------------------------ bad input */

START_TEST(test_protocol_md_examples_roundtrip)
{
    FILE *f = fopen(ACTR_TEST_TOP "/runtime/PROTOCOL.md", "r");
    ck_assert_msg(f != NULL, "runtime/PROTOCOL.md is missing");
    char line[512];
    uint8_t *frame = malloc(1 << 16);
    size_t len = 0, examples = 0;
    bool in_block = false, hex_block = false;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "```", 3) == 0) {
            if (in_block && hex_block && len > 0) {
                roundtrip(frame, len, NULL, "PROTOCOL.md example");
                examples++;
            }
            in_block = !in_block;
            hex_block = true;
            len = 0;
            continue;
        }
        if (!in_block || !hex_block)
            continue;
        /* hex lines only: anything else makes the block a diagram */
        size_t n = strspn(line, "0123456789abcdef ");
        if (n == 0 || (line[n] != '\n' && line[n] != 0)) {
            hex_block = false;
            continue;
        }
        size_t got;
        line[n] = 0;
        wire_test_hex2bin(line, frame + len, &got);
        len += got;
    }
    fclose(f);
    free(frame);
    ck_assert_uint_ge(examples, 15);
}
END_TEST

START_TEST(test_names)
{
    ck_assert_str_eq(actr_msg_type_name(ACTR_MSG_CANCELACK), "CancelAck");
    ck_assert_ptr_null(actr_msg_type_name(ACTR_MSG_NONE));
    ck_assert_ptr_null(actr_msg_type_name((actr_msg_type)99));
    ck_assert_str_eq(actr_functype_name(ACTR_FUNCTYPE_ASYNCGEN), "asyncgen");
    ck_assert_ptr_null(actr_functype_name((actr_functype)0));
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("wire_msg");
    TCase *tc = tcase_create("captures");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_captures_decode_and_reencode_byte_identical);
    tcase_add_test(tc, test_dup_outlives_frame);
    suite_add_tcase(s, tc);

    tc = tcase_create("encode");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_encode_started_example);
    tcase_add_test(tc, test_encode_start_defaults_and_sizes);
    tcase_add_test(tc, test_encode_int_and_str_forms);
    tcase_add_test(tc, test_encode_error_with_built_relay_path);
    tcase_add_test(tc, test_encode_refuses_invalid_values);
    tcase_add_test(tc, test_trusted_encode_same_bytes_checks_other_fields);
    tcase_add_test(tc, test_pld_fast_paths_match_the_general_ones);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_protocol_md_examples_roundtrip);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
