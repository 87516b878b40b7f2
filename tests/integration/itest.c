/* Helpers of the integration suites (itest.h). */
#include "itest.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

const char *
itest_bin(const char *name)
{
    static char path[4096];
    const char *build = getenv("ACTR_TEST_BUILD");
    if (!build)
        build = ACTR_TEST_BUILD;
    if (build[0] == '/')
        snprintf(path, sizeof path, "%s/tests/bin/%s", build, name);
    else
        snprintf(path, sizeof path, "%s/%s/tests/bin/%s", ACTR_TEST_TOP, build, name);
    return path;
}

const actr_endpoint *
itest_ep(const char *name)
{
    const actr_endpoint *ep = actr_module_find(&testmod_module, name, strlen(name));
    ck_assert_msg(ep != NULL, "no endpoint testmod:%s", name);
    return ep;
}

actr_spawn_opts
itest_srv_opts(void)
{
    static const char *en[] = {"testmod"};
    actr_spawn_opts o = {.exe = itest_bin("actor_srv"), .enable = en, .nenable = 1};
    return o;
}

int
itest_root(actr_actor_fn fn, void *arg)
{
    static char *argv[] = {"itest", NULL};
    const actr_module *mods[] = {&testmod_module};
    actr_actor_opts o = {.name = "root", .modules = mods, .nmodules = 1};
    return actr_main(1, argv, &o, fn, arg);
}

int
itest_nfds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static int fds_at_begin;

void
itest_begin(void)
{
    fds_at_begin = itest_nfds();
}

void
itest_end(void)
{
    int st;
    errno = 0;
    pid_t p = waitpid(-1, &st, WNOHANG);
    ck_assert_msg(p == -1 && errno == ECHILD, "a child process is left (waitpid -> %d)", (int)p);
    ck_assert_int_eq(itest_nfds(), fds_at_begin);
}
