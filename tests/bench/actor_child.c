/* Children and transports of the actor benchmarks (actor_child.h). */
#include "actor_child.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
bench_run_child(int argc, char **argv, const actr_module *const *mods, size_t n, int *status)
{
    if (actr_is_child(argc, argv)) {
        actr_actor_opts o = {.modules = mods, .nmodules = n};
        *status = actr_main(argc, argv, &o, NULL, NULL) < 0 ? 1 : 0;
        return 1;
    }
    if (bench_base_is_child(argc, argv)) {
        *status = bench_base_child_main(argc, argv);
        return 1;
    }
    return 0;
}

int
bench_tpt_selected(bench_tpt t)
{
    const char *only = getenv("ACTR_BENCH_TPT");
    return !only || !*only || strcmp(only, bench_tpt_name(t)) == 0;
}

void
bench_run_root(bench_tpt t, const actr_module *const *mods, size_t n,
               int (*root)(actr_actor *self, void *arg), void *arg,
               const char *const *step, char **argv)
{
    static unsigned seq;
    char url[128];
    const char *listen[] = {url};
    if (t == BENCH_UNIX)
        snprintf(url, sizeof url, "unix:///tmp/actr-bench-%d-%u.sock", (int)getpid(), seq++);
    else
        snprintf(url, sizeof url, "tcp://127.0.0.1:0");
    actr_actor_opts o = {.name = "bench", .listen = listen, .nlisten = 1,
                         .modules = mods, .nmodules = n};
    int rc = actr_main(1, argv, &o, root, arg);
    if (rc < 0) {
        char what[96];
        snprintf(what, sizeof what, "actor %s (%s)", step && *step ? *step : "start",
                 bench_tpt_name(t));
        bench_fail(what, rc);
    }
}

int
bench_actor_main(int argc, char **argv, const actr_module *const *mods, size_t n,
                 unsigned limit_s, void (*fn)(bench_tpt t, int argc, char **argv))
{
    int status;
    if (bench_run_child(argc, argv, mods, n, &status))
        return status;
    if (bench_init(argc, argv, limit_s) < 0)
        bench_fail("usage: [pinned|unpinned]", ACTR_EINVAL);
    if (bench_tpt_selected(BENCH_TCP))
        fn(BENCH_TCP, argc, argv);
    if (bench_tpt_selected(BENCH_UNIX))
        fn(BENCH_UNIX, argc, argv);
    return 0;
}
