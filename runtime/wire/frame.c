/* Frames: a 4-byte little-endian body length, then the body. The reader
 * buffers socket bytes and hands out complete frames in place; a length
 * over the limit is refused as soon as its 4 bytes are in, and its body is
 * discarded as it arrives instead of being stored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <actr/err.h>
#include <actr/wire.h>

/* Free space offered per read when no bigger frame is pending. */
#define READ_CHUNK ((size_t)64 << 10)
/* An idle reader keeps at most this much buffer after a big frame. */
#define KEEP_CAP (READ_CHUNK * 2)
/* A frame this big that arrives in pieces gets a buffer of its own,
 * exactly its size: the rest of it is read straight into place, and its
 * consumer may take the buffer whole (actr_frame_reader_take) instead of
 * copying the frame out of it. */
#define OWN_MIN ((size_t)64 << 10)

static uint32_t
le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

int
actr_frame_parse(const uint8_t *buf, size_t len, size_t max, actr_frame *out,
                 size_t *used)
{
    if (len < 4) {
        *used = 4;
        return 0;
    }
    size_t n = le32(buf);
    if (n > max) {
        out->body = NULL;
        out->len = n;
        *used = 4;
        return ACTR_ETOOBIG;
    }
    if (len - 4 < n) {
        *used = 4 + n;
        return 0;
    }
    out->body = buf + 4;
    out->len = n;
    *used = 4 + n;
    return 1;
}

void
actr_frame_reader_init(actr_frame_reader *r, size_t max_frame)
{
    memset(r, 0, sizeof *r);
    r->max_frame = max_frame ? max_frame : ACTR_FRAME_MAX_DEFAULT;
}

void
actr_frame_reader_destroy(actr_frame_reader *r)
{
    free(r->buf);
    r->buf = NULL;
    r->start = r->end = r->cap = 0;
    r->skip = 0;
}

size_t
actr_frame_reader_pending(const actr_frame_reader *r)
{
    return r->end - r->start;
}

/* Bytes of free space the next read should get: the rest of a pending
 * frame whose (accepted) length is known, at least one read chunk. */
static size_t
wanted(const actr_frame_reader *r)
{
    size_t pending = r->end - r->start;

    if (r->skip || pending < 4)
        return READ_CHUNK;
    size_t n = le32(r->buf + r->start);
    if (n > r->max_frame || 4 + n <= pending)
        return READ_CHUNK;
    size_t rest = 4 + n - pending;
    return rest > READ_CHUNK ? rest : READ_CHUNK;
}

int
actr_frame_reader_space(actr_frame_reader *r, uint8_t **dst, size_t *avail)
{
    size_t pending = r->end - r->start;

    if (pending == 0) {
        r->start = r->end = 0;
        if (r->cap > KEEP_CAP) {
            /* Give back what a big frame made us allocate. */
            free(r->buf);
            r->buf = NULL;
            r->cap = 0;
        }
    }
    if (!r->skip && pending >= 4) {
        size_t n = le32(r->buf + r->start);
        if (n <= r->max_frame && 4 + n > pending && 4 + n >= OWN_MIN &&
            !(r->start == 0 && r->cap == 4 + n)) {
            /* At the front already: the buffer itself becomes the frame's
             * (realloc, often in place); else the part that is in moves. */
            uint8_t *own = r->start == 0 ? realloc(r->buf, 4 + n) : malloc(4 + n);
            if (!own)
                return ACTR_ENOMEM;
            if (r->start != 0) {
                memcpy(own, r->buf + r->start, pending);
                free(r->buf);
            }
            r->buf = own;
            r->start = 0;
            r->end = pending;
            r->cap = 4 + n;
        }
        if (r->start == 0 && r->cap == 4 + n && 4 + n > pending && 4 + n >= OWN_MIN) {
            *dst = r->buf + r->end;
            *avail = r->cap - r->end;
            return 0;
        }
    }
    size_t want = wanted(r);
    if (r->cap - r->end < want) {
        if (r->start > 0) {
            memmove(r->buf, r->buf + r->start, pending);
            r->start = 0;
            r->end = pending;
        }
        if (r->cap - r->end < want) {
            size_t cap = pending + want;
            uint8_t *p = realloc(r->buf, cap);
            if (!p)
                return ACTR_ENOMEM;
            r->buf = p;
            r->cap = cap;
        }
    }
    *dst = r->buf + r->end;
    *avail = r->cap - r->end;
    return 0;
}

void *
actr_frame_reader_take(actr_frame_reader *r, const actr_frame *f)
{
    if (!r->buf || !f || f->len + 4 < OWN_MIN || f->body != r->buf + 4 ||
        r->start != 4 + f->len || r->end != r->start || r->cap != r->end)
        return NULL;
    void *own = r->buf;
    r->buf = NULL;
    r->start = r->end = r->cap = 0;
    return own;
}

void
actr_frame_reader_commit(actr_frame_reader *r, size_t n)
{
    if (n > r->cap - r->end)
        n = r->cap - r->end;
    r->end += n;
}

int
actr_frame_reader_feed(actr_frame_reader *r, const void *data, size_t n)
{
    const uint8_t *src = data;

    while (n > 0) {
        /* Drop a refused body straight from the input, never storing it. */
        if (r->skip && r->start == r->end) {
            size_t d = r->skip < n ? r->skip : n;
            r->skip -= d;
            src += d;
            n -= d;
            continue;
        }
        uint8_t *dst;
        size_t avail;
        int rc = actr_frame_reader_space(r, &dst, &avail);
        if (rc < 0)
            return rc;
        size_t k = avail < n ? avail : n;
        memcpy(dst, src, k);
        actr_frame_reader_commit(r, k);
        src += k;
        n -= k;
    }
    return 0;
}

int
actr_frame_reader_next(actr_frame_reader *r, actr_frame *out, actr_wire_err *err)
{
    if (r->skip) {
        size_t have = r->end - r->start;
        size_t d = r->skip < have ? r->skip : have;
        r->start += d;
        r->skip -= d;
        if (r->skip)
            return 0;
    }
    if (!r->buf)
        return 0;
    actr_frame f;
    size_t used;
    int rc = actr_frame_parse(r->buf + r->start, r->end - r->start,
                              r->max_frame, &f, &used);
    if (rc == 1) {
        r->start += used;
        *out = f;
        return 1;
    }
    if (rc == ACTR_ETOOBIG) {
        r->start += 4;
        r->skip = f.len;
        if (err) {
            memset(err, 0, sizeof *err);
            err->fault = ACTR_WIRE_OVERSIZE;
            err->frame_len = f.len;
            snprintf(err->what, sizeof err->what,
                     "frame of %zu bytes is over the %zu-byte limit",
                     f.len, r->max_frame);
        }
    }
    return rc;
}
