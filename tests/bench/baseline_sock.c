/* Baselines on blocking sockets (baseline.h): the least a program with
 * tractor's framing can do per message. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <actr/err.h>

#include "base_proto.h"

#define IN_CAP (256 * 1024)
#define BATCH 256              /* frames per writev */
#define PEER_EXIT_MS 10000

struct peer_arg {
    bp_listener *l;
    bench_shape shape;
    long n;                     /* stream: frames per repetition */
};

/* ------------------------------------------------------------ round trip */

/* Answers every request until the client closes. */
static int
rtt_server(void *arg)
{
    struct peer_arg *a = arg;
    int fd, rc;
    if ((rc = bp_connect(a->l, &fd)) < 0)
        return rc;
    bp_in in;
    if ((rc = bp_in_init(&in, IN_CAP)) < 0) {
        close(fd);
        return rc;
    }
    bp_out out;
    bp_out_init(&out);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    for (;;) {
        rc = bp_in_read(&in, fd);
        if (rc < 0)
            break;
        const uint8_t *b;
        size_t n;
        bp_msg m;
        while (rc >= 0 && bp_in_next(&in, &b, &n)) {
            rc = bp_decode(b, n, &zone, &m);
            if (rc < 0)
                break;
            if (m.cid_len != BP_CID_LEN) {
                rc = ACTR_EPROTO;
            } else if (a->shape == BENCH_SHAPE_CALL && m.kind == BP_START) {
                bp_pack_startack(&out, m.cid);
                bp_pack_return(&out, m.cid, m.val + 1);
            } else if (a->shape == BENCH_SHAPE_ECHO && m.kind == BP_YIELD) {
                bp_pack_yield(&out, m.cid, m.val);
            } else {
                rc = ACTR_EPROTO;
            }
        }
        if (rc < 0)
            break;
        rc = bp_write_all(fd, out.sb.data, out.sb.size);
        msgpack_sbuffer_clear(&out.sb);
        if (rc < 0)
            break;
    }
    msgpack_zone_destroy(&zone);
    bp_out_destroy(&out);
    bp_in_destroy(&in);
    close(fd);
    /* The client closing between requests is the normal end. */
    return rc == ACTR_ECLOSED && in.len == in.off ? 0 : rc;
}

int
bp_rtt_once(int fd, bench_shape shape, uint64_t seq, bp_in *in, bp_out *out,
         msgpack_zone *zone)
{
    char cid[BP_CID_LEN + 1];
    int rc;
    int64_t x = (int64_t)(seq & 0xffffff);
    if (shape == BENCH_SHAPE_CALL) {
        bp_cid_make(cid, seq);      /* every call is a new dialog */
        bp_pack_start(out, cid, x);
    } else {
        bp_cid_make(cid, 0);
        bp_pack_yield(out, cid, x);
    }
    rc = bp_write_all(fd, out->sb.data, out->sb.size);
    msgpack_sbuffer_clear(&out->sb);
    if (rc < 0)
        return rc;
    /* call: StartAck then Return; echo: the Yield back */
    int want = shape == BENCH_SHAPE_CALL ? 2 : 1;
    while (want) {
        const uint8_t *b;
        size_t n;
        if (!bp_in_next(in, &b, &n)) {
            if ((rc = bp_in_read(in, fd)) < 0)
                return rc;
            continue;
        }
        bp_msg m;
        if ((rc = bp_decode(b, n, zone, &m)) < 0)
            return rc;
        if (m.cid_len != BP_CID_LEN || memcmp(m.cid, cid, BP_CID_LEN) != 0)
            return ACTR_EPROTO;
        if (shape == BENCH_SHAPE_CALL && want == 2) {
            if (m.kind != BP_STARTACK)
                return ACTR_EPROTO;
        } else if (shape == BENCH_SHAPE_CALL) {
            if (m.kind != BP_RETURN || m.val != x + 1)
                return ACTR_EPROTO;
        } else if (m.kind != BP_YIELD || m.val != x) {
            return ACTR_EPROTO;
        }
        want--;
    }
    return 0;
}

int
bench_base_sock_rtt(bench_tpt t, bench_shape shape, int reps, int n, bench_rtt *out)
{
    bp_listener l;
    bench_peer peer = {0};
    int fd = -1, rc;
    double *samples = malloc((size_t)n * sizeof *samples);
    double mean[reps], p99[reps];
    if (!samples)
        return ACTR_ENOMEM;
    if ((rc = bp_listen(t, &l)) < 0) {
        free(samples);
        return rc;
    }
    struct peer_arg a = {&l, shape, 0};
    bp_in in = {0};
    bp_out o;
    bp_out_init(&o);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    if ((rc = bench_peer_start(&peer, rtt_server, &a, l.fd)) < 0
        || (rc = bp_accept(&l, &fd)) < 0 || (rc = bp_in_init(&in, IN_CAP)) < 0)
        goto out;
    uint64_t seq = 1;
    for (int i = 0; i < n / 10 && rc == 0; i++)          /* warm up */
        rc = bp_rtt_once(fd, shape, seq++, &in, &o, &zone);
    for (int r = 0; r < reps && rc == 0; r++) {
        int64_t t0 = bench_now_ns(), prev = t0;
        for (int i = 0; i < n && rc == 0; i++) {
            rc = bp_rtt_once(fd, shape, seq++, &in, &o, &zone);
            int64_t now = bench_now_ns();
            samples[i] = (double)(now - prev) / 1e3;
            prev = now;
        }
        mean[r] = (double)(prev - t0) / n / 1e3;
        p99[r] = bench_quantile(samples, (size_t)n, 0.99);
    }
out:
    if (fd >= 0)
        close(fd);
    bp_listener_close(&l);
    int prc = bench_peer_finish(&peer, PEER_EXIT_MS);
    if (rc == 0)
        rc = prc;
    if (rc == 0) {
        bench_stat_of(mean, (size_t)reps, &out->rtt_us);
        bench_stat_of(p99, (size_t)reps, &out->p99_us);
    }
    msgpack_zone_destroy(&zone);
    bp_out_destroy(&o);
    bp_in_destroy(&in);
    free(samples);
    return rc;
}

/* ------------------------------------------------------------ stream */

/* Counts the frames of each repetition (checking only that each body is
 * a map) and acknowledges it with one byte, until the writer closes. */
static int
stream_reader(void *arg)
{
    struct peer_arg *a = arg;
    int fd, rc;
    if ((rc = bp_connect(a->l, &fd)) < 0)
        return rc;
    bp_in in;
    if ((rc = bp_in_init(&in, IN_CAP)) < 0) {
        close(fd);
        return rc;
    }
    long got = 0;
    for (;;) {
        const uint8_t *b;
        size_t n;
        while (bp_in_next(&in, &b, &n)) {
            if (n == 0 || (b[0] & 0xf0) != 0x80) {
                rc = ACTR_EPROTO;
                goto out;
            }
            if (++got == a->n) {
                got = 0;
                if ((rc = bp_write_all(fd, "k", 1)) < 0)
                    goto out;
            }
        }
        if ((rc = bp_in_read(&in, fd)) < 0)
            break;
    }
    if (rc == ACTR_ECLOSED && got == 0 && in.off == in.len)
        rc = 0;
out:
    bp_in_destroy(&in);
    close(fd);
    return rc;
}

/* Writes n frames, BATCH per writev (each frame its own iovec), and
 * waits for the reader's acknowledgement. Adds the bytes to *bytes. */
static int
stream_rep(int fd, long n, bp_out *o, double *bytes)
{
    char cid[BP_CID_LEN + 1];
    struct iovec iov[BATCH];
    size_t ends[BATCH];
    bp_cid_make(cid, 0);
    for (long i = 0; i < n;) {
        int cnt = 0;
        msgpack_sbuffer_clear(&o->sb);
        for (; cnt < BATCH && i < n; cnt++, i++) {
            bp_pack_yield(o, cid, i);
            ends[cnt] = o->sb.size;
        }
        /* iovecs only after packing: the buffer may move while it grows */
        for (int k = 0; k < cnt; k++) {
            size_t start = k ? ends[k - 1] : 0;
            iov[k].iov_base = o->sb.data + start;
            iov[k].iov_len = ends[k] - start;
        }
        *bytes += (double)o->sb.size;
        int rc = bp_writev_all(fd, iov, cnt);
        if (rc < 0)
            return rc;
    }
    char k;
    ssize_t r;
    while ((r = read(fd, &k, 1)) < 0 && errno == EINTR) {
    }
    return r == 1 && k == 'k' ? 0 : ACTR_EIO;
}

int
bench_base_sock_stream(bench_tpt t, int reps, long n, bench_stream *out)
{
    bp_listener l;
    bench_peer peer = {0};
    int fd = -1, rc;
    double rate[reps], mb[reps], bytes = 0;
    if ((rc = bp_listen(t, &l)) < 0)
        return rc;
    struct peer_arg a = {&l, BENCH_SHAPE_ECHO, n};
    bp_out o;
    bp_out_init(&o);
    if ((rc = bench_peer_start(&peer, stream_reader, &a, l.fd)) < 0
        || (rc = bp_accept(&l, &fd)) < 0)
        goto out;
    rc = stream_rep(fd, n, &o, &bytes);                 /* warm up */
    for (int r = 0; r < reps && rc == 0; r++) {
        bytes = 0;
        int64_t t0 = bench_now_ns();
        rc = stream_rep(fd, n, &o, &bytes);
        double s = (double)(bench_now_ns() - t0) / 1e9;
        rate[r] = (double)n / s / 1e6;
        mb[r] = bytes / s / 1e6;
    }
out:
    if (fd >= 0)
        close(fd);
    bp_listener_close(&l);
    int prc = bench_peer_finish(&peer, PEER_EXIT_MS);
    if (rc == 0)
        rc = prc;
    if (rc == 0) {
        bench_stat_of(rate, (size_t)reps, &out->mmsgs);
        bench_stat_of(mb, (size_t)reps, &out->mbytes);
        out->frame_bytes = bytes / (double)n;
    }
    bp_out_destroy(&o);
    return rc;
}
