/* Symbolized backtraces (runtime/core/backtrace.c, actr/debug.h): the
 * calling task's, and every task's with its name and state, each frame
 * named with its function, source file and line. SEMANTICS S25: debug
 * mode prints these where it has no terminal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core_util.h"

/* Frames the tests look for: not inlined, not tail calls. */
static __attribute__((noinline)) char *
bt_level2(void)
{
    char *s = NULL;
    int n = actr_backtrace(&s);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq((size_t)n, strlen(s));
    __asm__ volatile("" ::: "memory");
    return s;
}

static __attribute__((noinline)) char *
bt_level1(void)
{
    char *s = bt_level2();
    __asm__ volatile("" ::: "memory");
    return s;
}

/* The calling frame first, then its callers, with files and lines. */
static void
check_levels(const char *s)
{
    ck_assert_msg(strncmp(s, "    #0  bt_level2 at ", 21) == 0, "%s", s);
    const char *l1 = strstr(s, "#1  bt_level1 at ");
    ck_assert_msg(l1 != NULL, "%s", s);
    ck_assert_msg(strstr(s, "check_backtrace.c:"), "%s", s);
    ck_assert_msg(strstr(l1, "check_backtrace.c:"), "%s", s);
}

static int
levels_main(void *arg)
{
    (void)arg;
    char *s = bt_level1();
    check_levels(s);
    /* A task's stack ends where the task began. */
    ck_assert_msg(strstr(s, "levels_main at "), "%s", s);
    ck_assert_msg(strstr(s, "task_entry at "), "%s", s);
    free(s);
    return 0;
}

START_TEST(test_S25_backtrace_names_the_calling_frames)
{
    run_main(levels_main, NULL);
    /* Outside any task: the thread's stack; named frames are kept, and
     * the second time says the same. */
    char *s[2];
    for (int i = 0; i < 2; i++)
        s[i] = bt_level1();
    check_levels(s[0]);
    ck_assert_str_eq(s[1], s[0]);
    free(s[0]);
    free(s[1]);
    ck_assert_int_eq(actr_backtrace(NULL), ACTR_EINVAL);
}
END_TEST

/* ------------------------------------------------------------ every task */

static __attribute__((noinline)) int
parked_sleeper(void *arg)
{
    (void)arg;
    int rc = actr_sleep(60000);
    __asm__ volatile("" ::: "memory");
    return rc == ACTR_ECANCELED ? 0 : rc;
}

static int
not_started(void *arg)
{
    (void)arg;
    return 0;
}

/* Reads what fd has now into buf (NUL-terminated). */
static void
drain(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    ssize_t got;
    while (n < cap - 1 && (got = read(fd, buf + n, cap - 1 - n)) > 0)
        n += (size_t)got;
    buf[n] = 0;
}

static int
all_main(void *arg)
{
    char *out = arg;
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    actr_task_opts so = {.name = "sleeper"};
    ck_assert_actr_ok(actr_nursery_spawn_opts(n, parked_sleeper, NULL, &so));
    ck_assert_actr_ok(actr_sleep(10));          /* it parks */
    actr_task_opts lo = {.name = "late"};
    ck_assert_actr_ok(actr_nursery_spawn_opts(n, not_started, NULL, &lo));
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    actr_backtrace_all(p[1]);
    close(p[1]);
    drain(p[0], out, 65536);
    close(p[0]);
    actr_nursery_cancel(n);
    return actr_nursery_close(n, ACTR_FOREVER);
}

START_TEST(test_S25_backtrace_all_shows_every_task)
{
    char *out = malloc(65536);
    run_main(all_main, out);
    ck_assert_msg(strstr(out, "3 tasks, and the loop:"), "%s", out);
    /* The caller, running, from its own frame. */
    const char *m = strstr(out, "task 'main' (id 1, running):\n    #0  all_main at ");
    ck_assert_msg(m != NULL, "%s", out);
    /* A parked task, down to where it parked. */
    const char *sl = strstr(out, "task 'sleeper' (id 2, parked):");
    ck_assert_msg(sl && strstr(sl, "actr_sleep"), "%s", out);
    ck_assert_msg(strstr(sl, "parked_sleeper at ") && strstr(sl, "check_backtrace.c:"), "%s",
                  out);
    ck_assert_msg(strstr(out, "task 'late' (id 3, not started yet)"), "%s", out);
    ck_assert_msg(strstr(out, "the loop (the thread's own stack, switched out):"), "%s", out);
    ck_assert_msg(strstr(out, "actr_run at "), "%s", out);
    free(out);
}
END_TEST

static Suite *
backtrace_suite(void)
{
    Suite *s = suite_create("backtrace");
    TCase *tc = tcase_create("backtrace");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_S25_backtrace_names_the_calling_frames);
    tcase_add_test(tc, test_S25_backtrace_all_shows_every_task);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return run_suite(backtrace_suite());
}
