/* Benchmarks of IPC channels, two processes (a forked peer), over TCP
 * loopback and Unix sockets:
 * - round trip of one small Yield frame (67 bytes, as tractor's with a
 *   uuid cid) through actr channels, next to blocking read/write of the
 *   same frame bytes on raw sockets;
 * - one-way frame rate: actr_ipc_send of each frame (encode + buffer +
 *   one writev per loop iteration) and actr_ipc_recv (decode) of each,
 *   next to raw batched writes of pre-encoded frames and a raw reader
 *   that only finds frame boundaries.
 * Prints `bench <name> <value> <unit> baseline <name> <value> ratio <r>`
 * (ratio = value / baseline) with medians of REPS repetitions. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <actr/actr.h>
#include <actr/ipc.h>
#include <actr/wire.h>

#define REPS 5
#ifndef N_RTT
#define N_RTT 10000            /* round trips per repetition */
#endif
#ifndef N_STREAM
#define N_STREAM 200000        /* frames per repetition */
#endif
#define RAW_BATCH 1000         /* frames per raw write */
#define CID "6f1c5a9e-3c1b-4c7e-9a51-2b0f4f1d8e77"

static int64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static void
report(const char *name, double value, const char *unit, const char *bname, double bvalue)
{
    printf("bench %s %.3f %s baseline %s %.3f ratio %.3f\n", name, value, unit, bname,
           bvalue, bvalue > 0 ? value / bvalue : 0.0);
    fflush(stdout);
}

static void
die(const char *what)
{
    fprintf(stderr, "bench_ipc: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* The Yield frame both sides send. */
static void
make_yield(actr_msg *m, uint8_t *pld)
{
    memset(m, 0, sizeof *m);
    m->type = ACTR_MSG_YIELD;
    m->u.yield.cid = (actr_str){CID, strlen(CID)};
    *pld = 7;
    m->u.yield.pld = (actr_any){pld, 1};
}

/* ------------------------------------------------------------ actr */

struct actr_side {
    actr_addr addr;
    actr_listener *l;
    int child_pid;
    double rtt_us[REPS];
    double rate[REPS];
    actr_ipc_stats st;
};

static void
aid_of(actr_msg *m, const char *name)
{
    memset(m, 0, sizeof *m);
    m->type = ACTR_MSG_AID;
    m->u.aid.name = (actr_str){(char *)name, strlen(name)};
    m->u.aid.uuid = (actr_str){CID, strlen(CID)};
}

static int
check(int rc, const char *what)
{
    if (rc < 0) {
        fprintf(stderr, "bench_ipc: %s: %s (%s)\n", what, actr_errname(rc),
                actr_last_error()->message);
        exit(1);
    }
    return rc;
}

/* The peer: echoes N_RTT*REPS frames, then receives N_STREAM frames per
 * repetition and acknowledges each repetition. */
static int
actr_peer(void *arg)
{
    struct actr_side *s = arg;
    actr_ipc *ch;
    actr_msg aid, m;
    check(actr_ipc_connect(&s->addr, NULL, &ch, actr_deadline_in(5000)), "connect");
    aid_of(&aid, "peer");
    check(actr_ipc_handshake(ch, &aid.u.aid, actr_deadline_in(5000)), "handshake");
    for (int i = 0; i < N_RTT * REPS; i++) {
        check(actr_ipc_recv(ch, &m, ACTR_FOREVER), "peer recv");
        check(actr_ipc_send(ch, &m, ACTR_FOREVER), "peer send");
    }
    for (int r = 0; r < REPS; r++) {
        for (int i = 0; i < N_STREAM; i++)
            check(actr_ipc_recv(ch, &m, ACTR_FOREVER), "peer stream recv");
        check(actr_ipc_send(ch, &m, ACTR_FOREVER), "peer ack");
    }
    check(actr_ipc_close(ch, actr_deadline_in(5000)), "peer close");
    return 0;
}

static int
ipc_bench_main(void *arg)
{
    struct actr_side *s = arg;
    actr_ipc *ch;
    actr_msg aid, y, m;
    uint8_t pld;
    check(actr_listener_accept(s->l, &ch, actr_deadline_in(5000)), "accept");
    aid_of(&aid, "bench");
    check(actr_ipc_handshake(ch, &aid.u.aid, actr_deadline_in(5000)), "handshake");
    make_yield(&y, &pld);
    for (int r = 0; r < REPS; r++) {
        int64_t t0 = now_ns();
        for (int i = 0; i < N_RTT; i++) {
            check(actr_ipc_send(ch, &y, ACTR_FOREVER), "send");
            check(actr_ipc_recv(ch, &m, ACTR_FOREVER), "recv");
        }
        s->rtt_us[r] = (double)(now_ns() - t0) / N_RTT / 1e3;
    }
    actr_ipc_stats before;
    actr_ipc_stats_get(ch, &before);
    for (int r = 0; r < REPS; r++) {
        int64_t t0 = now_ns();
        for (int i = 0; i < N_STREAM; i++)
            check(actr_ipc_send(ch, &y, ACTR_FOREVER), "stream send");
        check(actr_ipc_recv(ch, &m, ACTR_FOREVER), "ack");
        s->rate[r] = N_STREAM / ((double)(now_ns() - t0) / 1e9) / 1e6;
    }
    actr_ipc_stats_get(ch, &s->st);
    s->st.write_calls -= before.write_calls;
    s->st.frames_sent -= before.frames_sent;
    check(actr_ipc_close(ch, actr_deadline_in(5000)), "close");
    int status;
    check(actr_child_wait(s->child_pid, &status, actr_deadline_in(10000)), "child wait");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_ipc: the actr peer failed\n");
        exit(1);
    }
    return 0;
}

static void
run_actr(const char *url, struct actr_side *s)
{
    actr_addr a;
    check(actr_addr_parse(url, &a), "address");
    check(actr_listener_open(&a, 1, NULL, &s->l), "listen");
    s->addr = *actr_listener_addr(s->l, 0);
    fflush(NULL);
    int pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0)
        _exit(actr_run(actr_peer, s) == 0 ? 0 : 1);
    s->child_pid = pid;
    check(actr_run(ipc_bench_main, s), "run");
    actr_listener_close(s->l);
}

/* ------------------------------------------------------------ raw */

static int
raw_listen(const actr_addr *a, struct sockaddr_storage *ss, socklen_t *sl)
{
    memset(ss, 0, sizeof *ss);
    if (a->kind == ACTR_ADDR_UNIX) {
        struct sockaddr_un *un = (struct sockaddr_un *)ss;
        un->sun_family = AF_UNIX;
        snprintf(un->sun_path, sizeof un->sun_path, "%s", a->path);
        *sl = sizeof *un;
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        *sl = sizeof *in;
    }
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)ss, *sl) < 0 || listen(fd, 8) < 0)
        die("raw listen");
    if (getsockname(fd, (struct sockaddr *)ss, sl) < 0)
        die("getsockname");
    return fd;
}

static void
nodelay(int fd, const struct sockaddr_storage *ss)
{
    int one = 1;
    if (ss->ss_family == AF_INET)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void
write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t k = write(fd, b, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            die("write");
        b += k;
        n -= (size_t)k;
    }
}

static void
read_all(int fd, void *p, size_t n)
{
    uint8_t *b = p;
    while (n) {
        ssize_t k = read(fd, b, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            die("read");
        b += k;
        n -= (size_t)k;
    }
}

/* Reads one frame the way a simple blocking peer does: prefix, body. */
static size_t
read_frame(int fd, uint8_t *buf, size_t cap)
{
    uint8_t pre[4];
    read_all(fd, pre, 4);
    size_t n = (size_t)pre[0] | ((size_t)pre[1] << 8) | ((size_t)pre[2] << 16)
             | ((size_t)pre[3] << 24);
    if (n > cap) {
        errno = EPROTO;
        die("raw frame too big");
    }
    read_all(fd, buf, n);
    return n;
}

/* Counts complete frames in a stream read in big chunks. */
static void
raw_sink(int fd, long frames)
{
    static uint8_t buf[1 << 16];
    size_t have = 0;
    long got = 0;
    while (got < frames) {
        ssize_t k = read(fd, buf + have, sizeof buf - have);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            die("sink read");
        have += (size_t)k;
        size_t off = 0;
        while (have - off >= 4) {
            size_t n = (size_t)buf[off] | ((size_t)buf[off + 1] << 8)
                     | ((size_t)buf[off + 2] << 16) | ((size_t)buf[off + 3] << 24);
            if (have - off < 4 + n)
                break;
            off += 4 + n;
            got++;
        }
        memmove(buf, buf + off, have - off);
        have -= off;
    }
}

static void
raw_peer(const struct sockaddr_storage *ss, socklen_t sl)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (const struct sockaddr *)ss, sl) < 0)
        die("raw connect");
    nodelay(fd, ss);
    uint8_t frame[4 + 256];
    for (int i = 0; i < N_RTT * REPS; i++) {
        size_t n = read_frame(fd, frame + 4, sizeof frame - 4);
        frame[0] = (uint8_t)n;
        frame[1] = frame[2] = frame[3] = 0;
        write_all(fd, frame, 4 + n);
    }
    for (int r = 0; r < REPS; r++) {
        raw_sink(fd, N_STREAM);
        write_all(fd, "k", 1);
    }
    close(fd);
}

static void
run_raw(const actr_addr *a, double *rtt_us, double *rate)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int lfd = raw_listen(a, &ss, &sl);
    fflush(NULL);
    int pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(lfd);
        raw_peer(&ss, sl);
        _exit(0);
    }
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        die("accept");
    nodelay(fd, &ss);

    actr_msg y;
    uint8_t pld;
    make_yield(&y, &pld);
    actr_wbuf one = ACTR_WBUF_INIT, batch = ACTR_WBUF_INIT;
    if (actr_msg_encode(&y, &one) < 0)
        die("encode");
    for (int i = 0; i < RAW_BATCH; i++)
        if (actr_msg_encode(&y, &batch) < 0)
            die("encode");
    uint8_t back[256];
    for (int r = 0; r < REPS; r++) {
        int64_t t0 = now_ns();
        for (int i = 0; i < N_RTT; i++) {
            write_all(fd, one.ptr, one.len);
            (void)read_frame(fd, back, sizeof back);
        }
        rtt_us[r] = (double)(now_ns() - t0) / N_RTT / 1e3;
    }
    for (int r = 0; r < REPS; r++) {
        int64_t t0 = now_ns();
        for (int i = 0; i < N_STREAM / RAW_BATCH; i++)
            write_all(fd, batch.ptr, batch.len);
        char k;
        read_all(fd, &k, 1);
        rate[r] = N_STREAM / ((double)(now_ns() - t0) / 1e9) / 1e6;
    }
    close(fd);
    close(lfd);
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_ipc: the raw peer failed\n");
        exit(1);
    }
    if (a->kind == ACTR_ADDR_UNIX)
        unlink(a->path);
    actr_wbuf_destroy(&one);
    actr_wbuf_destroy(&batch);
}

/* ------------------------------------------------------------ main */

static void
bench_transport(const char *tname, const char *url)
{
    struct actr_side s;
    memset(&s, 0, sizeof s);
    run_actr(url, &s);
    double raw_rtt[REPS], raw_rate[REPS];
    run_raw(&s.addr, raw_rtt, raw_rate);

    char name[64], bname[64];
    snprintf(name, sizeof name, "ipc_rtt_%s", tname);
    snprintf(bname, sizeof bname, "raw_rtt_%s", tname);
    report(name, median(s.rtt_us, REPS), "us", bname, median(raw_rtt, REPS));
    snprintf(name, sizeof name, "ipc_stream_%s", tname);
    snprintf(bname, sizeof bname, "raw_stream_%s", tname);
    report(name, median(s.rate, REPS), "Mframes/s", bname, median(raw_rate, REPS));
    printf("# ipc_stream_%s: %llu write syscalls for %llu frames (%.0f frames per write)\n",
           tname, (unsigned long long)s.st.write_calls,
           (unsigned long long)s.st.frames_sent,
           s.st.write_calls ? (double)s.st.frames_sent / (double)s.st.write_calls : 0.0);
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN);
    bench_transport("tcp", "tcp://127.0.0.1:0");
    char url[128];
    snprintf(url, sizeof url, "unix:///tmp/actr-bench-ipc-%d.sock", (int)getpid());
    bench_transport("unix", url);
    return 0;
}
