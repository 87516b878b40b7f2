/* ZeroMQ peers of the actor figures (make bench-peers): what a user who
 * picks ZeroMQ instead of actr gets for the same work, measured on this
 * machine in the same run, over TCP loopback and IPC (a Unix socket):
 *  - zmq_reqrep: REQ/REP round trip, the request carries an i64 x, the
 *    reply x + 1, checked (stands beside actor_call);
 *  - zmq_pushpull: PUSH/PULL one-way stream of i64 sequence numbers, each
 *    checked by the receiver, which acknowledges every repetition on a
 *    second PUSH/PULL pair (stands beside actor_stream).
 * Messages are 8 raw bytes (no serialisation at all: the peer is
 * favoured). The peer process is forked (bench_util.h), binds, and tells
 * the timing side its endpoints through a pipe.
 *
 * usage: peer_zmq [pinned|unpinned]   (default: $ACTR_BENCH_MODE) */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include <actr/err.h>

#include "bench_util.h"

#define REPS 5
#define N_CALL 4000            /* round trips per repetition (as bench_actor) */
#define N_STREAM 300000        /* messages per repetition (as bench_actor) */
#define EP_MAX 256
#define PEER_EXIT_MS 10000

enum tpt { T_TCP, T_IPC };

static const char *
tpt_name(enum tpt t)
{
    return t == T_TCP ? "tcp" : "ipc";
}

struct peer {
    enum tpt t;
    int pipe_w;                 /* endpoints out, to the timing side */
    long n;                     /* stream: messages per repetition */
};

static void
put64(uint8_t *b, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(u >> (8 * i));
}

static int64_t
get64(const uint8_t *b)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)b[i] << (8 * i);
    return (int64_t)u;
}

/* Binds s to a fresh endpoint of transport t and appends the endpoint
 * actually bound (with its port) and a newline to buf. */
static int
bind_fresh(void *s, enum tpt t, char *buf, size_t cap)
{
    static unsigned seq;
    char ep[EP_MAX];
    if (t == T_TCP)
        snprintf(ep, sizeof ep, "tcp://127.0.0.1:*");
    else
        snprintf(ep, sizeof ep, "ipc:///tmp/actr-bench-zmq-%d-%u.sock", (int)getpid(), seq++);
    if (zmq_bind(s, ep) < 0)
        return ACTR_EIO;
    size_t len = sizeof ep;
    if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len) < 0)
        return ACTR_EIO;
    size_t used = strlen(buf);
    snprintf(buf + used, cap - used, "%s\n", ep);
    return 0;
}

static int
tell(int fd, const char *eps)
{
    size_t n = strlen(eps);
    return write(fd, eps, n) == (ssize_t)n ? 0 : ACTR_EIO;
}

/* Reads the peer's endpoints: k lines into ep[0..k). */
static int
hear(int fd, char ep[][EP_MAX], int k)
{
    char buf[2 * EP_MAX * 2];
    size_t len = 0;
    int lines = 0;
    while (lines < k) {
        ssize_t r = read(fd, buf + len, sizeof buf - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return ACTR_EIO;
        len += (size_t)r;
        lines = 0;
        for (size_t i = 0; i < len; i++)
            lines += buf[i] == '\n';
    }
    buf[len] = 0;
    char *save, *line = strtok_r(buf, "\n", &save);
    for (int i = 0; i < k && line; i++, line = strtok_r(NULL, "\n", &save))
        snprintf(ep[i], EP_MAX, "%s", line);
    return 0;
}

/* ------------------------------------------------------------ REQ/REP */

static int
rep_peer(void *arg)
{
    struct peer *p = arg;
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_REP);
    char eps[EP_MAX + 2] = "";
    int rc = s ? bind_fresh(s, p->t, eps, sizeof eps) : ACTR_EIO;
    if (rc == 0)
        rc = tell(p->pipe_w, eps);
    uint8_t b[8];
    /* Serves until the timing side sends an empty message. */
    while (rc == 0) {
        int n = zmq_recv(s, b, sizeof b, 0);
        if (n == 0) {
            zmq_send(s, "", 0, 0);
            break;
        }
        if (n != 8) {
            rc = ACTR_EPROTO;
            break;
        }
        put64(b, get64(b) + 1);
        if (zmq_send(s, b, 8, 0) != 8)
            rc = ACTR_EIO;
    }
    if (s)
        zmq_close(s);
    zmq_ctx_term(ctx);
    return rc;
}

static int
reqrep(enum tpt t, bench_stat *mean_us, bench_stat *p99_us)
{
    int pfd[2];
    if (pipe(pfd) < 0)
        return ACTR_EIO;
    struct peer p = {t, pfd[1], 0};
    bench_peer peer = {0};
    int rc = bench_peer_start(&peer, rep_peer, &p, pfd[0]);
    close(pfd[1]);
    char ep[1][EP_MAX];
    if (rc == 0)
        rc = hear(pfd[0], ep, 1);
    close(pfd[0]);
    double mean[REPS], p99[REPS];
    double *samples = malloc(N_CALL * sizeof *samples);
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_REQ);
    if (rc == 0 && (!samples || !s || zmq_connect(s, ep[0]) < 0))
        rc = ACTR_EIO;
    uint8_t b[8];
    int64_t x = 0;
    for (int r = -1; r < REPS && rc == 0; r++) {          /* r = -1: warm up */
        int n = r < 0 ? N_CALL / 10 : N_CALL;
        int64_t t0 = bench_now_ns(), prev = t0;
        for (int i = 0; i < n && rc == 0; i++, x++) {
            put64(b, x);
            if (zmq_send(s, b, 8, 0) != 8 || zmq_recv(s, b, 8, 0) != 8)
                rc = ACTR_EIO;
            else if (get64(b) != x + 1)
                rc = ACTR_EPROTO;
            int64_t now = bench_now_ns();
            samples[i] = (double)(now - prev) / 1e3;
            prev = now;
        }
        if (r >= 0 && rc == 0) {
            mean[r] = (double)(prev - t0) / n / 1e3;
            p99[r] = bench_quantile(samples, (size_t)n, 0.99);
        }
    }
    if (s) {
        if (zmq_send(s, "", 0, 0) == 0)                   /* the end */
            (void)zmq_recv(s, b, sizeof b, 0);
        zmq_close(s);
    }
    zmq_ctx_term(ctx);
    free(samples);
    int prc = bench_peer_finish(&peer, PEER_EXIT_MS);
    if (rc == 0)
        rc = prc;
    if (rc == 0) {
        bench_stat_of(mean, REPS, mean_us);
        bench_stat_of(p99, REPS, p99_us);
    }
    return rc;
}

/* ------------------------------------------------------------ PUSH/PULL */

/* PULLs every repetition's messages, checking their order, and PUSHes
 * the count back after each; an empty message ends it. */
static int
pull_peer(void *arg)
{
    struct peer *p = arg;
    void *ctx = zmq_ctx_new();
    void *in = zmq_socket(ctx, ZMQ_PULL), *ack = zmq_socket(ctx, ZMQ_PUSH);
    char eps[2 * EP_MAX + 4] = "";
    int rc = in && ack ? 0 : ACTR_EIO;
    if (rc == 0)
        rc = bind_fresh(in, p->t, eps, sizeof eps);
    if (rc == 0)
        rc = bind_fresh(ack, p->t, eps, sizeof eps);
    if (rc == 0)
        rc = tell(p->pipe_w, eps);
    long got = 0;
    uint8_t b[8];
    while (rc == 0) {
        int n = zmq_recv(in, b, sizeof b, 0);
        if (n == 0)
            break;
        if (n != 8 || get64(b) != got) {
            rc = ACTR_EPROTO;
            break;
        }
        if (++got == p->n) {
            put64(b, got);
            if (zmq_send(ack, b, 8, 0) != 8)
                rc = ACTR_EIO;
            got = 0;
        }
    }
    int linger = 0;
    if (in)
        zmq_close(in);
    if (ack) {
        zmq_setsockopt(ack, ZMQ_LINGER, &linger, sizeof linger);
        zmq_close(ack);
    }
    zmq_ctx_term(ctx);
    return rc == 0 && got != 0 ? ACTR_EPROTO : rc;
}

static int
pushpull(enum tpt t, bench_stat *mmsgs)
{
    int pfd[2];
    if (pipe(pfd) < 0)
        return ACTR_EIO;
    struct peer p = {t, pfd[1], N_STREAM};
    bench_peer peer = {0};
    int rc = bench_peer_start(&peer, pull_peer, &p, pfd[0]);
    close(pfd[1]);
    char ep[2][EP_MAX];
    if (rc == 0)
        rc = hear(pfd[0], ep, 2);
    close(pfd[0]);
    double rate[REPS];
    void *ctx = zmq_ctx_new();
    void *out = zmq_socket(ctx, ZMQ_PUSH), *ack = zmq_socket(ctx, ZMQ_PULL);
    if (rc == 0 && (!out || !ack || zmq_connect(out, ep[0]) < 0 || zmq_connect(ack, ep[1]) < 0))
        rc = ACTR_EIO;
    uint8_t b[8];
    for (int r = -1; r < REPS && rc == 0; r++) {          /* r = -1: warm up */
        int64_t t0 = bench_now_ns();
        for (long i = 0; i < N_STREAM && rc == 0; i++) {
            put64(b, i);
            if (zmq_send(out, b, 8, 0) != 8)
                rc = ACTR_EIO;
        }
        if (rc == 0 && (zmq_recv(ack, b, 8, 0) != 8 || get64(b) != N_STREAM))
            rc = ACTR_EPROTO;
        if (r >= 0 && rc == 0)
            rate[r] = (double)N_STREAM / ((double)(bench_now_ns() - t0) / 1e9) / 1e6;
    }
    if (out) {
        zmq_send(out, "", 0, 0);                          /* the end */
        zmq_close(out);
    }
    if (ack)
        zmq_close(ack);
    zmq_ctx_term(ctx);
    int prc = bench_peer_finish(&peer, PEER_EXIT_MS);
    if (rc == 0)
        rc = prc;
    if (rc == 0)
        bench_stat_of(rate, REPS, mmsgs);
    return rc;
}

static void
report(const char *fig, enum tpt t, const bench_stat *v, const char *unit)
{
    char name[64];
    bench_stat none = {0, 0, 0};
    snprintf(name, sizeof name, "zmq_%s_%s", fig, tpt_name(t));
    bench_report(name, v, unit, "none", &none);
}

int
main(int argc, char **argv)
{
    int rc = bench_init(argc, argv, 200);
    if (rc < 0)
        bench_fail("usage: peer_zmq [pinned|unpinned]", rc);
    for (enum tpt t = T_TCP; t <= T_IPC; t++) {
        bench_stat mean, p99, rate;
        char what[64];
        snprintf(what, sizeof what, "REQ/REP %s", tpt_name(t));
        if ((rc = reqrep(t, &mean, &p99)) < 0)
            bench_fail(what, rc);
        report("reqrep", t, &mean, "us");
        report("reqrep_p99", t, &p99, "us");
        snprintf(what, sizeof what, "PUSH/PULL %s", tpt_name(t));
        if ((rc = pushpull(t, &rate)) < 0)
            bench_fail(what, rc);
        report("pushpull", t, &rate, "Mmsg/s");
    }
    return 0;
}
