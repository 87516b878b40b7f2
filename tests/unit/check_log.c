/* Logging (SEMANTICS S24): levels, filtering before formatting, line
 * format, sinks, ACTR_LOGLEVEL, colour only on a terminal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core_util.h"

struct capture {
    int lines;
    int level;
    char line[1024];
    char task[64];
    char msg[512];
};

static void
sink(const actr_log_record *rec, void *ud)
{
    struct capture *c = ud;
    c->lines++;
    c->level = rec->level;
    snprintf(c->line, sizeof c->line, "%s", rec->line);
    snprintf(c->task, sizeof c->task, "%s", rec->task);
    snprintf(c->msg, sizeof c->msg, "%s", rec->msg);
    ck_assert_uint_eq(strlen(rec->line), rec->line_len);
}

START_TEST(test_S24_level_order_and_names)
{
    ck_assert_int_gt(ACTR_LOG_ERROR, ACTR_LOG_WARNING);
    ck_assert_int_gt(ACTR_LOG_WARNING, ACTR_LOG_INFO);
    ck_assert_int_gt(ACTR_LOG_INFO, ACTR_LOG_CANCEL);
    ck_assert_int_eq(ACTR_LOG_CANCEL, 16);
    ck_assert_int_eq(ACTR_LOG_RUNTIME, 15);
    ck_assert_int_gt(ACTR_LOG_RUNTIME, ACTR_LOG_DEBUG);
    int l;
    ck_assert_actr_ok(actr_log_parse_level("cancel", &l));
    ck_assert_int_eq(l, 16);
    ck_assert_actr_ok(actr_log_parse_level("RUNTIME", &l));
    ck_assert_int_eq(l, 15);
    ck_assert_actr_ok(actr_log_parse_level("warn", &l));
    ck_assert_int_eq(l, ACTR_LOG_WARNING);
    ck_assert_actr_ok(actr_log_parse_level("25", &l));
    ck_assert_int_eq(l, 25);
    l = 99;
    ck_assert_actr_err(actr_log_parse_level("loud", &l), ACTR_EINVAL);
    ck_assert_actr_err(actr_log_parse_level("", &l), ACTR_EINVAL);
    ck_assert_actr_err(actr_log_parse_level("12x", &l), ACTR_EINVAL);
    ck_assert_int_eq(l, 99);                  /* untouched on failure */
    ck_assert_str_eq(actr_log_level_name(ACTR_LOG_CANCEL), "cancel");
    ck_assert_ptr_null(actr_log_level_name(17));
}
END_TEST

static int formatted;

static int
side_effect(void)
{
    return ++formatted;
}

START_TEST(test_S24_level_checked_before_formatting)
{
    struct capture c = {0};
    actr_log_set_sink(sink, &c);
    actr_log_set_level(ACTR_LOG_CANCEL);
    actr_log_runtime("t", "%d", side_effect());
    actr_log_debug("t", "%d", side_effect());
    ck_assert_int_eq(formatted, 0);
    ck_assert_int_eq(c.lines, 0);
    actr_log_cancel("t", "%d", side_effect());
    ck_assert_int_eq(formatted, 1);
    ck_assert_int_eq(c.lines, 1);
    ck_assert_int_eq(c.level, ACTR_LOG_CANCEL);
    ck_assert(actr_log_enabled(ACTR_LOG_ERROR));
    ck_assert(!actr_log_enabled(ACTR_LOG_RUNTIME));
    actr_log_set_sink(NULL, NULL);
}
END_TEST

START_TEST(test_S24_level_from_environment)
{
    /* Each test runs in a fresh process: the first use reads the variable. */
    setenv("ACTR_LOGLEVEL", "runtime", 1);
    ck_assert_int_eq(actr_log_get_level(), ACTR_LOG_RUNTIME);
    /* An explicit option wins over the environment. */
    actr_log_set_level(ACTR_LOG_ERROR);
    ck_assert_int_eq(actr_log_get_level(), ACTR_LOG_ERROR);
}
END_TEST

START_TEST(test_S24_default_level_is_warning)
{
    unsetenv("ACTR_LOGLEVEL");
    ck_assert_int_eq(actr_log_get_level(), ACTR_LOG_WARNING);
}
END_TEST

static int
task_logger(void *arg)
{
    struct capture *c = arg;
    actr_task_set_name("feeder");
    actr_log_info("ctx.open", "cid=%s\nsecond line", "abc");
    ck_assert_str_eq(c->task, "feeder");
    return 0;
}

START_TEST(test_S24_line_format)
{
    struct capture c = {0};
    actr_log_set_sink(sink, &c);
    actr_log_set_level(ACTR_LOG_DEBUG);
    actr_log_set_actor("ticker");
    run_main(task_logger, &c);
    ck_assert_int_eq(c.lines, 1);
    /* time, level, pid, actor/task, tag, message; one line. */
    char want[128];
    snprintf(want, sizeof want, " INFO [%d] ticker/feeder ctx.open: cid=abc second line",
             (int)getpid());
    ck_assert_msg(strstr(c.line, want) != NULL, "line: %s", c.line);
    ck_assert_ptr_null(strchr(c.line, '\n'));
    ck_assert_int_eq(c.line[4], '-');         /* 2025-01-01T12:00:00.000Z */
    ck_assert_int_eq(c.line[10], 'T');
    ck_assert_int_eq(c.line[23], 'Z');
    ck_assert_str_eq(c.msg, "cid=abc second line");

    /* Outside a task the task name is "-"; unknown levels print as L<n>. */
    actr_log_write(17, NULL, "x");
    ck_assert_ptr_nonnull(strstr(c.line, " L17 "));
    ck_assert_ptr_nonnull(strstr(c.line, "ticker/- x"));

    /* Long messages are cut, not overflowed. */
    char big[5000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    actr_log_error("big", "%s", big);
    ck_assert_int_eq(c.lines, 3);
    actr_log_set_actor(NULL);
    actr_log_set_sink(NULL, NULL);
}
END_TEST

START_TEST(test_S24_stderr_sink_no_colour_off_terminal)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
    actr_log_set_level(ACTR_LOG_INFO);
    actr_log_warning("disk", "almost %d%% full", 93);
    actr_log_debug("disk", "hidden");
    char buf[512] = {0};
    ssize_t n = read(p[0], buf, sizeof buf - 1);
    ck_assert_int_gt(n, 0);
    ck_assert_ptr_nonnull(strstr(buf, "WARNING"));
    ck_assert_ptr_nonnull(strstr(buf, "disk: almost 93% full\n"));
    ck_assert_ptr_null(strchr(buf, '\033'));  /* a pipe is not a terminal */
    ck_assert_ptr_null(strstr(buf, "hidden"));
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("log");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_S24_level_order_and_names);
    tcase_add_test(tc, test_S24_level_checked_before_formatting);
    tcase_add_test(tc, test_S24_level_from_environment);
    tcase_add_test(tc, test_S24_default_level_is_warning);
    tcase_add_test(tc, test_S24_line_format);
    tcase_add_test(tc, test_S24_stderr_sink_no_colour_off_terminal);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
