/* Discovery (SEMANTICS S19, S20): registration with several registrars,
 * find with registrars down or slow, wait_for_actor, no stale entries
 * after SIGKILL, multi-homed actors, the root's registrar probe rule. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "disc_helpers.h"
#include "etcd_fixture.h"


/* A TCP socket that listens but never accepts: a registrar that hangs. */
static int
blackhole(char *url, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(fd, 16), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    snprintf(url, cap, "tcp://127.0.0.1:%d", ntohs(sa.sin_port));
    return fd;
}

/* ------------------------------------------------------------ two registrars */

struct two {
    const char *r1, *r2;
};

static int
two_body(actr_actor *self, void *arg)
{
    struct two *t = arg;
    ck_assert(!actr_actor_is_registrar(self));
    ck_assert_int_eq(actr_actor_nregistrars(self), 2);
    ck_assert(disc_listed(t->r1, "root", NULL));
    ck_assert(disc_listed(t->r2, "root", NULL));

    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_portal *alpha = disc_start_child(an, "alpha", NULL, 0, t->r1);
    int64_t pid = disc_pid_of(alpha);
    /* Registered with both registrars, pid and address included. */
    const char *r2[] = {t->r2};
    actr_portal *w;
    actr_scope sc;
    ck_assert_actr_ok(actr_fail_after(&sc, 5000));
    ck_assert_actr_ok(actr_wait_for_actor("alpha", r2, 1, &w));
    ck_assert_actr_ok(actr_scope_exit(&sc));
    actr_portal_close(w);
    const char *regs[] = {t->r1, t->r2};
    for (int i = 0; i < 2; i++) {
        actr_registry_entry e = {0};
        ck_assert(disc_listed(regs[i], "alpha", &e));
        ck_assert_str_eq(e.uuid, actr_portal_uuid(alpha));
        ck_assert_int_eq(e.pid, pid);
        ck_assert_uint_eq(e.naddrs, 1);
        ck_assert(strncmp(e.addrs[0], "tcp://127.0.0.1:", 16) == 0);
        free(e.name);
        free(e.uuid);
        actr_urls_free(e.addrs, e.naddrs);
    }
    /* The child unregisters from both when it exits. */
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    ck_assert(!disc_listed(t->r1, "alpha", NULL));
    ck_assert(!disc_listed(t->r2, "alpha", NULL));
    return 0;
}

START_TEST(test_S19_register_unregister_two_registrars)
{
    itest_begin();
    char u1[200];
    snprintf(u1, sizeof u1, "unix://%s/r1.sock", disc_tmp());
    const char *l1[] = {u1}, *l2[] = {"tcp://127.0.0.1:0"};
    disc_proc r1, r2;
    disc_registrar_spawn(&r1, l1, 1);
    disc_registrar_spawn(&r2, l2, 1);
    struct two t = {r1.urls[0], r2.urls[0]};
    const char *reg[] = {t.r1, t.r2};
    ck_assert_int_eq(disc_root(reg, 2, two_body, &t), 0);
    /* The root unregistered at exit: `actr ps` no longer lists it. */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "%s ps --json --registry %s %s", disc_prog("actr"), t.r1, t.r2);
    FILE *f = popen(cmd, "r");
    char out[4096] = "";
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = 0;
    ck_assert_int_eq(pclose(f), 0);
    ck_assert_msg(strstr(out, "\"name\": \"registrar\""), "ps: %s", out);
    ck_assert_msg(!strstr(out, "\"name\": \"root\""), "root still listed: %s", out);
    disc_registrar_stop(&r1);
    disc_registrar_stop(&r2);
    itest_end();
}
END_TEST

/* ------------------------------------------------------------ find */

struct findt {
    const char *live, *dead, *slow;
};

static int
find_body(actr_actor *self, void *arg)
{
    (void)self;
    struct findt *t = arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_portal *beta = disc_start_child(an, "beta", NULL, 0, t->live);

    /* Every registrar at once; the slow and the dead ones do not delay
     * the live one's answer (the slow one alone would take 2 s). */
    int64_t t0 = actr_now();
    actr_portal *p;
    ck_assert_actr_ok(actr_find_actor("beta", NULL, 0, &p));
    int64_t took = actr_now() - t0;
    ck_assert_msg(took < 800, "find took %lld ms", (long long)took);
    char *who = disc_whoami(p);
    ck_assert_str_eq(who, "beta");
    free(who);
    ck_assert_str_eq(actr_portal_uuid(p), actr_portal_uuid(beta));
    actr_portal_close(p);

    /* By uuid too (tractor's rule). */
    ck_assert_actr_ok(actr_find_actor(actr_portal_uuid(beta), NULL, 0, &p));
    actr_portal_close(p);

    /* Nobody of that name: a clear "not found". */
    ck_assert_actr_err(actr_find_actor("nobody", NULL, 0, &p), ACTR_ENOTFOUND);
    /* Only a dead registrar: nobody answered. */
    const char *dead[] = {t->dead};
    ck_assert_actr_err(actr_find_actor("beta", dead, 1, &p), ACTR_ECONNREFUSED);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S20_find_with_registrar_down)
{
    itest_begin();
    char u1[200], dead[200], slow[64];
    snprintf(u1, sizeof u1, "unix://%s/live.sock", disc_tmp());
    snprintf(dead, sizeof dead, "unix://%s/dead.sock", disc_tmp());
    int bh = blackhole(slow, sizeof slow);
    const char *l1[] = {u1};
    disc_proc r1;
    disc_registrar_spawn(&r1, l1, 1);
    struct findt t = {r1.urls[0], dead, slow};
    const char *reg[] = {slow, dead, t.live};
    /* Registering with the two that do not answer fails, and says so. */
    test_expect_log("dead.sock: No such file or directory (trying again in the background)");
    test_expect_log("before the deadline (trying again in the background)");
    ck_assert_int_eq(disc_root(reg, 3, find_body, &t), 0);
    close(bh);
    disc_registrar_stop(&r1);
    itest_end();
}
END_TEST

/* ------------------------------------------------------------ wait */

static int
wait_body(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    disc_check_wait_woken(an);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S20_wait_for_actor_woken_by_registration)
{
    itest_begin();
    const char *l1[] = {"tcp://127.0.0.1:0"};
    disc_proc r1;
    disc_registrar_spawn(&r1, l1, 1);
    const char *reg[] = {r1.urls[0]};
    ck_assert_int_eq(disc_root(reg, 1, wait_body, NULL), 0);
    disc_registrar_stop(&r1);
    itest_end();
}
END_TEST

static int
wait_cancel_body(actr_actor *self, void *arg)
{
    (void)self;
    const char *reg = arg;
    actr_scope sc;
    int64_t t0 = actr_now();
    ck_assert_actr_ok(actr_fail_after(&sc, 300));
    actr_portal *p;
    ck_assert_actr_err(actr_wait_for_actor("never", NULL, 0, &p), ACTR_ECANCELED);
    ck_assert_actr_err(actr_scope_exit(&sc), ACTR_ETIMEDOUT);
    int64_t took = actr_now() - t0;
    ck_assert_msg(took >= 290 && took < 1000, "cancelled after %lld ms", (long long)took);
    /* The registrar stopped waiting for us and still serves. */
    ck_assert(disc_listed(reg, "root", NULL));
    ck_assert(!disc_listed(reg, "never", NULL));
    return 0;
}

START_TEST(test_S15_wait_for_actor_cancelled_by_deadline)
{
    itest_begin();
    const char *l1[] = {"tcp://127.0.0.1:0"};
    disc_proc r1;
    disc_registrar_spawn(&r1, l1, 1);
    const char *reg[] = {r1.urls[0]};
    ck_assert_int_eq(disc_root(reg, 1, wait_cancel_body, (void *)r1.urls[0]), 0);
    disc_registrar_stop(&r1);
    itest_end();
}
END_TEST

/* ------------------------------------------------------------ SIGKILL */

static int
kill_body(actr_actor *self, void *arg)
{
    (void)self;
    const char *reg = arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_portal *v = disc_start_child(an, "victim", NULL, 0, reg);
    int64_t pid = disc_pid_of(v);
    ck_assert(disc_listed(reg, "victim", NULL));
    ck_assert_int_eq(itest_kill_child("victim", pid, SIGKILL), 0);
    /* At once: the registrar probes before it answers. */
    actr_portal *p;
    ck_assert_actr_err(actr_find_actor("victim", NULL, 0, &p), ACTR_ENOTFOUND);
    ck_assert(!disc_listed(reg, "victim", NULL));
    char **urls;
    size_t n;
    ck_assert_actr_err(actr_find_addrs("victim", NULL, 0, &urls, &n), ACTR_ENOTFOUND);
    itest_close_after_death(an, "victim", SIGKILL);
    ck_assert_actr_err(actr_find_actor("victim", NULL, 0, &p), ACTR_ENOTFOUND);
    return 0;
}

START_TEST(test_S19_sigkilled_actor_never_found)
{
    itest_begin();
    const char *l1[] = {"tcp://127.0.0.1:0"};
    disc_proc r1;
    disc_registrar_spawn(&r1, l1, 1);
    const char *reg[] = {r1.urls[0]};
    ck_assert_int_eq(disc_root(reg, 1, kill_body, (void *)r1.urls[0]), 0);
    disc_registrar_stop(&r1);
    itest_end();
}
END_TEST

/* ------------------------------------------------------------ multi-homing */

static int
multi_body(actr_actor *self, void *arg)
{
    (void)self;
    const char *reg = arg;
    char sock[200];
    snprintf(sock, sizeof sock, "unix://%s/multi.sock", disc_tmp());
    const char *bind[] = {"tcp://127.0.0.1:0", sock};
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    disc_start_child(an, "multi", bind, 2, reg);
    char **urls;
    size_t n;
    ck_assert_actr_ok(actr_find_addrs("multi", NULL, 0, &urls, &n));
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(urls[0], sock);                 /* unix first */
    ck_assert(strncmp(urls[1], "tcp://127.0.0.1:", 16) == 0);
    for (size_t i = 0; i < n; i++) {
        actr_portal *p;
        ck_assert_actr_ok(actr_portal_open(urls[i], &p));
        char *who = disc_whoami(p);
        ck_assert_str_eq(who, "multi");
        free(who);
        actr_portal_close(p);
    }
    actr_urls_free(urls, n);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S19_multihomed_actor_reachable_on_each_address)
{
    itest_begin();
    const char *l1[] = {"tcp://127.0.0.1:0"};
    disc_proc r1;
    disc_registrar_spawn(&r1, l1, 1);
    const char *reg[] = {r1.urls[0]};
    ck_assert_int_eq(disc_root(reg, 1, multi_body, (void *)r1.urls[0]), 0);
    disc_registrar_stop(&r1);
    itest_end();
}
END_TEST

/* ------------------------------------------------------------ the root */

static int
plain_root_body(actr_actor *self, void *arg)
{
    const char *reg = arg;
    ck_assert(!actr_actor_is_registrar(self));     /* a live registrar was there */
    char u[ACTR_ADDR_URL_MAX];
    ck_assert(actr_actor_registrar(self, 0, u, sizeof u) > 0);
    ck_assert_str_eq(u, reg);
    ck_assert(disc_listed(reg, "root", NULL));
    return 0;
}

static int
registrar_root_body(actr_actor *self, void *arg)
{
    (void)arg;
    ck_assert(actr_actor_is_registrar(self));
    char u[ACTR_ADDR_URL_MAX];
    ck_assert(actr_actor_registrar(self, 0, u, sizeof u) > 0);
    ck_assert(strcmp(u, "tcp://127.0.0.1:0") != 0);  /* the port it bound */
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_portal *kid = disc_start_child(an, "kid", NULL, 0, u);
    actr_portal *r;
    ck_assert_actr_ok(actr_get_registry(NULL, 0, &r));
    ck_assert_str_eq(actr_portal_uuid(r), actr_actor_uuid(self));
    actr_registry_entry *v;
    size_t n;
    ck_assert_actr_ok(actr_registry_list(r, &v, &n));
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(v[0].name, "root");
    ck_assert_int_eq(v[0].pid, getpid());
    ck_assert_str_eq(v[1].name, "kid");
    ck_assert_str_eq(v[1].uuid, actr_portal_uuid(kid));
    actr_registry_entries_free(v, n);
    actr_portal_close(r);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S19_root_probe_rule)
{
    itest_begin();
    /* A live registrar at the registry address: the root uses it. */
    const char *l1[] = {"tcp://127.0.0.1:0"};
    disc_proc r1;
    disc_registrar_spawn(&r1, l1, 1);
    const char *reg[] = {r1.urls[0]};
    ck_assert_int_eq(disc_root(reg, 1, plain_root_body, (void *)r1.urls[0]), 0);
    disc_registrar_stop(&r1);
    /* Nobody there: the root is the registrar (port 0: any free port). */
    const char *any[] = {"tcp://127.0.0.1:0"};
    ck_assert_int_eq(disc_root(any, 1, registrar_root_body, NULL), 0);
    /* Taken by something that is not a registrar: the root cannot start. */
    char slow[64];
    int bh = blackhole(slow, sizeof slow);
    const char *taken[] = {slow};
    test_expect_log("actr: root actor 'root' failed: ACTR_EADDRINUSE: every registry address");
    ck_assert_int_eq(disc_root(taken, 1, plain_root_body, NULL), ACTR_EADDRINUSE);
    close(bh);
    itest_end();
}
END_TEST

/* ------------------------------------------------------------ the registrar path */

/* Stops process pid now and continues it after ms, from a process of
 * its own (returned: reap it). */
static pid_t
stall(pid_t pid, int ms)
{
    ck_assert_int_eq(kill(pid, SIGSTOP), 0);
    pid_t r = fork();
    ck_assert_int_ge(r, 0);
    if (r == 0) {
        usleep((useconds_t)ms * 1000);
        kill(pid, SIGCONT);
        _exit(0);
    }
    return r;
}

static int
fresh_body(actr_actor *self, void *arg)
{
    (void)self;
    disc_proc *r = arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "fresh%d", i);
        /* A slow registrar: the child's registration waits for it, and
         * its start with it. */
        pid_t resumer = stall(r->pid, 300);
        actr_spawn_opts so = itest_srv_opts();
        actr_portal *c, *p;
        ck_assert_actr_ok(actr_actor_nursery_start(an, name, &so, &c));
        /* No waiting: registered before it served us. */
        ck_assert_actr_ok(actr_find_actor(name, NULL, 0, &p));
        ck_assert_str_eq(actr_portal_uuid(p), actr_portal_uuid(c));
        actr_portal_close(p);
        int st;
        ck_assert_actr_ok(actr_child_wait(resumer, &st, actr_deadline_in(5000)));
    }
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S19_child_found_at_once_after_its_start)
{
    itest_begin();
    const char *l1[] = {"tcp://127.0.0.1:0"};
    disc_proc r1;
    disc_registrar_spawn(&r1, l1, 1);
    const char *reg[] = {r1.urls[0]};
    ck_assert_int_eq(disc_root(reg, 1, fresh_body, &r1), 0);
    disc_registrar_stop(&r1);
    itest_end();
}
END_TEST

START_TEST(test_S19_stalled_registry_probe_is_retried)
{
    itest_begin();
    const char *l1[] = {"tcp://127.0.0.1:0"};
    disc_proc r1;
    disc_registrar_spawn(&r1, l1, 1);
    /* Stopped for longer than one probe's bound: a registrar all the same. */
    pid_t resumer = stall(r1.pid, ACTR_PROBE_TIMEOUT_MS + 500);
    const char *reg[] = {r1.urls[0]};
    ck_assert_int_eq(disc_root(reg, 1, plain_root_body, (void *)r1.urls[0]), 0);
    int st;
    waitpid(resumer, &st, 0);        /* (unless the actor's loop reaped it) */
    disc_registrar_stop(&r1);
    itest_end();
}
END_TEST

static int
union_body(actr_actor *self, void *arg)
{
    const char *url = arg;
    char u[ACTR_ADDR_URL_MAX];
    ck_assert(actr_actor_is_registrar(self));
    ck_assert_uint_eq(actr_actor_naddrs(self), 1);
    ck_assert(actr_actor_addr(self, 0, u, sizeof u) > 0);
    ck_assert_str_eq(u, url);
    ck_assert(actr_actor_registrar(self, 0, u, sizeof u) > 0);
    ck_assert_str_eq(u, url);
    return 0;
}

START_TEST(test_S19_registrar_root_binds_the_union)
{
    itest_begin();
    /* The same address to listen on and to be the registrar at. */
    char url[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", etcd_free_port());
    static char *argv[] = {"itest", NULL};
    const char *addr[] = {url};
    actr_actor_opts o = {.name = "root", .listen = addr, .nlisten = 1, .registry = addr,
                         .nregistry = 1};
    ck_assert_int_eq(actr_main(1, argv, &o, union_body, url), 0);
    itest_end();
}
END_TEST

static int
back_body(actr_actor *self, void *arg)
{
    (void)self;
    disc_proc *r = arg;
    char url[ACTR_ADDR_URL_MAX];
    snprintf(url, sizeof url, "%s", r->urls[0]);
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    disc_start_child(an, "kid", NULL, 0, url);
    ck_assert(disc_listed(url, "root", NULL));
    /* The registrar restarts on its address with an empty table. */
    int st;
    ck_assert_int_eq(kill(r->pid, SIGTERM), 0);
    ck_assert_actr_ok(actr_child_wait(r->pid, &st, actr_deadline_in(5000)));
    const char *l1[] = {url};
    disc_registrar_spawn(r, l1, 1);
    int64_t t0 = actr_now(), limit = ACTR_REGISTRY_RETRY_MAX_MS + 3000;
    while (!(disc_listed(url, "kid", NULL) && disc_listed(url, "root", NULL)) &&
           actr_now() - t0 < limit)
        ck_assert_actr_ok(actr_sleep(50));
    ck_assert_msg(disc_listed(url, "kid", NULL) && disc_listed(url, "root", NULL),
                  "not registered again %lld ms after the registrar restarted",
                  (long long)limit);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    ck_assert(!disc_listed(url, "kid", NULL));
    return 0;
}

START_TEST(test_S19_registrar_restart_registrations_back)
{
    test_expect_log("went away (closed): registering again when it is back");
    itest_begin();
    char url[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", etcd_free_port());
    const char *l1[] = {url};
    disc_proc r1;
    disc_registrar_spawn(&r1, l1, 1);
    const char *reg[] = {url};
    ck_assert_int_eq(disc_root(reg, 1, back_body, &r1), 0);
    disc_registrar_stop(&r1);
    itest_end();
}
END_TEST

static Suite *
discovery_suite(void)
{
    Suite *s = suite_create("discovery");
    TCase *tc = tcase_create("discovery");
    tcase_set_timeout(tc, 30);
    /* One temporary directory for the whole case, removed by the runner
     * even when a test fails. */
    tcase_add_unchecked_fixture(tc, disc_tmp_setup, disc_tmp_rm);
    tcase_add_test(tc, test_S19_register_unregister_two_registrars);
    tcase_add_test(tc, test_S20_find_with_registrar_down);
    tcase_add_test(tc, test_S20_wait_for_actor_woken_by_registration);
    tcase_add_test(tc, test_S15_wait_for_actor_cancelled_by_deadline);
    tcase_add_test(tc, test_S19_sigkilled_actor_never_found);
    tcase_add_test(tc, test_S19_multihomed_actor_reachable_on_each_address);
    tcase_add_test(tc, test_S19_root_probe_rule);
    tcase_add_test(tc, test_S19_child_found_at_once_after_its_start);
    tcase_add_test(tc, test_S19_stalled_registry_probe_is_retried);
    tcase_add_test(tc, test_S19_registrar_root_binds_the_union);
    tcase_add_test(tc, test_S19_registrar_restart_registrations_back);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(discovery_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
