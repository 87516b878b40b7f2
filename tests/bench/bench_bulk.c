/* Large payloads (issue 19): a function call and a one-way context stream
 * carrying 64 KiB and 1 MiB `bytes` payloads, in MB/s of payload, each
 * next to a raw socket moving the same bytes in the same run
 * (baseline_bulk.c), over TCP loopback and Unix sockets. Every payload is
 * checked where it lands (payload.h: length, number and sum of all its
 * bytes), at the same cost on both sides of the comparison:
 *  - call: benchmod_sum(data) -> the payload's sum, checked by the caller;
 *  - stream: benchmod_blobs(n, size) streams n payloads to the opener,
 *    with a window of BULK_WINDOW payloads (S27: bounded memory).
 * The program spawns itself as the child actor.
 *
 * usage: bench_bulk [pinned|unpinned]   (default: $ACTR_BENCH_MODE) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <actr/actr.h>

#include "actor_child.h"
#include "baseline.h"
#include "benchmod.actor.h"
#include "payload.h"

#define REPS 5
#define BULK_WINDOW 16

struct size_case {
    size_t size;
    const char *name;
    long n_stream;              /* payloads per stream repetition */
    long n_call;                /* calls per repetition */
};

static const struct size_case cases[] = {
    {64 << 10, "64k", 2048, 1024},
    {1 << 20, "1m", 128, 64},
};
#define NCASES (sizeof cases / sizeof cases[0])

struct run {
    bench_tpt tpt;
    const char *step;
    bench_stat stream_mbs[NCASES], call_mbs[NCASES];
};

static const char *const enabled[] = {"benchmod"};
static const actr_spawn_opts child_opts = {.enable = enabled, .nenable = 1};

static int
stream_rep(actr_portal *p, const struct size_case *c, uint64_t base, double *mbs)
{
    benchmod_blobs *h;
    bool started;
    actr_ctx_opts o = {.window = BULK_WINDOW};
    int64_t t0 = bench_now_ns();
    CHECK(benchmod_blobs_open(p, (uint64_t)c->n_stream, (uint32_t)c->size, &o, &h, &started));
    int rc = 0;
    for (long i = 0; i < c->n_stream && rc == 0; i++) {
        actr_bytes b = {0};
        if ((rc = benchmod_blobs_recv(h, &b)) == 0)
            rc = bench_payload_check(b.ptr, b.len, c->size, (uint64_t)i, base);
        actr_bytes_free(&b);
    }
    uint64_t total = 0;
    if (rc == 0)
        rc = benchmod_blobs_result(h, &total);
    int crc = benchmod_blobs_close(h);
    CHECK(rc);
    CHECK(crc);
    if (total != (uint64_t)c->n_stream)
        return ACTR_EPROTO;
    *mbs = (double)c->n_stream * (double)c->size / ((double)(bench_now_ns() - t0) / 1e9) / 1e6;
    return 0;
}

static int
call_rep(actr_portal *p, const struct size_case *c, uint8_t *buf, uint64_t base, double *mbs)
{
    int64_t t0 = bench_now_ns();
    for (long i = 0; i < c->n_call; i++) {
        uint64_t sum;
        bench_payload_seq(buf, (uint64_t)i);
        CHECK(benchmod_sum(p, (actr_bytes){buf, c->size}, &sum));
        if (sum != base + (uint64_t)i)
            return ACTR_EPROTO;
    }
    *mbs = (double)c->n_call * (double)c->size / ((double)(bench_now_ns() - t0) / 1e9) / 1e6;
    return 0;
}

static int
fig_case(struct run *r, actr_portal *p, size_t k)
{
    const struct size_case *c = &cases[k];
    double st[REPS], ca[REPS], dummy;
    uint8_t *buf = malloc(c->size);
    if (!buf)
        return ACTR_ENOMEM;
    bench_payload_fill(buf, c->size, 0);
    uint64_t base = bench_payload_base(c->size);
    /* ACTR_BENCH_ONLY=stream or =call: that one alone (for profiling). */
    const char *only = getenv("ACTR_BENCH_ONLY");
    int do_stream = !only || !*only || strstr(only, "stream");
    int do_call = !only || !*only || strstr(only, "call");
    memset(st, 0, sizeof st);
    memset(ca, 0, sizeof ca);
    int rc = do_stream ? stream_rep(p, c, base, &dummy) : 0;      /* warm up */
    if (rc == 0 && do_call)
        rc = call_rep(p, c, buf, base, &dummy);
    for (int i = 0; i < REPS && rc == 0; i++) {
        if (do_stream)
            rc = stream_rep(p, c, base, &st[i]);
        if (rc == 0 && do_call)
            rc = call_rep(p, c, buf, base, &ca[i]);
    }
    free(buf);
    CHECK(rc);
    bench_stat_of(st, REPS, &r->stream_mbs[k]);
    bench_stat_of(ca, REPS, &r->call_mbs[k]);
    return 0;
}

static int
bench_root(actr_actor *self, void *arg)
{
    (void)self;
    struct run *r = arg;
    actr_actor_nursery *an;
    actr_portal *p;
    r->step = "spawn";
    CHECK(actr_actor_nursery_open(&an));
    int rc = actr_actor_nursery_start(an, "child", &child_opts, &p);
    for (size_t k = 0; k < NCASES && rc == 0; k++) {
        r->step = cases[k].name;
        rc = fig_case(r, p, k);
    }
    int crc = actr_actor_nursery_close(an);
    CHECK(rc);
    return crc;
}

static const actr_module *const modules[] = {&benchmod_module};

static void
bench_transport(bench_tpt t, int argc, char **argv)
{
    (void)argc;
    bench_stat raw_stream[NCASES], raw_call[NCASES];
    char name[96], bname[96];
    /* ACTR_BENCH_NOBASE=1: no raw sockets (ratios print as 0), for
     * profiling the framework alone. */
    const char *nobase = getenv("ACTR_BENCH_NOBASE");
    memset(raw_stream, 0, sizeof raw_stream);
    memset(raw_call, 0, sizeof raw_call);
    for (size_t k = 0; k < NCASES && !(nobase && strcmp(nobase, "1") == 0); k++) {
        const struct size_case *c = &cases[k];
        int rc = bench_base_sock_bulk(t, 0, REPS, c->n_stream, c->size, &raw_stream[k]);
        if (rc == 0)
            rc = bench_base_sock_bulk(t, 1, REPS, c->n_call, c->size, &raw_call[k]);
        if (rc < 0) {
            snprintf(name, sizeof name, "raw socket %s (%s)", c->name, bench_tpt_name(t));
            bench_fail(name, rc);
        }
    }
    struct run r = {.tpt = t};
    bench_run_root(t, modules, 1, bench_root, &r, &r.step, argv);
    const char *tp = bench_tpt_name(t);
    for (size_t k = 0; k < NCASES; k++) {
        snprintf(name, sizeof name, "actor_bulk_call_%s_%s", cases[k].name, tp);
        snprintf(bname, sizeof bname, "sock_bulk_call_%s_%s", cases[k].name, tp);
        bench_report(name, &r.call_mbs[k], "MB/s", bname, &raw_call[k]);
        snprintf(name, sizeof name, "actor_bulk_stream_%s_%s", cases[k].name, tp);
        snprintf(bname, sizeof bname, "sock_bulk_stream_%s_%s", cases[k].name, tp);
        bench_report(name, &r.stream_mbs[k], "MB/s", bname, &raw_stream[k]);
    }
}

int
main(int argc, char **argv)
{
    return bench_actor_main(argc, argv, modules, 1, 240, bench_transport);
}
