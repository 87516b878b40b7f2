/* The actr tool as grpcurl for actors (issue 14): `actr call`, `actr
 * stream`, `actr endpoints`, `actr cancel` and `actr ps --tree` against
 * live actors found through a registrar, and their errors: each one line
 * on stderr and a non-zero exit (1: failed, 2: usage). Every test runs
 * under the case's timeout and checks no child or fd is left. */
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

#include "disc_helpers.h"

struct cli_t {
    const char *reg;
};

/* Runs `actr ARGS...` (NULL-terminated, at most 12), expecting status
 * want; hands back stdout (malloc'd) and checks stderr holds exactly
 * one line (or nothing when the command worked). */
static char *
tool(int want, const char *errpart, ...)
{
    char *argv[16] = {(char *)disc_prog("actr")};
    va_list ap;
    va_start(ap, errpart);
    int n = 1;
    for (const char *a; n < 15 && (a = va_arg(ap, const char *)) != NULL;)
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    char *out, *err;
    int st = disc_run(argv, &out, &err, 15000);
    ck_assert_msg(st == want, "actr %s %s: status %d, wanted %d\nstdout: %s\nstderr: %s",
                  argv[1], argv[2] ? argv[2] : "", st, want, out, err);
    if (want == 0) {
        ck_assert_msg(err[0] == '\0', "stderr: %s", err);
    } else {
        char *nl = strchr(err, '\n');
        ck_assert_msg(nl != NULL && nl[1] == '\0', "not one line: \"%s\"", err);
        ck_assert_msg(strstr(err, errpart) != NULL, "stderr: %s\nwanted: %s", err, errpart);
    }
    free(err);
    return out;
}

static void
expect_out(char *out, const char *want)
{
    ck_assert_msg(strcmp(out, want) == 0, "stdout:\n%s\nwanted:\n%s", out, want);
    free(out);
}

static int
remote_body(actr_actor *self, void *arg)
{
    (void)self;
    struct cli_t *t = arg;
    const char *R = t->reg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_portal *srv = disc_start_child(an, "srv", NULL, 0, R);
    char url[ACTR_ADDR_URL_MAX];
    char *out = tool(0, NULL, "call", "--registry", R, "srv", "testmod:url", NULL);
    ck_assert(sscanf(out, "\"%255[^\"]\"", url) == 1);
    free(out);

    /* call: key=value (numbers and strings), --json, by URL; JSON out. */
    expect_out(tool(0, NULL, "call", "--registry", R, "srv", "testmod:add", "a=40", "b=2",
                        NULL), "42\n");
    expect_out(tool(0, NULL, "call", "--registry", R, "srv", "testmod:add", "--json",
                        "{\"a\": -5, \"b\": 2}", NULL), "-3\n");
    expect_out(tool(0, NULL, "call", url, "testmod:whoami", NULL), "\"srv\"\n");
    expect_out(tool(0, NULL, "call", url, "testmod:nothing", NULL), "null\n");

    /* stream: one JSON value per line until the generator ends. */
    expect_out(tool(0, NULL, "stream", "--registry", R, "srv", "testmod:count", "n=3",
                        NULL), "0\n1\n2\n");

    /* endpoints: modules, kinds, parameters and types. */
    out = tool(0, NULL, "endpoints", "--registry", R, "srv", NULL);
    ck_assert_msg(strstr(out, "actor srv (") && strstr(out, "child of root (")
                  && strstr(out, "module testmod (namespace testmod)")
                  && strstr(out, "  fn      testmod:add(a: i64, b: i64) -> i64\n")
                  && strstr(out, "  gen     testmod:count(n: u32) yields i64\n")
                  && strstr(out, "  context testmod:echo(prefix: string) -> u64 { started: "
                                 "i64; stream: string <-> string; }\n"), "%s", out);
    free(out);
    out = tool(0, NULL, "endpoints", "--json", url, NULL);
    ck_assert_msg(strstr(out, "\"name\": \"add\"") && strstr(out, "\"kind\": \"gen\"")
                  && strstr(out, "\"type\": \"i64\""), "%s", out);
    free(out);

    /* The errors, one line each. */
    free(tool(1, "actr call: no actor named \"nobody\" is registered", "call",
                  "--registry", R, "nobody", "testmod:add", NULL));
    free(tool(1, "actr call: testmod:nope: AttributeError: ", "call", "--registry", R,
                  "srv", "testmod:nope", NULL));
    free(tool(1, "actr call: nomod:f: ModuleNotExposed: ", "call", url, "nomod:f", NULL));
    free(tool(2, "actr call: --json: invalid JSON at line 1", "call", url, "testmod:add",
                  "--json", "{\"a\": 1,", NULL));
    free(tool(2, "actr call: --json: the arguments must be a JSON object", "call", url,
                  "testmod:add", "--json", "[1, 2]", NULL));
    free(tool(1, "actr call: testmod:add: MsgTypeError: ", "call", url, "testmod:add",
                  "a=forty", "b=2", NULL));
    free(tool(1, "actr call: testmod:add: MsgTypeError: ", "call", url, "testmod:add",
                  "a=1", NULL));
    free(tool(2, "actr call: argument \"a\" is not key=value", "call", url,
                  "testmod:add", "a", NULL));
    free(tool(2, "actr call: \"add\" is not MODULE:FUNC", "call", url, "add", NULL));
    free(tool(1, "actr call: testmod:count is not a function endpoint", "call", url,
                  "testmod:count", "n=1", NULL));
    free(tool(1, "actr stream: testmod:add is not a generator endpoint", "stream", url,
                  "testmod:add", "a=1", "b=2", NULL));
    free(tool(1, "actr call: testmod:fail: ValueError: no luck", "call", url,
                  "testmod:fail", "type_name=ValueError", "message=no luck", NULL));
    free(tool(2, "actr endpoints: unknown option \"--frob\"", "endpoints", "--frob", url,
                  NULL));
    free(tool(1, "actr cancel: cannot reach an actor at unix:///nonexistent/x.sock",
                  "cancel", "unix:///nonexistent/x.sock", NULL));
    free(tool(2, "actr: unknown command \"frob\"", "frob", NULL));

    /* cancel: the actor acknowledges and goes; it is not found any more. */
    int64_t pid = 0;
    ck_assert_actr_ok(actr_portal_call(srv, actr_module_find(&testmod_module, "pid", 3), NULL,
                                       &pid));
    out = tool(0, NULL, "cancel", "--registry", R, "srv", NULL);
    ck_assert_msg(strncmp(out, "cancelled srv (", 15) == 0, "%s", out);
    free(out);
    ck_assert(itest_pid_gone((int)pid, 5000));
    free(tool(1, "no actor named \"srv\"", "endpoints", "--registry", R, "srv", NULL));

    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

/* Runs body as a root actor registered with a registrar of its own. */
static void
with_registrar(actr_actor_fn body)
{
    itest_begin();
    const char *l[] = {"tcp://127.0.0.1:0"};
    disc_proc r;
    disc_registrar_spawn(&r, l, 1);
    struct cli_t t = {r.urls[0]};
    const char *reg[] = {t.reg};
    ck_assert_int_eq(disc_root(reg, 1, body, &t), 0);
    disc_registrar_stop(&r);
    itest_end();
}

START_TEST(test_14_actr_call_stream_endpoints_cancel)
{
    with_registrar(remote_body);
}
END_TEST

/* ps --tree: two trees whose children have the same names are told
 * apart by their parents. */
static int
tree_body(actr_actor *self, void *arg)
{
    struct cli_t *t = arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_portal *w0 = disc_start_child(an, "worker-0", NULL, 0, t->reg);
    actr_portal *w1 = disc_start_child(an, "worker-1", NULL, 0, t->reg);
    char *out = tool(0, NULL, "ps", "--tree", "--registry", t->reg, NULL);
    char want0[200], want1[200], root[200];
    snprintf(root, sizeof root, "\nroot %*s", 0, "");
    snprintf(want0, sizeof want0, "\n|-- worker-0  %s", actr_portal_uuid(w0));
    snprintf(want1, sizeof want1, "\n`-- worker-1  %s", actr_portal_uuid(w1));
    const char *r = strstr(out, root);
    ck_assert_msg(r && strstr(r, actr_actor_uuid(self)), "%s", out);
    const char *a = strstr(out, want0), *b = strstr(out, want1);
    ck_assert_msg(a && b && r < a && a < b, "%s", out);
    free(out);
    out = tool(0, NULL, "ps", "--tree", "--json", "--registry", t->reg, NULL);
    char wantj[300];
    snprintf(wantj, sizeof wantj, "\"name\": \"worker-1\", \"uuid\": \"%s\", \"pid\": ",
             actr_portal_uuid(w1));
    char parentj[200];
    snprintf(parentj, sizeof parentj, "\"parent\": \"%s\"", actr_actor_uuid(self));
    const char *j = strstr(out, wantj);
    ck_assert_msg(j && strstr(j, parentj), "%s", out);
    free(out);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_14_actr_ps_tree)
{
    with_registrar(tree_body);
}
END_TEST

/* The commands of docs/quickstart.md, section 5, against the pool
 * example left serving (examples/pool --serve), registered with a test
 * registrar: the tree, a call, a stream, the endpoints, then `actr
 * cancel pool` ends the whole tree and the program exits 0. */
static int
pool_body(actr_actor *self, void *arg)
{
    (void)self;
    struct cli_t *t = arg;
    char exe[4096];
    snprintf(exe, sizeof exe, "%s", disc_prog("actr"));
    snprintf(strrchr(exe, '/'), sizeof exe - (size_t)(strrchr(exe, '/') - exe),
             "/examples/pool");
    ck_assert_int_eq(setenv("ACTR_REGISTRY", t->reg, 1), 0);
    char *argv[] = {exe, "--serve", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    ck_assert_int_eq(posix_spawn(&pid, exe, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 500 && !disc_listed(t->reg, "worker-2", NULL); i++)
        ck_assert_int_eq(actr_sleep(20), 0);

    char *out = tool(0, NULL, "ps", "--tree", NULL);
    const char *pool = strstr(out, "\npool "), *w0 = strstr(out, "\n|-- worker-0 "),
               *w2 = strstr(out, "\n`-- worker-2 ");
    ck_assert_msg(pool && w0 && w2 && pool < w0 && w0 < w2, "%s", out);
    free(out);
    expect_out(tool(0, NULL, "call", "worker-1", "pool:square", "n=12", NULL), "144\n");
    expect_out(tool(0, NULL, "stream", "worker-1", "pool:countdown", "from=3", NULL),
               "3\n2\n1\n");
    out = tool(0, NULL, "endpoints", "worker-1", NULL);
    ck_assert_msg(strstr(out, "child of pool (")
                  && strstr(out, "  context pool:work() -> u32 { stream: i64 <-> i64; }\n"),
                  "%s", out);
    free(out);
    out = tool(0, NULL, "cancel", "pool", NULL);
    ck_assert_msg(strncmp(out, "cancelled pool (", 16) == 0, "%s", out);
    free(out);
    int st = -1;
    ck_assert_int_eq(actr_child_wait(pid, &st, actr_now() + 10000), 0);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "pool ended with status %x", st);
    return 0;
}

START_TEST(test_14_cli_against_the_pool_example)
{
    with_registrar(pool_body);
}
END_TEST

/* Bash completion (installed by make install): commands, then options. */
START_TEST(test_14_bash_completion)
{
    itest_begin();
    FILE *f = popen("bash -c 'source " ACTR_TEST_TOP "/runtime/cli/actr.bash; "
                    "COMP_WORDS=(actr ca); COMP_CWORD=1; _actr; echo \"${COMPREPLY[*]}\"; "
                    "COMP_WORDS=(actr ps --t); COMP_CWORD=2; _actr; echo \"${COMPREPLY[*]}\"; "
                    "complete -p actr'", "r");
    ck_assert_ptr_nonnull(f);
    char out[256] = "";
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    ck_assert_int_eq(pclose(f), 0);
    ck_assert_str_eq(out, "call cancel\n--tree\ncomplete -F _actr actr\n");
    itest_end();
}
END_TEST

static Suite *
cli_remote_suite(void)
{
    Suite *s = suite_create("cli_remote");
    TCase *tc = tcase_create("cli_remote");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, disc_tmp_setup, disc_tmp_rm);
    tcase_add_test(tc, test_14_actr_call_stream_endpoints_cancel);
    tcase_add_test(tc, test_14_actr_ps_tree);
    tcase_add_test(tc, test_14_bash_completion);
    tcase_add_test(tc, test_14_cli_against_the_pool_example);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(cli_remote_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
