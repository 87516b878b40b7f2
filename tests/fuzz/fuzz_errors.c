/* libFuzzer target for remote-error decoding (S3, S10-S12): the input as
 * one message; an Error (error groups in "_actr_group" included) is
 * recorded as the error detail a caller reads (actri_wire_error_raise),
 * printed as a user sees it (actr_error_print), and boxed again as this
 * actor would relay it (actri_errbox_of + actri_errmsg_build), which must
 * encode. Corpus: every Error frame of the captures. */
#include <stdio.h>
#include <stdlib.h>

#include <actr/actr.h>

#include "wire/errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *null;
    if (!null && !(null = fopen("/dev/null", "w")))
        abort();
    if (size > (64 << 10))
        return 0;
    actr_msg m;
    if (actr_msg_decode(data, size, &m, NULL) != 0 || m.type != ACTR_MSG_ERROR)
        return 0;
    int code = actri_wire_error_raise(&m.u.error, "fuzz");
    const actr_error *e = actr_last_error();
    if (code >= 0 || e->code != code)
        abort();               /* a received Error is always a failure */
    actr_error_print(null, "fuzz", e);
    size_t n = e->count > 1 ? e->count : 1;
    const actr_error *v = e->count > 1 ? e->list : e;
    actri_errbox *boxes = calloc(n, sizeof *boxes);
    if (!boxes)
        return 0;
    for (size_t i = 0; i < n; i++)
        actri_errbox_of(&boxes[i], &v[i], "33333333-3333-4333-8333-333333333333");
    actr_uid self = {{"fuzz", 4}, {"33333333-3333-4333-8333-333333333333", 36}};
    actri_errmsg out;
    if (actri_errmsg_build(&out, &self, "c1", &boxes[0], boxes, n) == 0) {
        actr_wbuf w = {0};
        if (actr_msg_encode(&out.msg, &w) < 0)
            abort();           /* what we relay must be sendable */
        actr_msg back;
        if (actr_msg_decode(w.ptr + 4, w.len - 4, &back, NULL) != 0)
            abort();           /* and readable */
        actr_wbuf_destroy(&w);
    }
    actri_errmsg_free(&out);
    free(boxes);
    return 0;
}
