/* Helpers shared by the core unit suites: assertions on ACTR_E* codes and
 * a way to run a test body as the main task of actr_run. */
#ifndef ACTR_TEST_CORE_UTIL_H
#define ACTR_TEST_CORE_UTIL_H

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Runs, in a child process, setup() (when not NULL) and then fn(NULL):
 * as actr_run's main task, or directly when plain. Returns the child's
 * wait status and what it wrote to stderr (err, NUL-terminated, cap
 * bytes at most). For crashes and what they print. */
static inline int
run_child(void (*setup)(void), actr_task_fn fn, int plain, char *err, size_t cap)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(p[1], 2);
        close(p[0]);
        close(p[1]);
        /* A core dump of the expected crash is not wanted. */
        signal(SIGABRT, SIG_DFL);
        if (setup)
            setup();
        _exit((plain ? fn(NULL) : actr_run(fn, NULL)) < 0 ? 1 : 0);
    }
    close(p[1]);
    size_t n = 0;
    ssize_t got;
    while (n < cap - 1 && (got = read(p[0], err + n, cap - 1 - n)) > 0)
        n += (size_t)got;
    err[n] = 0;
    close(p[0]);
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    return st;
}

#endif
