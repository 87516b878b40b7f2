/* Discovery on etcd (SEMANTICS S19, S20; M25): register, find, wait and
 * unregister through a real etcd; an actor killed with SIGKILL is gone
 * after its lease's TTL and never found again; registrations come back
 * after etcd restarts; a three-member cluster keeps working with one
 * member killed; mixed registries; `actr ps`; an etcd that cannot be
 * reached or answers nonsense is a clear error.
 *
 * Each test starts its own etcd on free loopback ports in a private
 * directory (etcd_fixture.h), stopped and removed even when the test
 * fails. Without etcd (Debian: etcd-server) the tests say so and pass. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "disc_helpers.h"
#include "etcd_fixture.h"

#define TTL 2                           /* ACTR_ETCD_TTL of these tests */

static const char *skip_why;

static int
skipped(const char *test)
{
    if (!skip_why)
        return 0;
    printf("check_etcd: %s SKIPPED: %s\n", test, skip_why);
    return 1;
}


static actr_portal *
start_child(actr_actor_nursery *an, const char *name)
{
    actr_spawn_opts so = itest_srv_opts();
    actr_portal *p;
    ck_assert_actr_ok(actr_actor_nursery_start(an, name, &so, &p));
    return p;
}

/* 1 when name is found now. */
static int
found(const char *name, const char *const *reg, size_t n)
{
    char **urls;
    size_t nu;
    int rc = actr_find_addrs(name, reg, n, &urls, &nu);
    if (rc == 0)
        actr_urls_free(urls, nu);
    ck_assert_msg(rc == 0 || rc == ACTR_ENOTFOUND, "find %s: %s", name,
                  actr_last_error()->message);
    return rc == 0;
}

/* Polls until name is found (want 1) or gone (want 0); the ms it took,
 * or -1 after limit_ms. */
static int64_t
until_found(const char *name, int want, int64_t limit_ms)
{
    int64_t t0 = actr_now();
    while (actr_now() - t0 < limit_ms) {
        if (found(name, NULL, 0) == want)
            return actr_now() - t0;
        ck_assert_actr_ok(actr_sleep(50));
    }
    return -1;
}

/* The keys under prefix, as etcdctl lists them (outside the loop). */
static void
etcd_keys(const etcd_node *n, const char *prefix, char *out, size_t cap)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:%d get --prefix"
             " --keys-only %s 2>&1", n->client_port, prefix);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    size_t k = fread(out, 1, cap - 1, f);
    out[k] = 0;
    ck_assert_int_eq(pclose(f), 0);
}

/* ------------------------------------------------------------ basics */

static int
basic_body(actr_actor *self, void *arg)
{
    const char *url = arg;
    char u[1024];
    ck_assert(!actr_actor_is_registrar(self));
    ck_assert_uint_eq(actr_actor_nregistrars(self), 1);
    ck_assert(actr_actor_registrar(self, 0, u, sizeof u) > 0);
    ck_assert_str_eq(u, url);
    actr_portal *p;
    /* The root registered itself. */
    ck_assert_actr_ok(actr_find_actor("root", NULL, 0, &p));
    ck_assert_str_eq(actr_portal_uuid(p), actr_actor_uuid(self));
    actr_portal_close(p);

    /* A child is found the moment its start returned: it registers
     * before it serves its parent. */
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_portal *alpha = start_child(an, "alpha");
    ck_assert_actr_ok(actr_find_actor("alpha", NULL, 0, &p));
    char *who = disc_whoami(p);
    ck_assert_str_eq(who, "alpha");
    free(who);
    ck_assert_str_eq(actr_portal_uuid(p), actr_portal_uuid(alpha));
    actr_portal_close(p);
    /* By uuid (tractor's rule), and a clear "not found". */
    ck_assert_actr_ok(actr_find_actor(actr_portal_uuid(alpha), NULL, 0, &p));
    actr_portal_close(p);
    ck_assert_actr_err(actr_find_actor("nobody", NULL, 0, &p), ACTR_ENOTFOUND);
    /* etcd is a store, not an actor: no registrar portal. */
    ck_assert_actr_err(actr_get_registry(NULL, 0, &p), ACTR_ENOTSUP);

    /* wait_for_actor is woken by etcd's watch when "late" registers. */
    disc_check_wait_woken(an);

    /* Children revoke their lease when they exit: gone at once. */
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    ck_assert(!found("alpha", NULL, 0));
    ck_assert(!found("late", NULL, 0));
    return 0;
}

START_TEST(test_S20_etcd_register_find_wait_unregister)
{
    if (skipped(__func__))
        return;
    etcd_node e;
    etcd_single(&e);
    char url[256], keys[4096];
    etcd_nodes_url(url, sizeof url, &e, 1, "/basic");
    itest_begin();
    const char *reg[] = {url};
    ck_assert_int_eq(disc_root(reg, 1, basic_body, url), 0);
    itest_end();
    /* The root revoked its lease too: nothing left under the prefix. */
    etcd_keys(&e, "/basic/", keys, sizeof keys);
    ck_assert_msg(keys[0] == 0, "left in etcd: %s", keys);
    etcd_node_done(&e);
}
END_TEST

/* ------------------------------------------------------------ SIGKILL */

static int
kill_body(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_portal *v = start_child(an, "victim");
    int64_t pid = disc_pid_of(v);
    ck_assert(found("victim", NULL, 0));
    ck_assert_int_eq(itest_kill_child("victim", pid, SIGKILL), 0);
    /* Gone when its lease expires (etcd checks leases twice a second). */
    int64_t gone = until_found("victim", 0, TTL * 1000 + 3000);
    ck_assert_msg(gone >= 0, "still registered %d s after SIGKILL", TTL + 3);
    /* ...and never returned as alive after that. */
    for (int i = 0; i < 15; i++) {
        ck_assert(!found("victim", NULL, 0));
        ck_assert_actr_ok(actr_sleep(100));
    }
    actr_actor_nursery_close(an);    /* reports the killed child: not our concern */
    return 0;
}

START_TEST(test_S19_etcd_sigkilled_actor_gone_after_ttl)
{
    if (skipped(__func__))
        return;
    etcd_node e;
    etcd_single(&e);
    char url[256];
    etcd_nodes_url(url, sizeof url, &e, 1, "/kill");
    itest_begin();
    const char *reg[] = {url};
    ck_assert_int_eq(disc_root(reg, 1, kill_body, NULL), 0);
    itest_end();
    etcd_node_done(&e);
}
END_TEST

/* ------------------------------------------------------------ etcd restarts */

/* How long re-registration may take once etcd answers again: the longest
 * retry delay, a keepalive period, and slack for a loaded machine. */
#define BACK_WITHIN_MS (ACTR_REGISTRY_RETRY_MAX_MS + TTL * 1000 / 3 + 3000)

static int
restart_body(actr_actor *self, void *arg)
{
    (void)self;
    etcd_node *e = arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    start_child(an, "kid");
    ck_assert(found("kid", NULL, 0) && found("root", NULL, 0));
    for (int wipe = 0; wipe < 2; wipe++) {
        /* Down for longer than a lease; back with its data (wipe 0), or
         * empty, as a store that lost its state (wipe 1). */
        etcd_node_kill(e);
        ck_assert_actr_ok(actr_sleep(TTL * 1000 + 500));
        etcd_node_start(e, NULL, wipe);
        ck_assert(etcd_node_ready(e, 15000));
        int64_t kid = until_found("kid", 1, BACK_WITHIN_MS);
        int64_t root = until_found("root", 1, BACK_WITHIN_MS);
        ck_assert_msg(kid >= 0 && root >= 0, "not back %d ms after etcd restarted (wipe %d)",
                      BACK_WITHIN_MS, wipe);
    }
    /* Still kept alive under the new lease. */
    ck_assert_actr_ok(actr_sleep(TTL * 1000 + 500));
    ck_assert(found("kid", NULL, 0));
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S19_etcd_restart_registrations_back)
{
    test_expect_log("answered (last: etcd at http://127.0.0.1:");
    if (skipped(__func__))
        return;
    etcd_node e;
    etcd_single(&e);
    char url[256];
    etcd_nodes_url(url, sizeof url, &e, 1, "/restart");
    itest_begin();
    const char *reg[] = {url};
    ck_assert_int_eq(disc_root(reg, 1, restart_body, &e), 0);
    itest_end();
    etcd_node_done(&e);
}
END_TEST

/* ------------------------------------------------------------ a cluster */

static int
cluster_body(actr_actor *self, void *arg)
{
    (void)self;
    etcd_node *n = arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    start_child(an, "c1");
    ck_assert(found("c1", NULL, 0));
    /* The member every client tries first goes away. */
    etcd_node_kill(&n[0]);
    ck_assert(found("c1", NULL, 0));
    start_child(an, "c2");                  /* registers through another member */
    ck_assert(found("c2", NULL, 0));
    /* Leases are kept alive through the others. */
    ck_assert_actr_ok(actr_sleep(TTL * 1000 + 500));
    ck_assert(found("c1", NULL, 0) && found("c2", NULL, 0) && found("root", NULL, 0));
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    ck_assert(!found("c1", NULL, 0));
    return 0;
}

START_TEST(test_S20_etcd_cluster_member_killed)
{
    if (skipped(__func__))
        return;
    etcd_node n[3];
    etcd_cluster3(n);
    char url[256];
    etcd_nodes_url(url, sizeof url, n, 3, "/cluster");
    itest_begin();
    const char *reg[] = {url};
    ck_assert_int_eq(disc_root(reg, 1, cluster_body, n), 0);
    itest_end();
    for (int i = 0; i < 3; i++)
        etcd_node_done(&n[i]);
}
END_TEST

/* ------------------------------------------------------------ actr ps */

static int
ps_body(actr_actor *self, void *arg)
{
    const char *url = arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_portal *k = start_child(an, "pskid");
    int64_t pid = disc_pid_of(k);
    char *out, *err;
    char *argv[] = {(char *)disc_prog("actr"), "ps", "--json", "--registry", (char *)url, NULL};
    ck_assert_int_eq(disc_run(argv, &out, &err, 10000), 0);
    char want[128];
    snprintf(want, sizeof want, "{\"name\": \"pskid\", \"uuid\": \"%s\", \"pid\": %lld",
             actr_portal_uuid(k), (long long)pid);
    ck_assert_msg(strstr(out, want), "ps: %s", out);
    snprintf(want, sizeof want, "{\"name\": \"root\", \"uuid\": \"%s\"", actr_actor_uuid(self));
    ck_assert_msg(strstr(out, want), "ps: %s", out);
    free(out);
    free(err);
    /* The table, with the registry from the environment. */
    setenv(ACTR_REGISTRY_ENV, url, 1);
    char *argv2[] = {(char *)disc_prog("actr"), "ps", NULL};
    int st = disc_run(argv2, &out, &err, 10000);
    setenv(ACTR_REGISTRY_ENV, "none", 1);
    ck_assert_msg(st == 0, "ps: %s", err);
    ck_assert_msg(strstr(out, "pskid") && strstr(out, "NAME"), "ps: %s", out);
    free(out);
    free(err);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S19_etcd_actr_ps)
{
    if (skipped(__func__))
        return;
    etcd_node e;
    etcd_single(&e);
    char url[256];
    etcd_nodes_url(url, sizeof url, &e, 1, "/ps");
    itest_begin();
    const char *reg[] = {url};
    ck_assert_int_eq(disc_root(reg, 1, ps_body, url), 0);
    itest_end();
    etcd_node_done(&e);
}
END_TEST

/* ------------------------------------------------------------ mixed */

struct mixed {
    const char *registrar, *etcd;
};

static int
mixed_body(actr_actor *self, void *arg)
{
    struct mixed *t = arg;
    ck_assert(!actr_actor_is_registrar(self));   /* the registrar was up */
    ck_assert_uint_eq(actr_actor_nregistrars(self), 2);
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    start_child(an, "mix");
    /* The child inherited both registries and is found through each. */
    const char *r[] = {t->registrar}, *e[] = {t->etcd};
    ck_assert(found("mix", r, 1));
    ck_assert(found("mix", e, 1));
    ck_assert(found("root", r, 1) && found("root", e, 1));
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    ck_assert(!found("mix", r, 1));
    ck_assert(!found("mix", e, 1));
    return 0;
}

START_TEST(test_S20_registrar_and_etcd_in_one_tree)
{
    if (skipped(__func__))
        return;
    etcd_node e;
    etcd_single(&e);
    char url[256];
    etcd_nodes_url(url, sizeof url, &e, 1, "/mixed");
    itest_begin();
    const char *l1[] = {"tcp://127.0.0.1:0"};
    disc_proc r1;
    disc_registrar_spawn(&r1, l1, 1);
    struct mixed t = {r1.urls[0], url};
    const char *reg[] = {t.registrar, t.etcd};
    ck_assert_int_eq(disc_root(reg, 2, mixed_body, &t), 0);
    disc_registrar_stop(&r1);
    itest_end();
    etcd_node_done(&e);
}
END_TEST

/* ------------------------------------------------------------ failures */

static int
never(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    ck_abort_msg("the root started without its registry");
    return 0;
}

START_TEST(test_S19_etcd_unreachable_or_bad_address_fails_start)
{
    test_expect_log("actr: root actor 'root' failed: ACTR_ECONNREFUSED: cannot register with etcd");
    test_expect_log("actr: root actor 'root' failed: ACTR_EINVAL: ");
    /* (no etcd needed) */
    itest_begin();
    char url[128];
    snprintf(url, sizeof url, "etcd://127.0.0.1:%d/none", etcd_free_port());
    const char *reg[] = {url};
    int64_t t0 = actr_now();
    ck_assert_int_eq(disc_root(reg, 1, never, NULL), ACTR_ECONNREFUSED);
    ck_assert_msg(actr_now() - t0 < ACTR_REGISTRY_TIMEOUT_MS + 1500, "took %lld ms",
                  (long long)(actr_now() - t0));
    ck_assert_msg(strstr(actr_last_error()->message, url), "%s", actr_last_error()->message);
    static const char *const bad[] = {"etcd://", "etcd://127.0.0.1:99999/x",
                                      "etcd://127.0.0.1:2379,/x", "etcd://[::1/x",
                                      "etcd://h st:1/x", "etcd://127.0.0.1:1/x?ttl=3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *b[] = {bad[i]};
        ck_assert_int_eq(disc_root(b, 1, never, NULL), ACTR_EINVAL);
        ck_assert_msg(strstr(actr_last_error()->message, "bad etcd address"), "%s: %s", bad[i],
                      actr_last_error()->message);
    }
    /* TLS files for a plain etcd:// URL: said, not ignored. */
    setenv("ACTR_ETCD_CACERT", "/nonexistent/ca.pem", 1);
    const char *plain[] = {"etcd://127.0.0.1:2379/x"};
    ck_assert_int_eq(disc_root(plain, 1, never, NULL), ACTR_EINVAL);
    ck_assert_msg(strstr(actr_last_error()->message, "etcds://"), "%s",
                  actr_last_error()->message);
    unsetenv("ACTR_ETCD_CACERT");
    itest_end();
}
END_TEST

/* An HTTP server that answers each connection with the next canned body. */
struct fake {
    int fd;
    int port;
    const char *const *bodies;
    size_t nbodies, served;
    pthread_t th;
};

static void *
fake_serve(void *arg)
{
    struct fake *f = arg;
    for (;;) {
        int c = accept(f->fd, NULL, NULL);
        if (c < 0)
            return NULL;
        char req[4096];
        ssize_t got = read(c, req, sizeof req);   /* small requests: one read */
        (void)got;
        const char *b = f->bodies[f->served++ % f->nbodies];
        char resp[8192];
        int n = snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Type: application/json"
                         "\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s", strlen(b), b);
        if (write(c, resp, (size_t)n) < 0)
            perror("fake etcd");
        close(c);
    }
}

static void
fake_start(struct fake *f, const char *const *bodies, size_t n)
{
    memset(f, 0, sizeof *f);
    f->bodies = bodies;
    f->nbodies = n;
    f->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    ck_assert_int_eq(bind(f->fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(f->fd, 16), 0);
    ck_assert_int_eq(getsockname(f->fd, (struct sockaddr *)&sa, &len), 0);
    f->port = ntohs(sa.sin_port);
    ck_assert_int_eq(pthread_create(&f->th, NULL, fake_serve, f), 0);
}

static void
fake_stop(struct fake *f)
{
    shutdown(f->fd, SHUT_RDWR);
    pthread_join(f->th, NULL);
    close(f->fd);
}

static int
bad_lookup_body(actr_actor *self, void *arg)
{
    (void)self;
    const char *url = arg;
    const char *reg[] = {url};
    for (int i = 0; i < 6; i++) {
        actr_portal *p;
        int rc = actr_find_actor("x", reg, 1, &p);
        /* Nonsense is no answer; an empty one ("{}") says: nobody. */
        ck_assert_msg(rc == ACTR_ECONNREFUSED || rc == ACTR_ENOTFOUND, "find %d -> %s (%s)", i,
                      actr_errname(rc), actr_last_error()->message);
        char **urls;
        size_t n;
        ck_assert_int_lt(actr_find_addrs("00000000-0000-0000-0000-000000000000", reg, 1, &urls,
                                         &n), 0);
    }
    return 0;
}

START_TEST(test_S19_etcd_bad_answers_are_errors)
{
    test_expect_log("actr: root actor 'root' failed: ACTR_EPROTO: cannot register with etcd");
    /* Every answer wrong in its own way; none may crash or hang. */
    static const char *const bodies[] = {
        "not json at all", "[1, 2]", "{\"kvs\": 5}", "{\"kvs\": [{\"key\": \"!!!!\"}]}",
        "{\"kvs\": [{\"key\": \"L3gveA==\", \"value\": \"e30=\"}], \"header\": {\"revision\": []}}",
        "{\"kvs\": [{\"key\": \"L3gveA==\", \"value\": \"bm9wZQ==\", \"create_revision\": \"q\"}]}",
        "{\"ID\": \"abc\", \"TTL\": \"5\"}", "{}",
    };
    itest_begin();
    struct fake f;
    fake_start(&f, bodies, sizeof bodies / sizeof bodies[0]);
    char url[128];
    snprintf(url, sizeof url, "etcd://127.0.0.1:%d/x", f.port);
    /* A tool that only looks things up. */
    static char *argv[] = {"itest", NULL};
    const actr_module *mods[] = {&testmod_module};
    actr_actor_opts o = {.name = "looker", .modules = mods, .nmodules = 1};
    ck_assert_int_eq(actr_main_role(1, argv, &o, ACTR_ROLE_CLIENT, bad_lookup_body, url), 0);
    /* A root that must register: it cannot start, and says why. */
    const char *reg[] = {url};
    int rc = disc_root(reg, 1, never, NULL);
    ck_assert_msg(rc == ACTR_EPROTO || rc == ACTR_ECONNREFUSED, "%s: %s", actr_errname(rc),
                  actr_last_error()->message);
    ck_assert_msg(strstr(actr_last_error()->message, "etcd"), "%s", actr_last_error()->message);
    fake_stop(&f);
    itest_end();
}
END_TEST

/* ------------------------------------------------------------ credentials */

/* etcdctl against member n, outside the loop; asserts success. */
static void
etcdctl_ok(const etcd_node *n, const char *args)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:%d %s >/dev/null"
             " 2>&1", n->client_port, args);
    ck_assert_msg(system(cmd) == 0, "etcdctl %s failed", args);
}

static int
auth_body(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    start_child(an, "secret");                 /* inherits the credentials */
    ck_assert(found("secret", NULL, 0));
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    ck_assert(!found("secret", NULL, 0));
    return 0;
}

START_TEST(test_S19_etcd_user_and_password)
{
    test_expect_log("actr: root actor 'root' failed: ACTR_EREMOTE: cannot register with etcd");
    if (skipped(__func__))
        return;
    etcd_node e;
    etcd_single(&e);
    etcdctl_ok(&e, "user add root:hunter2");
    etcdctl_ok(&e, "auth enable");
    char url[256];
    etcd_nodes_url(url, sizeof url, &e, 1, "/auth");
    itest_begin();
    const char *reg[] = {url};
    /* Without credentials etcd says no, and the root says why. */
    ck_assert_int_eq(disc_root(reg, 1, never, NULL), ACTR_EREMOTE);
    ck_assert_msg(strstr(actr_last_error()->message, "etcd"), "%s", actr_last_error()->message);
    setenv("ACTR_ETCD_USER", "root:wrong", 1);
    ck_assert_int_eq(disc_root(reg, 1, never, NULL), ACTR_EREMOTE);
    ck_assert_msg(strstr(actr_last_error()->message, "authentication as \"root\" failed"), "%s",
                  actr_last_error()->message);
    setenv("ACTR_ETCD_USER", "root:hunter2", 1);
    ck_assert_int_eq(disc_root(reg, 1, auth_body, NULL), 0);
    unsetenv("ACTR_ETCD_USER");
    itest_end();
    etcd_node_done(&e);
}
END_TEST

static Suite *
etcd_suite(void)
{
    Suite *s = suite_create("etcd");
    TCase *tc = tcase_create("etcd");
    tcase_set_timeout(tc, 60);
    ITEST_ADD(tc, test_S20_etcd_register_find_wait_unregister);
    ITEST_ADD(tc, test_S19_etcd_sigkilled_actor_gone_after_ttl);
    ITEST_ADD(tc, test_S19_etcd_restart_registrations_back);
    ITEST_ADD(tc, test_S20_etcd_cluster_member_killed);
    ITEST_ADD(tc, test_S19_etcd_actr_ps);
    ITEST_ADD(tc, test_S20_registrar_and_etcd_in_one_tree);
    ITEST_ADD(tc, test_S19_etcd_unreachable_or_bad_address_fails_start);
    ITEST_ADD(tc, test_S19_etcd_bad_answers_are_errors);
    ITEST_ADD(tc, test_S19_etcd_user_and_password);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    skip_why = etcd_fixture_missing();
    /* Short leases, inherited by every actor the tests start. */
    char ttl[8];
    snprintf(ttl, sizeof ttl, "%d", TTL);
    setenv(ACTR_ETCD_TTL_ENV, ttl, 1);
    return itest_run_suite(etcd_suite());
}
