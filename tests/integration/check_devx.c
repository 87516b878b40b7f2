/* Children you can see and wrap, failures that speak (issue 13; SEMANTICS
 * S1, S2, S3, S14): a child runs from the program's real path, titled and
 * named after its actor, with nothing about it on its command line; it
 * can run under a wrapper; a child that dies unasked says how, to the log,
 * to its caller and to its nursery's close. */
#include "itest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* /proc/pid/<what> into buf (NULs of cmdline turned into spaces). */
static size_t
proc_read(long long pid, const char *what, char *buf, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%lld/%s", pid, what);
    int fd = open(path, O_RDONLY);
    ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    ck_assert_int_ge(n, 0);
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == 0)
            buf[i] = ' ';
    buf[n] = 0;
    return (size_t)n;
}

/* The parent pid of pid (field 4 of /proc/pid/stat). */
static long long
ppid_of(long long pid)
{
    char st[512];
    proc_read(pid, "stat", st, sizeof st);
    const char *end = strrchr(st, ')');
    ck_assert_ptr_nonnull(end);
    char state;
    long long ppid = 0;
    ck_assert_int_eq(sscanf(end + 1, " %c %lld", &state, &ppid), 2);
    return ppid;
}

/* The pid of our child process whose comm is name, or 0. */
static long long
child_named(const char *name)
{
    DIR *d = opendir("/proc");
    ck_assert_ptr_nonnull(d);
    long long found = 0;
    for (struct dirent *e; !found && (e = readdir(d));) {
        char *end;
        long long pid = strtoll(e->d_name, &end, 10);
        if (*end || pid <= 0)
            continue;
        char path[64], comm[64] = "";
        snprintf(path, sizeof path, "/proc/%lld/comm", pid);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        int ok = fgets(comm, sizeof comm, f) != NULL;
        fclose(f);
        comm[strcspn(comm, "\n")] = 0;
        if (ok && strcmp(comm, name) == 0 && ppid_of(pid) == getpid())
            found = pid;
    }
    closedir(d);
    return found;
}

/* ------------------------------------------------------------ S1: seen */

static int
body_seen(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    actr_portal *p;
    ck_assert_actr_ok(actr_actor_nursery_start(an, "worker-1", &so, &p));
    int64_t pid;
    ck_assert_actr_ok(actr_portal_call(p, itest_ep("pid"), NULL, &pid));
    /* comm: what pgrep and top match */
    char buf[4096];
    proc_read(pid, "comm", buf, sizeof buf);
    ck_assert_str_eq(buf, "worker-1\n");
    /* the title ps shows, and nothing else of the child on it: no uuid,
     * no parent address (other users can read a command line) */
    proc_read(pid, "cmdline", buf, sizeof buf);
    ck_assert_msg(strncmp(buf, "worker-1@", 9) == 0, "title: %s", buf);
    char uuid8[9];
    snprintf(uuid8, sizeof uuid8, "%s", actr_portal_uuid(p));
    ck_assert_msg(strstr(buf, actr_portal_uuid(p)) == NULL, "uuid on the command line: %s",
                  buf);
    char url[ACTR_ADDR_URL_MAX];
    ck_assert_int_gt(actr_actor_url(actr_self(), url, sizeof url), 0);
    ck_assert_msg(strstr(buf, url) == NULL, "parent address on the command line: %s", buf);
    ck_assert_msg(strstr(buf, "--actr-uuid") == NULL && strstr(buf, "--actr-parent") == NULL,
                  "child flags on the command line: %s", buf);
    /* a real executable (not /proc/self/exe), as valgrind needs */
    char exe[PATH_MAX], want[PATH_MAX], path[64];
    snprintf(path, sizeof path, "/proc/%lld/exe", (long long)pid);
    ssize_t n = readlink(path, exe, sizeof exe - 1);
    ck_assert_int_gt(n, 0);
    exe[n] = 0;
    ck_assert_ptr_nonnull(realpath(itest_bin("actor_srv"), want));
    ck_assert_str_eq(exe, want);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

/* Under ACTR_CHILD_WRAPPER (make valgrind) the process is the wrapper's. */
static int
wrapped(void)
{
    return actr_env_get(ACTR_ENV_CHILD_WRAPPER) != NULL;
}

START_TEST(test_S1_child_titled_and_named_after_its_actor)
{
    if (wrapped())
        return;
    itest_run_root(body_seen, NULL);
}
END_TEST

static int
body_self_exe(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    /* No exe: this very program, by its real path (so ps shows its
     * name, not "exe"). */
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_portal *p;
    ck_assert_actr_ok(actr_actor_nursery_start(an, "same", NULL, &p));
    long long pid = child_named("same");
    ck_assert_int_gt(pid, 0);
    char exe[PATH_MAX], self_exe[PATH_MAX], path[64];
    snprintf(path, sizeof path, "/proc/%lld/exe", pid);
    ssize_t n = readlink(path, exe, sizeof exe - 1);
    ck_assert_int_gt(n, 0);
    exe[n] = 0;
    n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    ck_assert_int_gt(n, 0);
    self_exe[n] = 0;
    ck_assert_str_eq(exe, self_exe);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S1_default_child_runs_this_programs_real_path)
{
    if (wrapped())
        return;
    itest_run_root(body_self_exe, NULL);
}
END_TEST

/* ------------------------------------------------------------ wrappers */

/* timeout(1) forks and waits for the program: the child's parent process
 * is the wrapper, which must not pass for an orphaned parent. */
static int
body_wrapper(actr_actor *self, void *arg)
{
    (void)self;
    const char *how = arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    if (strcmp(how, "opt") == 0)
        so.wrapper = "timeout 60";
    actr_portal *p;
    ck_assert_actr_ok(actr_actor_nursery_start(an, "wrapped", &so, &p));
    actr_str who = {0};
    ck_assert_actr_ok(actr_portal_call(p, itest_ep("whoami"), NULL, &who));
    ck_assert_str_eq(who.ptr, "wrapped");
    actr_codec_free(&actr_type_string, &who);
    int64_t pid;
    ck_assert_actr_ok(actr_portal_call(p, itest_ep("pid"), NULL, &pid));
    long long wrapper = ppid_of(pid);
    ck_assert_int_ne(wrapper, getpid());
    ck_assert_int_eq(ppid_of(wrapper), getpid());
    char comm[64];
    proc_read(wrapper, "comm", comm, sizeof comm);
    ck_assert_str_eq(comm, "timeout\n");
    /* the child exits when cancelled, then its wrapper: nothing is left */
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    ck_assert(itest_pid_gone((int)pid, 2000));
    return 0;
}

START_TEST(test_S1_spawn_option_runs_the_child_under_a_wrapper)
{
    if (wrapped())
        return;
    itest_run_root(body_wrapper, "opt");
}
END_TEST

START_TEST(test_S1_ACTR_CHILD_WRAPPER_runs_children_under_it)
{
    if (wrapped())
        return;
    setenv("ACTR_CHILD_WRAPPER", "timeout 60", 1);
    itest_run_root(body_wrapper, "env");
    unsetenv("ACTR_CHILD_WRAPPER");
}
END_TEST

static int
body_bad_wrapper(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    actr_portal *p;
    so.wrapper = "valgrind 'unbalanced";
    ck_assert_actr_err(actr_actor_nursery_start(an, "w", &so, &p), ACTR_EINVAL);
    ck_assert_ptr_nonnull(strstr(actr_last_error()->message, "bad child wrapper"));
    so.wrapper = "echo $(id)";
    ck_assert_actr_err(actr_actor_nursery_start(an, "w", &so, &p), ACTR_EINVAL);
    ck_assert_ptr_nonnull(strstr(actr_last_error()->message, "command substitution"));
    so.wrapper = "actr-no-such-wrapper --flag";
    ck_assert_actr_err(actr_actor_nursery_start(an, "w", &so, &p), ACTR_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(actr_last_error()->message, "actr-no-such-wrapper"));
    /* "" is no wrapper, whatever the environment says */
    setenv("ACTR_CHILD_WRAPPER", "actr-no-such-wrapper", 1);
    so.wrapper = "";
    ck_assert_actr_ok(actr_actor_nursery_start(an, "plain", &so, &p));
    unsetenv("ACTR_CHILD_WRAPPER");
    ck_assert_actr_err(actr_actor_nursery_start(an, "bad\nname", &so, &p), ACTR_EINVAL);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S2_bad_wrappers_and_names_are_clear_errors)
{
    itest_run_root(body_bad_wrapper, NULL);
}
END_TEST

/* A child started by hand with a bad boot record says why and exits. */
static int
run_child_by_hand(char *const argv[], char *err, size_t cap)
{
    int pipefd[2];
    ck_assert_int_eq(pipe(pipefd), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
    pid_t pid;
    ck_assert_int_eq(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    size_t n = 0;
    ssize_t r;
    while (n < cap - 1 && (r = read(pipefd[0], err + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    err[n] = 0;
    close(pipefd[0]);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    return st;
}

START_TEST(test_S2_a_bad_boot_record_is_refused_with_its_reason)
{
    itest_begin();
    char err[1024];
    /* an fd that is not open */
    char *a1[] = {(char *)itest_bin("actor_srv"), "--actr-child", "--actr-boot-fd", "77", NULL};
    int st = run_child_by_hand(a1, err, sizeof err);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) != 0);
    ck_assert_msg(strstr(err, "actr: bad child start: cannot read the boot record on fd 77"),
                  "%s", err);
    /* a record with a line it cannot take */
    int sp[2];
    ck_assert_int_eq(pipe(sp), 0);
    static const char rec[] = "name w\nuuid short\nparent tcp://127.0.0.1:9\n";
    ck_assert_int_eq(write(sp[1], rec, sizeof rec - 1), (ssize_t)sizeof rec - 1);
    close(sp[1]);
    char fd[16];
    snprintf(fd, sizeof fd, "%d", sp[0]);
    char *a2[] = {(char *)itest_bin("actor_srv"), "--actr-child", "--actr-boot-fd", fd, NULL};
    st = run_child_by_hand(a2, err, sizeof err);
    close(sp[0]);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) != 0);
    ck_assert_msg(strstr(err, "bad line in the boot record: \"uuid\""), "%s", err);
    /* nothing at all */
    char *a3[] = {(char *)itest_bin("actor_srv"), "--actr-child", NULL};
    st = run_child_by_hand(a3, err, sizeof err);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) != 0);
    ck_assert_msg(strstr(err, "a child needs a name, a uuid and its parent's address"), "%s",
                  err);
    itest_end();
}
END_TEST

/* ------------------------------------------------------------ deaths */

/* run_in_actor of a crashing function: its failure names the child, the
 * pid, the signal and the endpoint (S3: the nursery's close reports it). */
static int
body_run_crash(actr_actor *self, void *arg)
{
    (void)self;
    const char *how = arg;
    int sig = strcmp(how, "segv") == 0 ? SIGSEGV : SIGABRT;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    actr_portal *p;
    testmod_crash_args a = {itest_str(how)};
    test_expect_log("child 'crasher' (pid");
    ck_assert_actr_ok(actr_actor_nursery_run(an, "crasher", &so, itest_ep("crash"), &a, &p));
    ck_assert_actr_err(actr_actor_nursery_close(an), ACTR_ECLOSED);
    itest_assert_death("crasher", sig, "testmod:crash");
    return 0;
}

START_TEST(test_S3_run_in_actor_crash_reports_signal_and_endpoint)
{
    itest_run_root(body_run_crash, "segv");
    itest_run_root(body_run_crash, "abort");
}
END_TEST

/* A daemon child that exits with a status, unasked, while serving us. */
static int
body_exit_status(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    actr_portal *p;
    ck_assert_actr_ok(actr_actor_nursery_start(an, "quitter", &so, &p));
    testmod_crash_args a = {itest_str("exit")};
    test_expect_log("child 'quitter' (pid");
    ck_assert_actr_err(actr_portal_call(p, itest_ep("crash"), &a, NULL), ACTR_ECLOSED);
    const actr_error *e = actr_last_error();
    ck_assert_msg(strstr(e->message, "exited with status 3 while serving testmod:crash"),
                  "%s", e->message);
    ck_assert_str_eq(e->type_name, "ActorFailure");
    ck_assert_actr_err(actr_actor_nursery_close(an), ACTR_ECLOSED);
    ck_assert_msg(strstr(actr_last_error()->message, "child 'quitter' (pid ") &&
                  strstr(actr_last_error()->message, "exited with status 3"), "%s",
                  actr_last_error()->message);
    return 0;
}

START_TEST(test_S14_a_daemon_that_exits_unasked_is_reported_by_close)
{
    itest_run_root(body_exit_status, NULL);
}
END_TEST

/* Children that are asked to go (teardown, cancel_actor) say nothing at
 * WARNING or above, and close is clean (make check's log check fails the
 * suite on any unannounced WARNING). */
static int
body_asked(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_srv_opts();
    actr_portal *p1, *p2;
    ck_assert_actr_ok(actr_actor_nursery_start(an, "a1", &so, &p1));
    ck_assert_actr_ok(actr_actor_nursery_start(an, "a2", &so, &p2));
    ck_assert_int_eq(actr_portal_cancel_actor(p1), 1);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S14_children_asked_to_go_are_no_news)
{
    itest_run_root(body_asked, NULL);
}
END_TEST

/* ------------------------------------------------------------ root */

static int
body_root_fails(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    return actr_error_set(ACTR_EINVAL, "the root's own failure");
}

/* A root whose main task fails says so on stderr: type and message. */
START_TEST(test_S3_failing_root_prints_its_error)
{
    itest_begin();
    fflush(stderr);
    int saved = dup(2);
    char path[64];
    itest_tmpfile(path, sizeof path);
    int fd = open(path, O_WRONLY | O_TRUNC);
    ck_assert_int_ge(fd, 0);
    dup2(fd, 2);
    close(fd);
    int rc = itest_root(body_root_fails, NULL);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ck_assert_int_eq(rc, ACTR_EINVAL);
    char line[512];
    ck_assert_msg(itest_file_wait(path, "actr: root actor 'root' failed: ", line, sizeof line,
                                  0), "nothing printed");
    ck_assert_str_eq(line, "actr: root actor 'root' failed: ACTR_EINVAL: the root's own"
                           " failure");
    unlink(path);
    itest_end();
}
END_TEST

/* ------------------------------------------------------------ env */

/* Every variable of the table is documented where users look: the
 * README's Environment table and `actr --help`. */
START_TEST(test_env_vars_listed_in_readme_and_help)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/README.md", ACTR_TEST_TOP);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    static char readme[1 << 17];
    size_t n = fread(readme, 1, sizeof readme - 1, f);
    fclose(f);
    readme[n] = 0;
    char cmd[4200], help[8192];
    snprintf(cmd, sizeof cmd, "%s --help", itest_bin("../../actr"));
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    n = fread(help, 1, sizeof help - 1, p);
    help[n] = 0;
    ck_assert_int_eq(pclose(p), 0);
    size_t nv;
    const actr_env_info *v = actr_env_list(&nv);
    ck_assert_uint_eq(nv, ACTR_ENV_COUNT);
    for (size_t i = 0; i < nv; i++) {
        char row[96];
        snprintf(row, sizeof row, "| `%s` |", v[i].name);
        ck_assert_msg(strstr(readme, row), "README.md does not list %s", v[i].name);
        snprintf(row, sizeof row, "  %s=", v[i].name);
        ck_assert_msg(strstr(help, row), "actr --help does not list %s", v[i].name);
    }
}
END_TEST

/* A bad value is warned about once, and the default is used. */
START_TEST(test_env_bad_value_warned_once)
{
    setenv("ACTR_FLOW_CONTROL", "maybe", 1);
    test_expect_log("actr: ignoring ACTR_FLOW_CONTROL=maybe (not a switch; accepted: on|off)");
    ck_assert_int_eq(actr_env_bool(ACTR_ENV_FLOW_CONTROL, 1), 1);
    ck_assert_int_eq(actr_env_bool(ACTR_ENV_FLOW_CONTROL, 0), 0);
    setenv("ACTR_FLOW_CONTROL", "OFF", 1);
    ck_assert_int_eq(actr_env_bool(ACTR_ENV_FLOW_CONTROL, 1), 0);
    unsetenv("ACTR_FLOW_CONTROL");
    ck_assert_ptr_null(actr_env_get(ACTR_ENV_FLOW_CONTROL));
}
END_TEST

static Suite *
devx_suite(void)
{
    Suite *s = suite_create("devx");
    TCase *tc = tcase_create("devx");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_S1_child_titled_and_named_after_its_actor);
    tcase_add_test(tc, test_S1_default_child_runs_this_programs_real_path);
    tcase_add_test(tc, test_S1_spawn_option_runs_the_child_under_a_wrapper);
    tcase_add_test(tc, test_S1_ACTR_CHILD_WRAPPER_runs_children_under_it);
    tcase_add_test(tc, test_S2_bad_wrappers_and_names_are_clear_errors);
    tcase_add_test(tc, test_S2_a_bad_boot_record_is_refused_with_its_reason);
    tcase_add_test(tc, test_S3_run_in_actor_crash_reports_signal_and_endpoint);
    tcase_add_test(tc, test_S14_a_daemon_that_exits_unasked_is_reported_by_close);
    tcase_add_test(tc, test_S14_children_asked_to_go_are_no_news);
    tcase_add_test(tc, test_S3_failing_root_prints_its_error);
    tcase_add_test(tc, test_env_vars_listed_in_readme_and_help);
    tcase_add_test(tc, test_env_bad_value_warned_once);
    suite_add_tcase(s, tc);
    return s;
}

int
main(int argc, char **argv)
{
    /* this program is also the child of test_S1_default_child_... */
    if (actr_is_child(argc, argv))
        return actr_main(argc, argv, NULL, NULL, NULL) < 0;
    return itest_run_suite(devx_suite());
}
