/* Baselines on libev + msgpack-c without the framework (baseline.h): what
 * an event-driven program with tractor's framing costs per message when
 * written by hand, callbacks and all. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <ev.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <actr/err.h>

#include "base_proto.h"

#define IN_CAP (256 * 1024)
#define CHUNK (64 * 1024)      /* the stream writer packs this much per write */
#define PEER_EXIT_MS 10000

/* ------------------------------------------------------------ connection */

typedef struct conn conn;
struct conn {
    struct ev_loop *loop;
    int fd;
    ev_io r, w;
    bp_in in;
    bp_out out;
    size_t sent;                            /* bytes of out already written */
    msgpack_zone zone;
    int rc;                                 /* first failure */
    bool eof;
    int (*frame)(conn *, const bp_msg *);   /* each message received */
    int (*drained)(conn *);                 /* out is empty: may pack more */
    void *ctx;
};

static void
conn_fail(conn *c, int rc)
{
    if (!c->rc)
        c->rc = rc;
    ev_break(c->loop, EVBREAK_ONE);
}

/* Writes what is packed until the socket is full (then waits for it to be
 * writable) or nothing is left to pack. */
static void
conn_flush(conn *c)
{
    for (;;) {
        if (c->sent == c->out.sb.size) {
            msgpack_sbuffer_clear(&c->out.sb);
            c->sent = 0;
            if (c->drained) {
                int rc = c->drained(c);
                if (rc < 0) {
                    conn_fail(c, rc);
                    return;
                }
            }
            if (c->out.sb.size == 0) {
                ev_io_stop(c->loop, &c->w);
                return;
            }
        }
        ssize_t k = write(c->fd, c->out.sb.data + c->sent, c->out.sb.size - c->sent);
        if (k > 0) {
            c->sent += (size_t)k;
        } else if (k < 0 && errno == EINTR) {
            continue;
        } else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            ev_io_start(c->loop, &c->w);
            return;
        } else {
            conn_fail(c, ACTR_EIO);
            return;
        }
    }
}

/* One read per wakeup, then every complete frame, then the replies. */
static void
on_read(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    conn *c = w->data;
    int rc = bp_in_read(&c->in, c->fd);
    if (rc == ACTR_EAGAIN)
        return;
    if (rc == ACTR_ECLOSED) {
        c->eof = true;
        ev_break(c->loop, EVBREAK_ONE);
        return;
    }
    if (rc < 0) {
        conn_fail(c, rc);
        return;
    }
    const uint8_t *b;
    size_t n;
    while (bp_in_next(&c->in, &b, &n)) {
        bp_msg m;
        if ((rc = bp_decode(b, n, &c->zone, &m)) < 0
            || (rc = m.cid_len == BP_CID_LEN ? 0 : ACTR_EPROTO) < 0
            || (rc = c->frame(c, &m)) < 0) {
            conn_fail(c, rc);
            return;
        }
    }
    conn_flush(c);
}

static void
on_write(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    conn_flush(w->data);
}

static int
conn_open(conn *c, int fd, int (*frame)(conn *, const bp_msg *), int (*drained)(conn *),
          void *ctx)
{
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->frame = frame;
    c->drained = drained;
    c->ctx = ctx;
    int rc = bp_set_nonblock(fd);
    if (rc < 0)
        return rc;
    c->loop = ev_loop_new(EVFLAG_AUTO);
    if (!c->loop)
        return ACTR_ENOMEM;
    if ((rc = bp_in_init(&c->in, IN_CAP)) < 0) {
        ev_loop_destroy(c->loop);
        return rc;
    }
    bp_out_init(&c->out);
    msgpack_zone_init(&c->zone, 2048);
    ev_io_init(&c->r, on_read, fd, EV_READ);
    ev_io_init(&c->w, on_write, fd, EV_WRITE);
    c->r.data = c->w.data = c;
    ev_io_start(c->loop, &c->r);
    return 0;
}

/* Stops the watchers and frees everything but the socket. */
static void
conn_close(conn *c)
{
    ev_io_stop(c->loop, &c->r);
    ev_io_stop(c->loop, &c->w);
    msgpack_zone_destroy(&c->zone);
    bp_out_destroy(&c->out);
    bp_in_destroy(&c->in);
    ev_loop_destroy(c->loop);
}

/* Runs a peer's loop until the other side closes; 0 on a clean end. */
static int
serve(int fd, int (*frame)(conn *, const bp_msg *), void *ctx)
{
    conn c;
    int rc = conn_open(&c, fd, frame, NULL, ctx);
    if (rc == 0) {
        ev_run(c.loop, 0);
        rc = c.rc ? c.rc : c.eof && c.in.off == c.in.len ? 0 : ACTR_EPROTO;
        conn_close(&c);
    }
    close(fd);
    return rc;
}

struct peer_arg {
    bp_listener *l;
    bench_shape shape;
    long n;
    long got;
};

/* ------------------------------------------------------------ round trip */

static int
server_frame(conn *c, const bp_msg *m)
{
    struct peer_arg *a = c->ctx;
    if (a->shape == BENCH_SHAPE_CALL && m->kind == BP_START) {
        bp_pack_startack(&c->out, m->cid);
        bp_pack_return(&c->out, m->cid, m->val + 1);
    } else if (a->shape == BENCH_SHAPE_ECHO && m->kind == BP_YIELD) {
        bp_pack_yield(&c->out, m->cid, m->val);
    } else {
        return ACTR_EPROTO;
    }
    return 0;
}

static int
rtt_server(void *arg)
{
    struct peer_arg *a = arg;
    int fd, rc = bp_connect(a->l, &fd);
    return rc < 0 ? rc : serve(fd, server_frame, a);
}

int
bp_ev_serve(int fd, bench_shape shape)
{
    struct peer_arg a = {NULL, shape, 0, 0};
    return serve(fd, server_frame, &a);
}

struct rtt_client {
    bench_shape shape;
    int reps, n, warm;
    int rep, i, want;
    uint64_t seq;
    int64_t x, t0, prev;
    char cid[BP_CID_LEN + 1];
    double *samples, *mean, *p99;
};

static void
rtt_request(conn *c, struct rtt_client *s)
{
    s->x = (int64_t)(s->seq & 0xffffff);
    if (s->shape == BENCH_SHAPE_CALL) {
        bp_cid_make(s->cid, s->seq);
        bp_pack_start(&c->out, s->cid, s->x);
        s->want = 2;
    } else {
        bp_cid_make(s->cid, 0);
        bp_pack_yield(&c->out, s->cid, s->x);
        s->want = 1;
    }
    s->seq++;
}

static int
client_frame(conn *c, const bp_msg *m)
{
    struct rtt_client *s = c->ctx;
    if (s->want == 0 || memcmp(m->cid, s->cid, BP_CID_LEN) != 0)
        return ACTR_EPROTO;
    if (s->shape == BENCH_SHAPE_CALL && s->want == 2) {
        if (m->kind != BP_STARTACK)
            return ACTR_EPROTO;
    } else if (s->shape == BENCH_SHAPE_CALL) {
        if (m->kind != BP_RETURN || m->val != s->x + 1)
            return ACTR_EPROTO;
    } else if (m->kind != BP_YIELD || m->val != s->x) {
        return ACTR_EPROTO;
    }
    if (--s->want)
        return 0;
    int64_t now = bench_now_ns();
    if (s->warm > 0) {
        if (--s->warm == 0)
            s->t0 = s->prev = now;
    } else {
        s->samples[s->i++] = (double)(now - s->prev) / 1e3;
        s->prev = now;
        if (s->i == s->n) {
            s->mean[s->rep] = (double)(now - s->t0) / s->n / 1e3;
            s->p99[s->rep] = bench_quantile(s->samples, (size_t)s->n, 0.99);
            s->i = 0;
            if (++s->rep == s->reps) {
                ev_break(c->loop, EVBREAK_ONE);
                return 0;
            }
            s->t0 = s->prev = bench_now_ns();
        }
    }
    rtt_request(c, s);
    return 0;
}

int
bench_base_ev_rtt(bench_tpt t, bench_shape shape, int reps, int n, bench_rtt *out)
{
    bp_listener l;
    bench_peer peer = {0};
    int fd = -1, rc;
    double mean[reps], p99[reps];
    struct rtt_client s = {
        .shape = shape, .reps = reps, .n = n, .warm = n / 10 > 0 ? n / 10 : 1, .seq = 1,
        .mean = mean, .p99 = p99,
    };
    if (!(s.samples = malloc((size_t)n * sizeof *s.samples)))
        return ACTR_ENOMEM;
    if ((rc = bp_listen(t, &l)) < 0) {
        free(s.samples);
        return rc;
    }
    struct peer_arg a = {&l, shape, 0, 0};
    if ((rc = bench_peer_start(&peer, rtt_server, &a, l.fd)) == 0
        && (rc = bp_accept(&l, &fd)) == 0) {
        conn c;
        if ((rc = conn_open(&c, fd, client_frame, NULL, &s)) == 0) {
            rtt_request(&c, &s);
            conn_flush(&c);
            ev_run(c.loop, 0);
            rc = c.rc ? c.rc : s.rep == reps ? 0 : ACTR_ECLOSED;
            conn_close(&c);
        }
    }
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
    free(s.samples);
    return rc;
}

/* ------------------------------------------------------------ stream */

/* Checks that the frames of a repetition come in order, acknowledges it
 * with Yield{pld: n}. */
static int
reader_frame(conn *c, const bp_msg *m)
{
    struct peer_arg *a = c->ctx;
    if (m->kind != BP_YIELD || m->val != a->got)
        return ACTR_EPROTO;
    if (++a->got == a->n) {
        bp_pack_yield(&c->out, m->cid, a->n);
        a->got = 0;
    }
    return 0;
}

static int
stream_reader(void *arg)
{
    struct peer_arg *a = arg;
    int fd, rc = bp_connect(a->l, &fd);
    if (rc < 0)
        return rc;
    rc = serve(fd, reader_frame, a);
    return rc == 0 && a->got != 0 ? ACTR_EPROTO : rc;
}

struct stream_writer {
    long n;
    int reps, rep;
    bool warm;
    long i;                     /* frames of this repetition packed */
    int64_t t0;
    double bytes, total_bytes;
    char cid[BP_CID_LEN + 1];
    double *rate, *mb;
};

static int
writer_drained(conn *c)
{
    struct stream_writer *s = c->ctx;
    size_t before = c->out.sb.size;
    while (s->i < s->n && c->out.sb.size < CHUNK) {
        bp_pack_yield(&c->out, s->cid, s->i);
        s->i++;
    }
    s->bytes += (double)(c->out.sb.size - before);
    return 0;
}

static int
writer_frame(conn *c, const bp_msg *m)
{
    struct stream_writer *s = c->ctx;
    if (m->kind != BP_YIELD || m->val != s->n || s->i != s->n)
        return ACTR_EPROTO;
    int64_t now = bench_now_ns();
    if (s->warm) {
        s->warm = false;
    } else {
        double sec = (double)(now - s->t0) / 1e9;
        s->rate[s->rep] = (double)s->n / sec / 1e6;
        s->mb[s->rep] = s->bytes / sec / 1e6;
        s->total_bytes = s->bytes;
        if (++s->rep == s->reps) {
            ev_break(c->loop, EVBREAK_ONE);
            return 0;
        }
    }
    s->i = 0;
    s->bytes = 0;
    s->t0 = bench_now_ns();
    return 0;   /* on_read flushes next: writer_drained starts the next one */
}

int
bench_base_ev_stream(bench_tpt t, int reps, long n, bench_stream *out)
{
    bp_listener l;
    bench_peer peer = {0};
    int fd = -1, rc;
    double rate[reps], mb[reps];
    struct stream_writer s = {.n = n, .reps = reps, .warm = true, .rate = rate, .mb = mb};
    bp_cid_make(s.cid, 0);
    if ((rc = bp_listen(t, &l)) < 0)
        return rc;
    struct peer_arg a = {&l, BENCH_SHAPE_ECHO, n, 0};
    if ((rc = bench_peer_start(&peer, stream_reader, &a, l.fd)) == 0
        && (rc = bp_accept(&l, &fd)) == 0) {
        conn c;
        if ((rc = conn_open(&c, fd, writer_frame, writer_drained, &s)) == 0) {
            s.t0 = bench_now_ns();
            conn_flush(&c);
            ev_run(c.loop, 0);
            rc = c.rc ? c.rc : s.rep == reps ? 0 : ACTR_ECLOSED;
            conn_close(&c);
        }
    }
    if (fd >= 0)
        close(fd);
    bp_listener_close(&l);
    int prc = bench_peer_finish(&peer, PEER_EXIT_MS);
    if (rc == 0)
        rc = prc;
    if (rc == 0) {
        bench_stat_of(rate, (size_t)reps, &out->mmsgs);
        bench_stat_of(mb, (size_t)reps, &out->mbytes);
        out->frame_bytes = s.total_bytes / (double)n;
    }
    return rc;
}
