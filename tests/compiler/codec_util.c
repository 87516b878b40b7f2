/* Helpers shared by the codec suites. */
#include "codec_util.h"

#include <check.h>
#include <string.h>

/* Encodes v, decodes it back into out (of type t), re-encodes the result
 * and checks both encodings are byte-identical. */
void
roundtrip(const actr_type *t, const void *v, void *out)
{
    msgpack_sbuffer a, b;
    actr_codec_err err = {0};

    msgpack_sbuffer_init(&a);
    msgpack_sbuffer_init(&b);
    ck_assert_int_eq(actr_codec_encode_buf(&a, t, v, &err), 0);
    int rc = actr_codec_decode_buf(a.data, a.size, t, out, NULL, &err);
    ck_assert_msg(rc == 0, "decode: %d %s", rc, err.msg);
    ck_assert_int_eq(actr_codec_encode_buf(&b, t, out, &err), 0);
    ck_assert_uint_eq(a.size, b.size);
    ck_assert_mem_eq(a.data, b.data, a.size);
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&b);
}

/* Decodes the msgpack in sb as type t and expects failure `code` with
 * exactly the message `msg`. */
void
expect_fail(const actr_type *t, msgpack_sbuffer *sb, const actr_codec_limits *lim, int code,
            const char *msg)
{
    unsigned char out[4096];
    actr_codec_err err = {0};

    ck_assert_uint_le(t->size, sizeof out);
    memset(out, 0xa5, sizeof out);
    int rc = actr_codec_decode_buf(sb->data, sb->size, t, out, lim, &err);
    ck_assert_msg(rc == code, "rc %d (%s), wanted %d", rc, err.msg, code);
    ck_assert_int_eq(err.code, code);
    ck_assert_str_eq(err.msg, msg);
    for (size_t i = 0; i < t->size; i++)
        ck_assert_uint_eq(out[i], 0);       /* a failed decode leaves zeroes */
    msgpack_sbuffer_destroy(sb);
}

void
pk_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

/* Packs a full valid shapes.Scalars map, with field `skip` left out and
 * field `swap` replaced by the string "oops". */
void
pack_scalars(msgpack_packer *pk, const char *skip, const char *swap)
{
    static const char *const names[] = {"b", "i8v", "i16v", "i32v", "i64v", "u8v", "u16v",
                                        "u32v", "u64v", "f32v", "f64v", "s", "raw", "dyn"};
    size_t n = 14 - (skip != NULL);
    msgpack_pack_map(pk, n);
    for (size_t i = 0; i < 14; i++) {
        if (skip != NULL && strcmp(skip, names[i]) == 0)
            continue;
        pk_str(pk, names[i]);
        if (swap != NULL && strcmp(swap, names[i]) == 0) {
            pk_str(pk, "oops");
            continue;
        }
        switch (i) {
        case 0: msgpack_pack_true(pk); break;
        case 9: msgpack_pack_float(pk, 1.5f); break;
        case 10: msgpack_pack_double(pk, 2.5); break;
        case 11: pk_str(pk, "text"); break;
        case 12: msgpack_pack_bin(pk, 1); msgpack_pack_bin_body(pk, "x", 1); break;
        case 13: msgpack_pack_nil(pk); break;
        default: msgpack_pack_int(pk, 1); break;
        }
    }
}

