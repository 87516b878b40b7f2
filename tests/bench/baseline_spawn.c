/* The process baselines (baseline.h): spawning a fresh image of this
 * executable that connects back and answers a call, with libev +
 * msgpack-c and nothing of the framework; and the resident memory of such
 * a child. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <actr/err.h>

#include "base_proto.h"

extern char **environ;

#define CHILD_FLAG "--bench-base-child"
#define CONNECT_MS 10000
#define MAX_CHILDREN 128

int
bench_base_is_child(int argc, char **argv)
{
    return argc > 1 && strcmp(argv[1], CHILD_FLAG) == 0;
}

/* argv: prog --bench-base-child tcp|unix <port|path> */
int
bench_base_child_main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    pid_t parent = getppid();
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        return 1;
    bp_listener l;
    memset(&l, 0, sizeof l);
    if (strcmp(argv[2], "unix") == 0) {
        struct sockaddr_un *un = (struct sockaddr_un *)&l.ss;
        un->sun_family = AF_UNIX;
        snprintf(un->sun_path, sizeof un->sun_path, "%s", argv[3]);
        l.tpt = BENCH_UNIX;
        l.sl = sizeof *un;
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&l.ss;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        in->sin_port = htons((uint16_t)atoi(argv[3]));
        l.tpt = BENCH_TCP;
        l.sl = sizeof *in;
    }
    int fd;
    if (bp_connect(&l, &fd) < 0)
        return 1;
    return bp_ev_serve(fd, BENCH_SHAPE_CALL) == 0 ? 0 : 1;
}

static int
addr_text(const bp_listener *l, char *buf, size_t cap)
{
    if (l->tpt == BENCH_UNIX)
        snprintf(buf, cap, "%s", ((const struct sockaddr_un *)&l->ss)->sun_path);
    else
        snprintf(buf, cap, "%u", ntohs(((const struct sockaddr_in *)&l->ss)->sin_port));
    return 0;
}

static int
spawn_child(const bp_listener *l, pid_t *pid)
{
    static char exe[4096];
    if (!exe[0]) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0)
            return ACTR_EIO;
        exe[n] = '\0';
    }
    char addr[128];
    addr_text(l, addr, sizeof addr);
    char *args[] = {exe, CHILD_FLAG, (char *)bench_tpt_name(l->tpt), addr, NULL};
    return posix_spawn(pid, exe, NULL, NULL, args, environ) == 0 ? 0 : ACTR_EIO;
}

/* accept with a deadline: a child that never connects must not hang us. */
static int
accept_within(bp_listener *l, int ms, int *fd)
{
    struct pollfd p = {l->fd, POLLIN, 0};
    int r;
    while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR) {
    }
    if (r == 0)
        return ACTR_ETIMEDOUT;
    if (r < 0)
        return ACTR_EIO;
    return bp_accept(l, fd);
}

static int
reap(pid_t pid)
{
    bench_peer p = {pid};
    return bench_peer_finish(&p, CONNECT_MS);
}

/* One spawn cycle of k children; times in ms since the first spawn. */
static int
spawn_cycle(bench_tpt t, int k, double *first_ms, double *cycle_ms, double *rss_kib)
{
    bp_listener l;
    pid_t pids[MAX_CHILDREN];
    int fds[MAX_CHILDREN];
    int started = 0, connected = 0, rc;
    int64_t t0 = 0;
    if (k < 1 || k > MAX_CHILDREN)
        return ACTR_EINVAL;
    if ((rc = bp_listen(t, &l)) < 0)
        return rc;
    bp_in in = {0};
    bp_out o;
    bp_out_init(&o);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    if ((rc = bp_in_init(&in, 64 * 1024)) < 0)
        goto out;
    t0 = bench_now_ns();
    for (int i = 0; i < k && rc == 0; i++) {
        if ((rc = spawn_child(&l, &pids[i])) == 0)
            started++;
        if (rc == 0 && (rc = accept_within(&l, CONNECT_MS, &fds[i])) == 0)
            connected++;
    }
    for (int i = 0; i < connected && rc == 0; i++) {
        rc = bp_rtt_once(fds[i], BENCH_SHAPE_CALL, (uint64_t)i + 1, &in, &o, &zone);
        if (i == 0)
            *first_ms = (double)(bench_now_ns() - t0) / 1e6;
    }
    if (rc == 0 && rss_kib)
        rc = bench_rss_kib(pids[0], rss_kib);
out:
    for (int i = 0; i < connected; i++)
        close(fds[i]);
    bp_listener_close(&l);
    for (int i = 0; i < started; i++) {
        int r = reap(pids[i]);
        if (rc == 0)
            rc = r;
    }
    if (rc == 0)
        *cycle_ms = (double)(bench_now_ns() - t0) / 1e6;
    msgpack_zone_destroy(&zone);
    bp_out_destroy(&o);
    bp_in_destroy(&in);
    return rc;
}

int
bench_base_spawn(bench_tpt t, int reps, int k, bench_spawn *out)
{
    double first[reps], cycle[reps];
    for (int r = 0; r < reps; r++) {
        int rc = spawn_cycle(t, k, &first[r], &cycle[r], NULL);
        if (rc < 0)
            return rc;
    }
    bench_stat_of(first, (size_t)reps, &out->first_ms);
    bench_stat_of(cycle, (size_t)reps, &out->cycle_ms);
    return 0;
}

int
bench_base_child_rss(bench_tpt t, double *kib)
{
    double first, cycle, rss;
    int rc = spawn_cycle(t, 1, &first, &cycle, &rss);
    if (rc == 0)
        *kib = rss;
    return rc;
}
