/* The callee side of benchmod.actor, linked into every bench binary
 * (bench_actor, bench_hilevel spawn themselves as the child actor that
 * serves it). */
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

int
benchmod_session_impl(benchmod_session_call *call, int64_t x, int64_t *out)
{
    int rc = benchmod_session_call_started(call, x);
    if (rc < 0)
        return rc;
    *out = x + 1;
    return 0;
}

int
benchmod_flood_impl(benchmod_flood_call *call, uint64_t n, uint64_t *out)
{
    int rc = benchmod_flood_call_started(call, true);
    for (uint64_t i = 0; rc == 0 && (n == 0 || i < n); i++)
        rc = benchmod_flood_call_send(call, (int64_t)i);
    if (rc < 0)
        return rc;
    *out = n;
    return 0;
}

int
benchmod_echo_impl(benchmod_echo_call *call, uint64_t *out)
{
    int rc = benchmod_echo_call_started(call, true);
    uint64_t n = 0;
    int64_t v;
    while (rc == 0 && (rc = benchmod_echo_call_recv(call, &v)) == 0) {
        rc = benchmod_echo_call_send(call, v);
        n++;
    }
    if (rc != ACTR_EPIPE)
        return rc;
    *out = n;
    return 0;
}

int
benchmod_hold_impl(benchmod_hold_call *call, bool *out)
{
    int rc = benchmod_hold_call_started(call, true);
    int64_t v;
    while (rc == 0)
        rc = benchmod_hold_call_recv(call, &v);
    if (rc != ACTR_EPIPE)
        return rc;
    *out = true;
    return 0;
}
