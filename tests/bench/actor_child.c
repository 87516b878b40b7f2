/* Children and transports of the actor benchmarks (actor_child.h). */
#include "actor_child.h"

#include <stdlib.h>
#include <string.h>

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
