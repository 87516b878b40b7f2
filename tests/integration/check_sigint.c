/* Ctrl-C and dying roots (SEMANTICS S4, S1): a three-level actor tree
 * (actor_srv --tree-root: root -> mid -> leaf) is torn down in bounded
 * time by SIGINT in its root, and does not survive its root's SIGKILL. */
#include "itest.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int64_t
now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Reads one line from fd within ms. */
static int
read_line(int fd, char *buf, size_t cap, int ms)
{
    size_t len = 0;
    int64_t until = now_ms() + ms;
    while (len + 1 < cap) {
        int left = (int)(until - now_ms());
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, left) <= 0)
            continue;
        ssize_t n = read(fd, buf + len, 1);
        if (n <= 0)
            return 0;
        if (buf[len] == '\n') {
            buf[len] = 0;
            return 1;
        }
        len++;
    }
    return 0;
}

/* Waits up to ms for pid (our child) to exit; returns 1 and its status. */
static int
wait_exit(int pid, int *status, int ms)
{
    int64_t until = now_ms() + ms;
    for (;;) {
        int r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 1;
        if (r < 0 && errno != EINTR)
            return 0;
        if (now_ms() >= until)
            return 0;
        usleep(5000);
    }
}

static void
tree_signal(int sig, int64_t bound_ms)
{
    itest_begin();
    const char *bin = itest_bin("actor_srv");
    int pfd[2];
    ck_assert_int_eq(pipe(pfd), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
    posix_spawn_file_actions_addclose(&fa, pfd[0]);
    posix_spawn_file_actions_addclose(&fa, pfd[1]);
    char *argv[] = {(char *)bin, "--tree-root", NULL};
    pid_t root;
    ck_assert_int_eq(posix_spawn(&root, bin, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[1]);
    char line[256];
    int got = read_line(pfd[0], line, sizeof line, 10000);
    close(pfd[0]);
    if (!got)
        kill(root, SIGKILL);
    ck_assert_msg(got, "the tree did not report its pids");
    int pr = 0, pm = 0, pl = 0;
    ck_assert_int_eq(sscanf(line, "%d %d %d", &pr, &pm, &pl), 3);
    ck_assert_int_eq(pr, root);
    int64_t t0 = now_ms();
    kill(root, sig);
    int st = 0;
    int exited = wait_exit(root, &st, 10000);
    int64_t dt = now_ms() - t0;
    if (!exited) {
        kill(root, SIGKILL);
        waitpid(root, &st, 0);
    }
    ck_assert_msg(exited, "the root did not exit within 10 s of signal %d", sig);
    int mid_gone = itest_pid_gone(pm, 3000), leaf_gone = itest_pid_gone(pl, 3000);
    int64_t dt_all = now_ms() - t0;
    if (!mid_gone)
        kill(pm, SIGKILL);
    if (!leaf_gone)
        kill(pl, SIGKILL);
    ck_assert_msg(mid_gone && leaf_gone, "orphans left: mid %s, leaf %s",
                  mid_gone ? "gone" : "alive", leaf_gone ? "gone" : "alive");
    if (sig == SIGINT) {
        /* An orderly exit, not a death by signal. */
        ck_assert_msg(WIFEXITED(st), "the root died of signal %d", WTERMSIG(st));
    }
    fprintf(stderr, "check_sigint: signal %d -> root exited in %lld ms, whole tree gone in"
            " %lld ms\n", sig, (long long)dt, (long long)dt_all);
    ck_assert_msg(dt_all < bound_ms, "tree teardown took %lld ms", (long long)dt_all);
    itest_end();
}

START_TEST(test_S4_sigint_in_root_tears_down_three_levels_in_bounded_time)
{
    tree_signal(SIGINT, 5000);
}
END_TEST

START_TEST(test_S1_no_orphan_survives_its_root_killed)
{
    tree_signal(SIGKILL, 3000);
}
END_TEST

static Suite *
sigint_suite(void)
{
    Suite *s = suite_create("sigint");
    TCase *tc = tcase_create("tree");
    tcase_set_timeout(tc, 40);
    ITEST_ADD(tc, test_S4_sigint_in_root_tears_down_three_levels_in_bounded_time);
    ITEST_ADD(tc, test_S1_no_orphan_survives_its_root_killed);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(sigint_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
