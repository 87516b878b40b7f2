/* The attacker suite (S28): a local process without the tree's secret
 * tries what issue 17 did by hand, and each attempt is refused. Where the
 * machine allows it (root with setpriv, as in CI) the attacker runs as a
 * second uid (nobody); otherwise it is a process of ours that lacks the
 * secret. Also: every Start is answered under a flood and a legitimate
 * client is served throughout, and a tractor peer let in by the insecure
 * opt-in may call but not cancel. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disc_helpers.h"
#include "itest.h"

#define SETPRIV "/usr/bin/setpriv"

/* 1 when the attacker runs as another uid. */
static int
second_uid(void)
{
    return geteuid() == 0 && access(SETPRIV, X_OK) == 0;
}

/* Runs the attacker with args (NULL-terminated); returns its stdout. */
static char *
run_attacker(const char *a1, const char *a2, const char *a3, const char *a4)
{
    char *argv[12];
    int k = 0;
    if (second_uid()) {
        argv[k++] = SETPRIV;
        argv[k++] = "--reuid=65534";
        argv[k++] = "--regid=65534";
        argv[k++] = "--clear-groups";
        argv[k++] = "--";
    }
    argv[k++] = (char *)itest_bin("attacker");
    argv[k++] = (char *)a1;
    argv[k++] = (char *)a2;
    argv[k++] = (char *)a3;
    argv[k++] = (char *)a4;
    argv[k] = NULL;
    char *out, *err;
    int st = disc_run(argv, &out, &err, 30000);
    ck_assert_msg(st == 0, "attacker exited %d: %s", st, err);
    free(err);
    return out;
}

/* The line of connection k in out: "refused" (it could not connect), or
 * its counts. */
struct conn_seen {
    int refused, frames, aid, answers, auth;
};

static struct conn_seen
seen(const char *out, int k)
{
    struct conn_seen s = {0};
    char pre[16];
    snprintf(pre, sizeof pre, "conn %d ", k);
    const char *l = strstr(out, pre);
    ck_assert_msg(l != NULL, "no line for connection %d in: %s", k, out);
    l += strlen(pre);
    if (strncmp(l, "refused", 7) == 0) {
        s.refused = 1;
        return s;
    }
    ck_assert_int_eq(sscanf(l, "frames %d aid %d answers %d auth %d", &s.frames, &s.aid,
                            &s.answers, &s.auth), 4);
    return s;
}

/* Nothing the attacker sent got an answer, and it saw no Aid of ours: at
 * most the challenge of the connection that offered to authenticate. */
static void
assert_refused(const char *out)
{
    for (int k = 1; k <= 2; k++) {
        struct conn_seen s = seen(out, k);
        if (s.refused)
            continue;
        ck_assert_msg(s.aid == 0 && s.answers == 0, "conn %d got answers: %s", k, out);
        ck_assert_int_le(s.auth, k == 1 ? 1 : 0);
        ck_assert_int_eq(s.frames, s.auth);
    }
}

static const char *
url_of(actr_portal *p)
{
    static char url[ACTR_ADDR_URL_MAX];
    actr_str u;
    ck_assert_actr_ok(testmod_url(p, &u));
    snprintf(url, sizeof url, "%.*s", (int)u.len, u.ptr);
    actr_str_free(&u);
    return url;
}

static void
assert_serving(actr_portal *p)
{
    int64_t sum = 0;
    ck_assert_actr_ok(testmod_add(p, 2, 3, &sum));
    ck_assert_int_eq(sum, 5);
}

/* Opens *an with one child, "victim", spawned with so, and returns its
 * portal. */
static actr_portal *
start_victim_with(actr_actor_nursery **an, const actr_spawn_opts *so)
{
    actr_portal *victim;
    ck_assert_actr_ok(actr_actor_nursery_open(an));
    ck_assert_actr_ok(actr_actor_nursery_start(*an, "victim", so, &victim));
    return victim;
}

/* start_victim_with actor_srv's default options. */
static actr_portal *
start_victim(actr_actor_nursery **an)
{
    actr_spawn_opts so = itest_srv_opts();
    return start_victim_with(an, &so);
}

/* ------------------------------------------------------------ strangers */

static int
stranger_body(actr_actor *self, void *arg)
{
    const char *bind = arg;
    actr_actor_nursery *an;
    actr_portal *victim;
    actr_spawn_opts so = itest_srv_opts();
    const char *b[] = {bind};
    if (bind) {
        so.bind = b;
        so.nbind = 1;
    }
    victim = start_victim_with(&an, &so);
    const char *url = url_of(victim);
    long tasks0 = itest_remote_tasks(victim);
    /* Raw: call, cancel, register, unregister, list, delete, claiming to
     * be the victim's parent (whose log would otherwise blame us). */
    char *out = run_attacker("raw", url, actr_actor_name(self), actr_actor_uuid(self));
    assert_refused(out);
    free(out);
    /* An actr actor of another tree. */
    out = run_attacker("actr", url, NULL, NULL);
    ck_assert_msg(strstr(out, "portal ACTR_EAUTH") || strstr(out, "portal ACTR_ECONNREFUSED") ||
                  strstr(out, "portal ACTR_EIO"), "the portal was not refused: %s", out);
    free(out);
    assert_serving(victim);
    ck_assert_int_eq(itest_remote_tasks(victim), tasks0);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S28_stranger_refused_tcp)
{
    /* The failed proofs are logged, rate-limited. */
    test_expect_log("refused a connection");
    itest_run_root(stranger_body, NULL);
}
END_TEST

START_TEST(test_S28_stranger_refused_unix)
{
    char url[128];
    snprintf(url, sizeof url, "unix:///tmp/actr-attack-%d.sock", (int)getpid());
    test_expect_log("refused a connection");
    itest_run_root(stranger_body, url);
}
END_TEST

/* ------------------------------------------------------------ registrar */

static disc_proc reg;

static int
registrar_body(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_portal *victim = disc_start_child(an, "victim", NULL, 0, reg.urls[0]);
    actr_registry_entry before;
    ck_assert_int_eq(disc_listed(reg.urls[0], "victim", &before), 1);
    /* As the victim: unregister it, register "victim" at our address,
     * delete its address, list the table. */
    char *out = run_attacker("raw", reg.urls[0], before.name, before.uuid);
    assert_refused(out);
    free(out);
    actr_registry_entry after;
    ck_assert_int_eq(disc_listed(reg.urls[0], "victim", &after), 1);
    ck_assert_str_eq(after.uuid, before.uuid);
    ck_assert_str_eq(after.addrs[0], before.addrs[0]);
    /* actr ps with another secret lists nothing. */
    char path[128];
    snprintf(path, sizeof path, "%s/other-secret", disc_tmp());
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("a secret of another deployment\n", f);
    fclose(f);
    chmod(path, 0600);
    char *ps[] = {(char *)disc_prog("actr"), "ps", "--registry", reg.urls[0], NULL};
    char *err;
    const char *mine = getenv("ACTR_SECRET_FILE");
    char *saved = mine ? strdup(mine) : NULL;
    setenv("ACTR_SECRET_FILE", path, 1);
    int st = disc_run(ps, &out, &err, 20000);
    if (saved)
        setenv("ACTR_SECRET_FILE", saved, 1);
    free(saved);
    ck_assert_int_eq(st, 1);
    ck_assert_ptr_null(strstr(out, "victim"));
    free(out);
    free(err);
    assert_serving(victim);
    actr_registry_entry *copies = malloc(2 * sizeof *copies);
    ck_assert_ptr_nonnull(copies);
    copies[0] = before;
    copies[1] = after;
    actr_registry_entries_free(copies, 2);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S28_registrar_not_spoofed)
{
    const char *urls[] = {"tcp://127.0.0.1:0"};
    disc_tmp_setup();
    disc_registrar_spawn(&reg, urls, 1);
    test_expect_log("refused a connection");
    const char *r[] = {reg.urls[0]};
    int rc = disc_root(r, 1, registrar_body, NULL);
    disc_registrar_stop(&reg);
    disc_tmp_rm();
    ck_assert_actr_ok(rc);
}
END_TEST

/* ------------------------------------------------------------ floods */

struct sleeper {
    actr_portal *p;
    int rc;
    int busy;            /* refused with "busy" */
    int64_t ms;          /* how long until its answer */
};

static int
sleep_call(void *arg)
{
    struct sleeper *s = arg;
    bool slept;
    int64_t t0 = actr_now();
    s->rc = testmod_sleep_ms(s->p, 1500 * itest_slowdown(), &slept);
    s->ms = actr_now() - t0;
    const char *m = actr_last_error()->message;
    s->busy = s->rc == ACTR_EREMOTE && m && strstr(m, "busy") != NULL;
    return 0;
}

static int
flood_body(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    enum { N = 100, CONN_CAP = 20, ACTOR_CAP = 30, M = 15 };
    actr_actor_nursery *an;
    actr_portal *victim;
    victim = start_victim(&an);
    actr_portal *other;
    ck_assert_actr_ok(actr_portal_open(url_of(victim), &other));
    static struct sleeper s[N + M];
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    for (int i = 0; i < N; i++) {
        s[i].p = victim;
        ck_assert_actr_ok(actr_nursery_spawn(n, sleep_call, &s[i]));
    }
    ck_assert_actr_ok(actr_sleep(300 * itest_slowdown()));
    /* Another client is served while the first channel is at its cap. */
    int64_t t0 = actr_now();
    assert_serving(other);
    ck_assert_int_lt(actr_now() - t0, 1000 * itest_slowdown());
    /* ... up to the actor's cap. */
    for (int i = N; i < N + M; i++) {
        s[i].p = other;
        ck_assert_actr_ok(actr_nursery_spawn(n, sleep_call, &s[i]));
    }
    ck_assert_actr_ok(actr_nursery_close(n, actr_deadline_in(30000)));
    int ok = 0, busy = 0, ok2 = 0, busy2 = 0;
    for (int i = 0; i < N + M; i++) {
        /* Every Start got an answer: a result, or "busy" at once. */
        ck_assert_msg(s[i].rc == 0 || s[i].busy, "call %d: %s", i, actr_errname(s[i].rc));
        if (s[i].busy)
            ck_assert_int_lt(s[i].ms, 1000 * itest_slowdown());
        if (i < N)
            s[i].rc == 0 ? ok++ : busy++;
        else
            s[i].rc == 0 ? ok2++ : busy2++;
    }
    ck_assert_int_eq(ok, CONN_CAP);
    ck_assert_int_eq(busy, N - CONN_CAP);
    ck_assert_int_eq(ok2, ACTOR_CAP - CONN_CAP);
    ck_assert_int_eq(busy2, M - (ACTOR_CAP - CONN_CAP));
    assert_serving(victim);
    actr_portal_close(other);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S28_every_start_answered_under_flood)
{
    /* The child inherits the caps from our environment. */
    setenv("ACTR_MAX_CONN_TASKS", "20", 1);
    setenv("ACTR_MAX_TASKS", "30", 1);
    test_expect_log("refusing calls");
    itest_run_root(flood_body, NULL);
}
END_TEST

/* ------------------------------------------------------------ fds */

/* Opens a portal to url, giving up after ms; NULL when refused. */
static actr_portal *
try_portal(const char *url, int64_t ms)
{
    actr_portal *p = NULL;
    actr_scope sc;
    ck_assert_actr_ok(actr_scope_enter(&sc, actr_deadline_in(ms), 0));
    if (actr_portal_open(url, &p) < 0)
        p = NULL;
    actr_scope_exit(&sc);
    return p;
}

/* Idle connections of a client that holds the secret stop at the
 * connection cap, which the victim derives from its fd limit (256 here):
 * accepting never runs out of fds, the victim keeps serving its parent,
 * and takes connections again once they close. */
static int
fds_body(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    enum { K = 300, NOFILE = 256 };
    actr_actor_nursery *an;
    actr_portal *victim;
    actr_spawn_opts so = itest_srv_opts();
    char wrap[64];
    snprintf(wrap, sizeof wrap, "prlimit --nofile=%d:%d", NOFILE, NOFILE);
    so.wrapper = wrap;
    victim = start_victim_with(&an, &so);
    char url[ACTR_ADDR_URL_MAX];
    snprintf(url, sizeof url, "%s", url_of(victim));
    static actr_portal *ps[K];
    int open = 0;
    for (int i = 0; i < K; i++)
        if ((ps[i] = try_portal(url, 2000 * itest_slowdown())))
            open++;
    ck_assert_msg(open > NOFILE / 2 && open <= NOFILE * 3 / 4, "%d connections taken", open);
    assert_serving(victim);
    for (int i = 0; i < K; i++)
        if (ps[i])
            actr_portal_close(ps[i]);
    actr_portal *again = NULL;
    for (int i = 0; i < 50 && !again; i++) {   /* its side closes them meanwhile */
        again = try_portal(url, 2000 * itest_slowdown());
        if (!again)
            ck_assert_actr_ok(actr_sleep(100));
    }
    ck_assert_msg(again, "no connection taken once the others closed");
    assert_serving(again);
    actr_portal_close(again);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S28_idle_connections_cannot_take_every_fd)
{
    test_expect_log("refused a connection");
    itest_run_root(fds_body, NULL);
}
END_TEST

/* ------------------------------------------------------------ encryption */

static int
encrypted_body(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    enum { N = 50000 };
    actr_actor_nursery *an;
    actr_portal *victim;
    victim = start_victim(&an);
    /* A stream big enough to span many records, through message loops
     * that wait for their socket without a deadline. */
    testmod_count *c;
    ck_assert_actr_ok(testmod_count_open(victim, N, &c));
    int64_t v, want = 0;
    int rc;
    while ((rc = testmod_count_recv(c, &v)) == 0)
        ck_assert_int_eq(v, want++);
    ck_assert_actr_err(rc, ACTR_EPIPE);
    ck_assert_int_eq(want, N);
    ck_assert_actr_ok(testmod_count_close(c));
    assert_serving(victim);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

/* Big messages (32 KiB and more) are written from the sender's value on
 * a plain link (lent segments); an encrypted one seals them like any
 * bytes: a big Start argument, big Yields both ways, each checked. */
static int
encrypted_big_body(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    actr_portal *victim;
    victim = start_victim(&an);
    enum { PREFIX = 40 << 10 };
    static const size_t sizes[] = {64 << 10, 1 << 20, 5, 300 << 10};
    char *prefix = malloc(PREFIX);
    char *msg = malloc(1 << 20);
    ck_assert(prefix && msg);
    memset(prefix, 'p', PREFIX);
    testmod_echo_args a = {{prefix, PREFIX}};
    actr_ctx *c;
    int64_t started = 0;
    ck_assert_actr_ok(actr_ctx_open(victim, itest_ep("echo"), &a, NULL, &c, &started));
    ck_assert_int_eq(started, 11);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (size_t k = 0; k < sizes[i]; k++)
            msg[k] = (char)('a' + (k * 7 + i) % 26);
        actr_str out = {msg, sizes[i]}, got = {0};
        ck_assert_actr_ok(actr_ctx_send(c, &out));
        ck_assert_actr_ok(actr_ctx_recv(c, &got));
        ck_assert_uint_eq(got.len, PREFIX + sizes[i]);
        ck_assert(memcmp(got.ptr, prefix, PREFIX) == 0);
        ck_assert(memcmp(got.ptr + PREFIX, msg, sizes[i]) == 0);
        actr_codec_free(&actr_type_string, &got);
    }
    ck_assert_actr_ok(actr_ctx_done(c));
    uint64_t n = 0;
    ck_assert_actr_ok(actr_ctx_result(c, &n));
    ck_assert_int_eq(n, sizeof sizes / sizeof sizes[0]);
    ck_assert_actr_ok(actr_ctx_close(c));
    free(prefix);
    free(msg);
    assert_serving(victim);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S28_encrypted_links_carry_big_messages)
{
    setenv("ACTR_ENCRYPT", "on", 1);
    itest_run_root(encrypted_big_body, NULL);
}
END_TEST

START_TEST(test_S28_encrypted_links_carry_streams)
{
    /* Forced on loopback; the child inherits it. */
    setenv("ACTR_ENCRYPT", "on", 1);
    itest_run_root(encrypted_body, NULL);
}
END_TEST

/* ------------------------------------------------------------ memory */

static long
rss_kib(long long pid)
{
    char path[64], line[128];
    snprintf(path, sizeof path, "/proc/%lld/status", pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

static int
burst_body(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    enum { N = 1500 };
    actr_actor_nursery *an;
    actr_portal *victim;
    victim = start_victim(&an);
    long long pid = actr_portal_pid(victim);
    assert_serving(victim);
    ck_assert_actr_ok(actr_sleep(2500));          /* its start-up's own trim */
    long base = rss_kib(pid);
    static testmod_sleeper *c[N];
    for (int i = 0; i < N; i++) {
        bool started;
        ck_assert_actr_ok(testmod_sleeper_open(victim, NULL, &c[i], &started));
    }
    long peak = rss_kib(pid);
    for (int i = 0; i < N; i++) {
        ck_assert_actr_ok(testmod_sleeper_cancel(c[i]));
        ck_assert_actr_ok(testmod_sleeper_close(c[i]));
    }
    assert_serving(victim);
    /* Within a few trim periods the burst's memory goes back to the OS. */
    long now = peak;
    for (int i = 0; i < 40 && now > base + (peak - base) / 3; i++) {
        ck_assert_actr_ok(actr_sleep(250));
        now = rss_kib(pid);
    }
    ck_assert_msg(peak > base + 8 * 1024, "the burst took only %ld KiB", peak - base);
    ck_assert_msg(now <= base + (peak - base) / 3, "RSS %ld KiB before, %ld at the peak,"
                  " still %ld after", base, peak, now);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S28_memory_returns_after_a_burst)
{
    /* Resident memory means nothing under ASan (its allocator keeps freed
     * memory in quarantine) or valgrind: the plain build tests this. */
    if (ACTR_TEST_SAN || itest_slowdown() > 1)
        return;
    itest_run_root(burst_body, NULL);
}
END_TEST

/* ------------------------------------------------------------ keepalive */

struct stalled {
    actr_portal *p;
    int rc;
    int64_t at;
};

static int
stalled_call(void *arg)
{
    struct stalled *c = arg;
    bool slept;
    c->rc = testmod_sleep_ms(c->p, 60000, &slept);
    c->at = actr_now();
    return 0;
}

static int
keepalive_body(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    actr_portal *victim;
    victim = start_victim(&an);
    long long pid = actr_portal_pid(victim);
    /* Idle, the keepalive keeps the channel: pings answer for it. */
    ck_assert_actr_ok(actr_sleep(1200 * itest_slowdown()));
    assert_serving(victim);
    struct stalled c = {.p = victim};
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, stalled_call, &c));
    ck_assert_actr_ok(actr_sleep(200));
    /* A stopped peer: the call fails within a keepalive period or two,
     * not after its 60 s. */
    int64_t t0 = actr_now();
    ck_assert_int_eq(kill((pid_t)pid, SIGSTOP), 0);
    ck_assert_actr_ok(actr_nursery_close(n, actr_deadline_in(20000)));
    kill((pid_t)pid, SIGCONT);
    ck_assert_actr_err(c.rc, ACTR_ECLOSED);
    ck_assert_int_lt(c.at - t0, 3000 * itest_slowdown());
    ck_assert_int_ge(c.at - t0, 300 * itest_slowdown());     /* not before */
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S28_keepalive_fails_the_dialogs_of_a_stopped_peer)
{
    /* 400 ms, longer under valgrind (its children pause to translate). */
    char ms[16], line[64];
    snprintf(ms, sizeof ms, "%d", 400 * itest_slowdown());
    snprintf(line, sizeof line, "keepalive %s ms", ms);
    setenv("ACTR_KEEPALIVE_MS", ms, 1);
    test_expect_log(line);
    itest_run_root(keepalive_body, NULL);
}
END_TEST

/* ------------------------------------------------------------ insecure */

static int
insecure_body(actr_actor *self, void *arg)
{
    (void)arg;
    actr_actor_nursery *an;
    actr_portal *victim;
    victim = start_victim(&an);
    char *out = run_attacker("raw", url_of(victim), "tpeer", actr_actor_uuid(self));
    /* The tractor-like connection is let in (insecure): it gets the Aid
     * and an answer to each Start (testmod:add a Return, self:cancel a
     * PermissionError, the registrar's functions ModuleNotExposed); the
     * one that failed to prove the secret still gets nothing. */
    struct conn_seen c1 = seen(out, 1), c2 = seen(out, 2);
    ck_assert_int_eq(c1.refused, 0);
    ck_assert_int_eq(c1.answers, 0);
    ck_assert_int_eq(c2.aid, 1);
    ck_assert_int_ge(c2.answers, 7);
    free(out);
    assert_serving(victim);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    return 0;
}

START_TEST(test_S28_insecure_peer_calls_but_cannot_cancel)
{
    setenv("ACTR_INSECURE", "on", 1);
    test_expect_log("insecure opt-in");
    test_expect_log("self:cancel from tpeer");
    test_expect_log("refused a connection");
    itest_run_root(insecure_body, NULL);
}
END_TEST

int
main(void)
{
    signal(SIGPIPE, SIG_IGN);
    Suite *s = suite_create("attack");
    TCase *tc = tcase_create("S28");
    tcase_set_timeout(tc, 120);
    ITEST_ADD(tc, test_S28_stranger_refused_tcp);
    ITEST_ADD(tc, test_S28_stranger_refused_unix);
    ITEST_ADD(tc, test_S28_registrar_not_spoofed);
    ITEST_ADD(tc, test_S28_every_start_answered_under_flood);
    ITEST_ADD(tc, test_S28_insecure_peer_calls_but_cannot_cancel);
    ITEST_ADD(tc, test_S28_idle_connections_cannot_take_every_fd);
    ITEST_ADD(tc, test_S28_encrypted_links_carry_streams);
    ITEST_ADD(tc, test_S28_encrypted_links_carry_big_messages);
    ITEST_ADD(tc, test_S28_memory_returns_after_a_burst);
    ITEST_ADD(tc, test_S28_keepalive_fails_the_dialogs_of_a_stopped_peer);
    suite_add_tcase(s, tc);
    return itest_run_suite(s);
}
