/* Frame reader: frames come out whole however the bytes are cut, a length
 * over the limit is refused before anything is allocated for it, and the
 * refused body is skipped without being stored. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <actr/err.h>
#include <actr/wire.h>

#include "wire_json.h"

/* All frames of every capture file, back to back, as one stream. */
struct stream {
    uint8_t *bytes;
    size_t len;
    size_t nframes;
    size_t *offs;           /* start of each frame in bytes */
};

static void
stream_load(struct stream *s)
{
    size_t cap = 0, fcap = 0;
    memset(s, 0, sizeof *s);
    for (size_t fi = 0; fi < wire_capture_nfiles; fi++) {
        wire_capture c;
        wire_capture_load(wire_capture_files[fi], &c);
        for (size_t i = 0; i < c.nlines; i++) {
            if (!c.lines[i].frame)
                continue;
            size_t n = c.lines[i].frame_len;
            if (s->len + n > cap) {
                cap = (s->len + n) * 2;
                s->bytes = realloc(s->bytes, cap);
            }
            if (s->nframes == fcap) {
                fcap = fcap ? fcap * 2 : 256;
                s->offs = realloc(s->offs, fcap * sizeof *s->offs);
            }
            s->offs[s->nframes++] = s->len;
            memcpy(s->bytes + s->len, c.lines[i].frame, n);
            s->len += n;
        }
        wire_capture_free(&c);
    }
}

static void
stream_free(struct stream *s)
{
    free(s->bytes);
    free(s->offs);
}

/* Takes every complete frame, checking each against the stream and that
 * it decodes. */
static void
drain(actr_frame_reader *r, const struct stream *s, size_t *got)
{
    actr_frame f;
    int rc;
    while ((rc = actr_frame_reader_next(r, &f, NULL)) == 1) {
        ck_assert_uint_lt(*got, s->nframes);
        const uint8_t *want = s->bytes + s->offs[*got] + 4;
        size_t wl = (*got + 1 < s->nframes ? s->offs[*got + 1] : s->len) -
                    s->offs[*got] - 4;
        ck_assert_uint_eq(f.len, wl);
        ck_assert(memcmp(f.body, want, wl) == 0);
        actr_msg m;
        ck_assert_int_eq(actr_msg_decode(f.body, f.len, &m, NULL), 0);
        (*got)++;
    }
    ck_assert_int_eq(rc, 0);
}

START_TEST(test_reader_one_byte_at_a_time)
{
    struct stream s;
    stream_load(&s);
    actr_frame_reader r;
    actr_frame_reader_init(&r, 0);
    size_t got = 0;
    for (size_t i = 0; i < s.len; i++) {
        ck_assert_int_eq(actr_frame_reader_feed(&r, s.bytes + i, 1), 0);
        drain(&r, &s, &got);
    }
    ck_assert_uint_eq(got, s.nframes);
    ck_assert_uint_eq(got, 372);
    ck_assert_uint_eq(actr_frame_reader_pending(&r), 0);
    actr_frame_reader_destroy(&r);
    stream_free(&s);
}
END_TEST

/* The transport's way: read() into the space the reader offers, in chunks
 * of random size. */
START_TEST(test_reader_random_chunks)
{
    struct stream s;
    stream_load(&s);
    for (unsigned seed = 1; seed <= 20; seed++) {
        srand(seed);
        actr_frame_reader r;
        actr_frame_reader_init(&r, 0);
        size_t pos = 0, got = 0;
        while (pos < s.len) {
            uint8_t *dst;
            size_t avail;
            ck_assert_int_eq(actr_frame_reader_space(&r, &dst, &avail), 0);
            ck_assert_uint_gt(avail, 0);
            size_t want = (size_t)rand() % (seed < 10 ? 200 : 5000) + 1;
            size_t n = want < avail ? want : avail;
            if (n > s.len - pos)
                n = s.len - pos;
            memcpy(dst, s.bytes + pos, n);
            actr_frame_reader_commit(&r, n);
            pos += n;
            drain(&r, &s, &got);
        }
        ck_assert_uint_eq(got, s.nframes);
        actr_frame_reader_destroy(&r);
    }
    stream_free(&s);
}
END_TEST

START_TEST(test_partial_frame_stays_pending)
{
    uint8_t f[] = {0x05, 0, 0, 0, 0x81, 0xa1, 'a', 0x01};
    actr_frame_reader r;
    actr_frame fr;
    actr_frame_reader_init(&r, 0);
    ck_assert_int_eq(actr_frame_reader_next(&r, &fr, NULL), 0);  /* empty */
    ck_assert_int_eq(actr_frame_reader_feed(&r, f, sizeof f), 0);
    ck_assert_int_eq(actr_frame_reader_next(&r, &fr, NULL), 0);
    ck_assert_uint_eq(actr_frame_reader_pending(&r), sizeof f);
    ck_assert_int_eq(actr_frame_reader_feed(&r, "\x02", 1), 0);
    ck_assert_int_eq(actr_frame_reader_next(&r, &fr, NULL), 1);
    ck_assert_uint_eq(fr.len, 5);
    ck_assert_uint_eq(fr.body[4], 0x02);
    ck_assert_uint_eq(actr_frame_reader_pending(&r), 0);
    actr_frame_reader_destroy(&r);

    /* the stateless parser says how much the frame needs */
    size_t used;
    ck_assert_int_eq(actr_frame_parse(f, 2, 100, &fr, &used), 0);
    ck_assert_uint_eq(used, 4);
    ck_assert_int_eq(actr_frame_parse(f, 6, 100, &fr, &used), 0);
    ck_assert_uint_eq(used, 9);
}
END_TEST

START_TEST(test_zero_length_frame)
{
    uint8_t f[] = {0, 0, 0, 0, 0x01, 0, 0, 0, 0xc0};
    actr_frame_reader r;
    actr_frame fr;
    actr_wire_err err;
    actr_msg m;
    actr_frame_reader_init(&r, 0);
    ck_assert_int_eq(actr_frame_reader_feed(&r, f, sizeof f), 0);
    ck_assert_int_eq(actr_frame_reader_next(&r, &fr, &err), 1);
    ck_assert_uint_eq(fr.len, 0);
    ck_assert_int_eq(actr_msg_decode(fr.body, fr.len, &m, &err), ACTR_EPROTO);
    ck_assert_int_eq(err.fault, ACTR_WIRE_MALFORMED);
    /* and the stream goes on */
    ck_assert_int_eq(actr_frame_reader_next(&r, &fr, &err), 1);
    ck_assert_uint_eq(fr.len, 1);
    ck_assert_int_eq(actr_msg_decode(fr.body, fr.len, &m, &err), ACTR_ETYPE);
    actr_frame_reader_destroy(&r);
}
END_TEST

START_TEST(test_oversized_refused_before_allocation)
{
    actr_frame_reader r;
    actr_frame fr;
    actr_wire_err err;
    actr_frame_reader_init(&r, 0);
    ck_assert_uint_eq(r.max_frame, ACTR_FRAME_MAX_DEFAULT);
    /* 0xffffffff: a 4 GiB frame */
    ck_assert_int_eq(actr_frame_reader_feed(&r, "\xff\xff\xff\xff", 4), 0);
    ck_assert_int_eq(actr_frame_reader_next(&r, &fr, &err), ACTR_ETOOBIG);
    ck_assert_int_eq(err.fault, ACTR_WIRE_OVERSIZE);
    ck_assert_uint_eq(err.frame_len, 0xffffffffu);
    /* nothing sized for the frame was allocated, now or when asking for
     * space to read its body into */
    uint8_t *dst;
    size_t avail;
    ck_assert_int_eq(actr_frame_reader_space(&r, &dst, &avail), 0);
    ck_assert_uint_le(r.cap, (size_t)1 << 20);
    ck_assert_uint_le(avail, (size_t)1 << 20);
    actr_frame_reader_destroy(&r);

    /* just over a small limit: refused; at the limit: accepted */
    actr_frame_reader_init(&r, 16);
    uint8_t hdr17[] = {17, 0, 0, 0};
    ck_assert_int_eq(actr_frame_parse(hdr17, 4, 16, &fr, &avail), ACTR_ETOOBIG);
    ck_assert_uint_eq(fr.len, 17);
    uint8_t hdr16[] = {16, 0, 0, 0};
    ck_assert_int_eq(actr_frame_parse(hdr16, 4, 16, &fr, &avail), 0);
    ck_assert_uint_eq(avail, 20);
    actr_frame_reader_destroy(&r);
}
END_TEST

/* After a refused frame its body is discarded as it arrives (never kept),
 * and the next frame is read normally, however the bytes are cut. */
START_TEST(test_oversized_body_skipped_then_stream_resumes)
{
    size_t big = 100000;
    size_t len = 4 + big + 8 + 4 + 3;
    uint8_t *s = calloc(1, len);
    s[0] = (uint8_t)big;
    s[1] = (uint8_t)(big >> 8);
    s[2] = (uint8_t)(big >> 16);
    memset(s + 4, 0x41, big);
    /* then a valid Stop-shaped frame and a tiny one */
    uint8_t tail[] = {4, 0, 0, 0, 0x81, 0xa1, 'k', 0x07,
                      3, 0, 0, 0, 0x92, 0x01, 0x02};
    memcpy(s + 4 + big, tail, sizeof tail);

    for (size_t step = 1; step <= 70001; step += 7000) {
        actr_frame_reader r;
        actr_frame fr;
        actr_wire_err err;
        int refused = 0, frames = 0;
        actr_frame_reader_init(&r, 1000);
        for (size_t pos = 0; pos < len; pos += step) {
            size_t n = len - pos < step ? len - pos : step;
            ck_assert_int_eq(actr_frame_reader_feed(&r, s + pos, n), 0);
            int rc;
            while ((rc = actr_frame_reader_next(&r, &fr, &err)) != 0) {
                if (rc == ACTR_ETOOBIG) {
                    refused++;
                    ck_assert_uint_eq(err.frame_len, big);
                    continue;
                }
                ck_assert_int_eq(rc, 1);
                frames++;
                ck_assert_uint_eq(fr.len, frames == 1 ? 4 : 3);
            }
            /* the refused body is never stored */
            ck_assert_uint_le(r.cap, (size_t)256 << 10);
        }
        ck_assert_int_eq(refused, 1);
        ck_assert_int_eq(frames, 2);
        actr_frame_reader_destroy(&r);
    }
    free(s);
}
END_TEST

/* A big accepted frame makes the buffer grow once, to the frame's size;
 * an idle reader gives that memory back. */
START_TEST(test_big_frame_buffer_bounded_and_released)
{
    size_t big = 3u << 20;
    uint8_t *body = malloc(big);
    memset(body, 0, big);
    /* a bin32 of big-5 bytes inside a Yield would be a message; the reader
     * does not care: any body */
    uint8_t hdr[4] = {(uint8_t)big, (uint8_t)(big >> 8), (uint8_t)(big >> 16), 0};
    actr_frame_reader r;
    actr_frame fr;
    actr_frame_reader_init(&r, 0);
    ck_assert_int_eq(actr_frame_reader_feed(&r, hdr, 4), 0);
    ck_assert_int_eq(actr_frame_reader_feed(&r, body, big), 0);
    ck_assert_uint_le(r.cap, big + 4 + (128u << 10));
    ck_assert_int_eq(actr_frame_reader_next(&r, &fr, NULL), 1);
    ck_assert_uint_eq(fr.len, big);
    uint8_t *dst;
    size_t avail;
    ck_assert_int_eq(actr_frame_reader_space(&r, &dst, &avail), 0);
    ck_assert_uint_le(r.cap, (size_t)256 << 10);
    actr_frame_reader_destroy(&r);
    free(body);
}
END_TEST

/* A big frame that arrives in pieces (issue 19) is read into a buffer of
 * its own, which its consumer may take instead of copying it; small and
 * whole frames stay in the shared buffer. The reader goes on after. */
START_TEST(test_big_frame_buffer_taken)
{
    const size_t n = 300 * 1024;
    uint8_t *frame = malloc(4 + n);
    ck_assert_ptr_nonnull(frame);
    frame[0] = (uint8_t)n;
    frame[1] = (uint8_t)(n >> 8);
    frame[2] = (uint8_t)(n >> 16);
    frame[3] = (uint8_t)(n >> 24);
    for (size_t i = 0; i < n; i++)
        frame[4 + i] = (uint8_t)(i * 7);
    actr_frame_reader r;
    actr_frame_reader_init(&r, 0);
    actr_frame f;
    size_t pos = 0;
    while (pos < 4 + n) {                   /* as the transport reads */
        uint8_t *dst;
        size_t avail;
        ck_assert_int_eq(actr_frame_reader_space(&r, &dst, &avail), 0);
        ck_assert_uint_gt(avail, 0);
        size_t k = avail < 4 + n - pos ? avail : 4 + n - pos;
        memcpy(dst, frame + pos, k);
        actr_frame_reader_commit(&r, k);
        pos += k;
    }
    ck_assert_int_eq(actr_frame_reader_next(&r, &f, NULL), 1);
    ck_assert_uint_eq(f.len, n);
    ck_assert_ptr_null(actr_frame_reader_take(&r, NULL));
    uint8_t *own = actr_frame_reader_take(&r, &f);
    ck_assert_ptr_nonnull(own);
    ck_assert_ptr_eq(f.body, own + 4);
    ck_assert(memcmp(own, frame, 4 + n) == 0);
    ck_assert_ptr_null(actr_frame_reader_take(&r, &f));        /* once */
    free(own);

    static const uint8_t small[] = {2, 0, 0, 0, 0x81, 0xc0};
    ck_assert_int_eq(actr_frame_reader_feed(&r, small, sizeof small), 0);
    ck_assert_int_eq(actr_frame_reader_next(&r, &f, NULL), 1);
    ck_assert_uint_eq(f.len, 2);
    ck_assert_ptr_null(actr_frame_reader_take(&r, &f));        /* shared buffer */
    ck_assert_int_eq(actr_frame_reader_feed(&r, frame, 4 + n), 0);
    ck_assert_int_eq(actr_frame_reader_next(&r, &f, NULL), 1);
    ck_assert(memcmp(f.body, frame + 4, n) == 0);
    actr_frame_reader_destroy(&r);
    free(frame);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("wire_frame");
    TCase *tc = tcase_create("reader");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_reader_one_byte_at_a_time);
    tcase_add_test(tc, test_reader_random_chunks);
    tcase_add_test(tc, test_partial_frame_stays_pending);
    tcase_add_test(tc, test_zero_length_frame);
    tcase_add_test(tc, test_oversized_refused_before_allocation);
    tcase_add_test(tc, test_oversized_body_skipped_then_stream_resumes);
    tcase_add_test(tc, test_big_frame_buffer_bounded_and_released);
    tcase_add_test(tc, test_big_frame_buffer_taken);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
