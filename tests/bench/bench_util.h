/* Shared helpers of the benchmark programs (tests/bench/): the run mode
 * (pinned or unpinned), CPU pinning, repetitions and their statistics, the
 * output line, and a forked peer process that is always torn down.
 *
 * Every figure is printed as one line
 *   bench <name> <value> <unit> baseline <bname> <bvalue> ratio <r>
 *         min <min> max <max> mode <pinned|unpinned>
 * (one line, fields separated by single spaces); value and bvalue are
 * medians of repetitions, min and max those of the figure. The first ten
 * fields are the format of the older bench programs, so tests/bench/run.sh
 * reads both. */
#ifndef ACTR_BENCH_UTIL_H
#define ACTR_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum {
    BENCH_UNPINNED = 0,  /* the scheduler places both processes: what users get */
    BENCH_PINNED = 1,    /* this process and every peer share one CPU: stable */
} bench_mode;

/* Reads the mode from argv[1] ("pinned" or "unpinned") or, when absent,
 * from the environment variable ACTR_BENCH_MODE (default unpinned), and in
 * pinned mode pins this process to one CPU (ACTR_BENCH_CPU, else the
 * highest CPU it may run on). Arms a watchdog: the process (and through
 * the parent-death signal every peer) is killed after `limit_s` seconds,
 * so a stuck benchmark cannot stall `make bench`. Returns 0, or a negative
 * ACTR_E* code on a bad argument or a failed pinning. */
int bench_init(int argc, char **argv, unsigned limit_s);

/* The mode bench_init chose, and its name as printed in the lines. */
bench_mode bench_mode_get(void);
const char *bench_mode_name(void);

/* In pinned mode pins the calling process to the benchmark CPU (a forked
 * peer calls it again: affinity is inherited, this makes it explicit).
 * Returns 0 (nothing to do when unpinned) or ACTR_EIO. */
int bench_pin_self(void);

/* Monotonic clock in nanoseconds. */
int64_t bench_now_ns(void);

/* Median, min and max of repetitions. */
typedef struct {
    double median;
    double min;
    double max;
} bench_stat;

/* Computes the statistics of v[0..n) (n >= 1) without changing v. */
void bench_stat_of(const double *v, size_t n, bench_stat *out);

/* The p-quantile (0 <= p <= 1, nearest rank) of v[0..n), n >= 1; sorts v
 * in place. */
double bench_quantile(double *v, size_t n, double p);

/* Prints one figure line (format above) and flushes stdout. The ratio is
 * value.median / base.median (0 when the baseline is 0). */
void bench_report(const char *name, const bench_stat *value, const char *unit,
                  const char *bname, const bench_stat *base);

/* A forked peer process. */
typedef struct {
    pid_t pid;   /* > 0 while it runs, 0 once reaped */
} bench_peer;

/* Forks a peer that runs fn(arg) and exits with status 0 when it returned
 * 0, 1 otherwise. The peer is pinned like this process, dies with its
 * parent (PR_SET_PDEATHSIG) and closes `keep_close` (-1: none) first, e.g.
 * the listening socket it must not hold. stdout is flushed before the
 * fork. Returns 0 or ACTR_EIO. */
int bench_peer_start(bench_peer *p, int (*fn)(void *), void *arg, int keep_close);

/* Waits up to `timeout_ms` for the peer to exit, then kills it (SIGKILL)
 * and reaps it. Returns 0 when it exited with status 0, ACTR_ETIMEDOUT
 * when it had to be killed, ACTR_EIO when it failed. Idempotent. */
int bench_peer_finish(bench_peer *p, int timeout_ms);

/* Resident memory (VmRSS) of process pid (0: this one) in KiB. Returns 0
 * or ACTR_EIO. */
int bench_rss_kib(pid_t pid, double *kib);

/* Returns the ACTR_E* code of expr from the calling function when it
 * failed (a figure's steps). */
#define CHECK(expr)                                                                     \
    do {                                                                                \
        int rc_ = (expr);                                                               \
        if (rc_ < 0)                                                                    \
            return rc_;                                                                 \
    } while (0)

/* Prints "<prog>: <what>: <error name>" to stderr and exits with status 1:
 * a benchmark that cannot measure must not print a figure. */
_Noreturn void bench_fail(const char *what, int rc);

#endif
