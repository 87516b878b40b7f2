#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "bench_util.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <actr/err.h>

static bench_mode mode = BENCH_UNPINNED;
static int pin_cpu = -1;
static const char *prog = "bench";

bench_mode
bench_mode_get(void)
{
    return mode;
}

const char *
bench_mode_name(void)
{
    return mode == BENCH_PINNED ? "pinned" : "unpinned";
}

int64_t
bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The CPU to pin to: ACTR_BENCH_CPU when it is allowed, else the highest
 * allowed CPU (cpu 0 takes most interrupts on a small machine). */
static int
choose_cpu(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) < 0)
        return ACTR_EIO;
    const char *env = getenv("ACTR_BENCH_CPU");
    if (env && *env) {
        char *end;
        long c = strtol(env, &end, 10);
        if (*end || c < 0 || c >= CPU_SETSIZE || !CPU_ISSET((int)c, &set))
            return ACTR_EINVAL;
        return (int)c;
    }
    for (int c = CPU_SETSIZE - 1; c >= 0; c--)
        if (CPU_ISSET(c, &set))
            return c;
    return ACTR_EIO;
}

int
bench_pin_self(void)
{
    if (mode != BENCH_PINNED)
        return 0;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(pin_cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) < 0 ? ACTR_EIO : 0;
}

int
bench_init(int argc, char **argv, unsigned limit_s)
{
    if (argc > 0 && argv[0]) {
        const char *slash = strrchr(argv[0], '/');
        prog = slash ? slash + 1 : argv[0];
    }
    const char *m = argc > 1 ? argv[1] : getenv("ACTR_BENCH_MODE");
    if (!m || !*m || strcmp(m, "unpinned") == 0)
        mode = BENCH_UNPINNED;
    else if (strcmp(m, "pinned") == 0)
        mode = BENCH_PINNED;
    else
        return ACTR_EINVAL;
    if (mode == BENCH_PINNED) {
        int c = choose_cpu();
        if (c < 0)
            return c;
        pin_cpu = c;
        int rc = bench_pin_self();
        if (rc < 0)
            return rc;
    }
    /* A peer writing into a dead socket must fail, not die silently. */
    signal(SIGPIPE, SIG_IGN);
    if (limit_s)
        alarm(limit_s);
    return 0;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void
bench_stat_of(const double *v, size_t n, bench_stat *out)
{
    double tmp[n];
    memcpy(tmp, v, n * sizeof *v);
    qsort(tmp, n, sizeof *tmp, cmp_double);
    /* Even n: the lower middle, so the median is a measured value. */
    out->median = tmp[(n - 1) / 2];
    out->min = tmp[0];
    out->max = tmp[n - 1];
}

double
bench_quantile(double *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, cmp_double);
    size_t k = (size_t)(p * (double)n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return v[k - 1];
}

/* Enough significant digits for ns-scale and M/s-scale figures alike. */
static void
put(double v)
{
    printf(" %.6g", v);
}

void
bench_report(const char *name, const bench_stat *value, const char *unit,
             const char *bname, const bench_stat *base)
{
    printf("bench %s", name);
    put(value->median);
    printf(" %s baseline %s", unit, bname);
    put(base->median);
    printf(" ratio");
    put(base->median != 0 ? value->median / base->median : 0.0);
    printf(" min");
    put(value->min);
    printf(" max");
    put(value->max);
    printf(" mode %s\n", bench_mode_name());
    fflush(stdout);
}

int
bench_peer_start(bench_peer *p, int (*fn)(void *), void *arg, int keep_close)
{
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return ACTR_EIO;
    if (pid == 0) {
        /* The parent may already be gone (killed by its watchdog). */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
            _exit(1);
        alarm(0);
        if (keep_close >= 0)
            close(keep_close);
        if (bench_pin_self() < 0)
            _exit(1);
        _exit(fn(arg) == 0 ? 0 : 1);
    }
    p->pid = pid;
    return 0;
}

int
bench_peer_finish(bench_peer *p, int timeout_ms)
{
    if (p->pid <= 0)
        return 0;
    int status = 0, rc = 0;
    int64_t until = bench_now_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        pid_t r = waitpid(p->pid, &status, WNOHANG);
        if (r == p->pid)
            break;
        if (r < 0 && errno != EINTR) {
            p->pid = 0;
            return ACTR_EIO;
        }
        if (bench_now_ns() >= until) {
            kill(p->pid, SIGKILL);
            while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR) {
            }
            rc = ACTR_ETIMEDOUT;
            break;
        }
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    p->pid = 0;
    if (rc < 0)
        return rc;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : ACTR_EIO;
}

int
bench_rss_kib(pid_t pid, double *kib)
{
    char path[64], line[256];
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    else
        snprintf(path, sizeof path, "/proc/self/status");
    FILE *f = fopen(path, "r");
    if (!f)
        return ACTR_EIO;
    int rc = ACTR_EIO;
    while (fgets(line, sizeof line, f)) {
        long v;
        if (sscanf(line, "VmRSS: %ld kB", &v) == 1) {
            *kib = (double)v;
            rc = 0;
            break;
        }
    }
    fclose(f);
    return rc;
}

_Noreturn void
bench_fail(const char *what, int rc)
{
    const char *n = actr_errname(rc);
    fprintf(stderr, "%s: %s: %s\n", prog, what, n ? n : "error");
    exit(1);
}
