/* The actor figures (issue 8), each next to a baseline measured in the
 * same run (baseline.h), over TCP loopback and Unix sockets:
 *  1. function call round trip through the typed stub benchmod_ping on a
 *     portal (median of repetitions and p99) vs libev + msgpack-c doing
 *     Start -> StartAck + Return;
 *  2. context open + started + result + close vs the same round trip;
 *  3. one-way stream on a context (messages/s, MB/s) vs the libev +
 *     msgpack-c stream;
 *  4. bidirectional echo on a context stream vs libev + msgpack-c echo;
 *  5. spawn: start_actor -> first answered call, and the full cycle
 *     through teardown and reap, vs posix_spawn of a libev + msgpack-c
 *     child that connects back and answers one call;
 *  6. figure 1 with 1, 100 and 10,000 other contexts open on the channel
 *     (vs the 1-context figure), and 100 actors in one tree each called
 *     once (vs 100 baseline children);
 *  7. resident memory of an idle child (vs the baseline child) and the
 *     memory added per open context, both sides;
 *  8. cancel latency: from actr_ctx_cancel on a flooding context to the
 *     opener's reader seeing ContextCancelled (vs a call round trip);
 *  9. S27 flow control: figure 3 with a window of 64 and of 1024 (vs the
 *     unwindowed figure 3 of the same run), and a slow receiver (10 us of
 *     work per message) under a fast sender with a window of 64: the
 *     messages it lost (0) and the growth of the sender's resident memory
 *     while it streams (vs the idle child's).
 * Everything goes through the public API a user calls: generated stubs,
 * actor nurseries, portals, contexts. The program spawns itself as the
 * child actor (actr_main in child mode) and as the baseline child.
 *
 * usage: bench_actor [pinned|unpinned]   (default: $ACTR_BENCH_MODE) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <actr/actr.h>

#include "actor_child.h"
#include "baseline.h"
#include "benchmod.actor.h"

#define REPS 5
#define N_CALL 4000            /* round trips per repetition (figs 1, 6) */
#define N_SESSION 1500         /* dialogs per repetition (fig 2) */
#define N_FLOOD 300000         /* stream messages per repetition (fig 3) */
#define N_ECHO 4000            /* echo round trips per repetition (fig 4) */
#define SPAWN_REPS 7           /* fig 5 */
#define TREE 100               /* actors in the tree (fig 6) */
#define TREE_REPS 3
#define MAX_CTX 10000          /* open contexts (figs 6, 7) */
#define CANCEL_REPS 9          /* fig 8 */

/* ------------------------------------------------------------ caller */

/* What one transport's run measured. */
struct run {
    bench_tpt tpt;
    const char *step;              /* the figure being measured */
    double *samples;               /* N_CALL latencies */
    bench_stat call_us, call_p99;
    bench_stat sess_us;
    bench_stat flood_mmsgs, flood_mb;
    bench_stat echo_krt;
    bench_stat spawn_first_ms, spawn_cycle_ms;
    bench_stat scale_us[3], scale_p99[3];
    bench_stat tree_ms;
    double child_rss_kib, ctx_callee_kib, ctx_caller_kib;
    bench_stat cancel_us, cancel_ack_us;
    bench_stat win64_mmsgs, win1024_mmsgs;
    double slow_lost, slow_rss_growth_kib;
};

/* ACTR_BENCH_ONLY="stream,cancel" measures only the figures named (for
 * profiling one of them); ACTR_BENCH_TPT=tcp|unix only one transport. */
static int
want(const char *fig)
{
    const char *only = getenv("ACTR_BENCH_ONLY");
    return !only || !*only || strstr(only, fig) != NULL;
}

static const int scale_levels[3] = {1, 100, MAX_CTX};

static const char *const enabled[] = {"benchmod"};
static const actr_spawn_opts child_opts = {.enable = enabled, .nenable = 1};

/* One repetition of n stub calls: the mean and the p99 in microseconds. */
static int
calls(actr_portal *p, int n, double *samples, double *mean, double *p99)
{
    int64_t t0 = bench_now_ns(), prev = t0;
    for (int i = 0; i < n; i++) {
        int64_t out;
        CHECK(benchmod_ping(p, i, &out));
        if (out != i + 1)
            return ACTR_EPROTO;
        int64_t now = bench_now_ns();
        samples[i] = (double)(now - prev) / 1e3;
        prev = now;
    }
    *mean = (double)(prev - t0) / n / 1e3;
    *p99 = bench_quantile(samples, (size_t)n, 0.99);
    return 0;
}

static int
fig_calls(struct run *r, actr_portal *p, bench_stat *mean, bench_stat *p99)
{
    double m[REPS], q[REPS], dummy;
    CHECK(calls(p, N_CALL / 10, r->samples, &dummy, &dummy));   /* warm up */
    for (int i = 0; i < REPS; i++)
        CHECK(calls(p, N_CALL, r->samples, &m[i], &q[i]));
    bench_stat_of(m, REPS, mean);
    bench_stat_of(q, REPS, p99);
    return 0;
}

static int
sessions(actr_portal *p, int n, double *mean)
{
    int64_t t0 = bench_now_ns();
    for (int i = 0; i < n; i++) {
        benchmod_session *h;
        int64_t started, result;
        CHECK(benchmod_session_open(p, i, NULL, &h, &started));
        int rc = benchmod_session_result(h, &result);
        int crc = benchmod_session_close(h);
        CHECK(rc);
        CHECK(crc);
        if (started != i || result != i + 1)
            return ACTR_EPROTO;
    }
    *mean = (double)(bench_now_ns() - t0) / n / 1e3;
    return 0;
}

static int
fig_sessions(actr_portal *p, bench_stat *out)
{
    double m[REPS], dummy;
    CHECK(sessions(p, N_SESSION / 10, &dummy));
    for (int i = 0; i < REPS; i++)
        CHECK(sessions(p, N_SESSION, &m[i]));
    bench_stat_of(m, REPS, out);
    return 0;
}

/* Bytes of Yield{cid: <36 chars>, pld: i} frames for i in [0, n), as
 * actr encodes them: the MB/s of figure 3. */
static double
flood_bytes(long n)
{
    static const char cid[] = "00000000-0000-4000-8000-000000000000";
    uint8_t pld[9];
    actr_msg m;
    memset(&m, 0, sizeof m);
    m.type = ACTR_MSG_YIELD;
    m.u.yield.cid = (actr_str){(char *)cid, sizeof cid - 1};
    actr_wbuf b = ACTR_WBUF_INIT;
    double total = 0;
    /* Only the size of the integer changes: one frame per size class. */
    static const long edges[] = {0, 128, 256, 65536, 4294967296L};
    for (int k = 0; k < 5 && edges[k] < n; k++) {
        long lo = edges[k], hi = k < 4 && edges[k + 1] < n ? edges[k + 1] : n;
        size_t len = lo < 128 ? 1 : lo < 256 ? 2 : lo < 65536 ? 3 : 5;
        pld[0] = len == 1 ? 0 : len == 2 ? 0xcc : len == 3 ? 0xcd : 0xce;
        memset(pld + 1, 0xff, sizeof pld - 1);
        m.u.yield.pld = (actr_any){pld, len};
        b.len = 0;
        if (actr_msg_encode(&m, &b) < 0)
            break;
        total += (double)b.len * (double)(hi - lo);
    }
    actr_wbuf_destroy(&b);
    return total;
}

/* Ends a flood: its result (the count the callee sent) must be n. */
static int
flood_end(benchmod_flood *h, int rc, uint64_t n)
{
    uint64_t total = 0;
    if (rc == 0)
        rc = benchmod_flood_result(h, &total);
    int crc = benchmod_flood_close(h);
    CHECK(rc);
    CHECK(crc);
    return total == n ? 0 : ACTR_EPROTO;
}

static int
flood(actr_portal *p, long n, uint32_t window, double *mmsgs)
{
    benchmod_flood *h;
    bool started;
    actr_ctx_opts o = {.window = window};
    int64_t t0 = bench_now_ns();
    CHECK(benchmod_flood_open(p, (uint64_t)n, window ? &o : NULL, &h, &started));
    int rc = 0;
    for (long i = 0; i < n && rc == 0; i++) {
        int64_t v;
        rc = benchmod_flood_recv(h, &v);
        if (rc == 0 && v != i)
            rc = ACTR_EPROTO;
    }
    CHECK(flood_end(h, rc, (uint64_t)n));
    *mmsgs = (double)n / ((double)(bench_now_ns() - t0) / 1e9) / 1e6;
    return 0;
}

static int
fig_flood(struct run *r, actr_portal *p)
{
    double rate[REPS], mb[REPS], dummy;
    double per_msg = flood_bytes(N_FLOOD) / N_FLOOD;
    CHECK(flood(p, N_FLOOD / 10, 0, &dummy));
    for (int i = 0; i < REPS; i++) {
        CHECK(flood(p, N_FLOOD, 0, &rate[i]));
        mb[i] = rate[i] * per_msg;
    }
    bench_stat_of(rate, REPS, &r->flood_mmsgs);
    bench_stat_of(mb, REPS, &r->flood_mb);
    return 0;
}

/* Figure 9: the same stream through a window of 64 and of 1024,
 * alternating with each other so that both see the same machine. */
static int
fig_flood_windows(struct run *r, actr_portal *p)
{
    double w64[REPS], w1024[REPS], dummy;
    CHECK(flood(p, N_FLOOD / 10, 64, &dummy));
    for (int i = 0; i < REPS; i++) {
        CHECK(flood(p, N_FLOOD, 64, &w64[i]));
        CHECK(flood(p, N_FLOOD, 1024, &w1024[i]));
    }
    bench_stat_of(w64, REPS, &r->win64_mmsgs);
    bench_stat_of(w1024, REPS, &r->win1024_mmsgs);
    return 0;
}

static int child_rss(actr_portal *p, double *kib);

/* About us microseconds of work, without giving up the CPU. */
static void
work_us(int us)
{
    int64_t until = bench_now_ns() + (int64_t)us * 1000;
    while (bench_now_ns() < until)
        ;
}

/* Figure 9, slow receiver: SLOW_N messages, 10 us of work per message
 * here, a window of 64; the sender's resident memory is read halfway. */
#define SLOW_N 20000
static int
fig_slow_receiver(struct run *r, actr_portal *p)
{
    double rss0, rss1;
    CHECK(child_rss(p, &rss0));
    benchmod_flood *h;
    bool started;
    actr_ctx_opts o = {.window = 64};
    CHECK(benchmod_flood_open(p, SLOW_N, &o, &h, &started));
    int rc = 0;
    long got = 0;
    int64_t v;
    while (rc == 0 && (rc = benchmod_flood_recv(h, &v)) == 0) {
        if (v != got++)
            rc = ACTR_EPROTO;
        work_us(10);
        if (got == SLOW_N / 2)
            rc = child_rss(p, &rss1);
    }
    if (rc == ACTR_EPIPE)
        rc = 0;
    r->slow_lost = (double)(SLOW_N - got) + (double)actr_ctx_overruns(benchmod_flood_base(h));
    r->slow_rss_growth_kib = rss1 > rss0 ? rss1 - rss0 : 0;
    return flood_end(h, rc, SLOW_N);
}

static int
echoes(benchmod_echo *h, int n, int64_t *seq, double *krt)
{
    int64_t t0 = bench_now_ns();
    for (int i = 0; i < n; i++) {
        int64_t v;
        CHECK(benchmod_echo_send(h, *seq));
        CHECK(benchmod_echo_recv(h, &v));
        if (v != (*seq)++)
            return ACTR_EPROTO;
    }
    *krt = (double)n / ((double)(bench_now_ns() - t0) / 1e9) / 1e3;
    return 0;
}

static int
fig_echo(struct run *r, actr_portal *p)
{
    benchmod_echo *h;
    bool started;
    double rate[REPS], dummy;
    int64_t seq = 0;
    CHECK(benchmod_echo_open(p, NULL, &h, &started));
    int rc = echoes(h, N_ECHO / 10, &seq, &dummy);
    for (int i = 0; i < REPS && rc == 0; i++)
        rc = echoes(h, N_ECHO, &seq, &rate[i]);
    uint64_t n = 0;
    if (rc == 0 && (rc = benchmod_echo_done(h)) == 0)
        rc = benchmod_echo_result(h, &n);
    int crc = benchmod_echo_close(h);
    CHECK(rc);
    CHECK(crc);
    if (n != (uint64_t)seq)
        return ACTR_EPROTO;
    bench_stat_of(rate, REPS, &r->echo_krt);
    return 0;
}

static int
fig_spawn(struct run *r)
{
    double first[SPAWN_REPS], cycle[SPAWN_REPS];
    for (int i = 0; i < SPAWN_REPS; i++) {
        actr_actor_nursery *an;
        actr_portal *p;
        int64_t out = 0;
        int64_t t0 = bench_now_ns();
        CHECK(actr_actor_nursery_open(&an));
        int rc = actr_actor_nursery_start(an, "spawned", &child_opts, &p);
        if (rc == 0)
            rc = benchmod_ping(p, 1, &out);
        int64_t t1 = bench_now_ns();
        int crc = actr_actor_nursery_close(an);
        int64_t t2 = bench_now_ns();
        CHECK(rc);
        CHECK(crc);
        if (out != 2)
            return ACTR_EPROTO;
        first[i] = (double)(t1 - t0) / 1e6;
        cycle[i] = (double)(t2 - t0) / 1e6;
    }
    bench_stat_of(first, SPAWN_REPS, &r->spawn_first_ms);
    bench_stat_of(cycle, SPAWN_REPS, &r->spawn_cycle_ms);
    return 0;
}

static int
fig_tree(struct run *r)
{
    double ms[TREE_REPS];
    actr_portal **ps = calloc(TREE, sizeof *ps);
    if (!ps)
        return ACTR_ENOMEM;
    int rc = 0;
    for (int k = 0; k < TREE_REPS && rc == 0; k++) {
        actr_actor_nursery *an;
        int64_t t0 = bench_now_ns();
        if ((rc = actr_actor_nursery_open(&an)) < 0)
            break;
        char name[32];
        for (int i = 0; i < TREE && rc == 0; i++) {
            snprintf(name, sizeof name, "leaf%d", i);
            rc = actr_actor_nursery_start(an, name, &child_opts, &ps[i]);
        }
        for (int i = 0; i < TREE && rc == 0; i++) {
            int64_t out;
            rc = benchmod_ping(ps[i], i, &out);
            if (rc == 0 && out != i + 1)
                rc = ACTR_EPROTO;
        }
        int crc = actr_actor_nursery_close(an);
        if (rc == 0)
            rc = crc;
        ms[k] = (double)(bench_now_ns() - t0) / 1e6;
    }
    free(ps);
    if (rc == 0)
        bench_stat_of(ms, TREE_REPS, &r->tree_ms);
    return rc;
}

static int
child_rss(actr_portal *p, double *kib)
{
    int64_t pid;
    CHECK(benchmod_pid(p, &pid));
    return bench_rss_kib((pid_t)pid, kib);
}

/* Figure 1 again with 1, 100 and MAX_CTX hold contexts open on the same
 * channel; the memory they add on both sides. */
static int
fig_scale(struct run *r, actr_portal *p)
{
    benchmod_hold **hs = calloc(MAX_CTX, sizeof *hs);
    if (!hs)
        return ACTR_ENOMEM;
    int open = 0, rc = 0;
    double callee0 = 0, callee1 = 0, caller0 = 0, caller1 = 0;
    if ((rc = child_rss(p, &callee0)) == 0)
        rc = bench_rss_kib(0, &caller0);
    for (int lv = 0; lv < 3 && rc == 0; lv++) {
        while (open < scale_levels[lv] && rc == 0) {
            bool started;
            if ((rc = benchmod_hold_open(p, NULL, &hs[open], &started)) == 0)
                open++;
        }
        if (rc == 0 && open == MAX_CTX && (rc = child_rss(p, &callee1)) == 0)
            rc = bench_rss_kib(0, &caller1);
        if (rc == 0)
            rc = fig_calls(r, p, &r->scale_us[lv], &r->scale_p99[lv]);
    }
    for (int i = 0; i < open; i++) {
        int crc = benchmod_hold_close(hs[i]);
        if (rc == 0)
            rc = crc;
    }
    free(hs);
    if (rc == 0) {
        /* the first reading was taken with no context open */
        r->ctx_callee_kib = (callee1 - callee0) / MAX_CTX;
        r->ctx_caller_kib = (caller1 - caller0) / MAX_CTX;
    }
    return rc;
}

struct drain {
    benchmod_flood *h;
    long got;
    int rc;
    int64_t seen;          /* when the reader saw the end */
};

static int
drain_task(void *arg)
{
    struct drain *d = arg;
    int64_t v;
    int rc;
    while ((rc = benchmod_flood_recv(d->h, &v)) == 0)
        d->got++;
    d->seen = bench_now_ns();
    d->rc = rc;
    return 0;
}

/* One cancel of a flooding context while a reader task drains it: the
 * time until the reader sees ContextCancelled, and until actr_ctx_cancel
 * returns (its CancelAck), both in microseconds. */
static int
cancel_once(actr_portal *p, double *seen_us, double *ack_us)
{
    struct drain d = {0};
    bool started;
    /* The reader keeps up, but a burst must not end the flood early. */
    actr_ctx_opts o = {.allow_overruns = 1};
    CHECK(benchmod_flood_open(p, 0, &o, &d.h, &started));
    actr_nursery *n;
    int64_t t0 = 0, t1 = 0;
    int rc = actr_nursery_open(&n);
    if (rc == 0) {
        if ((rc = actr_nursery_spawn(n, drain_task, &d)) == 0) {
            while (d.got < 2000 && d.seen == 0 && rc == 0)
                rc = actr_sleep(1);
            t0 = bench_now_ns();
            if (rc == 0)
                rc = benchmod_flood_cancel(d.h);
            t1 = bench_now_ns();
        }
        int crc = actr_nursery_close(n, actr_deadline_in(10000));
        if (rc == 0)
            rc = crc;
    }
    uint64_t total;
    int rrc = benchmod_flood_result(d.h, &total);
    (void)benchmod_flood_close(d.h);    /* after our own cancel: nothing new */
    CHECK(rc);
    if (d.rc != ACTR_ECTXCANCEL || rrc != ACTR_ECTXCANCEL) {
        fprintf(stderr, "bench_actor: cancel: the reader got %s, result %s\n",
                actr_errname(d.rc), actr_errname(rrc));
        return ACTR_EPROTO;
    }
    *seen_us = (double)(d.seen - t0) / 1e3;
    *ack_us = (double)(t1 - t0) / 1e3;
    return 0;
}

static int
fig_cancel(struct run *r, actr_portal *p)
{
    double seen[CANCEL_REPS], acked[CANCEL_REPS];
    for (int i = 0; i < CANCEL_REPS; i++)
        CHECK(cancel_once(p, &seen[i], &acked[i]));
    bench_stat_of(seen, CANCEL_REPS, &r->cancel_us);
    bench_stat_of(acked, CANCEL_REPS, &r->cancel_ack_us);
    return 0;
}

static int
bench_root(actr_actor *self, void *arg)
{
    (void)self;
    struct run *r = arg;
    r->step = "spawn";
    if (want("spawn"))
        CHECK(fig_spawn(r));

    actr_actor_nursery *an;
    actr_portal *p;
    CHECK(actr_actor_nursery_open(&an));
    int rc = actr_actor_nursery_start(an, "child", &child_opts, &p);
    if (rc == 0) {
        r->step = "idle child rss";
        int64_t out;
        rc = benchmod_ping(p, 0, &out);         /* served once, then idle */
        if (rc == 0)
            rc = child_rss(p, &r->child_rss_kib);
    }
    if (rc == 0 && want("call") && (r->step = "call", 1))
        rc = fig_calls(r, p, &r->call_us, &r->call_p99);
    if (rc == 0 && want("session") && (r->step = "session", 1))
        rc = fig_sessions(p, &r->sess_us);
    if (rc == 0 && want("stream") && (r->step = "stream", 1))
        rc = fig_flood(r, p);
    if (rc == 0 && want("window") && (r->step = "window", 1))
        rc = fig_flood_windows(r, p);
    if (rc == 0 && want("slow") && (r->step = "slow receiver", 1))
        rc = fig_slow_receiver(r, p);
    if (rc == 0 && want("echo") && (r->step = "echo", 1))
        rc = fig_echo(r, p);
    if (rc == 0 && want("cancel") && (r->step = "cancel", 1))
        rc = fig_cancel(r, p);
    if (rc == 0 && want("scale") && (r->step = "scale", 1))
        rc = fig_scale(r, p);
    int crc = actr_actor_nursery_close(an);
    CHECK(rc);
    CHECK(crc);
    r->step = "tree";
    return want("tree") ? fig_tree(r) : 0;
}

/* ------------------------------------------------------------ main */

static const actr_module *const modules[] = {&benchmod_module};

static void
must(int rc, const char *what, bench_tpt t)
{
    if (rc < 0) {
        char buf[96];
        snprintf(buf, sizeof buf, "baseline %s (%s)", what, bench_tpt_name(t));
        bench_fail(buf, rc);
    }
}

/* Round trips per second (thousands) from round-trip times (us). */
static bench_stat
krt_of(const bench_stat *us)
{
    bench_stat s = {1e3 / us->median, 1e3 / us->max, 1e3 / us->min};
    return s;
}

static bench_stat
one(double v)
{
    bench_stat s = {v, v, v};
    return s;
}

static void
report(const char *fig, bench_tpt t, const bench_stat *v, const char *unit,
       const char *base, const bench_stat *b)
{
    char name[96], bname[96];
    snprintf(name, sizeof name, "actor_%s_%s", fig, bench_tpt_name(t));
    if (strcmp(base, "none") == 0)
        snprintf(bname, sizeof bname, "none");
    else
        snprintf(bname, sizeof bname, "%s_%s", base, bench_tpt_name(t));
    bench_report(name, v, unit, bname, b);
}

static void
bench_transport(bench_tpt t, int argc, char **argv)
{
    bench_rtt ev_call, ev_echo;
    bench_stream ev_stream;
    bench_spawn base1, base_tree;
    double base_rss;
    memset(&ev_call, 0, sizeof ev_call);
    memset(&ev_echo, 0, sizeof ev_echo);
    memset(&ev_stream, 0, sizeof ev_stream);
    memset(&base1, 0, sizeof base1);
    memset(&base_tree, 0, sizeof base_tree);
    base_rss = 0;
    /* ACTR_BENCH_NOBASE=1: no baselines (their ratios print as 0), for
     * profiling the framework alone. */
    const char *nobase = getenv("ACTR_BENCH_NOBASE");
    if (!nobase || strcmp(nobase, "1") != 0) {
        if (want("call") || want("session") || want("scale") || want("cancel"))
            must(bench_base_ev_rtt(t, BENCH_SHAPE_CALL, REPS, N_CALL, &ev_call), "ev call", t);
        if (want("echo"))
            must(bench_base_ev_rtt(t, BENCH_SHAPE_ECHO, REPS, N_ECHO, &ev_echo), "ev echo", t);
        if (want("stream"))
            must(bench_base_ev_stream(t, REPS, N_FLOOD, &ev_stream), "ev stream", t);
        if (want("spawn"))
            must(bench_base_spawn(t, SPAWN_REPS, 1, &base1), "spawn", t);
        if (want("tree"))
            must(bench_base_spawn(t, TREE_REPS, TREE, &base_tree), "tree", t);
        must(bench_base_child_rss(t, &base_rss), "child rss", t);
    }

    struct run r = {.tpt = t};
    if (!(r.samples = malloc(N_CALL * sizeof *r.samples)))
        bench_fail("samples", ACTR_ENOMEM);
    (void)argc;
    bench_run_root(t, modules, 1, bench_root, &r, &r.step, argv);
    /* S28: the cost of encryption on a TCP link (on by default for links
     * that leave the host; ACTR_ENCRYPT=on forces it on loopback), against
     * the plain TCP figures of this run. */
    struct run re = {.tpt = t};
    int enc = t == BENCH_TCP && want("encrypt");
    if (enc) {
        const char *only = getenv("ACTR_BENCH_ONLY");
        char *saved = only ? strdup(only) : NULL;
        re.samples = r.samples;
        setenv("ACTR_BENCH_ONLY", "call,stream,echo", 1);
        setenv("ACTR_ENCRYPT", "on", 1);
        bench_run_root(t, modules, 1, bench_root, &re, &re.step, argv);
        unsetenv("ACTR_ENCRYPT");
        if (saved)
            setenv("ACTR_BENCH_ONLY", saved, 1);
        else
            unsetenv("ACTR_BENCH_ONLY");
        free(saved);
    }
    free(r.samples);

    bench_stat none = one(0);
    bench_stat echo_base = ev_echo.rtt_us.median > 0 ? krt_of(&ev_echo.rtt_us) : none;
    bench_stat rss = one(r.child_rss_kib / 1024), base_rss_mib = one(base_rss / 1024);
    bench_stat ctx_callee = one(r.ctx_callee_kib), ctx_caller = one(r.ctx_caller_kib);
    if (want("call")) {
        report("call", t, &r.call_us, "us", "ev_rtt_call", &ev_call.rtt_us);
        report("call_p99", t, &r.call_p99, "us", "ev_rtt_call_p99", &ev_call.p99_us);
    }
    if (want("session"))
        report("session", t, &r.sess_us, "us", "ev_rtt_call", &ev_call.rtt_us);
    if (want("stream")) {
        report("stream", t, &r.flood_mmsgs, "Mmsg/s", "ev_stream", &ev_stream.mmsgs);
        report("stream_bytes", t, &r.flood_mb, "MB/s", "ev_stream_bytes", &ev_stream.mbytes);
    }
    if (want("window")) {
        /* The unwindowed figure 3 of this run is the baseline. */
        report("stream_window64", t, &r.win64_mmsgs, "Mmsg/s", "actor_stream", &r.flood_mmsgs);
        report("stream_window1024", t, &r.win1024_mmsgs, "Mmsg/s", "actor_stream",
               &r.flood_mmsgs);
    }
    if (want("slow")) {
        bench_stat lost = one(r.slow_lost), growth = one(r.slow_rss_growth_kib);
        bench_stat idle = one(r.child_rss_kib);
        report("slow_receiver_lost", t, &lost, "msgs", "none", &none);
        report("slow_receiver_sender_rss_growth", t, &growth, "KiB", "idle_child_rss_kib",
               &idle);
    }
    if (want("echo"))
        report("echo", t, &r.echo_krt, "krt/s", "ev_rtt_echo", &echo_base);
    if (want("spawn")) {
        report("spawn_first_call", t, &r.spawn_first_ms, "ms", "base_spawn_first_call",
               &base1.first_ms);
        report("spawn_cycle", t, &r.spawn_cycle_ms, "ms", "base_spawn_cycle",
               &base1.cycle_ms);
    }
    if (want("scale")) {
        report("call_ctx1", t, &r.scale_us[0], "us", "ev_rtt_call", &ev_call.rtt_us);
        report("call_ctx100", t, &r.scale_us[1], "us", "actor_call_ctx1", &r.scale_us[0]);
        report("call_ctx10000", t, &r.scale_us[2], "us", "actor_call_ctx1", &r.scale_us[0]);
        report("call_ctx10000_p99", t, &r.scale_p99[2], "us", "actor_call_ctx1_p99",
               &r.scale_p99[0]);
    }
    if (want("tree"))
        report("tree100", t, &r.tree_ms, "ms", "base_tree100", &base_tree.cycle_ms);
    report("idle_child_rss", t, &rss, "MiB", "base_child_rss", &base_rss_mib);
    if (want("scale")) {
        report("ctx_mem_callee", t, &ctx_callee, "KiB", "none", &none);
        report("ctx_mem_caller", t, &ctx_caller, "KiB", "none", &none);
    }
    if (want("cancel")) {
        report("cancel", t, &r.cancel_us, "us", "ev_rtt_call", &ev_call.rtt_us);
        report("cancel_ack", t, &r.cancel_ack_us, "us", "ev_rtt_call", &ev_call.rtt_us);
    }
    if (enc) {
        report("call_encrypted", t, &re.call_us, "us", "actor_call", &r.call_us);
        report("stream_encrypted", t, &re.flood_mmsgs, "Mmsg/s", "actor_stream",
               &r.flood_mmsgs);
        report("stream_bytes_encrypted", t, &re.flood_mb, "MB/s", "actor_stream_bytes",
               &r.flood_mb);
        report("echo_encrypted", t, &re.echo_krt, "krt/s", "actor_echo", &r.echo_krt);
    }
}

int
main(int argc, char **argv)
{
    /* Figures 6 and 7 hold MAX_CTX contexts on one channel, and call
     * beside them: past S28's default caps of tasks per channel and per
     * actor (the child inherits these). */
    setenv("ACTR_MAX_CONN_TASKS", "20000", 0);
    setenv("ACTR_MAX_TASKS", "20000", 0);
    return bench_actor_main(argc, argv, modules, 1, 240, bench_transport);
}
