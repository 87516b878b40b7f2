/* The baselines next to each other (baseline.h): the libev + msgpack-c
 * programs measured against blocking sockets with the same frames, over
 * TCP loopback and Unix sockets. What an event loop and a full unpack of
 * every frame cost before any framework is involved; the actor figures
 * (bench_actor) are compared with the ev_* figures measured in their own
 * run.
 *
 * usage: bench_baseline [pinned|unpinned]   (default: $ACTR_BENCH_MODE) */
#include <stdio.h>

#include "baseline.h"

#define REPS 5
#define N_RTT 5000             /* round trips per repetition */
#define N_STREAM 300000        /* frames per repetition */

static void
rtt_pair(bench_tpt t, bench_shape shape)
{
    bench_rtt ev, sock;
    char what[64], name[64], bname[64];
    int rc;
    snprintf(what, sizeof what, "ev rtt %s %s", bench_shape_name(shape), bench_tpt_name(t));
    if ((rc = bench_base_ev_rtt(t, shape, REPS, N_RTT, &ev)) < 0)
        bench_fail(what, rc);
    snprintf(what, sizeof what, "sock rtt %s %s", bench_shape_name(shape), bench_tpt_name(t));
    if ((rc = bench_base_sock_rtt(t, shape, REPS, N_RTT, &sock)) < 0)
        bench_fail(what, rc);
    const char *s = bench_shape_name(shape), *tp = bench_tpt_name(t);
    snprintf(name, sizeof name, "ev_rtt_%s_%s", s, tp);
    snprintf(bname, sizeof bname, "sock_rtt_%s_%s", s, tp);
    bench_report(name, &ev.rtt_us, "us", bname, &sock.rtt_us);
    snprintf(name, sizeof name, "ev_rtt_%s_%s_p99", s, tp);
    snprintf(bname, sizeof bname, "sock_rtt_%s_%s_p99", s, tp);
    bench_report(name, &ev.p99_us, "us", bname, &sock.p99_us);
}

static void
stream_pair(bench_tpt t)
{
    bench_stream ev, sock;
    char what[64], name[64], bname[64];
    int rc;
    snprintf(what, sizeof what, "ev stream %s", bench_tpt_name(t));
    if ((rc = bench_base_ev_stream(t, REPS, N_STREAM, &ev)) < 0)
        bench_fail(what, rc);
    snprintf(what, sizeof what, "sock stream %s", bench_tpt_name(t));
    if ((rc = bench_base_sock_stream(t, REPS, N_STREAM, &sock)) < 0)
        bench_fail(what, rc);
    const char *tp = bench_tpt_name(t);
    snprintf(name, sizeof name, "ev_stream_%s", tp);
    snprintf(bname, sizeof bname, "sock_stream_%s", tp);
    bench_report(name, &ev.mmsgs, "Mmsg/s", bname, &sock.mmsgs);
    snprintf(name, sizeof name, "ev_stream_%s_bytes", tp);
    snprintf(bname, sizeof bname, "sock_stream_%s_bytes", tp);
    bench_report(name, &ev.mbytes, "MB/s", bname, &sock.mbytes);
    printf("# stream frames: %.1f bytes each (prefix included)\n", ev.frame_bytes);
}

int
main(int argc, char **argv)
{
    int rc = bench_init(argc, argv, 120);
    if (rc < 0)
        bench_fail("usage: bench_baseline [pinned|unpinned]", rc);
    bench_tpt tpts[] = {BENCH_TCP, BENCH_UNIX};
    for (int i = 0; i < 2; i++) {
        rtt_pair(tpts[i], BENCH_SHAPE_CALL);
        rtt_pair(tpts[i], BENCH_SHAPE_ECHO);
        stream_pair(tpts[i]);
    }
    return 0;
}
