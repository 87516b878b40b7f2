/* Many actors at once (issue 19), over TCP loopback and Unix sockets:
 *  - fan-out: one actor (the root) streams the same sequence to FANOUT
 *    subscribed actors, each its own process holding a sink context
 *    (window 1024); aggregate messages per second taken by all of them,
 *    next to the same program with one subscriber;
 *  - many pairs: K independent pairs of actors (K = the CPUs this process
 *    may use), each a child that streams PAIR_N values from a child of its
 *    own (the flood of bench_actor), all at once; aggregate messages per
 *    second, next to one pair alone. Actors are processes, so this scales
 *    with the cores (unpinned; pinned mode puts them all on one CPU).
 * Every value is checked where it lands (sequence numbers, counts).
 *
 * usage: bench_fanout [pinned|unpinned]   (default: $ACTR_BENCH_MODE) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <actr/actr.h>

#include "actor_child.h"
#include "baseline.h"
#include "benchmod.actor.h"

#define REPS 3
#define FANOUT 100
#define FANOUT_N 3000          /* values to each subscriber per repetition */
#define ONE_N 300000           /* values to the one subscriber per repetition */
#define PAIR_N 300000          /* values per pair per repetition */
#define MAX_PAIRS 64

struct run {
    const char *step;
    int pairs;                 /* K */
    bench_stat fan1, fan, pair1, pairk;
};

static const char *const enabled[] = {"benchmod"};
static const actr_spawn_opts child_opts = {.enable = enabled, .nenable = 1};

/* One repetition of the fan-out to ps[0..k): a sink opened on each, n
 * values to every one of them, each sink done; aggregate Mmsg/s from the
 * first value sent to the last sink's result (every value taken). */
static int
fan_rep(actr_portal **ps, int k, long n, double *mmsgs)
{
    benchmod_sink **subs = calloc((size_t)k, sizeof *subs);
    if (!subs)
        return ACTR_ENOMEM;
    int open = 0, rc = 0;
    while (open < k && rc == 0) {
        bool started;
        if ((rc = benchmod_sink_open(ps[open], NULL, &subs[open], &started)) == 0)
            open++;
    }
    int64_t t0 = bench_now_ns();
    for (long i = 0; i < n && rc == 0; i++)
        for (int j = 0; j < k && rc == 0; j++)
            rc = benchmod_sink_send(subs[j], i);
    for (int j = 0; j < open; j++) {
        uint64_t got = 0;
        int drc = rc == 0 ? benchmod_sink_done(subs[j]) : 0;
        if (rc == 0 && drc == 0 && (rc = benchmod_sink_result(subs[j], &got)) == 0 &&
            got != (uint64_t)n)
            rc = ACTR_EPROTO;
        int crc = benchmod_sink_close(subs[j]);
        if (rc == 0)
            rc = drc < 0 ? drc : crc;
    }
    int64_t t1 = bench_now_ns();
    free(subs);
    CHECK(rc);
    *mmsgs = (double)n * k / ((double)(t1 - t0) / 1e9) / 1e6;
    return 0;
}

static int
fan_fig(actr_portal **ps, int k, bench_stat *out)
{
    double rate[REPS], dummy;
    CHECK(fan_rep(ps, k, FANOUT_N / 10, &dummy));         /* warm up */
    for (int r = 0; r < REPS; r++)
        CHECK(fan_rep(ps, k, FANOUT_N, &rate[r]));
    bench_stat_of(rate, REPS, out);
    return 0;
}

/* The same with one subscriber (as many values as all of them get). */
static int
fan_fig1(actr_portal **ps, bench_stat *out)
{
    double rate[REPS], dummy;
    CHECK(fan_rep(ps, 1, ONE_N / 10, &dummy));
    for (int r = 0; r < REPS; r++)
        CHECK(fan_rep(ps, 1, ONE_N, &rate[r]));
    bench_stat_of(rate, REPS, out);
    return 0;
}

static int
fig_fanout(struct run *r)
{
    actr_portal **ps = calloc(FANOUT, sizeof *ps);
    if (!ps)
        return ACTR_ENOMEM;
    actr_actor_nursery *an;
    int rc = actr_actor_nursery_open(&an);
    if (rc < 0) {
        free(ps);
        return rc;
    }
    char name[32];
    for (int i = 0; i < FANOUT && rc == 0; i++) {
        snprintf(name, sizeof name, "sub%d", i);
        rc = actr_actor_nursery_start(an, name, &child_opts, &ps[i]);
    }
    if (rc == 0 && (r->step = "fan-out to 1", 1))
        rc = fan_fig1(ps, &r->fan1);
    if (rc == 0 && (r->step = "fan-out", 1))
        rc = fan_fig(ps, FANOUT, &r->fan);
    int crc = actr_actor_nursery_close(an);
    free(ps);
    CHECK(rc);
    return crc;
}

/* One repetition of k pairs at once, pair j kept to CPU cpu[j] (-1:
 * anywhere): aggregate Mmsg/s from the first go to the last result. */
static int
pairs_rep(actr_portal **ps, int k, const int32_t *cpu, double *mmsgs)
{
    benchmod_pair *h[MAX_PAIRS];
    int open = 0, rc = 0;
    while (open < k && rc == 0) {
        bool started;
        if ((rc = benchmod_pair_open(ps[open], PAIR_N, cpu[open], NULL, &h[open], &started)) == 0)
            open++;
    }
    int64_t t0 = bench_now_ns();
    for (int j = 0; j < open && rc == 0; j++)
        rc = benchmod_pair_send(h[j], 0);                 /* go */
    for (int j = 0; j < open; j++) {
        uint64_t ns = 0;
        int rrc = rc == 0 ? benchmod_pair_result(h[j], &ns) : 0;
        int crc = benchmod_pair_close(h[j]);
        if (rc == 0)
            rc = rrc < 0 ? rrc : crc;
    }
    CHECK(rc);
    *mmsgs = (double)PAIR_N * k / ((double)(bench_now_ns() - t0) / 1e9) / 1e6;
    return 0;
}

/* Pairs alternate between one (on CPU 0) and k (pair j on CPU j), so that
 * both see the same machine. Pinned mode keeps them all where they are:
 * on the one CPU of the run. */
static int
fig_pairs(struct run *r)
{
    actr_portal *ps[MAX_PAIRS];
    int32_t cpu[MAX_PAIRS];
    int pinned = bench_mode_get() == BENCH_PINNED;
    for (int j = 0; j < r->pairs; j++)
        cpu[j] = pinned ? -1 : j;
    actr_actor_nursery *an;
    CHECK(actr_actor_nursery_open(&an));
    int rc = 0;
    char name[32];
    for (int i = 0; i < r->pairs && rc == 0; i++) {
        snprintf(name, sizeof name, "pair%d", i);
        rc = actr_actor_nursery_start(an, name, &child_opts, &ps[i]);
    }
    double one[REPS], many[REPS], dummy;
    if (rc == 0 && (r->step = "one pair", 1))
        rc = pairs_rep(ps, 1, cpu, &dummy);               /* warm up */
    for (int i = 0; i < REPS && rc == 0; i++) {
        r->step = "one pair";
        if ((rc = pairs_rep(ps, 1, cpu, &one[i])) == 0 && (r->step = "pairs", 1))
            rc = pairs_rep(ps, r->pairs, cpu, &many[i]);
    }
    int crc = actr_actor_nursery_close(an);
    CHECK(rc);
    CHECK(crc);
    bench_stat_of(one, REPS, &r->pair1);
    bench_stat_of(many, REPS, &r->pairk);
    return 0;
}

static int
bench_root(actr_actor *self, void *arg)
{
    (void)self;
    struct run *r = arg;
    r->step = "spawn subscribers";
    CHECK(fig_fanout(r));
    r->step = "spawn pairs";
    return fig_pairs(r);
}

static const actr_module *const modules[] = {&benchmod_module};

/* K: the machine's CPUs (in pinned mode too, where they share one). */
static int
cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_PAIRS ? MAX_PAIRS : (int)n;
}

static void
bench_transport(bench_tpt t, int argc, char **argv)
{
    (void)argc;
    struct run r = {.pairs = cpus()};
    bench_run_root(t, modules, 1, bench_root, &r, &r.step, argv);
    const char *tp = bench_tpt_name(t);
    char name[96], bname[96];
    snprintf(name, sizeof name, "actor_fanout%d_%s", FANOUT, tp);
    snprintf(bname, sizeof bname, "actor_fanout1_%s", tp);
    bench_report(name, &r.fan, "Mmsg/s", bname, &r.fan1);
    printf("# pairs: K = %d (the CPUs), each pair on its own CPU unless pinned\n", r.pairs);
    snprintf(name, sizeof name, "actor_pairs_%s", tp);
    snprintf(bname, sizeof bname, "actor_pair1_%s", tp);
    bench_report(name, &r.pairk, "Mmsg/s", bname, &r.pair1);
}

int
main(int argc, char **argv)
{
    return bench_actor_main(argc, argv, modules, 1, 240, bench_transport);
}
