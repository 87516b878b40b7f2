/* The hilevel figures (issue 12), over TCP loopback and Unix sockets,
 * each next to a baseline of the same run (baseline.h):
 *  1. restart latency: a supervised service (a service manager's service
 *     with the permanent policy) is killed with SIGKILL; the figure is the
 *     time until it serves again as a client sees it: found again by name
 *     (actr_wait_for_actor through the registrar) and answering a call.
 *     With the default backoff (a first restart waits 5..10 ms) and with
 *     none. Baseline: posix_spawn of a libev + msgpack-c child that
 *     connects back and answers one call (the least a restart costs).
 * The program spawns itself as the service actor (actr_main in child
 * mode) and as the baseline child.
 *
 * usage: bench_hilevel [pinned|unpinned]   (default: $ACTR_BENCH_MODE) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <actr/actr.h>

#include "actor_child.h"
#include "baseline.h"
#include "benchmod.actor.h"

#define RESTART_REPS 9
#define SERVICE "victim"

static const actr_module *const modules[] = {&benchmod_module};

struct run {
    bench_tpt tpt;
    int64_t backoff_ms;            /* the supervisor's (-1: none) */
    bench_stat restart_ms;
};

/* The pid of the service, once it runs again (a new pid). */
static int64_t
running_pid(actr_service_mngr *m, int64_t old)
{
    actr_service_info i;
    int64_t pid = 0;
    if (actr_service_find(m, SERVICE, &i) == 0) {
        if (i.state == ACTR_SUP_RUNNING && i.pid != old)
            pid = i.pid;
        actr_service_info_clear(&i);
    }
    return pid;
}

/* SIGKILL -> found by name and answering a call, in ms. */
static double
one_restart(actr_service_mngr *m, int64_t *pid)
{
    int64_t t0 = bench_now_ns();
    if (kill((pid_t)*pid, SIGKILL) < 0)
        bench_fail("kill the service", ACTR_EIO);
    actr_portal *p = NULL;
    int64_t out = 0;
    int rc;
    /* The dead one may still be handed out once: call until one answers. */
    do {
        actr_portal_close(p);
        p = NULL;
        rc = actr_wait_for_actor(SERVICE, NULL, 0, &p);
        if (rc == 0)
            rc = benchmod_ping(p, 1, &out);
    } while (rc == ACTR_ECLOSED || rc == ACTR_ECONNREFUSED);
    int64_t t1 = bench_now_ns();
    if (rc < 0)
        bench_fail("the restarted service", rc);
    actr_portal_close(p);
    /* Ready for the next round: the manager's view has the new pid. */
    int64_t next;
    while ((next = running_pid(m, *pid)) == 0)
        if (actr_sleep(1) < 0)
            bench_fail("waiting for the restart", ACTR_ECANCELED);
    *pid = next;
    return (double)(t1 - t0) / 1e6;
}

static int
bench_root(actr_actor *self, void *arg)
{
    (void)self;
    struct run *r = arg;
    actr_service_mngr *m;
    /* Every kill is a first restart: a period of 1 ms forgets the last
     * one (no growing backoff, no intensity limit in the way). */
    actr_service_mngr_opts mo = {.sup = {.max_restarts = 1000, .period_ms = 1,
                                         .backoff_ms = r->backoff_ms}};
    int rc = actr_service_mngr_open(&mo, &m);
    if (rc < 0)
        return rc;
    static const char *enable[] = {"benchmod"};
    actr_service_opts so = {.spawn = {.enable = enable, .nenable = 1},
                            .restart = ACTR_RESTART_PERMANENT};
    rc = benchmod_hold_start_service(m, SERVICE, &so, NULL);
    int64_t pid = rc == 0 ? running_pid(m, 0) : 0;
    double v[RESTART_REPS];
    for (int i = 0; rc == 0 && i < RESTART_REPS; i++)
        v[i] = one_restart(m, &pid);
    if (rc == 0)
        bench_stat_of(v, RESTART_REPS, &r->restart_ms);
    int crc = actr_service_mngr_close(m);
    return rc < 0 ? rc : crc;
}

static void
measure(struct run *r, char **argv)
{
    char url[128];
    const char *reg[] = {url};
    if (r->tpt == BENCH_UNIX)
        snprintf(url, sizeof url, "unix:///tmp/actr-bench-hilevel-%d.sock", (int)getpid());
    else
        snprintf(url, sizeof url, "tcp://127.0.0.1:0");
    /* The root becomes the registrar (a free address) its service
     * registers with, and its children use the same transport. */
    actr_actor_opts o = {.name = "bench", .registry = reg, .nregistry = 1,
                         .modules = modules, .nmodules = 1};
    int rc = actr_main(1, argv, &o, bench_root, r);
    if (r->tpt == BENCH_UNIX)
        unlink(url + strlen("unix://"));
    if (rc < 0)
        bench_fail("the service manager", rc);
}

static void
bench_transport(bench_tpt t, char **argv)
{
    bench_spawn base;
    memset(&base, 0, sizeof base);
    const char *nobase = getenv("ACTR_BENCH_NOBASE");
    if ((!nobase || strcmp(nobase, "1") != 0) &&
        bench_base_spawn(t, RESTART_REPS, 1, &base) < 0)
        bench_fail("baseline spawn", ACTR_EIO);
    struct run dflt = {.tpt = t, .backoff_ms = 0}, none = {.tpt = t, .backoff_ms = -1};
    measure(&dflt, argv);
    measure(&none, argv);
    char name[96], bname[96];
    snprintf(bname, sizeof bname, "base_spawn_first_call_%s", bench_tpt_name(t));
    snprintf(name, sizeof name, "hilevel_restart_%s", bench_tpt_name(t));
    bench_report(name, &dflt.restart_ms, "ms", bname, &base.first_ms);
    snprintf(name, sizeof name, "hilevel_restart_nobackoff_%s", bench_tpt_name(t));
    bench_report(name, &none.restart_ms, "ms", bname, &base.first_ms);
}

int
main(int argc, char **argv)
{
    int status;
    if (bench_run_child(argc, argv, modules, 1, &status))
        return status;
    int rc = bench_init(argc, argv, 120);
    if (rc < 0)
        bench_fail("usage: bench_hilevel [pinned|unpinned]", rc);
    /* Quiet: a restart is a warning line each, and the registrar's probe
     * of a dying actor an error line. */
    actr_log_set_level(ACTR_LOG_ERROR + 10);
    if (bench_tpt_selected(BENCH_TCP))
        bench_transport(BENCH_TCP, argv);
    if (bench_tpt_selected(BENCH_UNIX))
        bench_transport(BENCH_UNIX, argv);
    return 0;
}
