/* Benchmarks of the runtime core: fiber switch, task spawn+join, channel
 * send+recv, each next to a baseline measured in the same run. Prints
 *   bench <name> <value> <unit> baseline <name> <value> ratio <r>
 * per figure (tests/bench/run.sh turns the lines into JSON). Every figure
 * is the median of REPS repetitions: the machine is shared and noisy. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <actr/actr.h>

#include "core/fiber.h"

#define REPS 9

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
report(const char *name, double value, const char *bname, double bvalue)
{
    printf("bench %s %.2f ns baseline %s %.2f ratio %.3f\n", name, value, bname, bvalue,
           bvalue > 0 ? value / bvalue : 0.0);
    fflush(stdout);
}

/* ------------------------------------------------------------ baselines */

__attribute__((noinline)) static int
plus_one(int x)
{
    __asm__ volatile("" ::: "memory");
    return x + 1;
}

static int (*volatile indirect)(int) = plus_one;

static double
bench_indirect_call(void)
{
    const int n = 10000000;
    int acc = 0;
    int64_t t0 = now_ns();
    for (int i = 0; i < n; i++)
        acc = indirect(acc);
    int64_t t1 = now_ns();
    if (acc != n)
        abort();
    return (double)(t1 - t0) / n;
}

/* Two tasks bounce one byte through two pipes, each waiting with
 * actr_fd_wait: the kernel path a message between fibers would take. */
struct pipes {
    int a[2], b[2];
    int rounds;
};

static int
pipe_echo(void *arg)
{
    struct pipes *p = arg;
    char c;
    for (int i = 0; i < p->rounds; i++) {
        while (read(p->a[0], &c, 1) != 1)
            if (actr_fd_wait(p->a[0], ACTR_READ, ACTR_FOREVER) < 0)
                return ACTR_EIO;
        if (write(p->b[1], &c, 1) != 1)
            return ACTR_EIO;
    }
    return 0;
}

static double pipe_result;

static int
bench_pipe_main(void *arg)
{
    (void)arg;
    struct pipes p = {.rounds = 20000};
    if (pipe2(p.a, O_NONBLOCK) || pipe2(p.b, O_NONBLOCK))
        return ACTR_EIO;
    actr_nursery *n;
    int rc = actr_nursery_open(&n);
    if (rc < 0)
        return rc;
    rc = actr_nursery_spawn(n, pipe_echo, &p);
    int64_t t0 = now_ns();
    char c = 'x';
    for (int i = 0; i < p.rounds && rc == 0; i++) {
        if (write(p.a[1], &c, 1) != 1)
            rc = ACTR_EIO;
        while (rc == 0 && read(p.b[0], &c, 1) != 1)
            if (actr_fd_wait(p.b[0], ACTR_READ, ACTR_FOREVER) < 0)
                rc = ACTR_EIO;
    }
    int64_t t1 = now_ns();
    int crc = actr_nursery_close(n, ACTR_FOREVER);
    /* One message = one write + one read: two per round trip. */
    pipe_result = (double)(t1 - t0) / (2.0 * p.rounds);
    close(p.a[0]);
    close(p.a[1]);
    close(p.b[0]);
    close(p.b[1]);
    return rc < 0 ? rc : crc;
}

/* ------------------------------------------------------------ fiber switch */

static struct fiber main_fiber, other_fiber;

static void
bouncer(void *arg)
{
    (void)arg;
    actri_fiber_started();
    for (;;)
        actri_fiber_switch(&other_fiber, &main_fiber);
}

static double
bench_switch(void)
{
    struct stackinfo info;
    char *top = actri_stack_alloc(64 * 1024, 64, &info);
    if (!top)
        abort();
    actri_fiber_init(&other_fiber, info.lo, info.hi, bouncer, NULL);
    const int n = 5000000;
    actri_fiber_switch(&main_fiber, &other_fiber);   /* start it */
    int64_t t0 = now_ns();
    for (int i = 0; i < n; i++)
        actri_fiber_switch(&main_fiber, &other_fiber);
    int64_t t1 = now_ns();
    actri_stack_free(&info);        /* never resumed again */
    actri_stack_pool_drain();
    return (double)(t1 - t0) / (2.0 * n);
}

/* Two tasks yielding to each other through the scheduler. */
static int
yielder(void *arg)
{
    int n = *(int *)arg;
    for (int i = 0; i < n; i++)
        if (actr_checkpoint() < 0)
            return ACTR_ECANCELED;
    return 0;
}

static double yield_result;

static int
bench_yield_main(void *arg)
{
    (void)arg;
    int n = 1000000;
    actr_nursery *nu;
    int rc = actr_nursery_open(&nu);
    if (rc < 0)
        return rc;
    int64_t t0 = now_ns();
    if ((rc = actr_nursery_spawn(nu, yielder, &n)) == 0)
        rc = actr_nursery_spawn(nu, yielder, &n);
    int crc = actr_nursery_close(nu, ACTR_FOREVER);
    int64_t t1 = now_ns();
    yield_result = (double)(t1 - t0) / (2.0 * n);
    return rc < 0 ? rc : crc;
}

/* ------------------------------------------------------------ spawn+join */

static int
noop(void *arg)
{
    (void)arg;
    return 0;
}

static double spawn_result;

static int
bench_spawn_main(void *arg)
{
    (void)arg;
    const int batch = 500, batches = 40;
    int64_t total = 0;
    for (int warm = 0; warm < 2; warm++) {     /* first pass fills the pool */
        total = 0;
        for (int b = 0; b < batches; b++) {
            actr_nursery *n;
            int rc = actr_nursery_open(&n);
            if (rc < 0)
                return rc;
            int64_t t0 = now_ns();
            for (int i = 0; i < batch && rc == 0; i++)
                rc = actr_nursery_spawn(n, noop, NULL);
            int crc = actr_nursery_close(n, ACTR_FOREVER);
            total += now_ns() - t0;
            if (rc < 0 || crc < 0)
                return rc < 0 ? rc : crc;
        }
    }
    spawn_result = (double)total / ((double)batch * batches);
    return 0;
}

/* ------------------------------------------------------------ channel */

struct chanbench {
    actr_chan *ch;
    int n;
};

static int
chan_producer(void *arg)
{
    struct chanbench *c = arg;
    for (int i = 0; i < c->n; i++) {
        int rc = actr_chan_send(c->ch, &i, ACTR_FOREVER);
        if (rc < 0)
            return rc;
    }
    actr_chan_done(c->ch);
    return 0;
}

static double chan_result;

static int
bench_chan_main(void *arg)
{
    size_t cap = *(size_t *)arg;
    struct chanbench c = {.n = 1000000};
    int rc = actr_chan_open(&c.ch, sizeof(int), cap);
    if (rc < 0)
        return rc;
    actr_nursery *n;
    if ((rc = actr_nursery_open(&n)) < 0) {
        actr_chan_close(c.ch);
        return rc;
    }
    int64_t t0 = now_ns();
    rc = actr_nursery_spawn(n, chan_producer, &c);
    int v, got = 0;
    while (rc == 0 && actr_chan_recv(c.ch, &v, ACTR_FOREVER) == 0)
        got++;
    int crc = actr_nursery_close(n, ACTR_FOREVER);
    int64_t t1 = now_ns();
    actr_chan_close(c.ch);
    if (got != c.n)
        return ACTR_EIO;
    chan_result = (double)(t1 - t0) / c.n;
    return rc < 0 ? rc : crc;
}

/* ------------------------------------------------------------ main */

static double
run_task_bench(actr_task_fn fn, void *arg, double *result)
{
    int rc = actr_run(fn, arg);
    if (rc < 0) {
        fprintf(stderr, "bench_core: run failed: %s\n", actr_errname(rc));
        exit(1);
    }
    return *result;
}

int
main(void)
{
    double call[REPS], pipe_rw[REPS], sw[REPS], yl[REPS], sp[REPS], ch64[REPS], ch0[REPS];
    size_t cap64 = 64, cap0 = 0;
    for (int r = 0; r < REPS; r++) {
        call[r] = bench_indirect_call();
        sw[r] = bench_switch();
        pipe_rw[r] = run_task_bench(bench_pipe_main, NULL, &pipe_result);
        yl[r] = run_task_bench(bench_yield_main, NULL, &yield_result);
        sp[r] = run_task_bench(bench_spawn_main, NULL, &spawn_result);
        ch64[r] = run_task_bench(bench_chan_main, &cap64, &chan_result);
        ch0[r] = run_task_bench(bench_chan_main, &cap0, &chan_result);
    }
    double mcall = median(call, REPS), mpipe = median(pipe_rw, REPS);
    report("fiber_switch", median(sw, REPS), "indirect_call", mcall);
    report("task_yield", median(yl, REPS), "indirect_call", mcall);
    report("spawn_join", median(sp, REPS), "pipe_write_read", mpipe);
    report("chan_send_recv", median(ch64, REPS), "pipe_write_read", mpipe);
    report("chan_rendezvous", median(ch0, REPS), "pipe_write_read", mpipe);
    return 0;
}
