/* Helpers of the integration suites (itest.h). */
#include "itest.h"

#include <signal.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *
itest_bin(const char *name)
{
    static char path[4096];
    const char *build = getenv("ACTR_TEST_BUILD");
    if (!build)
        build = ACTR_TEST_BUILD;
    if (build[0] == '/')
        snprintf(path, sizeof path, "%s/tests/bin/%s", build, name);
    else
        snprintf(path, sizeof path, "%s/%s/tests/bin/%s", ACTR_TEST_TOP, build, name);
    return path;
}

const actr_endpoint *
itest_ep(const char *name)
{
    const actr_endpoint *ep = actr_module_find(&testmod_module, name, strlen(name));
    ck_assert_msg(ep != NULL, "no endpoint testmod:%s", name);
    return ep;
}

actr_spawn_opts
itest_srv_opts(void)
{
    static const char *en[] = {"testmod"};
    actr_spawn_opts o = {.exe = itest_bin("actor_srv"), .enable = en, .nenable = 1};
    return o;
}

/* Options running tests/bin/<bin> (its path kept in exe) with *en on. */
static actr_spawn_opts
bin_opts(const char *bin, const char **en, char *exe, size_t cap)
{
    snprintf(exe, cap, "%s", itest_bin(bin));
    actr_spawn_opts o = {.exe = exe, .enable = en, .nenable = 1};
    return o;
}

actr_spawn_opts
itest_hl_opts(void)
{
    static const char *en[] = {"hlmod"};
    static char exe[4096];
    return bin_opts("hl_srv", en, exe, sizeof exe);
}

static actr_portal *
open_with(actr_actor_nursery **an, const char *name, actr_spawn_opts so)
{
    ck_assert_actr_ok(actr_actor_nursery_open(an));
    actr_portal *p;
    ck_assert_actr_ok(actr_actor_nursery_start(*an, name, &so, &p));
    return p;
}

actr_portal *
itest_open_with_srv(actr_actor_nursery **an, const char *name)
{
    return open_with(an, name, itest_srv_opts());
}

actr_portal *
itest_open_with_hl(actr_actor_nursery **an, const char *name)
{
    return open_with(an, name, itest_hl_opts());
}

actr_spawn_opts
itest_dialogs_opts(void)
{
    static const char *en[] = {"dialogs"};
    static char exe[4096];
    return bin_opts("dialogs_srv", en, exe, sizeof exe);
}

int
itest_root(actr_actor_fn fn, void *arg)
{
    static char *argv[] = {"itest", NULL};
    const actr_module *mods[] = {&testmod_module};
    actr_actor_opts o = {.name = "root", .modules = mods, .nmodules = 1};
    return actr_main(1, argv, &o, fn, arg);
}

int
itest_nfds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static int fds_at_begin;

void
itest_begin(void)
{
    fds_at_begin = itest_nfds();
}

void
itest_end(void)
{
    int st;
    errno = 0;
    pid_t p = waitpid(-1, &st, WNOHANG);
    ck_assert_msg(p == -1 && errno == ECHILD, "a child process is left (waitpid -> %d)", (int)p);
    int n = itest_nfds();
    if (n != fds_at_begin) {
        /* Name them: which fd was left says which code leaked it. */
        char list[2048] = "", path[300], target[256];
        DIR *d = opendir("/proc/self/fd");
        for (struct dirent *e; d && (e = readdir(d));) {
            snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
            ssize_t k = readlink(path, target, sizeof target - 1);
            size_t len = strlen(list);
            if (k > 0 && len + 64 < sizeof list)
                snprintf(list + len, sizeof list - len, " %s->%.*s", e->d_name, (int)k, target);
        }
        if (d)
            closedir(d);
        ck_abort_msg("%d fds open, %d at the start:%s", n, fds_at_begin, list);
    }
}

/* ------------------------------------------------------------ cancel suites */

static char *log_buf;
static size_t log_len, log_cap;
static int log_saved_level;

static void
log_sink(const actr_log_record *rec, void *ud)
{
    (void)ud;
    size_t need = log_len + rec->line_len + 2;
    if (need > log_cap) {
        size_t cap = log_cap ? log_cap * 2 : 65536;
        while (cap < need)
            cap *= 2;
        char *nb = realloc(log_buf, cap);
        if (!nb)
            return;
        log_buf = nb;
        log_cap = cap;
    }
    memcpy(log_buf + log_len, rec->line, rec->line_len);
    log_len += rec->line_len;
    log_buf[log_len++] = '\n';
    log_buf[log_len] = 0;
}

void
itest_log_start(int level)
{
    log_len = 0;
    if (log_buf)
        log_buf[0] = 0;
    log_saved_level = actr_log_get_level();
    actr_log_set_level(level);
    actr_log_set_sink(log_sink, NULL);
}

void
itest_log_stop(void)
{
    actr_log_set_sink(NULL, NULL);
    actr_log_set_level(log_saved_level);
}

int
itest_log_count(const char *needle, ...)
{
    int n = 0;
    if (!log_buf)
        return 0;
    for (char *line = log_buf; *line;) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char save = line[len];
        line[len] = 0;
        int all = strstr(line, needle) != NULL;
        va_list ap;
        va_start(ap, needle);
        for (const char *x; all && (x = va_arg(ap, const char *));)
            all = strstr(line, x) != NULL;
        va_end(ap);
        line[len] = save;
        n += all;
        line += len + (end ? 1 : 0);
    }
    return n;
}

const char *
itest_log_text(void)
{
    return log_buf ? log_buf : "";
}

void
itest_tmpfile(char *path, size_t cap)
{
    snprintf(path, cap, "/tmp/actr-itest-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_msg(fd >= 0, "mkstemp failed");
    close(fd);
}

int
itest_file_wait(const char *path, const char *prefix, char *line, size_t cap, int64_t ms)
{
    int64_t until = actr_now() + ms;
    size_t plen = strlen(prefix);
    for (;;) {
        FILE *f = fopen(path, "r");
        char buf[1024];
        while (f && fgets(buf, sizeof buf, f)) {
            if (strncmp(buf, prefix, plen) == 0) {
                buf[strcspn(buf, "\n")] = 0;
                snprintf(line, cap, "%s", buf);
                fclose(f);
                return 1;
            }
        }
        if (f)
            fclose(f);
        if (actr_now() >= until || actr_sleep(5) < 0)
            return 0;
    }
}

static int
pid_alive(int pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *rp = strrchr(buf, ')');
    return !(rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'));
}

int
itest_pid_gone(int pid, int64_t ms)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (!pid_alive(pid))
            return 1;
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= ms)
            return 0;
        if (actr_task_id() != 0)
            actr_sleep(10);
        else
            usleep(10000);
    }
}

long
itest_tasks(void)
{
    actr_stats st;
    actr_stats_get(&st);
    return (long)st.tasks_live;
}

long
itest_remote_tasks(actr_portal *p)
{
    int64_t n = -1;
    ck_assert_actr_ok(actr_portal_call(p, itest_ep("tasks"), NULL, &n));
    return (long)n;
}

const char *
itest_self_uid(void)
{
    static char uid[160];
    actr_actor *a = actr_self();
    snprintf(uid, sizeof uid, "%s.%s", actr_actor_name(a), actr_actor_uuid(a));
    return uid;
}

static int64_t
now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

int64_t
itest_cancel_during_flood_us(actr_portal *p, uint32_t n)
{
    testmod_flood_args a = {n, 0, {"", 0}};
    actr_ctx_opts o = {.allow_overruns = 1};
    actr_ctx *c;
    int rc = actr_ctx_open(p, itest_ep("flood"), &a, &o, &c, NULL);
    if (rc < 0)
        return rc;
    actr_sleep(100);
    int64_t t0 = now_us();
    actr_ctx_cancel(c);
    uint64_t r;
    rc = actr_ctx_result(c, &r);
    int64_t t1 = now_us();
    actr_ctx_close(c);
    return rc == ACTR_ECTXCANCEL ? t1 - t0 : (rc < 0 ? rc : ACTR_ESTATE);
}

static int
with_children(actr_actor *self, void *arg)
{
    (void)self;
    itest_body_fn body = *(itest_body_fn *)arg;
    long tasks0 = itest_tasks();
    actr_actor_nursery *an;
    ck_assert_actr_ok(actr_actor_nursery_open(&an));
    actr_spawn_opts so = itest_dialogs_opts();
    actr_spawn_opts to = itest_srv_opts();
    actr_portal *child, *srv;
    ck_assert_actr_ok(actr_actor_nursery_start(an, "child", &so, &child));
    ck_assert_actr_ok(actr_actor_nursery_start(an, "srv", &to, &srv));
    body(an, child, srv);
    ck_assert_actr_ok(actr_actor_nursery_close(an));
    itest_tasks_back_to(tasks0);
    return 0;
}

void
itest_run_with_children(itest_body_fn body)
{
    itest_run_root(with_children, &body);
}

void
itest_run_root(actr_actor_fn fn, void *arg)
{
    itest_begin();
    ck_assert_actr_ok(itest_root(fn, arg));
    itest_end();
}

void
itest_tasks_back_to(long tasks0)
{
    long n = -1;
    for (int i = 0; i < 200 && (n = itest_tasks()) != tasks0; i++)
        actr_sleep(10);
    ck_assert_int_eq(n, tasks0);
}

int
itest_slowdown(void)
{
    return actr_env_get(ACTR_ENV_CHILD_WRAPPER) ? 10 : 1;
}

int
itest_kill_child(const char *name, long long pid, int sig)
{
    char line[160];
    snprintf(line, sizeof line, "child '%s' (pid %lld) killed by SIG%s", name, pid,
             sigabbrev_np(sig));
    test_expect_log(line);
    return kill((pid_t)pid, sig);
}

/* 1 in an AddressSanitizer build (the children are built the same way). */
static int
itest_asan(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return 1;
#endif
#endif
    return 0;
}

void
itest_assert_death(const char *name, int sig, const char *ep)
{
    const actr_error *e = actr_last_error();
    ck_assert_int_eq(e->code, ACTR_ECLOSED);
    ck_assert_msg(e->type_name && strcmp(e->type_name, "ActorFailure") == 0,
                  "type %s, expected ActorFailure (%s)", e->type_name ? e->type_name : "none",
                  e->message);
    char who[96], how[64];
    snprintf(who, sizeof who, "child '%s' (pid ", name);
    snprintf(how, sizeof how, "killed by SIG%s", sigabbrev_np(sig));
    ck_assert_msg(strstr(e->message, who) != NULL, "no \"%s\" in: %s", who, e->message);
    /* ASan turns a crash into its report and exit status 1 */
    int crash = sig == SIGSEGV || sig == SIGABRT;
    ck_assert_msg(strstr(e->message, how) || (itest_asan() && crash &&
                                             strstr(e->message, "exited with status")),
                  "no \"%s\" in: %s", how, e->message);
    if (ep) {
        char serving[128];
        snprintf(serving, sizeof serving, "while serving %s", ep);
        ck_assert_msg(strstr(e->message, serving) != NULL, "no \"%s\" in: %s", serving,
                      e->message);
    }
}

void
itest_close_after_death(actr_actor_nursery *an, const char *name, int sig)
{
    if (!sig) {
        ck_assert_actr_ok(actr_actor_nursery_close(an));
        return;
    }
    ck_assert_actr_err(actr_actor_nursery_close(an), ACTR_ECLOSED);
    itest_assert_death(name, sig, NULL);
}

int
itest_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

int
itest_selected(const char *name)
{
    const char *only = getenv("ITEST_ONLY");
    return !only || !*only || strstr(name, only) != NULL;
}

/* ------------------------------------------------------------ raw peers */

actr_str
itest_str(const char *z)
{
    actr_str s = {(char *)z, strlen(z)};
    return s;
}

int
itest_str_eq(const actr_str *s, const char *z)
{
    return s->len == strlen(z) && memcmp(s->ptr, z, s->len) == 0;
}

void
itest_send_start(actr_ipc *ch, const char *root_uuid, const char *cid, const char *ns,
                 const char *func, const void *kw, size_t kwlen)
{
    actr_msg m = {.type = ACTR_MSG_START};
    m.u.start.cid = itest_str(cid);
    m.u.start.ns = itest_str(ns);
    m.u.start.func = itest_str(func);
    m.u.start.kwargs = (actr_any){(uint8_t *)kw, kwlen};
    m.u.start.uid.name = itest_str("root");
    m.u.start.uid.uuid = itest_str(root_uuid);
    ck_assert_actr_ok(actr_ipc_send(ch, &m, actr_deadline_in(2000)));
}

actr_msg
itest_expect(actr_ipc *ch, actr_msg_type t, const char *cid)
{
    actr_msg m;
    ck_assert_actr_ok(actr_ipc_recv(ch, &m, actr_deadline_in(5000)));
    actr_str c = {0};
    int has = actr_msg_cid(&m, &c);
    ck_assert_msg(m.type == t, "got %s on %.*s, expected %s on %s", actr_msg_type_name(m.type),
                  (int)c.len, c.ptr ? c.ptr : "", actr_msg_type_name(t), cid ? cid : "-");
    if (cid) {
        ck_assert_msg(has && itest_str_eq(&c, cid), "cid %.*s, expected %s", (int)c.len,
                      c.ptr ? c.ptr : "", cid);
    }
    return m;
}
