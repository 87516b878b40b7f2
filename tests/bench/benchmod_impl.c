/* The callee side of benchmod.actor, linked into every bench binary
 * (bench_actor, bench_hilevel spawn themselves as the child actor that
 * serves it). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <actr/actr.h>

#include "benchmod.actor.h"
#include "payload.h"

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

int
benchmod_sum_impl(actr_call *call, actr_bytes data, uint64_t *out)
{
    (void)call;
    *out = bench_payload_sum(data.ptr, data.len);
    return 0;
}

int
benchmod_blobs_impl(benchmod_blobs_call *call, uint64_t n, uint32_t size, uint64_t *out)
{
    if (size < 8)
        return ACTR_EINVAL;
    uint8_t *buf = malloc(size);
    if (!buf)
        return ACTR_ENOMEM;
    bench_payload_fill(buf, size, 0);
    int rc = benchmod_blobs_call_started(call, true);
    for (uint64_t i = 0; rc == 0 && i < n; i++) {
        bench_payload_seq(buf, i);
        rc = benchmod_blobs_call_send(call, (actr_bytes){buf, size});
    }
    free(buf);
    if (rc < 0)
        return rc;
    *out = n;
    return 0;
}

int
benchmod_sink_impl(benchmod_sink_call *call, uint64_t *out)
{
    int rc = benchmod_sink_call_started(call, true);
    uint64_t n = 0;
    int64_t v;
    while (rc == 0 && (rc = benchmod_sink_call_recv(call, &v)) == 0) {
        if (v != (int64_t)n++)
            return ACTR_EPROTO;
    }
    if (rc != ACTR_EPIPE)
        return rc;
    *out = n;
    return 0;
}

static const char *const pair_enable[] = {"benchmod"};

/* The child's flood of n values, taken and checked. */
static int
pair_flood(actr_portal *p, uint64_t n)
{
    benchmod_flood *h;
    bool started;
    int rc = benchmod_flood_open(p, n, NULL, &h, &started);
    if (rc < 0)
        return rc;
    int64_t v;
    for (uint64_t i = 0; rc == 0 && i < n; i++) {
        rc = benchmod_flood_recv(h, &v);
        if (rc == 0 && v != (int64_t)i)
            rc = ACTR_EPROTO;
    }
    uint64_t total = 0;
    if (rc == 0)
        rc = benchmod_flood_result(h, &total);
    int crc = benchmod_flood_close(h);
    if (rc == 0 && total != n)
        rc = ACTR_EPROTO;
    return rc < 0 ? rc : crc;
}

int
benchmod_pair_impl(benchmod_pair_call *call, uint64_t n, int32_t cpu, uint64_t *out)
{
    actr_actor_nursery *an;
    actr_portal *p;
    actr_spawn_opts o = {.enable = pair_enable, .nenable = 1};
    if (cpu >= 0) {
        /* The child spawned next inherits it. */
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) < 0)
            return ACTR_EINVAL;
    }
    int rc = actr_actor_nursery_open(&an);
    if (rc < 0)
        return rc;
    rc = actr_actor_nursery_start(an, "pair", &o, &p);
    int64_t go;
    struct timespec t0, t1;
    if (rc == 0)
        rc = benchmod_pair_call_started(call, true);
    if (rc == 0)
        rc = benchmod_pair_call_recv(call, &go);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (rc == 0)
        rc = pair_flood(p, n);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int crc = actr_actor_nursery_close(an);
    if (rc < 0 || crc < 0)
        return rc < 0 ? rc : crc;
    *out = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
    return 0;
}
