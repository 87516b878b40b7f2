/* docs/quickstart.md cannot rot (issue 14): its files, extracted from the
 * markdown exactly as printed (a fenced block whose info string names a
 * file: ```c main.c), are built with its Makefile through pkg-config only
 * and run: once against this source tree (build/actr-uninstalled.pc) and
 * once against a private `make install`. Each step runs under a timeout;
 * no child is left. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef ACTR_TEST_SAN
#define ACTR_TEST_SAN 0
#endif

static char tmp[64];

/* Runs a shell command from the top of the tree, without the calling
 * make's jobserver; returns its status and its output (malloc'd). */
static int
sh(char **out, const char *fmt, ...)
{
    char cmd[4096], full[4600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "cd '%s' && unset MAKEFLAGS MFLAGS MAKELEVEL && "
             "{ %s ; } 2>&1", ACTR_TEST_TOP, cmd);
    FILE *p = popen(full, "r");
    ck_assert_ptr_nonnull(p);
    size_t cap = 4096, len = 0, n;
    char *buf = malloc(cap);
    while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0)
        if ((len += n) + 2 > cap)
            buf = realloc(buf, cap *= 2);
    buf[len] = '\0';
    int st = pclose(p);
    *out = buf;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Extracts the quickstart's files into dir; asserts all three came. */
static void
extract(const char *dir)
{
    char *out;
    int rc = sh(&out, "mkdir -p %s && awk -v dir=%s '"
                "/^```[a-z]+ [^ ]+$/ { f = dir \"/\" $2; printf \"\" > f; next } "
                "/^```/ { f = \"\"; next } "
                "f != \"\" { print >> f }' docs/quickstart.md && "
                "ls %s/shout.actor %s/main.c %s/Makefile", dir, dir, dir, dir, dir);
    ck_assert_msg(rc == 0, "extracting: %s", out);
    free(out);
}

/* Builds dir with `make` (pkg-config from pcdir) and runs ./app. */
static void
build_and_run(const char *dir, const char *pcdir)
{
    const char *san = ACTR_TEST_SAN ? "-fsanitize=address,undefined -fno-omit-frame-pointer"
                                    : "";
    char *out;
    int rc = sh(&out, "PKG_CONFIG_PATH=%s PATH=/usr/bin:/bin CFLAGS='%s' LDFLAGS='%s' "
                "timeout -k 5 120 make -C %s", pcdir, san, san, dir);
    ck_assert_msg(rc == 0, "make in %s: %s", dir, out);
    free(out);
    rc = sh(&out, "cd %s && ACTR_REGISTRY=none timeout -k 5 60 ./app", dir);
    ck_assert_msg(rc == 0, "./app: %s", out);
    ck_assert_msg(strcmp(out, "child says: hello, quickstart\n"
                              "structured -> STRUCTURED\n"
                              "concurrency -> CONCURRENCY\n"
                              "in C -> IN C\n"
                              "the child shouted 3 times\n") == 0, "./app printed:\n%s", out);
    free(out);
    /* make clean removes what it built */
    rc = sh(&out, "PKG_CONFIG_PATH=%s make -s -C %s clean && test ! -e %s/app && "
            "test ! -e %s/gen/shout.actor.h", pcdir, dir, dir, dir);
    ck_assert_msg(rc == 0, "make clean: %s", out);
    free(out);
}

START_TEST(test_14_quickstart_builds_against_the_source_tree)
{
    char dir[128], pc[512];
    snprintf(dir, sizeof dir, "%s/tree", tmp);
    extract(dir);
    snprintf(pc, sizeof pc, "%s/%s", ACTR_TEST_TOP, ACTR_TEST_BUILD);
    build_and_run(dir, pc);
}
END_TEST

START_TEST(test_14_quickstart_builds_against_an_install)
{
    char dir[128], pc[512], *out;
    snprintf(dir, sizeof dir, "%s/installed", tmp);
    extract(dir);
    int rc = sh(&out, "timeout -k 5 300 make -s install BUILD=%s SAN=%d PREFIX=%s/root",
                ACTR_TEST_BUILD, ACTR_TEST_SAN, tmp);
    ck_assert_msg(rc == 0, "make install: %s", out);
    free(out);
    snprintf(pc, sizeof pc, "%s/root/lib/pkgconfig", tmp);
    build_and_run(dir, pc);
}
END_TEST

static void
setup(void)
{
    strcpy(tmp, "/tmp/actr-quickstart-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void
teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp);
}

int
main(void)
{
    Suite *s = suite_create("quickstart");
    TCase *tc = tcase_create("quickstart");
    tcase_set_timeout(tc, 600);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_14_quickstart_builds_against_the_source_tree);
    tcase_add_test(tc, test_14_quickstart_builds_against_an_install);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
