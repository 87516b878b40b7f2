/* What a crash does once actr_crash_handler_install ran (runtime/core/
 * crash.c, the seeds' open_crash_handler, SEMANTICS S25): which signal
 * hit which task, the symbolized backtrace of every task on stderr, then
 * the process dies of the signal as it would have. Each case runs in a
 * forked process whose stderr the test reads. The signals are raised,
 * not caused by bad accesses, so that valgrind has nothing to report in
 * the child. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_util.h"

static void
install(void)
{
    ck_assert_int_eq(actr_crash_handler_install(), 0);
}

static __attribute__((noinline)) void
crash_in_task(void)
{
    raise(SIGSEGV);
    __asm__ volatile("" ::: "memory");
}

static int
crasher(void *arg)
{
    (void)arg;
    actr_sleep(20);
    crash_in_task();
    return 0;
}

static int
waiter(void *arg)
{
    (void)arg;
    return actr_sleep(60000);
}

static int
tasks_main(void *arg)
{
    (void)arg;
    actr_nursery *n;
    if (actr_nursery_open(&n) < 0)
        return 1;
    actr_task_opts w = {.name = "waiter"}, c = {.name = "crasher"};
    if (actr_nursery_spawn_opts(n, waiter, NULL, &w) < 0 ||
        actr_nursery_spawn_opts(n, crasher, NULL, &c) < 0)
        return 1;
    return actr_nursery_close(n, ACTR_FOREVER);
}

START_TEST(test_S25_crash_handler_prints_every_task_then_dies)
{
    char err[65536];
    int st = run_child(install, tasks_main, 0, err, sizeof err);
    ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "status %#x, stderr: %s", st,
                  err);
    ck_assert_msg(strstr(err, ": SIGSEGV in task 'crasher'\n"), "%s", err);
    const char *c = strstr(err, "task 'crasher' (id ");
    ck_assert_msg(c && strstr(c, "crash_in_task at ") && strstr(c, "check_crash.c:"), "%s", err);
    ck_assert_msg(strstr(err, "task 'waiter' (id "), "%s", err);
    ck_assert_msg(strstr(err, "task 'main' (id 1, parked)"), "%s", err);
}
END_TEST

static __attribute__((noinline)) void
abort_here(void)
{
    abort();
}

static int
plain_main(void *arg)
{
    (void)arg;
    abort_here();
    return 0;
}

START_TEST(test_S25_crash_handler_covers_plain_c)
{
    char err[65536];
    int st = run_child(install, plain_main, 1, err, sizeof err);
    ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, "status %#x, stderr: %s", st,
                  err);
    ck_assert_msg(strstr(err, "actr: pid "), "%s", err);
    ck_assert_msg(strstr(err, ": SIGABRT in the thread\n"), "%s", err);
    ck_assert_msg(strstr(err, "  the thread:\n"), "%s", err);
    ck_assert_msg(strstr(err, "abort_here at ") && strstr(err, "plain_main at "), "%s", err);
}
END_TEST

static int
fpe_main(void *arg)
{
    (void)arg;
    raise(SIGFPE);
    return 0;
}

START_TEST(test_S25_crash_handler_names_each_signal)
{
    char err[65536];
    int st = run_child(install, fpe_main, 0, err, sizeof err);
    ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGFPE, "status %#x, stderr: %s", st, err);
    ck_assert_msg(strstr(err, ": SIGFPE in task 'main'\n"), "%s", err);
    ck_assert_msg(strstr(err, "fpe_main at "), "%s", err);
}
END_TEST

static Suite *
crash_suite(void)
{
    Suite *s = suite_create("crash");
    TCase *tc = tcase_create("handler");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_S25_crash_handler_prints_every_task_then_dies);
    tcase_add_test(tc, test_S25_crash_handler_covers_plain_c);
    tcase_add_test(tc, test_S25_crash_handler_names_each_signal);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return run_suite(crash_suite());
}
