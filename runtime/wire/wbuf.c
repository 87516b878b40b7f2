/* The growable output buffer frames are encoded into. */
#include <stdlib.h>
#include <string.h>

#include "wire/mp.h"

int
actri_wbuf_grow(actr_wbuf *b, size_t need)
{
    if (need > SIZE_MAX / 2 - b->len)
        return ACTR_ENOMEM;
    size_t want = b->len + need;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < want)
        cap *= 2;
    uint8_t *p = realloc(b->ptr, cap);
    if (!p)
        return ACTR_ENOMEM;
    b->ptr = p;
    b->cap = cap;
    return 0;
}

int
actr_wbuf_reserve(actr_wbuf *b, size_t extra)
{
    return mp_room(b, extra);
}

void
actr_wbuf_consume(actr_wbuf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->ptr, b->ptr + n, b->len - n);
    b->len -= n;
}

void
actr_wbuf_destroy(actr_wbuf *b)
{
    free(b->ptr);
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
}
