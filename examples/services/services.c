/* services: a daemon in the seeds' spirit (pikerd). The daemon
 * `servicesd` holds a service manager that defines one service, a price
 * feed, started on demand and restarted when it dies. A client program
 * asks the daemon for the feed (found by name if it runs, else started:
 * the seeds' maybe_spawn_daemon), and its tasks share one context on the
 * feed through a cached context and a broadcast. When the feed is killed
 * with SIGKILL, the daemon's supervisor restarts it under the same name
 * and the client's tasks find it again with wait_for_actor.
 *
 *   services                  the demo: starts the daemon, runs the
 *                             client, kills the feed, watches it return
 *   services daemon [URL]     the daemon alone (URL: the registry)
 *   services client [URL]     the client alone, until Ctrl-C */
#define _GNU_SOURCE
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <actr/actr.h>

#include "feeds.actor.h"

#define DAEMON "servicesd"
#define FEED "feed"
#define TASKS 3                 /* client tasks sharing the feed */
#define TICKS 3                 /* ticks each task shows per phase (demo) */

extern char **environ;

static pid_t daemon_pid;        /* the demo's daemon */
static int daemon_status = -1;

/* ================================================= the feed (its actor) */

static char feed_sym[16] = "?";

/* Set once the daemon's serve context gave the feed its symbol: a client
 * may find the feed by name (it registers as it starts) a moment before
 * that, and its quotes wait for it. */
static actr_event *
feed_configured(void)
{
    static actr_event ev = ACTR_EVENT_INIT;
    return &ev;
}

int
feeds_serve_impl(feeds_serve_call *call, actr_str sym, bool *out)
{
    (void)out;
    snprintf(feed_sym, sizeof feed_sym, "%s", sym.ptr);
    actr_event_set(feed_configured());
    int rc = feeds_serve_call_started(call, getpid());
    /* The service lives as long as this context: until cancelled. */
    return rc < 0 ? rc : actr_sleep_until(ACTR_FOREVER);
}

struct pump {
    feeds_quotes_call *call;
    uint32_t every_ms;
    uint64_t seq;
};

static int
pump_ticks(void *arg)
{
    struct pump *p = arg;
    for (;;) {
        feeds_tick t = {p->seq, 100.0 + (double)(p->seq * 37 % 100) / 10.0, getpid(),
                        actr_str_from("")};
        p->seq++;
        int rc = feeds_quotes_call_send(p->call, &t);
        if (rc == 0)
            rc = actr_sleep(p->every_ms);
        if (rc < 0)
            return rc == ACTR_EPIPE ? 0 : rc;
    }
}

int
feeds_quotes_impl(feeds_quotes_call *call, uint32_t every_ms, uint64_t *out)
{
    struct pump p = {call, every_ms ? every_ms : 100, 0};
    int rc = actr_event_wait(feed_configured(), actr_deadline_in(5000));
    if (rc == ACTR_ETIMEDOUT)
        return actr_call_fail(feeds_quotes_call_base(call), "RuntimeError",
                              "this feed was never given a symbol");
    if (rc == 0)
        rc = feeds_quotes_call_started(call, actr_str_from(feed_sym));
    actr_nursery *n;
    if (rc < 0 || (rc = actr_nursery_open(&n)) < 0)
        return rc;
    rc = actr_nursery_spawn(n, pump_ticks, &p);
    actr_str msg;
    while (rc == 0 && (rc = feeds_quotes_call_recv(call, &msg)) == 0) {
        feeds_tick echo = {p.seq++, 0, getpid(), msg};
        rc = feeds_quotes_call_send(call, &echo);
        actr_str_free(&msg);
    }
    actr_nursery_cancel(n);
    (void)actr_nursery_close(n, ACTR_FOREVER);
    *out = p.seq;
    return rc == ACTR_EPIPE ? 0 : rc;
}

/* ================================================= the daemon */

static int
daemon_main(actr_actor *self, void *arg)
{
    (void)arg;
    actr_service_mngr *m;
    int rc = actr_service_mngr_open(NULL, &m);
    if (rc < 0)
        return rc;
    /* The feed: this program in child mode serving `feeds`, restarted
     * whenever it ends (within 3 restarts in 5 s). */
    static const char *enable[] = {"feeds"};
    actr_service_opts so = {.spawn = {.enable = enable, .nenable = 1},
                            .restart = ACTR_RESTART_PERMANENT};
    feeds_serve_args fa = {ACTR_STR("ACME")};
    if ((rc = actr_service_define(m, FEED, &so, feeds_serve_endpoint(), &fa)) == 0) {
        char url[ACTR_ADDR_URL_MAX];
        if (actr_actor_registrar(self, 0, url, sizeof url) < 0)
            snprintf(url, sizeof url, "?");
        printf("%s ready (registry %s)\n", DAEMON, url);
        fflush(stdout);
        rc = actr_sleep_until(ACTR_FOREVER);       /* until cancelled */
    }
    /* Cancelled (Ctrl-C, or a peer's cancel): a normal end. */
    int crc = actr_service_mngr_close(m);          /* cancels the feed */
    if (rc == ACTR_ECANCELED && crc == ACTR_ECANCELED)
        crc = 0;
    return rc < 0 && rc != ACTR_ECANCELED ? rc : crc;
}

/* ================================================= the client */

/* The shared resource: a portal to the feed and one quotes context. */
struct feed {
    actr_portal *p;
    feeds_quotes *q;
    actr_str sym;
};

static uint32_t tick_ms = 40;

/* Opens the feed for the cache: found by name, or started by the
 * daemon, then the quotes context on it. */
static int
feed_open(const void *args, size_t len, void **value)
{
    (void)args;
    (void)len;
    struct feed *f = calloc(1, sizeof *f);
    if (!f)
        return ACTR_ENOMEM;
    feeds_serve_args sa = {ACTR_STR("ACME")};
    int rc = actr_service_connect(DAEMON, FEED, feeds_serve_endpoint(), &sa, &f->p);
    if (rc == 0 && (rc = feeds_quotes_open(f->p, tick_ms, NULL, &f->q, &f->sym)) < 0)
        actr_portal_close(f->p);
    if (rc < 0) {
        free(f);
        return rc;
    }
    *value = f;
    return 0;
}

static int
feed_close(void *value, const void *args, size_t len)
{
    (void)args;
    (void)len;
    struct feed *f = value;
    feeds_quotes_cancel(f->q);
    (void)feeds_quotes_close(f->q);
    actr_portal_close(f->p);
    actr_str_free(&f->sym);
    free(f);
    return 0;
}

static const actr_cache_fn feed_fn = {FEED, feed_open, feed_close, NULL};

/* What the client's tasks and its driver share. */
static struct {
    int demo;                   /* stop after two phases of TICKS ticks */
    int phase[TASKS];           /* 1 before the kill, 2 after */
    int shown[TASKS];           /* ticks shown in the current phase */
    int subscribed;
    actr_event all_subscribed;
    int done_phase1, done_phase2;
    actr_event phase1, phase2;
} cl;

static void
count_tick(int id)
{
    if (!cl.demo || ++cl.shown[id] != TICKS)
        return;
    if (cl.phase[id] == 1 && ++cl.done_phase1 == TASKS)
        actr_event_set(&cl.phase1);
    if (cl.phase[id] == 2 && ++cl.done_phase2 == TASKS)
        actr_event_set(&cl.phase2);
}

/* One pass: enter the cached feed, subscribe, show ticks until done or
 * the feed is lost. Returns 0 when done, ACTR_ECLOSED when lost. */
static int
watch_once(int id)
{
    actr_cache_user *u;
    void *v;
    int rc = actr_cache_enter(&feed_fn, NULL, 0, FEED, strlen(FEED), &u, &v);
    if (rc < 0)
        return rc;
    struct feed *f = v;
    feeds_quotes_sub *sub;
    if ((rc = feeds_quotes_subscribe(f->q, NULL, &sub)) == 0) {
        if (cl.phase[id] == 1 && ++cl.subscribed == TASKS)
            actr_event_set(&cl.all_subscribed);
        if (id == 0 && cl.phase[id] == 1) {
            /* Any subscriber may send: the echo reaches every one. */
            (void)actr_event_wait(&cl.all_subscribed, ACTR_FOREVER);
            rc = feeds_quotes_sub_send(sub, ACTR_STR("hello from task 0"));
        }
        /* Phase 1 reads on (showing TICKS ticks) until the feed is lost;
         * phase 2 ends after its TICKS. */
        while (rc == 0 && !(cl.demo && cl.phase[id] == 2 && cl.shown[id] >= TICKS)) {
            feeds_tick t;
            if ((rc = feeds_quotes_sub_recv(sub, &t)) < 0)
                break;
            if (t.note.len)
                printf("task %d: echo \"%s\"\n", id, t.note.ptr);
            else if (!cl.demo || cl.shown[id] < TICKS) {
                printf("task %d: %s %.2f (tick %llu from feed pid %lld)\n", id, f->sym.ptr,
                       t.price, (unsigned long long)t.seq, (long long)t.pid);
                count_tick(id);
            }
            feeds_tick_free(&t);
        }
        feeds_quotes_sub_close(sub);
    }
    if (rc == ACTR_ECLOSED || rc == ACTR_EPIPE) {
        printf("task %d: lost the feed (%s): waiting for it by name\n", id, actr_errname(rc));
        actr_cache_retire(u);   /* the next user opens it anew */
    }
    int xrc = actr_cache_exit(u);
    return rc < 0 ? rc : xrc;
}

static int
watcher(void *arg)
{
    int id = (int)(intptr_t)arg;
    cl.phase[id] = 1;
    for (;;) {
        int rc = watch_once(id);
        if (rc == ACTR_ECLOSED || rc == ACTR_EPIPE) {
            if (cl.phase[id] == 1) {
                cl.phase[id] = 2;
                cl.shown[id] = 0;
            }
            continue;
        }
        return rc == ACTR_ECANCELED ? 0 : rc;
    }
}

/* The demo's driver: once every task showed its ticks, kill the feed
 * (its pid from the daemon's service list), wait until every task shows
 * ticks of the restarted one, then stop the daemon. */
static int
drive(actr_portal *daemon, actr_nursery *n)
{
    actr_service_info i;
    int rc = actr_event_wait(&cl.phase1, ACTR_FOREVER);
    if (rc == 0 && (rc = actr_service_remote_find(daemon, FEED, &i)) == 0) {
        printf("killing %s (pid %lld) with SIGKILL\n", FEED, (long long)i.pid);
        fflush(stdout);
        kill((pid_t)i.pid, SIGKILL);
        actr_service_info_clear(&i);
    }
    if (rc == 0)
        rc = actr_event_wait(&cl.phase2, ACTR_FOREVER);
    if (rc == 0 && (rc = actr_service_remote_find(daemon, FEED, &i)) == 0) {
        printf("%s lists %s: %s, restarted %u time%s, pid %lld\n", DAEMON, FEED,
               actr_sup_state_name(i.state), i.restarts, i.restarts == 1 ? "" : "s",
               (long long)i.pid);
        actr_service_info_clear(&i);
    }
    actr_nursery_cancel(n);
    return rc;
}

static int
client_main(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_event_init(&cl.all_subscribed);
    actr_event_init(&cl.phase1);
    actr_event_init(&cl.phase2);
    actr_portal *daemon = NULL;
    actr_scope sc;
    int rc = actr_fail_after(&sc, 10000);
    if (rc == 0) {
        rc = actr_wait_for_actor(DAEMON, NULL, 0, &daemon);
        int src = actr_scope_exit(&sc);
        rc = rc < 0 ? rc : src;
    }
    if (rc < 0) {
        fprintf(stderr, "services: no %s: %s\n", DAEMON, actr_last_error()->message);
        return rc;
    }
    actr_nursery *n;
    if ((rc = actr_nursery_open(&n)) == 0) {
        for (int id = 0; id < TASKS && rc == 0; id++)
            rc = actr_nursery_spawn(n, watcher, (void *)(intptr_t)id);
        if (rc == 0 && cl.demo)
            rc = drive(daemon, n);
        int crc = actr_nursery_close(n, ACTR_FOREVER);
        rc = rc < 0 ? rc : crc == ACTR_ECANCELED ? 0 : crc;
    }
    if (cl.demo) {
        /* The feed first (the daemon's remote API), then the daemon. */
        printf("stopping %s, then %s\n", FEED, DAEMON);
        if (actr_service_remote_cancel(daemon, FEED) < 0)
            fprintf(stderr, "services: %s\n", actr_last_error()->message);
        actr_portal_cancel_actor(daemon);
        /* This process's runtime reaps its children: wait through it. */
        if (actr_child_wait(daemon_pid, &daemon_status, actr_deadline_in(10000)) < 0)
            daemon_status = -1;
    }
    actr_portal_close(daemon);
    if (rc < 0)
        fprintf(stderr, "services: %s (%s)\n", actr_errname(rc), actr_last_error()->message);
    return rc;
}

/* ================================================= main */

/* role: the client only asks the registrars (ACTR_ROLE_CLIENT), the
 * daemon is one when none answers (AUTO). */
static int
run(int argc, char **argv, const char *name, actr_actor_fn fn, const char *registry,
    actr_role role)
{
    const actr_module *mods[] = {&feeds_module};
    const char *reg[] = {registry};
    actr_actor_opts o = {.name = name, .modules = mods, .nmodules = 1,
                         .registry = reg, .nregistry = registry ? 1 : 0};
    return actr_main_role(argc, argv, &o, role, fn, NULL) < 0 ? 1 : 0;
}

/* The demo: the daemon as a separate program on a private registry,
 * then this process as its client. */
static int
demo(char *self_exe)
{
    char dir[] = "/tmp/actr-services-XXXXXX", url[128];
    if (!mkdtemp(dir))
        return perror("mkdtemp"), 1;
    snprintf(url, sizeof url, "unix://%s/registry.sock", dir);
    int out[2];
    if (pipe(out) < 0)
        return perror("pipe"), 1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    char *argv[] = {self_exe, "daemon", url, NULL};
    pid_t pid;
    int err = posix_spawn(&pid, self_exe, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    if (err)
        return fprintf(stderr, "services: cannot start the daemon: %s\n", strerror(err)), 1;
    /* Its first line says it serves (and is the registrar). */
    char line[256] = "";
    FILE *f = fdopen(out[0], "r");
    if (!f || !fgets(line, sizeof line, f)) {
        fprintf(stderr, "services: the daemon did not start\n");
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return 1;
    }
    fclose(f);
    printf("%s", line);
    fflush(stdout);
    cl.demo = 1;
    char *cargv[] = {self_exe, NULL};
    daemon_pid = pid;
    int rc = run(1, cargv, "client", client_main, url, ACTR_ROLE_CLIENT);
    int st = daemon_status;
    if (st == -1) {             /* not reaped: it must not outlive us */
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    printf("%s exited (%s %d)\n", DAEMON, WIFEXITED(st) ? "status" : "signal",
           WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    char sock[160];
    snprintf(sock, sizeof sock, "%s/registry.sock", dir);
    unlink(sock);
    rmdir(dir);
    return rc || !WIFEXITED(st) || WEXITSTATUS(st) != 0;
}

int
main(int argc, char **argv)
{
    if (actr_is_child(argc, argv))
        return run(argc, argv, "feed", NULL, NULL, ACTR_ROLE_AUTO);     /* the feed */
    if (argc >= 2 && strcmp(argv[1], "daemon") == 0)
        return run(1, argv, DAEMON, daemon_main, argc > 2 ? argv[2] : NULL, ACTR_ROLE_AUTO);
    if (argc >= 2 && strcmp(argv[1], "client") == 0) {
        tick_ms = 500;
        return run(1, argv, "client", client_main, argc > 2 ? argv[2] : NULL,
                   ACTR_ROLE_CLIENT);
    }
    if (argc != 1) {
        fprintf(stderr, "usage: services [daemon|client [REGISTRY_URL]]\n");
        return 2;
    }
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return perror("readlink"), 1;
    exe[n] = 0;
    return demo(exe);
}
