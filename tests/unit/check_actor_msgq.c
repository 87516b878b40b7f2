/* The actor layer's receive queue of stream payloads (runtime/actor/
 * dialog.c): FIFO order across wrap-around, compaction and growth of its
 * byte arena, the entry bound (S16), and payloads of any size. */
#include <string.h>

#include "actor/dialog.h"
#include "core_util.h"

/* Payload i: a recognisable pattern of a length that varies with i. */
static size_t
fill(uint8_t *b, unsigned i)
{
    size_t n = 1 + (i * 37u) % 300u;
    for (size_t k = 0; k < n; k++)
        b[k] = (uint8_t)(i + k);
    return n;
}

static void
check_pop(struct msgq *q, unsigned i)
{
    uint8_t want[400];
    size_t n = fill(want, i);
    actr_any got;
    ck_assert_int_eq(actri_msgq_pop(q, &got), 1);
    ck_assert_uint_eq(got.len, n);
    ck_assert_int_eq(memcmp(got.ptr, want, n), 0);
}

static void
push(struct msgq *q, size_t max, unsigned i)
{
    uint8_t b[400];
    actr_any p = {b, fill(b, i)};
    ck_assert_actr_ok(actri_msgq_push(q, max, &p));
}

START_TEST(test_S16_queue_keeps_order_through_wrap_and_compaction)
{
    struct msgq q;
    memset(&q, 0, sizeof q);
    actr_any none;
    ck_assert_int_eq(actri_msgq_pop(&q, &none), 0);
    /* A reader that lags by a varying amount: the ring wraps and the
     * arena is compacted or grown many times over. */
    unsigned in = 0, out = 0;
    for (unsigned round = 0; round < 2000; round++) {
        unsigned burst = 1 + round % 13;
        for (unsigned k = 0; k < burst && q.len < 48; k++)
            push(&q, 64, in++);
        unsigned take = round % 5 == 0 ? q.len : (unsigned)(q.len / 2);
        for (unsigned k = 0; k < take; k++)
            check_pop(&q, out++);
    }
    while (q.len > 0)
        check_pop(&q, out++);
    ck_assert_uint_eq(in, out);
    ck_assert_uint_gt(in, 10000);
    ck_assert_int_eq(actri_msgq_pop(&q, &none), 0);
    actri_msgq_clear(&q);
    ck_assert_ptr_null(q.buf);
    ck_assert_uint_eq(q.len, 0);
}
END_TEST

START_TEST(test_S16_queue_bound_and_big_payloads)
{
    struct msgq q;
    memset(&q, 0, sizeof q);
    for (unsigned i = 0; i < 10; i++)
        push(&q, 10, i);
    uint8_t b[1] = {0xc0};
    actr_any nil = {b, 1};
    ck_assert_actr_err(actri_msgq_push(&q, 10, &nil), ACTR_EOVERRUN);
    check_pop(&q, 0);
    ck_assert_actr_ok(actri_msgq_push(&q, 10, &nil));   /* room again */
    for (unsigned i = 1; i < 10; i++)
        check_pop(&q, i);
    actr_any got;
    ck_assert_int_eq(actri_msgq_pop(&q, &got), 1);
    ck_assert_uint_eq(got.len, 1);
    ck_assert_uint_eq(got.ptr[0], 0xc0);

    /* A payload bigger than everything before, then a small one: the big
     * arena is given back once the queue is empty. */
    size_t big = 3u * 1024u * 1024u;
    uint8_t *p = malloc(big);
    ck_assert_ptr_nonnull(p);
    for (size_t k = 0; k < big; k++)
        p[k] = (uint8_t)(k * 7u);
    actr_any bp = {p, big};
    push(&q, 10, 5);
    ck_assert_actr_ok(actri_msgq_push(&q, 10, &bp));
    check_pop(&q, 5);
    ck_assert_int_eq(actri_msgq_pop(&q, &got), 1);
    ck_assert_uint_eq(got.len, big);
    ck_assert_int_eq(memcmp(got.ptr, p, big), 0);
    ck_assert_uint_ge(q.bcap, big);
    push(&q, 10, 6);
    ck_assert_uint_lt(q.bcap, big);
    check_pop(&q, 6);
    free(p);
    actri_msgq_clear(&q);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("actor_msgq");
    TCase *tc = tcase_create("msgq");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_S16_queue_keeps_order_through_wrap_and_compaction);
    tcase_add_test(tc, test_S16_queue_bound_and_big_payloads);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
