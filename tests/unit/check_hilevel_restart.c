/* When a supervisor restarts (runtime/hilevel/restart.h, SEMANTICS S26):
 * the intensity window forgets what is older than the period, and the
 * backoff doubles, stays under its cap and is jittered within [d/2, d]. */
#include "core_util.h"

#include "hilevel/restart.h"

START_TEST(test_S26_intensity_window_counts_the_period_only)
{
    struct hl_restart_window w = {0};
    for (int64_t t = 0; t < 20; t++)
        ck_assert_int_eq(hl_restart_window_add(&w, t * 100), 0);
    ck_assert_uint_eq(hl_restart_window_count(&w, 1900, 100000), 20);
    /* At 2000 with a period of 500 ms, restarts at 1600..1900 count. */
    ck_assert_uint_eq(hl_restart_window_count(&w, 2000, 500), 4);
    ck_assert_uint_eq(hl_restart_window_count(&w, 1000000, 500), 0);
    ck_assert_int_eq(hl_restart_window_add(&w, 1000001), 0);
    ck_assert_uint_eq(hl_restart_window_count(&w, 1000001, 1), 1);
    hl_restart_window_free(&w);
    ck_assert_uint_eq(w.n, 0);
}
END_TEST

START_TEST(test_S26_backoff_doubles_with_jitter_under_its_cap)
{
    uint64_t rng = 12345;
    int64_t lo[5] = {1000, 1000, 1000, 1000, 1000}, hi[5] = {0};
    for (int i = 0; i < 2000; i++) {
        for (unsigned k = 0; k < 5; k++) {
            int64_t d = hl_restart_backoff(10, 100, k, &rng);
            lo[k] = d < lo[k] ? d : lo[k];
            hi[k] = d > hi[k] ? d : hi[k];
        }
    }
    /* d = 10, 20, 40, 80, then the cap 100; each wait in [d/2, d], and
     * the jitter really spreads them. */
    const int64_t d[5] = {10, 20, 40, 80, 100};
    for (int k = 0; k < 5; k++) {
        ck_assert_int_ge(lo[k], d[k] / 2);
        ck_assert_int_le(hi[k], d[k]);
        ck_assert_int_lt(lo[k], hi[k]);
    }
    ck_assert_int_eq(hl_restart_backoff(-1, 100, 3, &rng), 0);
    ck_assert_int_le(hl_restart_backoff(10, 100, 1000, &rng), 100);
    uint64_t a = hl_restart_seed(), b = hl_restart_seed();
    ck_assert(a != 0 && a != b);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("hilevel_restart");
    TCase *tc = tcase_create("restart");
    tcase_add_test(tc, test_S26_intensity_window_counts_the_period_only);
    tcase_add_test(tc, test_S26_backoff_doubles_with_jitter_under_its_cap);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
