/* The discovery figures (M25), each next to a baseline of the same run:
 *  1. find: actr_find_addrs of a live actor through etcd vs through the
 *     registrar (the root is the registrar; the actor is registered with
 *     both);
 *  2. registration cost at spawn: start_actor -> first answered call of
 *     a child that registers with etcd (before it serves its parent) vs
 *     one that registers nowhere;
 *  3. SIGKILL -> the entry's disappearance: through etcd (the lease's TTL
 *     is the baseline: the figure is the TTL plus etcd's expiry check),
 *     and through the registrar (it probes before it answers; baseline:
 *     one find of a live actor).
 * The benchmark starts its own etcd (a single member on free loopback
 * ports, in a temporary directory removed afterwards); without etcd it
 * says so and prints nothing. The program spawns itself as the children.
 *
 * usage: bench_disc [pinned|unpinned]   (default: $ACTR_BENCH_MODE) */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <actr/actr.h>

#include "bench_util.h"
#include "benchmod.actor.h"
#include "etcd_health.h"

#define FIND_REPS 5
#define N_FIND 200             /* finds per repetition */
#define SPAWN_REPS 7
#define KILL_REPS 3
#define TTL_S 2                /* ACTR_ETCD_TTL of this benchmark */

static const actr_module *const modules[] = {&benchmod_module};
static const char *const enabled[] = {"benchmod"};
static const actr_spawn_opts child_opts = {.enable = enabled, .nenable = 1};

/* ------------------------------------------------------------ etcd */

static struct {
    pid_t pid;
    char dir[64];
    char url[128];            /* etcd://127.0.0.1:PORT/bench */
    int port;
} E;

static int
free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
        bench_fail("free port", ACTR_EIO);
    close(fd);
    return ntohs(sa.sin_port);
}

/* Starts etcd (dies with us); 0, or -1 when it is not installed. */
static int
etcd_start(void)
{
    if (system("etcd --version >/dev/null 2>&1") != 0)
        return -1;
    snprintf(E.dir, sizeof E.dir, "/tmp/actr-bench-etcd-XXXXXX");
    if (!mkdtemp(E.dir))
        bench_fail("etcd directory", ACTR_EIO);
    int port = free_port(), peer = free_port();
    char data[128], lc[64], lp[64], init[96], log[128];
    snprintf(data, sizeof data, "%s/data", E.dir);
    snprintf(log, sizeof log, "%s/etcd.log", E.dir);
    snprintf(lc, sizeof lc, "http://127.0.0.1:%d", port);
    snprintf(lp, sizeof lp, "http://127.0.0.1:%d", peer);
    snprintf(init, sizeof init, "bench=%s", lp);
    snprintf(E.url, sizeof E.url, "etcd://127.0.0.1:%d/bench", port);
    E.port = port;
    fflush(stdout);
    if ((E.pid = fork()) == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execlp("etcd", "etcd", "--name", "bench", "--data-dir", data, "--listen-client-urls",
               lc, "--advertise-client-urls", lc, "--listen-peer-urls", lp,
               "--initial-advertise-peer-urls", lp, "--initial-cluster", init,
               "--heartbeat-interval", "50", "--election-timeout", "500", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 300; i++) {
        if (etcd_health_ok(E.port))
            return 0;
        usleep(50000);
    }
    bench_fail("etcd did not start", ACTR_ETIMEDOUT);
}

static void
etcd_stop(void)
{
    if (E.pid <= 0)
        return;
    kill(E.pid, SIGTERM);
    waitpid(E.pid, NULL, 0);
    E.pid = 0;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", E.dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_disc: could not remove %s\n", E.dir);
}

/* ------------------------------------------------------------ figures */

struct run {
    const char *step;
    char registrar[ACTR_ADDR_URL_MAX];
    bench_stat find_etcd_us, find_reg_us;
    bench_stat gone_etcd_ms, gone_reg_ms;
};

static int
finds(const char *reg, const char *name, bench_stat *out)
{
    double us[FIND_REPS];
    const char *r[] = {reg};
    for (int i = 0; i < FIND_REPS; i++) {
        int64_t t0 = bench_now_ns();
        for (int k = 0; k < N_FIND; k++) {
            char **urls;
            size_t n;
            CHECK(actr_find_addrs(name, r, 1, &urls, &n));
            actr_urls_free(urls, n);
        }
        us[i] = (double)(bench_now_ns() - t0) / 1e3 / N_FIND;
    }
    bench_stat_of(us, FIND_REPS, out);
    return 0;
}

/* start_actor -> first answered call, SPAWN_REPS times. */
static int
spawns(bench_stat *out)
{
    double ms[SPAWN_REPS];
    for (int i = 0; i < SPAWN_REPS; i++) {
        actr_actor_nursery *an;
        actr_portal *p;
        int64_t v;
        CHECK(actr_actor_nursery_open(&an));
        int64_t t0 = bench_now_ns();
        int rc = actr_actor_nursery_start(an, "spawned", &child_opts, &p);
        if (rc == 0)
            rc = benchmod_ping(p, 1, &v);
        ms[i] = (double)(bench_now_ns() - t0) / 1e6;
        int crc = actr_actor_nursery_close(an);
        CHECK(rc);
        CHECK(crc);
    }
    bench_stat_of(ms, SPAWN_REPS, out);
    return 0;
}

/* SIGKILL of a child -> find through reg says "not found". */
static int
kills(const char *reg, bench_stat *out)
{
    double ms[KILL_REPS];
    const char *r[] = {reg};
    for (int i = 0; i < KILL_REPS; i++) {
        actr_actor_nursery *an;
        actr_portal *p;
        int64_t pid;
        char **urls;
        size_t n;
        CHECK(actr_actor_nursery_open(&an));
        int rc = actr_actor_nursery_start(an, "victim", &child_opts, &p);
        if (rc == 0)
            rc = benchmod_pid(p, &pid);
        if (rc == 0 && kill((pid_t)pid, SIGKILL) < 0)
            rc = ACTR_EIO;
        int64_t t0 = bench_now_ns();
        while (rc == 0 && (rc = actr_find_addrs("victim", r, 1, &urls, &n)) == 0) {
            actr_urls_free(urls, n);
            rc = actr_sleep(5);
        }
        ms[i] = (double)(bench_now_ns() - t0) / 1e6;
        actr_actor_nursery_close(an);       /* reports the killed child */
        if (rc != ACTR_ENOTFOUND)
            return rc < 0 ? rc : ACTR_EPROTO;
    }
    bench_stat_of(ms, KILL_REPS, out);
    return 0;
}

/* The root is the registrar and is registered with etcd; so is "target". */
static int
disc_root(actr_actor *self, void *arg)
{
    struct run *r = arg;
    CHECK(actr_actor_registrar(self, 0, r->registrar, sizeof r->registrar));
    actr_actor_nursery *an;
    actr_portal *p;
    CHECK(actr_actor_nursery_open(&an));
    int rc = actr_actor_nursery_start(an, "target", &child_opts, &p);
    if (rc == 0 && (r->step = "find etcd", 1))
        rc = finds(E.url, "target", &r->find_etcd_us);
    if (rc == 0 && (r->step = "find registrar", 1))
        rc = finds(r->registrar, "target", &r->find_reg_us);
    int crc = actr_actor_nursery_close(an);
    CHECK(rc);
    CHECK(crc);
    if ((r->step = "sigkill etcd", 1))
        CHECK(kills(E.url, &r->gone_etcd_ms));
    if ((r->step = "sigkill registrar", 1))
        CHECK(kills(r->registrar, &r->gone_reg_ms));
    return 0;
}

/* Figure 2: spawns, with the root's registries (etcd, or none). */
static int
spawn_root(actr_actor *self, void *arg)
{
    (void)self;
    return spawns(arg);
}

static void
run_root(actr_actor_fn fn, void *arg, const char *const *reg, size_t nreg, const char *step)
{
    static char *argv[] = {"bench_disc", NULL};
    /* (quiet: the registrar's probes of killed actors log errors) */
    actr_actor_opts o = {.name = "bench", .modules = modules, .nmodules = 1,
                         .registry = reg, .nregistry = nreg, .loglevel = 50};
    int rc = actr_main(1, argv, &o, fn, arg);
    if (rc < 0) {
        etcd_stop();
        bench_fail(step, rc);
    }
}

int
main(int argc, char **argv)
{
    if (actr_is_child(argc, argv)) {
        actr_actor_opts o = {.modules = modules, .nmodules = 1};
        return actr_main(argc, argv, &o, NULL, NULL) < 0 ? 1 : 0;
    }
    int rc = bench_init(argc, argv, 140);
    if (rc < 0)
        bench_fail("init", rc);
    char ttl[8];
    snprintf(ttl, sizeof ttl, "%d", TTL_S);
    setenv(ACTR_ETCD_TTL_ENV, ttl, 1);
    setenv(ACTR_REGISTRY_ENV, "none", 1);
    if (etcd_start() < 0) {
        printf("# bench_disc: etcd is not installed (Debian: etcd-server): no figures\n");
        return 0;
    }
    struct run r = {0};
    bench_stat plain_spawn, etcd_spawn;
    run_root(spawn_root, &plain_spawn, NULL, 0, "spawn, no registry");
    const char *ereg[] = {E.url};
    run_root(spawn_root, &etcd_spawn, ereg, 1, "spawn, etcd");
    const char *reg[] = {"tcp://127.0.0.1:0", E.url};
    run_root(disc_root, &r, reg, 2, "discovery");
    etcd_stop();

    bench_stat ttl_ms = {TTL_S * 1e3, TTL_S * 1e3, TTL_S * 1e3};
    bench_report("disc_find_etcd", &r.find_etcd_us, "us", "disc_find_registrar", &r.find_reg_us);
    bench_report("disc_spawn_first_call_etcd", &etcd_spawn, "ms",
                 "disc_spawn_first_call_unregistered", &plain_spawn);
    bench_report("disc_sigkill_gone_etcd", &r.gone_etcd_ms, "ms", "etcd_lease_ttl", &ttl_ms);
    bench_report("disc_sigkill_gone_registrar", &r.gone_reg_ms, "ms", "disc_find_registrar_ms",
                 &(bench_stat){r.find_reg_us.median / 1e3, r.find_reg_us.min / 1e3,
                               r.find_reg_us.max / 1e3});
    return 0;
}
