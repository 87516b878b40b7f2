/* libFuzzer target for the typed codecs: decodes arbitrary bytes as each
 * type of tests/compiler/shapes.actor (every type form). A value that
 * decodes must encode, and the encoding must decode again to a value that
 * encodes to the same bytes; nothing may leak, crash or abort. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <actr/codec.h>
#include <actr/module.h>

#include "shapes.actor.h"

static void
roundtrip(const actr_type *t, const uint8_t *data, size_t size)
{
    void *a = calloc(1, t->size), *b = calloc(1, t->size);
    msgpack_sbuffer s1, s2;
    actr_codec_err err;

    msgpack_sbuffer_init(&s1);
    msgpack_sbuffer_init(&s2);
    if (!a || !b)
        goto out;
    if (actr_codec_decode_buf(data, size, t, a, NULL, &err) != 0)
        goto out;
    if (actr_codec_encode_buf(&s1, t, a, &err) != 0)
        abort();    /* a decoded value must always encode */
    if (actr_codec_decode_buf(s1.data, s1.size, t, b, NULL, &err) != 0)
        abort();    /* and what we encode must decode */
    if (actr_codec_encode_buf(&s2, t, b, &err) != 0)
        abort();
    if (s1.size != s2.size || memcmp(s1.data, s2.data, s1.size) != 0)
        abort();    /* encoding is a function of the decoded value */
    actr_codec_free(t, b);
    actr_codec_free(t, a);
out:
    msgpack_sbuffer_destroy(&s2);
    msgpack_sbuffer_destroy(&s1);
    free(b);
    free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < shapes_module.ntypes; i++)
        roundtrip(shapes_module.types[i], data, size);
    return 0;
}
