/* pool: a worker pool. The root actor "pool" spawns NWORKERS workers
 * (this program in child mode, named worker-0...), opens one `work`
 * context on each and feeds it jobs from one task per worker, at most
 * WINDOW jobs ahead of the results it has read. That window is the
 * overrun rule at work: a context's receive queue holds
 * ACTR_CTX_QUEUE_DEFAULT (64) values and whatever arrives beyond it is
 * dropped and answered with StreamOverrun (S17), so a producer must not
 * run further ahead of its consumer than that. (Flow-control windows in
 * the protocol will make this automatic; until then, keep the window.)
 *
 * With --serve the pool stays up after its jobs, so the actr tool can be
 * tried on it (docs/quickstart.md, section 5) until `actr cancel pool`. */
#include <stdio.h>
#include <string.h>

#include <actr/actr.h>

#include "pool.actor.h"

#define NWORKERS 3
#define NJOBS 30
#define WINDOW 8            /* jobs in flight per worker, below the queue's 64 */

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
    int64_t sum;            /* of the squares it got back */
    uint32_t done;          /* the worker's own count */
};

/* One task per worker: jobs index+1, index+1+NWORKERS, ... */
static int
feed(void *arg)
{
    struct feeder *f = arg;
    pool_work *w;
    int rc = pool_work_open(f->worker, NULL, &w);
    if (rc < 0)
        return rc;
    int64_t next = f->index + 1;
    int inflight = 0;
    while (rc == 0 && (next <= NJOBS || inflight > 0)) {
        if (next <= NJOBS && inflight < WINDOW) {
            rc = pool_work_send(w, next);
            next += NWORKERS;
            inflight++;
        } else {
            int64_t sq;
            if ((rc = pool_work_recv(w, &sq)) == 0)
                f->sum += sq;
            inflight--;
        }
    }
    if (rc == 0 && (rc = pool_work_done(w)) == 0)
        rc = pool_work_result(w, &f->done);
    int crc = pool_work_close(w);
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
        f[i] = (struct feeder){workers[i], i, 0, 0};
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
