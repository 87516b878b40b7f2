/* The examples run as the suite's children: each must exit 0 and print
 * what its README promises (hello, ticker, the patterns of issue 14:
 * reqresp, pubsub, pool; the job farm of S27, workers; and the services
 * daemon of issue 12). */
#include "itest.h"

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Runs $(BUILD)/examples/<name>, returns its exit status; its stdout in buf. */
static int
run_example(const char *name, char *buf, size_t cap)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", itest_bin(name));
    /* itest_bin gives <build>/tests/bin/<name>: the examples sit in <build>/examples. */
    char *p = strstr(path, "/tests/bin/");
    ck_assert_ptr_nonnull(p);
    snprintf(p, sizeof path - (size_t)(p - path), "/examples/%s", name);
    ck_assert_msg(access(path, X_OK) == 0, "%s is not built (make all)", path);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    char *argv[] = {path, NULL};
    pid_t pid;
    ck_assert_int_eq(posix_spawn(&pid, path, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    size_t len = 0;
    ssize_t n;
    while (len + 1 < cap && (n = read(fds[0], buf + len, cap - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = 0;
    close(fds[0]);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

START_TEST(test_example_hello)
{
    itest_begin();
    char out[4096];
    ck_assert_int_eq(run_example("hello", out, sizeof out), 0);
    ck_assert_ptr_nonnull(strstr(out, "child says: Hello, world! (from greeter"));
    ck_assert_ptr_nonnull(strstr(out, "child reaped"));
    itest_end();
}
END_TEST

/* Counts the printed quote lines of sym in [from, to). */
static int
count_quotes(const char *from, const char *to, const char *sym)
{
    char pat[32];
    snprintf(pat, sizeof pat, " %-5s ", sym);
    int n = 0;
    for (const char *p = strstr(from, pat); p && p < to; p = strstr(p + 1, pat))
        n++;
    return n;
}

START_TEST(test_example_ticker)
{
    itest_begin();
    char out[8192];
    ck_assert_int_eq(run_example("ticker", out, sizeof out), 0);
    const char *end = out + strlen(out);

    /* The generator: three prices, then the end of its stream. */
    const char *hist = strstr(out, "history of AAPL:");
    ck_assert_ptr_nonnull(hist);
    double h[3];
    char tail;
    ck_assert_int_eq(sscanf(hist, "history of AAPL: %lf %lf %lf%c", &h[0], &h[1], &h[2], &tail), 4);
    ck_assert_int_eq(tail, '\n');

    /* The context, in order: started, GOOG added, AAPL dropped, result. */
    const char *started = strstr(out, "started: 2 symbols");
    const char *sub = strstr(out, "subscribing GOOG");
    const char *drop = strstr(out, "dropping AAPL");
    const char *fin = strstr(out, "feed finished: ");
    ck_assert_ptr_nonnull(started);
    ck_assert_ptr_nonnull(sub);
    ck_assert_ptr_nonnull(drop);
    ck_assert_ptr_nonnull(fin);
    ck_assert(hist < started && started < sub && sub < drop && drop < fin);
    ck_assert_int_ge(count_quotes(started, sub, "AAPL") + count_quotes(started, sub, "MSFT"), 4);
    ck_assert_int_eq(count_quotes(started, sub, "GOOG"), 0);
    ck_assert_int_ge(count_quotes(sub, drop, "GOOG"), 2);
    /* After "dropping AAPL" no AAPL quote is printed, MSFT goes on. */
    ck_assert_int_eq(count_quotes(drop, end, "AAPL"), 0);
    ck_assert_int_ge(count_quotes(drop, fin, "MSFT"), 2);

    /* The result counts every quote sent; some may be dropped in flight. */
    unsigned long long sent, received;
    ck_assert_int_eq(sscanf(fin, "feed finished: %llu quotes sent, %llu received", &sent,
                            &received), 2);
    ck_assert_uint_ge(received, 8);
    ck_assert_uint_ge(sent, received);
    ck_assert_ptr_nonnull(strstr(fin, "exchange cancelled and reaped"));
    itest_end();
}
END_TEST

/* Request/response over a stream: every request answered, by id, on
 * one context, errors as replies. */
START_TEST(test_example_reqresp)
{
    itest_begin();
    char out[4096];
    ck_assert_int_eq(run_example("reqresp", out, sizeof out), 0);
    ck_assert_msg(strstr(out, "#0 7 + 5 = 12\n") && strstr(out, "#3 7 / 5 = 1.4\n")
                  && strstr(out, "#4 1 / 0 = error: division by zero\n")
                  && strstr(out, "#9 1e+06 / 8 = 125000\n")
                  && strstr(out, "server answered 10 requests on one context\n"), "%s", out);
    itest_end();
}
END_TEST

/* Pub/sub: subscriptions change while events flow; every publish after
 * a confirmed change sees it. */
START_TEST(test_example_pubsub)
{
    itest_begin();
    char out[4096];
    ck_assert_int_eq(run_example("pubsub", out, sizeof out), 0);
    ck_assert_str_eq(out, "alice follows news, bob follows sports\n"
                          "publish news \"hello\": 1 subscriber\n"
                          "  alice <- news: hello\n"
                          "publish sports \"kickoff\": 1 subscriber\n"
                          "  bob <- sports: kickoff\n"
                          "  alice <- +sports: ok\n"
                          "publish sports \"goal\": 2 subscribers\n"
                          "  alice <- sports: goal\n"
                          "  bob <- sports: goal\n"
                          "  bob <- -sports: ok\n"
                          "publish sports \"final whistle\": 1 subscriber\n"
                          "  alice <- sports: final whistle\n"
                          "the broker sent alice 3 events, bob 2\n");
    itest_end();
}
END_TEST

/* The worker pool: every job done once, spread over the workers. */
START_TEST(test_example_pool)
{
    itest_begin();
    char out[4096];
    ck_assert_int_eq(run_example("pool", out, sizeof out), 0);
    ck_assert_str_eq(out, "worker-0 squared 10 numbers\n"
                          "worker-1 squared 10 numbers\n"
                          "worker-2 squared 10 numbers\n"
                          "sum of the squares of 1..30: 9455\n");
    itest_end();
}
END_TEST

/* The job farm (S27): correct on every run, thanks to its windows. */
START_TEST(test_S27_example_workers)
{
    itest_begin();
    char out[4096];
    for (int run = 0; run < 3; run++) {
        ck_assert_int_eq(run_example("workers", out, sizeof out), 0);
        ck_assert_str_eq(out, "worker-0 counted 6667 lines\n"
                              "worker-1 counted 6667 lines\n"
                              "worker-2 counted 6666 lines\n"
                              "20000 lines, 99993 words, 580103 letters\n"
                              "matches the root's own count\n");
    }
    itest_end();
}
END_TEST

/* The services daemon (S23, S26, S21, S22): the feed started on demand,
 * shared by three tasks through a cached context and a broadcast, killed
 * with SIGKILL, restarted by the daemon's supervisor, found again by
 * name; every process gone at the end. */
START_TEST(test_example_services)
{
    /* It kills its feed on purpose: the death and the restart are news. */
    test_expect_log("child 'feed' (pid");
    test_expect_log("supervisor services: restarting feed (restart 1)");
    itest_begin();
    char out[16384];
    ck_assert_int_eq(run_example("services", out, sizeof out), 0);
    ck_assert_msg(strncmp(out, "servicesd ready (registry unix://", 33) == 0, "%s", out);
    long long a = 0, b = 0;
    const char *kill_at = strstr(out, "killing feed (pid ");
    ck_assert_ptr_nonnull(kill_at);
    ck_assert_int_eq(sscanf(kill_at, "killing feed (pid %lld) with SIGKILL", &a), 1);
    const char *listed = strstr(out, "servicesd lists feed: running, restarted 1 time, pid ");
    ck_assert_ptr_nonnull(listed);
    ck_assert_int_eq(sscanf(listed, "servicesd lists feed: running, restarted 1 time, pid %lld",
                            &b), 1);
    ck_assert_int_ne(a, b);
    char pat[96];
    for (int t = 0; t < 3; t++) {
        /* Before the kill: ticks of feed a, and the echo of task 0's
         * message; then the loss; then ticks of feed b. */
        snprintf(pat, sizeof pat, "task %d: echo \"hello from task 0\"\n", t);
        const char *echo = strstr(out, pat);
        ck_assert_msg(echo && echo < kill_at, "%s", out);
        snprintf(pat, sizeof pat, "task %d: lost the feed (ACTR_ECLOSED)", t);
        const char *lost = strstr(out, pat);
        ck_assert_msg(lost && lost > kill_at, "%s", out);
        int before = 0, after = 0;
        snprintf(pat, sizeof pat, "task %d: ACME ", t);
        for (const char *p = strstr(out, pat); p; p = strstr(p + 1, pat)) {
            long long pid = 0;
            const char *from = strstr(p, "from feed pid ");
            ck_assert_ptr_nonnull(from);
            ck_assert_int_eq(sscanf(from, "from feed pid %lld", &pid), 1);
            if (p < kill_at && pid == a)
                before++;
            else if (p > lost && pid == b)
                after++;
            else
                ck_abort_msg("task %d: a tick of pid %lld out of place:\n%s", t, pid, out);
        }
        ck_assert_msg(before == 3 && after == 3, "task %d: %d ticks before, %d after:\n%s", t,
                      before, after, out);
    }
    ck_assert_ptr_nonnull(strstr(listed, "stopping feed, then servicesd\n"
                                         "servicesd exited (status 0)\n"));
    itest_end();
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("examples");
    TCase *tc = tcase_create("run");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_example_hello);
    tcase_add_test(tc, test_example_ticker);
    tcase_add_test(tc, test_example_reqresp);
    tcase_add_test(tc, test_example_pubsub);
    tcase_add_test(tc, test_example_pool);
    tcase_add_test(tc, test_S27_example_workers);
    tcase_add_test(tc, test_example_services);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
