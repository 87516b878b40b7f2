/* Large payloads on blocking sockets (baseline.h): the most a program can
 * move when every payload goes from its own buffer to the socket and from
 * the socket into the reader's buffer, with no framework and no copy of
 * its own. Frames are a 4-byte length and the payload (payload.h), the
 * writer sends each with one writev of both, the reader reads exactly
 * the frame into one buffer and checks it. */
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
#include "payload.h"

#define PEER_EXIT_MS 10000

struct bulk_peer {
    bp_listener *l;
    long n;                    /* payloads per repetition */
    size_t size;
    int reps;                  /* repetitions, warm-up included */
};

/* Reads exactly n bytes: 0, ACTR_ECLOSED at a clean end before any byte,
 * ACTR_EIO. */
static int
read_exact(int fd, void *buf, size_t n)
{
    uint8_t *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, p + got, n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k == 0 && got == 0)
            return ACTR_ECLOSED;
        if (k <= 0)
            return ACTR_EIO;
        got += (size_t)k;
    }
    return 0;
}

/* One frame: its length prefix and the payload, in one writev. */
static int
send_frame(int fd, const uint8_t *p, size_t n)
{
    uint8_t hdr[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
    struct iovec iov[2] = {{hdr, 4}, {(void *)p, n}};
    return bp_writev_all(fd, iov, 2);
}

/* Reads one frame of n bytes into buf. */
static int
recv_frame(int fd, uint8_t *buf, size_t n)
{
    uint8_t hdr[4];
    int rc = read_exact(fd, hdr, 4);
    if (rc < 0)
        return rc;
    size_t len = (size_t)hdr[0] | (size_t)hdr[1] << 8 | (size_t)hdr[2] << 16 |
                 (size_t)hdr[3] << 24;
    return len == n ? read_exact(fd, buf, n) : ACTR_EPROTO;
}

/* The stream's reader: checks every payload of every repetition and
 * acknowledges each repetition with one byte. */
static int
stream_reader(void *arg)
{
    struct bulk_peer *a = arg;
    int fd, rc = bp_connect(a->l, &fd);
    if (rc < 0)
        return rc;
    uint8_t *buf = malloc(a->size);
    uint64_t base = bench_payload_base(a->size);
    rc = buf ? 0 : ACTR_ENOMEM;
    for (int r = 0; r < a->reps && rc == 0; r++) {
        for (long i = 0; i < a->n && rc == 0; i++) {
            if ((rc = recv_frame(fd, buf, a->size)) == 0)
                rc = bench_payload_check(buf, a->size, a->size, (uint64_t)i, base);
        }
        if (rc == 0)
            rc = bp_write_all(fd, "k", 1);
    }
    free(buf);
    close(fd);
    return rc;
}

/* The call's server: answers every payload with its 8-byte sum. */
static int
call_server(void *arg)
{
    struct bulk_peer *a = arg;
    int fd, rc = bp_connect(a->l, &fd);
    if (rc < 0)
        return rc;
    uint8_t *buf = malloc(a->size);
    rc = buf ? 0 : ACTR_ENOMEM;
    while (rc == 0) {
        if ((rc = recv_frame(fd, buf, a->size)) < 0)
            break;
        uint64_t s = bench_payload_sum(buf, a->size);
        rc = bp_write_all(fd, &s, sizeof s);
    }
    free(buf);
    close(fd);
    return rc == ACTR_ECLOSED ? 0 : rc;
}

/* One repetition of the stream or of the calls: the payloads' MB/s. */
static int
bulk_rep(int fd, int call, long n, uint8_t *buf, size_t size, uint64_t base, double *mbs)
{
    int64_t t0 = bench_now_ns();
    int rc = 0;
    for (long i = 0; i < n && rc == 0; i++) {
        bench_payload_seq(buf, (uint64_t)i);
        rc = send_frame(fd, buf, size);
        if (rc == 0 && call) {
            uint64_t s;
            if ((rc = read_exact(fd, &s, sizeof s)) == 0 && s != base + (uint64_t)i)
                rc = ACTR_EPROTO;
        }
    }
    if (rc == 0 && !call) {
        char k;
        if ((rc = read_exact(fd, &k, 1)) == 0 && k != 'k')
            rc = ACTR_EPROTO;
    }
    if (rc == 0)
        *mbs = (double)n * (double)size / ((double)(bench_now_ns() - t0) / 1e9) / 1e6;
    return rc;
}

int
bench_base_sock_bulk(bench_tpt t, int call, int reps, long n, size_t size, bench_stat *mbs)
{
    bp_listener l;
    bench_peer peer = {0};
    int fd = -1, rc;
    double rate[reps], dummy;
    uint8_t *buf = malloc(size);
    if (!buf || size < 8) {
        free(buf);
        return ACTR_ENOMEM;
    }
    bench_payload_fill(buf, size, 0);
    uint64_t base = bench_payload_base(size);
    if ((rc = bp_listen(t, &l)) < 0) {
        free(buf);
        return rc;
    }
    struct bulk_peer a = {&l, n, size, reps + 1};
    if ((rc = bench_peer_start(&peer, call ? call_server : stream_reader, &a, l.fd)) == 0 &&
        (rc = bp_accept(&l, &fd)) == 0) {
        rc = bulk_rep(fd, call, n, buf, size, base, &dummy);       /* warm up */
        for (int r = 0; r < reps && rc == 0; r++)
            rc = bulk_rep(fd, call, n, buf, size, base, &rate[r]);
    }
    if (fd >= 0)
        close(fd);
    bp_listener_close(&l);
    int prc = bench_peer_finish(&peer, PEER_EXIT_MS);
    if (rc == 0)
        rc = prc;
    if (rc == 0)
        bench_stat_of(rate, (size_t)reps, mbs);
    free(buf);
    return rc;
}
