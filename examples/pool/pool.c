/* pool: a worker pool. The root actor "pool" spawns NWORKERS workers
 * (this program in child mode, named worker-0...) and opens one `work`
 * context on each. Per worker, one task sends the jobs and another
 * collects the squares (any number of tasks may use one context). The
 * IDL's `window 8` holds each sender at 8 values in flight (S27): no
 * hand-written credit, and no overrun however fast the feeder is.
 *
 * With --serve the pool stays up after its jobs, so the actr tool can be
 * tried on it (docs/quickstart.md, section 5) until `actr cancel pool`. */
#include <stdio.h>
#include <string.h>

#include <actr/actr.h>

#include "pool.actor.h"

#define NWORKERS 3
#define NJOBS 30

/* ================================================= worker (callee side) */

int
pool_work_impl(pool_work_call *call, uint32_t *out)
{
    int rc = pool_work_call_started(call);
    int64_t n;
    while (rc == 0 && (rc = pool_work_call_recv(call, &n)) == 0) {
        rc = pool_work_call_send(call, n * n);
        (*out)++;
    }
    return rc == ACTR_EPIPE ? 0 : rc;
}

int
pool_square_impl(actr_call *call, int64_t n, int64_t *out)
{
    (void)call;
    *out = n * n;
    return 0;
}

int
pool_countdown_impl(pool_countdown_call *call, uint32_t from)
{
    int rc = 0;
    for (uint32_t i = from; i > 0 && rc == 0; i--)
        rc = pool_countdown_call_yield(call, i);
    return rc;
}

/* ================================================= root: the pool */

struct feeder {
    actr_portal *worker;
    int index;
    pool_work *w;
    int64_t sum;            /* of the squares it got back */
    uint32_t done;          /* the worker's own count */
};

/* Reads squares until the worker's stream ends (it returned). */
static int
collect(void *arg)
{
    struct feeder *f = arg;
    int64_t sq;
    int rc;
    while ((rc = pool_work_recv(f->w, &sq)) == 0)
        f->sum += sq;
    return rc == ACTR_EPIPE ? 0 : rc;
}

/* One task per worker: jobs index+1, index+1+NWORKERS, ..., sent as
 * fast as the window lets them go, while collect() reads the squares. */
static int
feed(void *arg)
{
    struct feeder *f = arg;
    int rc = pool_work_open(f->worker, NULL, &f->w);
    if (rc < 0)
        return rc;
    actr_nursery *n;
    if ((rc = actr_nursery_open(&n)) == 0) {
        rc = actr_nursery_spawn(n, collect, f);
        for (int64_t job = f->index + 1; rc == 0 && job <= NJOBS; job += NWORKERS)
            rc = pool_work_send(f->w, job);
        if (rc == 0)
            rc = pool_work_done(f->w);      /* the worker returns, collect ends */
        int crc = actr_nursery_close(n, ACTR_FOREVER);
        rc = rc < 0 ? rc : crc;
    }
    if (rc == 0)
        rc = pool_work_result(f->w, &f->done);
    int crc = pool_work_close(f->w);
    return rc < 0 ? rc : crc;
}

static int
run_jobs(actr_portal *const *workers)
{
    struct feeder f[NWORKERS];
    actr_nursery *n;
    int rc = actr_nursery_open(&n);
    if (rc < 0)
        return rc;
    for (int i = 0; i < NWORKERS && rc == 0; i++) {
        f[i] = (struct feeder){workers[i], i, NULL, 0, 0};
        rc = actr_nursery_spawn(n, feed, &f[i]);
    }
    int crc = actr_nursery_close(n, ACTR_FOREVER);   /* waits for every feeder */
    if (rc < 0 || crc < 0)
        return rc < 0 ? rc : crc;
    int64_t total = 0;
    for (int i = 0; i < NWORKERS; i++) {
        printf("worker-%d squared %u numbers\n", i, f[i].done);
        total += f[i].sum;
    }
    printf("sum of the squares of 1..%d: %lld\n", NJOBS, (long long)total);
    return 0;
}

static int
root(actr_actor *self, void *arg)
{
    (void)self;
    int serve = *(int *)arg;
    const char *enable[] = {"pool"};
    actr_spawn_opts so = {.enable = enable, .nenable = 1};
    actr_actor_nursery *an;
    actr_portal *workers[NWORKERS];
    int rc = actr_actor_nursery_open(&an);
    if (rc < 0)
        return rc;
    for (int i = 0; i < NWORKERS && rc == 0; i++) {
        char name[32];
        snprintf(name, sizeof name, "worker-%d", i);
        rc = actr_actor_nursery_start(an, name, &so, &workers[i]);
    }
    if (rc == 0)
        rc = run_jobs(workers);
    if (rc == 0 && serve) {
        printf("serving; try: actr ps --tree; stop with: actr cancel pool\n");
        fflush(stdout);
        rc = actr_sleep_until(ACTR_FOREVER);
        if (rc == ACTR_ECANCELED)           /* actr cancel pool: a normal end */
            rc = 0;
    }
    if (rc < 0)
        fprintf(stderr, "pool: %s (%s)\n", actr_strerror(rc), actr_last_error()->message);
    int crc = actr_actor_nursery_close(an);
    if (serve && crc == ACTR_ECANCELED)
        crc = 0;
    return rc < 0 ? rc : crc;
}

int
main(int argc, char **argv)
{
    int serve = argc == 2 && strcmp(argv[1], "--serve") == 0;
    const actr_module *mods[] = {&pool_module};
    actr_actor_opts o = {.name = "pool", .modules = mods, .nmodules = 1};
    return actr_main(argc, argv, &o, root, &serve) < 0;
}
