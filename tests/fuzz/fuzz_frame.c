/* libFuzzer target for the frame reader and the message decoder.
 *
 * The input is a byte stream cut into reads of varying sizes (the first
 * byte seeds the cuts, the second picks the frame limit). Every frame is
 * decoded; what decodes must re-encode, decode again and re-encode to the
 * same bytes, and survive a dup; what is refused as a message type error
 * must yield an encodable MsgTypeError answer. Independently, the whole
 * input is checked as one frame body against msgpack-c: what msgpack-c
 * parses and we call malformed (or the reverse) is a bug, except UTF-8,
 * which only we check, and msgpack-c's nesting limit of 32. */
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include <actr/err.h>
#include <actr/wire.h>

#include "wire/mp.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void
check_message(const uint8_t *body, size_t len)
{
    actr_msg m, again, dup;
    actr_wire_err err;
    actr_wbuf a = ACTR_WBUF_INIT, b = ACTR_WBUF_INIT;
    int rc = actr_msg_decode(body, len, &m, &err);

    if (rc == 0) {
        int n = actr_msg_encode(&m, &a);
        CHECK(n > 0 && (size_t)n == a.len);
        CHECK(actr_msg_decode(a.ptr + 4, a.len - 4, &again, NULL) == 0);
        CHECK(again.type == m.type);
        CHECK(actr_msg_encode(&again, &b) == n);
        CHECK(memcmp(a.ptr, b.ptr, a.len) == 0);
        CHECK(actr_msg_dup(&m, &dup) == 0);
        b.len = 0;
        CHECK(actr_msg_encode(&dup, &b) == n);
        CHECK(memcmp(a.ptr, b.ptr, a.len) == 0);
        actr_msg_free(&dup);
        if (m.type == ACTR_MSG_ERROR) {
            actr_uid u;
            for (size_t i = 0; i < m.u.error.relay_path.count; i++)
                CHECK(actr_uidlist_get(&m.u.error.relay_path, i, &u) == 0);
        }
    } else if (rc == ACTR_ETYPE) {
        actr_uid self = {{(char *)"fuzz", 4}, {(char *)"u", 1}};
        CHECK(err.fault == ACTR_WIRE_MSGTYPE);
        CHECK(actr_msg_mte(&m, &self, &err) == 0);
        CHECK(actr_msg_encode(&m, &a) > 0);
        CHECK(actr_msg_decode(a.ptr + 4, a.len - 4, &again, NULL) == 0);
        CHECK(again.type == ACTR_MSG_ERROR);
    } else {
        CHECK(rc == ACTR_EPROTO && err.fault == ACTR_WIRE_MALFORMED);
    }
    actr_wbuf_destroy(&a);
    actr_wbuf_destroy(&b);
}

static void
check_against_msgpack_c(const uint8_t *data, size_t size)
{
    msgpack_zone zone;
    msgpack_object obj;
    size_t off = 0;
    const uint8_t *p = data;

    bool ours = actri_mp_skip(&p, data + size) == 0 && p == data + size;

    /* msgpack-c sizes a container's storage from its head before reading
     * the elements, so a short input can make it ask for gigabytes. Such
     * an input is truncated by construction: we must refuse it, and
     * msgpack-c is not asked. Heads follow each other in the bytes, so a
     * linear walk over them finds every count. */
    for (const uint8_t *q = data; q < data + size;) {
        struct mp_val v;
        int h = actri_mp_head(q, data + size, &v);
        if (h < 0)
            break;
        if ((v.kind == MP_ARRAY || v.kind == MP_MAP) && v.n > size) {
            CHECK(!ours);
            return;
        }
        q += h;
    }
    msgpack_zone_init(&zone, 1024);
    msgpack_unpack_return r = msgpack_unpack((const char *)data, size, &off,
                                             &zone, &obj);
    msgpack_zone_destroy(&zone);
    if (r == MSGPACK_UNPACK_NOMEM_ERROR)
        return;     /* msgpack-c's nesting limit; we have none */
    bool theirs = r == MSGPACK_UNPACK_SUCCESS;  /* EXTRA_BYTES: trailing */
    CHECK(ours == theirs);
    if (!ours) {
        actr_msg m;
        actr_wire_err err;
        CHECK(actr_msg_decode(data, size, &m, &err) == ACTR_EPROTO);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned seed = data[0];
    size_t limit = data[1] < 128 ? (size_t)data[1] * 64 + 1 : 0;
    data += 2;
    size -= 2;

    check_message(data, size);
    if (size > 0)
        check_against_msgpack_c(data, size);

    actr_frame_reader r;
    actr_frame f;
    actr_wire_err err;
    actr_frame_reader_init(&r, limit);
    size_t pos = 0;
    while (pos < size) {
        seed = seed * 1103515245u + 12345u;
        size_t n = 1 + (seed >> 16) % 97;
        if (n > size - pos)
            n = size - pos;
        if (seed & 1) {
            CHECK(actr_frame_reader_feed(&r, data + pos, n) == 0);
        } else {
            uint8_t *dst;
            size_t avail;
            CHECK(actr_frame_reader_space(&r, &dst, &avail) == 0 && avail > 0);
            if (n > avail)
                n = avail;
            memcpy(dst, data + pos, n);
            actr_frame_reader_commit(&r, n);
        }
        pos += n;
        int rc;
        while ((rc = actr_frame_reader_next(&r, &f, &err)) != 0) {
            if (rc == ACTR_ETOOBIG) {
                CHECK(err.fault == ACTR_WIRE_OVERSIZE && err.frame_len > r.max_frame);
                continue;
            }
            CHECK(rc == 1 && f.len <= r.max_frame);
            check_message(f.body, f.len);
        }
        /* memory stays bounded by the limit, whatever the input says */
        CHECK(r.cap <= r.max_frame + 4 + ((size_t)256 << 10));
    }
    actr_frame_reader_destroy(&r);
    return 0;
}
