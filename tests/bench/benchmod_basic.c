/* benchmod's trivial endpoints, served by every benchmark program that
 * spawns itself as a child (bench_actor, bench_disc). */
#include <unistd.h>

#include <actr/actr.h>

#include "benchmod.actor.h"

int
benchmod_ping_impl(actr_call *call, int64_t x, int64_t *out)
{
    (void)call;
    *out = x + 1;
    return 0;
}

int
benchmod_pid_impl(actr_call *call, int64_t *out)
{
    (void)call;
    *out = (int64_t)getpid();
    return 0;
}
