/* Values kept encoded (hilevel/anyval.h). */
#include "hilevel/anyval.h"

#include <stdlib.h>
#include <string.h>

#include <actr/error.h>

int
hl_anyval_dup(actr_any *dst, const actr_any *src)
{
    actr_any d = {0};
    if (src && src->len) {
        if (!(d.ptr = malloc(src->len)))
            return actr_error_set(ACTR_ENOMEM, "out of memory copying a value");
        memcpy(d.ptr, src->ptr, src->len);
        d.len = src->len;
    }
    *dst = d;
    return 0;
}

int
hl_anyval_encode(const actr_type *t, const void *v, actr_any *out, const char *what)
{
    memset(out, 0, sizeof *out);
    if (!t || !v)
        return 0;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    actr_codec_err err;
    int rc = actr_codec_encode_buf(&sb, t, v, &err);
    if (rc < 0) {
        msgpack_sbuffer_destroy(&sb);
        return actr_error_set(rc, "%s: %s", what, err.msg);
    }
    out->ptr = (uint8_t *)sb.data;      /* msgpack's sbuffer mallocs it */
    out->len = sb.size;
    return 0;
}

int
hl_anyval_decode(const actr_type *t, const actr_any *src, void *out, const char *what)
{
    if (!t || !out)
        return 0;
    static const uint8_t nil = 0xc0;
    const void *buf = src->len ? (const void *)src->ptr : (const void *)&nil;
    actr_codec_err err;
    int rc = actr_codec_decode_buf(buf, src->len ? src->len : 1, t, out, NULL, &err);
    return rc < 0 ? actr_error_set(rc, "%s: %s", what, err.msg) : 0;
}

int
hl_anyval_is_nil(const actr_any *a)
{
    return !a || a->len == 0 || (a->len == 1 && a->ptr[0] == 0xc0);
}
