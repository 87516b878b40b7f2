/* Debug mode (SEMANTICS S25), driven from outside: each scenario of
 * bin/debug_actor runs as the root of a tree on a pseudo-terminal of ours
 * (ptydrive.c), and the test drives the real gdb that debug mode starts
 * there, as the Python system's debugger tests drive pdb with pexpect.
 * Without a terminal (a pipe) debug mode prints backtraces instead.
 * Every wait is bounded, and each test checks that no process of the
 * tree is left, gdb included. The gdb tests are skipped, with one line,
 * where ptrace is not allowed at all. */
#include "itest.h"
#include "ptydrive.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

/* Bounds: gdb reads the program's symbols before it attaches (slow under
 * ASan on a loaded machine). */
#define GDB_MS 90000
#define STEP_MS 30000

static char home[64];
static const char *extra_env;   /* one more NAME=value for the next start */

/* The environment of a scenario: debug mode on, a plain terminal (no
 * colours), no user gdbinit, no debuginfod. */
static const char *debug_env[] = {
    "ACTR_DEBUG=1", "TERM=dumb", home, "DEBUGINFOD_URLS=", "ACTR_REGISTRY=none", NULL, NULL,
};
#define ENV_EXTRA 5             /* the slot a test may fill */

/* A HOME of our own, made before the tests fork (so they share it). */
static int
make_home(void)
{
    char dir[] = "/tmp/actr-debug-home-XXXXXX";
    if (!mkdtemp(dir))
        return -1;
    snprintf(home, sizeof home, "HOME=%s", dir);
    return 0;
}

/* Whether a process may trace a sibling that named their parent as its
 * tracer: what the root's gdb does to an actor of the tree. */
static int
ptrace_allowed(void)
{
    int sync[2];
    if (pipe(sync) < 0)
        return 0;
    pid_t target = fork();
    if (target == 0) {
        (void)prctl(PR_SET_PTRACER, (unsigned long)getppid(), 0UL, 0UL, 0UL);
        if (write(sync[1], "x", 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    char c;
    int ready = target > 0 && read(sync[0], &c, 1) == 1;
    close(sync[0]);
    close(sync[1]);
    pid_t prober = ready ? fork() : -1;
    if (prober == 0)
        _exit(ptrace(PTRACE_SEIZE, target, NULL, NULL) == 0 ? 0 : 1);
    int st = 1 << 8, tst;
    while (prober > 0 && waitpid(prober, &st, 0) < 0 && errno == EINTR)
        ;
    if (target > 0) {
        kill(target, SIGKILL);
        while (waitpid(target, &tst, 0) < 0 && errno == EINTR)
            ;
    }
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Found once, before the tests fork: 1 when the gdb tests can run. */
static int ptrace_ok;

static int
gdb_usable(void)
{
    return ptrace_ok;
}

static ptyd *
start(const char *scenario, int tty)
{
    char *argv[] = {(char *)itest_bin("debug_actor"), (char *)scenario, NULL};
    debug_env[ENV_EXTRA] = extra_env;
    ptyd *p = ptyd_start(argv, debug_env, tty);
    ck_assert_msg(p != NULL, "cannot start %s", argv[0]);
    return p;
}

/* The end of a long output (Check's messages are bounded). */
static const char *
tail_of(const char *out)
{
    size_t n = strlen(out);
    return n > 2500 ? out + n - 2500 : out;
}

#define EXPECT(p, needle, ms)                                                         \
    ck_assert_msg(ptyd_expect((p), (needle), (ms)), "no \"%s\" within %d ms; output:\n%s", \
                  (needle), (ms), tail_of(ptyd_transcript(p)))

/* Waits for the root's exit (status in *st) and checks that the whole
 * session, gdb included, ended with it. */
static void
finish(ptyd *p, int *st)
{
    int exited = ptyd_wait(p, st, STEP_MS);
    char *out = strdup(ptyd_transcript(p));
    int left = ptyd_close(p);
    ck_assert_msg(exited, "the root did not exit; output:\n%s", tail_of(out));
    ck_assert_msg(left == 0, "%d processes of the tree were left; output:\n%s", left,
                  tail_of(out));
    free(out);
}

/* ------------------------------------------------------------ with gdb */

/* Types cmd at gdb's prompt, waits for want in the answer and then, when
 * prompt, for the next prompt. */
static void
gdb_do(ptyd *p, const char *cmd, const char *want, int prompt)
{
    ck_assert_int_eq(ptyd_send(p, cmd), 0);
    EXPECT(p, want, STEP_MS);
    if (prompt)
        EXPECT(p, "(gdb) ", STEP_MS);
}

/* At a crash's prompt: bt starts in the function that faulted. */
static void
crash_bt(ptyd *p)
{
    EXPECT(p, "Program received signal SIGSEGV", GDB_MS);
    EXPECT(p, "(gdb) ", STEP_MS);
    gdb_do(p, "bt\n", "#0  ", 0);
    EXPECT(p, " in debug_crash_here (", STEP_MS);
    EXPECT(p, "debugmod_crash_impl", STEP_MS);
    EXPECT(p, "(gdb) ", STEP_MS);
}

/* The root's last line is want, it exits with code, and the whole tree,
 * gdb included, is gone with it. */
static void
end_with(ptyd *p, const char *want, int code)
{
    EXPECT(p, want, STEP_MS);
    int st;
    finish(p, &st);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == code, "root exit status 0x%x", st);
    itest_end();
}

/* The grandchild scenario: the leaf's crash stops in gdb at the fault
 * (env: one more NAME=value for the tree, or NULL). */
static void
grandchild_crash(const char *env)
{
    if (!gdb_usable())
        return;
    itest_begin();
    extra_env = env;
    ptyd *p = start("grandchild", 1);
    /* The root announces the session, then gdb stops at the fault. */
    EXPECT(p, "actr: debug: actor leaf.", GDB_MS);
    EXPECT(p, "stopped: SIGSEGV", STEP_MS);
    crash_bt(p);
    /* continue ends the session (gdb detaches and quits): the crash goes
     * on, the leaf dies of it, and the error travels up to the root as
     * it does without debug mode. */
    gdb_do(p, "continue\n", "detached]", 0);
    end_with(p, "ROOT ERROR", 1);
}

START_TEST(test_S25_grandchild_crash_stops_in_gdb_at_the_fault)
{
    grandchild_crash(NULL);
}
END_TEST

/* S25 with S28: links forced to be encrypted; the crash channel, whose
 * frames the signal handler writes raw, stays plain (authenticated). */
START_TEST(test_S25_S28_crash_in_an_encrypted_tree_stops_in_gdb)
{
    grandchild_crash("ACTR_ENCRYPT=on");
}
END_TEST

START_TEST(test_S25_two_crashes_get_the_terminal_in_turn)
{
    if (!gdb_usable())
        return;
    itest_begin();
    ptyd *p = start("two", 1);
    EXPECT(p, "actr: debug: actor ", GDB_MS);
    EXPECT(p, " stopped: SIGSEGV", STEP_MS);
    const char *first = strstr(ptyd_transcript(p), "actr: debug: actor ");
    char who1 = first[19];
    ck_assert_msg(who1 == 'a' || who1 == 'b', "first session for %.20s", first);
    crash_bt(p);
    /* The other one crashed too, and waits for the terminal. */
    usleep(500 * 1000);
    ck_assert_int_eq(ptyd_count(p, "gdb attaches on this terminal"), 1);
    ck_assert_int_eq(ptyd_send(p, "continue\n"), 0);
    char second[40];
    snprintf(second, sizeof second, "actr: debug: actor %c.", who1 == 'a' ? 'b' : 'a');
    EXPECT(p, second, GDB_MS);
    crash_bt(p);
    gdb_do(p, "continue\n", "detached]", 0);
    end_with(p, "ROOT ERROR", 1);
}
END_TEST

/* A pause in a child: gdb shows the caller of actr_pause with its
 * locals; ctrl_c: Ctrl-C in the session first, which only gdb sees (a
 * tree that got it would cancel the call). */
static void
pause_session(int ctrl_c)
{
    itest_begin();
    /* (this scenario turns debug mode on with actr_actor_opts.debug_mode) */
    ptyd *p = start("pause", 1);
    EXPECT(p, "stopped: actr_pause() in task 'debugmod:pause_then'", GDB_MS);
    EXPECT(p, " in debug_pause_here (marker=21) at ", GDB_MS);
    EXPECT(p, "(gdb) ", STEP_MS);
    if (ctrl_c)
        gdb_do(p, "\003", "Quit", 1);
    gdb_do(p, "print marker * 2\n", "= 42", 1);
    gdb_do(p, "continue\n", "detached]", 0);
    end_with(p, "ROOT RESULT 42", 0);
}

START_TEST(test_S25_pause_in_child_stops_at_its_caller)
{
    if (gdb_usable())
        pause_session(0);
}
END_TEST

START_TEST(test_S25_ctrl_c_in_a_session_goes_to_gdb_not_the_tree)
{
    if (gdb_usable())
        pause_session(1);
}
END_TEST

START_TEST(test_S25_teardown_waits_for_a_child_in_the_debugger)
{
    if (!gdb_usable())
        return;
    itest_begin();
    ptyd *p = start("teardown", 1);
    EXPECT(p, "actr: debug: actor kid.", GDB_MS);
    EXPECT(p, " stopped: ", STEP_MS);
    const char *at = strstr(ptyd_transcript(p), "actr: debug: actor kid.");
    const char *pidtext = strstr(at, "(pid ");
    int kid = pidtext ? atoi(pidtext + 5) : 0;
    ck_assert_int_gt(kid, 1);
    EXPECT(p, " in debug_pause_here (marker=21) at ", GDB_MS);
    EXPECT(p, "(gdb) ", STEP_MS);
    /* The root cancelled the kid's nursery meanwhile; past the whole
     * grace period of its teardown (0.5 s + 2 s + 1 s) the kid is still
     * here, stopped under gdb, neither signalled nor killed. */
    usleep(5000 * 1000);
    ck_assert_msg(!itest_pid_gone(kid, 0), "the kid (pid %d) was killed in the debugger", kid);
    gdb_do(p, "print marker * 2\n", "= 42", 1);
    /* The session ends: the teardown goes on, and the tree exits. */
    gdb_do(p, "continue\n", "detached]", 0);
    end_with(p, "ROOT RESULT 0", 0);
}
END_TEST

START_TEST(test_S25_failing_endpoint_stops_at_the_failing_frame)
{
    if (!gdb_usable())
        return;
    itest_begin();
    ptyd *p = start("fail", 1);
    EXPECT(p, "stopped: endpoint debugmod:fail failed: ValueError: bad value", GDB_MS);
    EXPECT(p, "in debug_fail_here", GDB_MS);
    EXPECT(p, "(gdb) ", STEP_MS);
    /* quit detaches: the failure is answered and reaches the root. */
    gdb_do(p, "quit\n", "detached]", 0);
    end_with(p, "ROOT ERROR bad value", 1);
}
END_TEST

/* ------------------------------------------------------------ without a terminal */

/* Runs scenario with no terminal at all (env: one more NAME=value, or
 * NULL); returns its output (malloc'd) once the root exited with status
 * code and the whole tree is gone. */
static char *
run_without_terminal(const char *scenario, const char *env, int code)
{
    itest_begin();
    extra_env = env;
    ptyd *p = start(scenario, 0);
    int st = 0;
    int exited = ptyd_wait(p, &st, GDB_MS);
    char *out = strdup(ptyd_transcript(p));
    int left = ptyd_close(p);
    ck_assert_msg(exited && left == 0, "exited %d, left %d; output:\n%s", exited, left,
                  tail_of(out));
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == code, "status %#x; output:\n%s", st,
                  tail_of(out));
    /* No debugger was started. */
    ck_assert_msg(!strstr(out, "gdb attaches"), "%s", tail_of(out));
    itest_end();
    return out;
}

#define HAS(out, needle) ck_assert_msg(strstr((out), (needle)), "no \"%s\" in:\n%s", \
                                       (needle), tail_of(out))

START_TEST(test_S25_no_terminal_crash_prints_every_task_and_goes_on)
{
    char *out = run_without_terminal("grandchild", NULL, 1);
    /* The crash, named, with every task of the leaf symbolized. */
    HAS(out, "actr: actor leaf.");
    HAS(out, ": SIGSEGV in task 'debugmod:crash'");
    HAS(out, "backtrace of every task");
    HAS(out, "#0  debug_crash_here at ");
    HAS(out, "bin/debug_actor.c:");
    HAS(out, "debugmod_crash_impl at ");
    HAS(out, "task 'accept'");
    HAS(out, "the loop");
    /* ...and the failure went on to the root. */
    HAS(out, "ROOT ERROR");
    free(out);
}
END_TEST

START_TEST(test_S25_no_terminal_failure_prints_backtraces_and_propagates)
{
    char *out = run_without_terminal("fail", NULL, 1);
    HAS(out, "stopped: endpoint debugmod:fail failed: ValueError: bad value");
    /* The stopped task starts at the failing frame. */
    HAS(out, "#0  debug_fail_here at ");
    HAS(out, "ROOT ERROR bad value");
    free(out);
}
END_TEST

START_TEST(test_S25_the_filter_chooses_which_failures_stop)
{
    /* The program's filter stops on no failure: the error goes its way
     * without a stop. */
    char *out = run_without_terminal("fail", "DEBUG_ACTOR_FILTER=none", 1);
    ck_assert_msg(!strstr(out, "stopped:"), "%s", tail_of(out));
    HAS(out, "ROOT ERROR bad value");
    free(out);
}
END_TEST

START_TEST(test_S25_the_root_debugs_only_the_asker_itself)
{
    /* An actor that asks the root's debugger for another process of the
     * tree is refused (gdb would attach to it and write into it). */
    char *out = run_without_terminal("forged", NULL, 0);
    HAS(out, "ROOT RESULT 1");
    free(out);
}
END_TEST

static int
pause_root(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    ck_assert_int_eq(actr_debug_mode(), 0);
    ck_assert_int_eq(actr_pause(), ACTR_ESTATE);
    return 0;
}

START_TEST(test_S25_pause_outside_debug_mode_is_refused)
{
    unsetenv("ACTR_DEBUG");
    ck_assert_int_eq(actr_pause(), ACTR_ESTATE);       /* outside an actor */
    itest_run_root(pause_root, NULL);
}
END_TEST

static Suite *
debug_suite(void)
{
    Suite *s = suite_create("debug");
    TCase *tc = tcase_create("gdb");
    tcase_set_timeout(tc, 300);
    ITEST_ADD(tc, test_S25_grandchild_crash_stops_in_gdb_at_the_fault);
    ITEST_ADD(tc, test_S25_two_crashes_get_the_terminal_in_turn);
    ITEST_ADD(tc, test_S25_S28_crash_in_an_encrypted_tree_stops_in_gdb);
    ITEST_ADD(tc, test_S25_pause_in_child_stops_at_its_caller);
    ITEST_ADD(tc, test_S25_ctrl_c_in_a_session_goes_to_gdb_not_the_tree);
    ITEST_ADD(tc, test_S25_failing_endpoint_stops_at_the_failing_frame);
    ITEST_ADD(tc, test_S25_teardown_waits_for_a_child_in_the_debugger);
    suite_add_tcase(s, tc);
    TCase *nt = tcase_create("no-terminal");
    tcase_set_timeout(nt, 120);
    ITEST_ADD(nt, test_S25_no_terminal_crash_prints_every_task_and_goes_on);
    ITEST_ADD(nt, test_S25_no_terminal_failure_prints_backtraces_and_propagates);
    ITEST_ADD(nt, test_S25_the_filter_chooses_which_failures_stop);
    ITEST_ADD(nt, test_S25_pause_outside_debug_mode_is_refused);
    ITEST_ADD(nt, test_S25_the_root_debugs_only_the_asker_itself);
    suite_add_tcase(s, nt);
    return s;
}

int
main(void)
{
    if (make_home() < 0) {
        perror("check_debug: mkdtemp");
        return 1;
    }
    ptrace_ok = ptrace_allowed();
    if (!ptrace_ok)
        fprintf(stderr, "check_debug: ptrace is not allowed here: the gdb tests are skipped\n");
    /* Children under a wrapper (make valgrind: valgrind) are the wrapper's
     * processes to gdb: a session shows valgrind, not the actor. */
    if (ptrace_ok && actr_env_get(ACTR_ENV_CHILD_WRAPPER)) {
        ptrace_ok = 0;
        fprintf(stderr, "check_debug: children run under ACTR_CHILD_WRAPPER: the gdb tests"
                " are skipped\n");
    }
    int rc = itest_run_suite(debug_suite());
    rmdir(home + 5);
    return rc;
}
