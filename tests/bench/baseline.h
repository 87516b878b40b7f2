/* The baselines every framework figure is compared with, measured in the
 * same run: our own small programs with the framework's framing (4-byte
 * little-endian length + one msgpack map in tractor's message shapes),
 * built on msgpack-c and the kernel only.
 *
 * - sock: blocking sockets. Round trip: the client writes a request and
 *   blocks in read() for the reply; stream: the writer writev()s batches
 *   of frames, the reader only finds frame boundaries.
 * - ev: libev + msgpack-c without the framework. Non-blocking sockets
 *   driven by ev_io watchers on both sides; every frame is packed with
 *   msgpack-c and every received frame is fully unpacked and checked.
 *
 * Both sides buffer: a read takes whatever the kernel has and every
 * complete frame in it is handled before the next read; replies to one
 * read leave in one write. Each function forks its peer (bench_util.h:
 * pinned like the caller, always reaped), measures `reps` repetitions and
 * returns 0 with the statistics, or a negative ACTR_E* code. */
#ifndef ACTR_BENCH_BASELINE_H
#define ACTR_BENCH_BASELINE_H

#include "bench_util.h"

typedef enum {
    BENCH_TCP,   /* TCP loopback, TCP_NODELAY */
    BENCH_UNIX,  /* Unix stream socket in /tmp */
} bench_tpt;

/* "tcp" or "unix". */
const char *bench_tpt_name(bench_tpt t);

typedef enum {
    /* A function call: Start{cid (fresh per call), ns, func, kwargs:{x},
     * uid, pld_spec} answered by StartAck{cid, asyncfunc} and
     * Return{cid, pld: x + 1}. */
    BENCH_SHAPE_CALL,
    /* An echo on a stream: Yield{cid, pld: i} answered by the same Yield. */
    BENCH_SHAPE_ECHO,
} bench_shape;

/* "call" or "echo". */
const char *bench_shape_name(bench_shape s);

typedef struct {
    bench_stat rtt_us;  /* mean round trip of each repetition, microseconds */
    bench_stat p99_us;  /* 99th percentile of each repetition, microseconds */
} bench_rtt;

typedef struct {
    bench_stat mmsgs;   /* millions of messages per second */
    bench_stat mbytes;  /* MB (1e6 bytes) of frames per second */
    double frame_bytes; /* bytes of one frame, prefix included */
} bench_stream;

/* Round trips of `shape` on blocking sockets, `n` per repetition. */
int bench_base_sock_rtt(bench_tpt t, bench_shape shape, int reps, int n, bench_rtt *out);

/* One-way stream of `n` Yield{cid, pld: i} frames per repetition, written
 * by writev() in batches; a repetition ends when the reader has counted
 * all of them and its one-byte acknowledgement has arrived. */
int bench_base_sock_stream(bench_tpt t, int reps, long n, bench_stream *out);

/* Round trips of `shape` between two libev loops. */
int bench_base_ev_rtt(bench_tpt t, bench_shape shape, int reps, int n, bench_rtt *out);

/* One-way stream between two libev loops: the writer packs frames into
 * its buffer while the socket is writable, the reader unpacks and checks
 * every frame and acknowledges each repetition with a Yield frame. */
int bench_base_ev_stream(bench_tpt t, int reps, long n, bench_stream *out);

/* Large payloads on blocking sockets (baseline_bulk.c): per repetition n
 * frames of a 4-byte length and a size-byte payload (payload.h), each
 * written from the writer's buffer with one writev and read exactly into
 * the reader's, which checks it. call = 0: a one-way stream, acknowledged
 * per repetition; call = 1: each payload is answered with its 8-byte sum
 * before the next goes. *mbs: payload MB (1e6 bytes) per second. */
int bench_base_sock_bulk(bench_tpt t, int call, int reps, long n, size_t size,
                         bench_stat *mbs);

/* ------------------------------------------------------------ processes */

/* 1 when argv asks for the spawn baseline's child mode (a bench binary
 * checks this first in main and then returns bench_base_child_main). */
int bench_base_is_child(int argc, char **argv);

/* The spawn baseline's child: connects back to the address on its command
 * line and serves call round trips with libev + msgpack-c until the
 * parent closes. Returns the process exit status. */
int bench_base_child_main(int argc, char **argv);

typedef struct {
    bench_stat first_ms;  /* first spawn -> first answered call */
    bench_stat cycle_ms;  /* first spawn -> every child reaped */
} bench_spawn;

/* Spawns k children (posix_spawn of this executable in the baseline's
 * child mode); each connects back over t; then one call round trip per
 * child; then closing the sockets ends each child, which is reaped. */
int bench_base_spawn(bench_tpt t, int reps, int k, bench_spawn *out);

/* Resident memory (KiB) of an idle baseline child after one call. */
int bench_base_child_rss(bench_tpt t, double *kib);

#endif
