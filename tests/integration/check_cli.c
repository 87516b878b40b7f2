/* The command-line tools: `actr ps` (table, JSON, no registrar) and
 * actr-registrar's own behaviour (S19, S20). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "disc_helpers.h"

struct pst {
    const char *reg;
    char dead[200];
};

static int
ps_body(actr_actor *self, void *arg)
{
    struct pst *t = arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    char sock[200];
    snprintf(sock, sizeof sock, "unix://%s/gamma.sock", disc_tmp());
    const char *bind[] = {sock, "tcp://127.0.0.1:0"};
    actr_portal *g = disc_start_child(an, "gamma", bind, 2, t->reg);
    int64_t pid = 0;
    ck_assert_actr_ok(actr_portal_call(g, actr_module_find(&testmod_module, "pid", 3), NULL,
                                       &pid));
    char spid[32];
    snprintf(spid, sizeof spid, "%lld", (long long)pid);

    /* The table: a header, one line per actor with its addresses. */
    char *out, *err;
    char *argv[] = {(char *)disc_prog("actr"), "ps", "--registry", (char *)t->reg, NULL};
    ck_assert_int_eq(disc_run(argv, &out, &err, 10000), 0);
    ck_assert_msg(strncmp(out, "NAME ", 5) == 0, "no header: %s", out);
    ck_assert_ptr_nonnull(strstr(out, "ADDRESSES"));
    const char *line = strstr(out, "\ngamma ");
    ck_assert_msg(line != NULL, "gamma not listed: %s", out);
    const char *eol = strchr(line + 1, '\n');
    char row[1024];
    snprintf(row, sizeof row, "%.*s", (int)(eol - line - 1), line + 1);
    ck_assert_msg(strstr(row, actr_portal_uuid(g)) && strstr(row, spid) && strstr(row, sock) &&
                  strstr(row, "tcp://127.0.0.1:"), "row: %s", row);
    ck_assert_msg(strstr(out, "\nroot ") && strstr(out, actr_actor_uuid(self)), "%s", out);
    free(out);
    free(err);

    /* JSON for scripts. */
    char *jargv[] = {(char *)disc_prog("actr"), "ps", "--json", "--registry", (char *)t->reg,
                     NULL};
    ck_assert_int_eq(disc_run(jargv, &out, &err, 10000), 0);
    char want[600];
    snprintf(want, sizeof want, "{\"name\": \"gamma\", \"uuid\": \"%s\", \"pid\": %s, \"addrs\": [\"%s\", \"tcp://127.0.0.1:",
             actr_portal_uuid(g), spid, sock);
    ck_assert_msg(strstr(out, want), "json: %s\nwant: %s", out, want);
    ck_assert(out[0] == '[' && strstr(out, "]\n"));
    ck_assert_ptr_nonnull(strstr(out, "{\"name\": \"registrar\""));
    free(out);
    free(err);

    /* No registrar answers: a clear error and exit status 1. */
    char *dargv[] = {(char *)disc_prog("actr"), "ps", "--registry", t->dead, NULL};
    ck_assert_int_eq(disc_run(dargv, &out, &err, 10000), 1);
    ck_assert_msg(strstr(err, "no registry answered at") && strstr(err, t->dead), "%s", err);
    ck_assert_str_eq(out, "");
    free(out);
    free(err);

    /* A malformed address: one clear line naming it, exit status 1. */
    char *bargv[] = {(char *)disc_prog("actr"), "ps", "--registry", "garbage", NULL};
    ck_assert_int_eq(disc_run(bargv, &out, &err, 10000), 1);
    ck_assert_msg(strstr(err, "bad registry address \"garbage\"") && !strstr(err, "ERROR"),
                  "%s", err);
    free(out);
    free(err);

    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S20_actr_ps_table_and_json)
{
    itest_begin();
    const char *l1[] = {"tcp://127.0.0.1:0"};
    disc_proc r1;
    disc_registrar_spawn(&r1, l1, 1);
    struct pst t = {r1.urls[0], ""};
    snprintf(t.dead, sizeof t.dead, "unix://%s/nobody.sock", disc_tmp());
    const char *reg[] = {t.reg};
    ck_assert_int_eq(disc_root(reg, 1, ps_body, &t), 0);
    disc_registrar_stop(&r1);
    itest_end();
}
END_TEST

/* actr-registrar listens on several addresses at once (a second
 * registrar on a taken address fails clearly), and stops on SIGINT too. */
START_TEST(test_S19_registrar_program_multihomed)
{
    itest_begin();
    char sock[200];
    snprintf(sock, sizeof sock, "unix://%s/reg.sock", disc_tmp());
    const char *l[] = {"tcp://127.0.0.1:0", sock};
    disc_proc r;
    disc_registrar_spawn(&r, l, 2);
    ck_assert_int_eq(r.nurls, 2);
    ck_assert_str_eq(r.urls[1], sock);
    /* actr ps reaches it through either address. */
    for (int i = 0; i < 2; i++) {
        char cmd[600], out[2048] = "";
        snprintf(cmd, sizeof cmd, "%s ps --registry %s", disc_prog("actr"), r.urls[i]);
        FILE *f = popen(cmd, "r");
        size_t n = fread(out, 1, sizeof out - 1, f);
        out[n] = 0;
        ck_assert_int_eq(pclose(f), 0);
        ck_assert_msg(strstr(out, r.urls[0]) && strstr(out, sock), "%s", out);
    }
    /* The same address again: refused, status 1. */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "%s --listen %s 2>/dev/null", disc_prog("actr-registrar"), sock);
    ck_assert_int_eq(WEXITSTATUS(system(cmd)), 1);
    /* SIGINT stops it cleanly as well. */
    kill(r.pid, SIGINT);
    r.pid = -r.pid;                           /* already signalled */
    int st = 0;
    pid_t pid = -r.pid;
    for (int i = 0; i < 500 && waitpid(pid, &st, WNOHANG) == 0; i++)
        usleep(10000);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ck_assert_int_eq(access(sock + 7, F_OK), -1);   /* its socket file is gone */
    itest_end();
}
END_TEST

static Suite *
cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 30);
    /* One temporary directory for the whole case, removed by the runner
     * even when a test fails. */
    tcase_add_unchecked_fixture(tc, disc_tmp_setup, disc_tmp_rm);
    tcase_add_test(tc, test_S20_actr_ps_table_and_json);
    tcase_add_test(tc, test_S19_registrar_program_multihomed);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(cli_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
