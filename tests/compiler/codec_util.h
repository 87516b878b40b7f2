/* Helpers shared by the codec suites (check_codec, check_codec_errors). */
#ifndef ACTR_TEST_CODEC_UTIL_H
#define ACTR_TEST_CODEC_UTIL_H

#include <actr/codec.h>

#define S(lit) ((actr_str){(char *)(lit), sizeof(lit) - 1})

/* Encodes v, decodes it back into out (of type t), re-encodes the result
 * and checks both encodings are byte-identical. */
void roundtrip(const actr_type *t, const void *v, void *out);
/* Decodes sb as type t, expects failure `code` with exactly message msg
 * and a zeroed output; destroys sb. */
void expect_fail(const actr_type *t, msgpack_sbuffer *sb, const actr_codec_limits *lim,
                 int code, const char *msg);
void pk_str(msgpack_packer *pk, const char *s);
/* A valid shapes.Scalars map, with field `skip` left out and field `swap`
 * replaced by the string "oops". */
void pack_scalars(msgpack_packer *pk, const char *skip, const char *swap);

#define BUF(sb, pk) \
    msgpack_sbuffer sb; \
    msgpack_packer pk; \
    msgpack_sbuffer_init(&sb); \
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write)

#endif
