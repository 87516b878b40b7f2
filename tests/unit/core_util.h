/* Helpers shared by the core unit suites: assertions on ACTR_E* codes and
 * a way to run a test body as the main task of actr_run. */
#ifndef ACTR_TEST_CORE_UTIL_H
#define ACTR_TEST_CORE_UTIL_H

#include <check.h>
#include <stdlib.h>

#include <actr/actr.h>

#define ck_assert_actr_ok(expr)                                              \
    do {                                                                     \
        int rc_ = (expr);                                                    \
        ck_assert_msg(rc_ >= 0, "%s failed: %s (%s)", #expr,                 \
                      actr_errname(rc_) ? actr_errname(rc_) : "?",           \
                      actr_last_error()->message ? actr_last_error()->message : ""); \
    } while (0)

#define ck_assert_actr_err(expr, want)                                       \
    do {                                                                     \
        int rc_ = (expr);                                                    \
        ck_assert_msg(rc_ == (want), "%s returned %d (%s), wanted %s", #expr,\
                      rc_, actr_errname(rc_) ? actr_errname(rc_) : "?", #want); \
    } while (0)

/* Elapsed milliseconds within [lo, hi]: timing bounds loose enough for a
 * loaded 2-core machine and valgrind. */
#define ck_assert_duration(ms, lo, hi)                                       \
    ck_assert_msg((ms) >= (lo) && (ms) <= (hi), "took %lld ms, wanted %d..%d", \
                  (long long)(ms), (lo), (hi))

/* Runs body(arg) as the main task and asserts it returned 0. */
static inline void
run_main(actr_task_fn body, void *arg)
{
    int rc = actr_run(body, arg);
    ck_assert_msg(rc == 0, "main task returned %s: %s",
                  actr_errname(rc) ? actr_errname(rc) : "?",
                  actr_last_error()->message ? actr_last_error()->message : "");
}

/* Standard runner: returns the process exit status of the suite. */
static inline int
run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
