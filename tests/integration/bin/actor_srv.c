/* The integration tests' actor: serves testmod (testmod.actor) with
 * hand-written trampolines. Spawned by the suites in child mode. */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <actr/actr.h>

#include "testmod.actor.h"

static int
srv_add(actr_call *call, const void *args, void *result)
{
    (void)call;
    const testmod_add_args *a = args;
    *(int64_t *)result = a->a + a->b;
    return 0;
}

static int
srv_nothing(actr_call *call, const void *args, void *result)
{
    (void)call;
    (void)args;
    ((testmod_string_opt *)result)->has = false;
    return 0;
}

static int
srv_fail(actr_call *call, const void *args, void *result)
{
    (void)result;
    const testmod_fail_args *a = args;
    return actr_call_fail(call, a->type_name.ptr, "%s", a->message.ptr);
}

static int
srv_fail_after_shielded(actr_call *call, const void *args, void *result)
{
    (void)result;
    const testmod_fail_after_shielded_args *a = args;
    actr_scope sh;
    int rc = actr_scope_enter(&sh, ACTR_FOREVER, ACTR_SCOPE_SHIELD);
    if (rc < 0)
        return rc;
    actr_sleep(a->ms);
    actr_scope_exit(&sh);
    return actr_call_fail(call, a->type_name.ptr, "%s", a->message.ptr);
}

static int
srv_sleep_ms(actr_call *call, const void *args, void *result)
{
    (void)call;
    int rc = actr_sleep(((const testmod_sleep_ms_args *)args)->ms);
    if (rc < 0)
        return rc;
    *(bool *)result = true;
    return 0;
}

static int
srv_crash(actr_call *call, const void *args, void *result)
{
    (void)call;
    (void)result;
    const char *how = ((const testmod_crash_args *)args)->how.ptr;
    if (strcmp(how, "abort") == 0)
        abort();
    if (strcmp(how, "segv") == 0) {
        /* a real fault, as a bug makes one (a page nobody may touch) */
        volatile int *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (page != MAP_FAILED)
            *page = 1;
    }
    if (strcmp(how, "exit") == 0)
        _exit(3);                 /* as a fatal path does: no cleanup */
    kill(getpid(), SIGKILL);
    return 0;
}

static int
srv_whoami(actr_call *call, const void *args, void *result)
{
    (void)call;
    (void)args;
    actr_str *s = result;
    s->ptr = (char *)actr_actor_name(actr_self());
    s->len = strlen(s->ptr);
    return 0;
}

static int
srv_pid(actr_call *call, const void *args, void *result)
{
    (void)call;
    (void)args;
    *(int64_t *)result = getpid();
    return 0;
}

static int
srv_relay_fail(actr_call *call, const void *args, void *result)
{
    (void)call;
    (void)result;
    const testmod_relay_fail_args *a = args;
    actr_actor_nursery *an;
    int rc = actr_actor_nursery_open(&an);
    if (rc < 0)
        return rc;
    const char *en[] = {"testmod"};
    actr_spawn_opts so = {.enable = en, .nenable = 1};
    testmod_fail_args fa = {{"ValueError", 10}, a->message};
    actr_portal *p;
    rc = actr_actor_nursery_run(an, "grandchild", &so,
                                actr_module_find(&testmod_module, "fail", 4), &fa, &p);
    if (rc == 0)
        rc = actr_portal_result(p, NULL);
    int crc = actr_actor_nursery_close(an);
    return rc < 0 ? rc : crc;
}

static int
srv_count(actr_call *call, const void *args, void *result)
{
    (void)result;
    uint32_t n = ((const testmod_count_args *)args)->n;
    for (int64_t i = 0; i < n; i++) {
        int rc = actr_call_send(call, &i);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int
srv_tick(actr_call *call, const void *args, void *result)
{
    (void)result;
    const testmod_tick_args *a = args;
    for (int64_t i = 0; i < a->n; i++) {
        int rc = actr_sleep(a->pause_ms);
        if (rc == 0)
            rc = actr_call_send(call, &i);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int
srv_echo(actr_call *call, const void *args, void *result)
{
    const testmod_echo_args *a = args;
    int64_t started = 11;
    int rc = actr_call_started(call, &started);
    uint64_t n = 0;
    while (rc == 0) {
        actr_str in = {0};
        rc = actr_call_recv(call, &in);
        if (rc == ACTR_EPIPE) {
            rc = 0;
            break;
        }
        if (rc < 0)
            break;
        /* Any size: big strings go out lent (check_attack's encrypted
         * links). */
        size_t len = a->prefix.len + in.len;
        char *buf = malloc(len + 1);
        if (!buf) {
            actr_codec_free(&actr_type_string, &in);
            rc = ACTR_ENOMEM;
            break;
        }
        memcpy(buf, a->prefix.ptr, a->prefix.len);
        memcpy(buf + a->prefix.len, in.ptr, in.len);
        actr_codec_free(&actr_type_string, &in);
        actr_str out = {buf, len};
        rc = actr_call_send(call, &out);
        free(buf);
        n++;
    }
    *(uint64_t *)result = n;
    return rc;
}

static int
srv_sleeper(actr_call *call, const void *args, void *result)
{
    (void)args;
    bool t = true;
    int rc = actr_call_started(call, &t);
    if (rc == 0)
        rc = actr_sleep_until(ACTR_FOREVER);
    *(bool *)result = true;
    return rc;
}

static int
srv_flood(actr_call *call, const void *args, void *result)
{
    const testmod_flood_args *a = args;
    bool t = true;
    int rc = actr_call_started(call, &t);
    for (int64_t i = 0; rc == 0 && i < a->n; i++) {
        if (a->crash.len > 0 && i == a->after) {
            if (strcmp(a->crash.ptr, "fail") == 0)
                return actr_call_fail(call, "ValueError", "flood failed after %u values",
                                      (unsigned)a->after);
            /* Let what was sent reach the socket first: a crash mid-stream. */
            actr_sleep(50);
            if (strcmp(a->crash.ptr, "abort") == 0)
                abort();
            kill(getpid(), SIGKILL);
        }
        rc = actr_call_send(call, &i);
    }
    *(uint64_t *)result = a->n;
    return rc;
}


static int
srv_tasks(actr_call *call, const void *args, void *result)
{
    (void)call;
    (void)args;
    actr_stats st;
    actr_stats_get(&st);
    *(int64_t *)result = (int64_t)st.tasks_live;
    return 0;
}

static char url_buf[ACTR_ADDR_URL_MAX];

static int
srv_url(actr_call *call, const void *args, void *result)
{
    (void)call;
    (void)args;
    int n = actr_actor_url(actr_self(), url_buf, sizeof url_buf);
    if (n < 0)
        return n;
    actr_str *s = result;
    s->ptr = url_buf;
    s->len = (size_t)n;
    return 0;
}

static int
srv_cancel_actor_at(actr_call *call, const void *args, void *result)
{
    (void)call;
    actr_portal *p;
    int rc = actr_portal_open(((const testmod_cancel_actor_at_args *)args)->url.ptr, &p);
    if (rc < 0)
        return rc;
    *(bool *)result = actr_portal_cancel_actor(p) == 1;
    actr_portal_close(p);
    return 0;
}

static int
srv_stubborn(actr_call *call, const void *args, void *result)
{
    (void)call;
    (void)result;
    if (((const testmod_stubborn_args *)args)->ignore_term)
        signal(SIGTERM, SIG_IGN);
    actr_scope sh;
    int rc = actr_scope_enter(&sh, ACTR_FOREVER, ACTR_SCOPE_SHIELD);
    if (rc < 0)
        return rc;
    for (;;)
        actr_sleep_until(ACTR_FOREVER);
}

static void
note(const char *path, const char *fmt, ...) ACTR_PRINTF(2, 3);

static void
note(const char *path, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
    if (fd < 0)
        return;
    if (write(fd, line, (size_t)n) < 0)
        n = 0;
    close(fd);
}

/* Streams until something ends it: v in, v + 1 out. */
static int
steer_stream(actr_call *call, const testmod_steer_args *a)
{
    for (int i = 0;; i++) {
        int64_t v;
        int rc = actr_call_recv(call, &v);
        if (rc < 0)
            return rc;
        v++;
        if ((rc = actr_call_send(call, &v)) < 0)
            return rc;
        if (i == 5) {
            note(a->report.ptr, "reached streaming\n");
            if (a->self_cancel)
                actr_call_cancel(call);
        }
    }
}

static int
srv_steer(actr_call *call, const void *args, void *result)
{
    const testmod_steer_args *a = args;
    const char *ph = a->phase.ptr;
    int64_t pid = getpid();
    actr_actor_nursery *an = NULL;
    int rc = 0;
    if (strcmp(ph, "prestart") == 0) {
        note(a->report.ptr, "reached prestart\n");
        if (a->self_cancel)
            actr_call_cancel(call);
        rc = actr_sleep_until(ACTR_FOREVER);
    } else {
        if (strcmp(ph, "nursery") == 0) {
            const char *en[] = {"testmod"};
            actr_spawn_opts so = {.enable = en, .nenable = 1};
            actr_portal *gp;
            rc = actr_actor_nursery_open(&an);
            if (rc == 0)
                rc = actr_actor_nursery_start(an, "grandchild", &so, &gp);
            if (rc == 0)
                rc = actr_portal_call(gp, actr_module_find(&testmod_module, "pid", 3), NULL,
                                      &pid);
        }
        if (rc == 0)
            rc = actr_call_started(call, &pid);
        if (rc == 0 && strcmp(ph, "streaming") == 0) {
            rc = steer_stream(call, a);
        } else if (rc == 0) {
            note(a->report.ptr, "reached %s\n", ph);
            if (a->self_cancel) {
                actr_sleep(50);
                actr_call_cancel(call);
            }
            rc = actr_sleep_until(ACTR_FOREVER);
        }
        if (an) {
            int crc = actr_actor_nursery_close(an);
            if (rc == 0)
                rc = crc;
        }
    }
    const char *by = actr_call_canceller(call);
    note(a->report.ptr, "end rc=%s canceller=%s cancel_called=%d\n",
         rc ? actr_errname(rc) : "0", by ? by : "-", actr_call_cancel_called(call));
    *(int64_t *)result = 0;
    return rc;
}

static int
srv_peer_into(actr_call *call, const void *args, void *result)
{
    actr_portal *p;
    int rc = actr_portal_open(((const testmod_peer_into_args *)args)->url.ptr, &p);
    if (rc < 0)
        return rc;
    actr_ctx *c = NULL;
    rc = actr_ctx_open(p, actr_module_find(&testmod_module, "sleeper", 7), NULL, NULL, &c, NULL);
    bool t = true;
    if (rc == 0 && (rc = actr_call_started(call, &t)) == 0) {
        bool r;
        rc = actr_ctx_result(c, &r);
        static char canceller[160];
        const actr_error *e = actr_last_error();
        snprintf(canceller, sizeof canceller, "%s",
                 rc == ACTR_ECTXCANCEL && e->canceller_uid ? e->canceller_uid : "");
        actr_str *s = result;
        s->ptr = canceller;
        s->len = strlen(canceller);
        rc = 0;
    }
    if (c)
        actr_ctx_close(c);
    actr_portal_close(p);
    return rc;
}

static int
srv_tree(actr_call *call, const void *args, void *result)
{
    uint32_t depth = ((const testmod_tree_args *)args)->depth;
    char pids[256];
    snprintf(pids, sizeof pids, "%d", (int)getpid());
    *(bool *)result = true;
    if (depth <= 1) {
        actr_str s = {pids, strlen(pids)};
        int rc = actr_call_started(call, &s);
        return rc < 0 ? rc : actr_sleep_until(ACTR_FOREVER);
    }
    actr_actor_nursery *an;
    int rc = actr_actor_nursery_open(&an);
    if (rc < 0)
        return rc;
    const char *en[] = {"testmod"};
    actr_spawn_opts so = {.enable = en, .nenable = 1};
    actr_portal *p;
    actr_ctx *c = NULL;
    actr_str sub = {0};
    testmod_tree_args ta = {depth - 1};
    rc = actr_actor_nursery_start(an, "level", &so, &p);
    if (rc == 0)
        rc = actr_ctx_open(p, actr_module_find(&testmod_module, "tree", 4), &ta, NULL, &c, &sub);
    if (rc == 0) {
        size_t n = strlen(pids);
        snprintf(pids + n, sizeof pids - n, " %s", sub.ptr);
        actr_codec_free(&actr_type_string, &sub);
        actr_str s = {pids, strlen(pids)};
        rc = actr_call_started(call, &s);
        bool r;
        if (rc == 0)
            rc = actr_ctx_result(c, &r);
    }
    if (c) {
        int crc = actr_ctx_close(c);
        if (rc == 0)
            rc = crc;
    }
    int crc = actr_actor_nursery_close(an);
    return rc < 0 ? rc : crc;
}

static const struct {
    const char *name;
    actr_invoke_fn fn;
} impls[] = {
    {"add", srv_add},           {"nothing", srv_nothing},   {"fail", srv_fail},         
    {"sleep_ms", srv_sleep_ms}, {"crash", srv_crash},       {"whoami", srv_whoami},   {"pid", srv_pid},
    {"relay_fail", srv_relay_fail}, {"count", srv_count},   {"echo", srv_echo},
    {"tick", srv_tick},
    {"sleeper", srv_sleeper},   {"flood", srv_flood},
    {"tasks", srv_tasks},       {"url", srv_url},           {"cancel_actor_at", srv_cancel_actor_at},
    {"stubborn", srv_stubborn}, {"steer", srv_steer},       {"peer_into", srv_peer_into},
    {"tree", srv_tree},         {"fail_after_shielded", srv_fail_after_shielded},
};

/* Root mode for test_S1_parent_killed_child_exits: spawn a child, print
 * its pid, then wait to be killed. */
static int
parent_main(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    int rc = actr_actor_nursery_open(&an);
    if (rc < 0)
        return rc;
    const char *en[] = {"testmod"};
    actr_spawn_opts so = {.enable = en, .nenable = 1};
    actr_portal *p;
    rc = actr_actor_nursery_start(an, "orphan", &so, &p);
    int64_t pid = 0;
    if (rc == 0)
        rc = actr_portal_call(p, actr_module_find(&testmod_module, "pid", 3), NULL, &pid);
    if (rc == 0) {
        printf("%lld\n", (long long)pid);
        fflush(stdout);
        actr_sleep_until(ACTR_FOREVER);
    }
    actr_actor_nursery_close(an);
    return rc;
}

/* Root mode for check_sigint: a three-level tree (this root, "mid" and
 * its child), the pids printed on one line; then it waits until SIGINT
 * tears everything down. */
static int
tree_root_main(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    int rc = actr_actor_nursery_open(&an);
    if (rc < 0)
        return rc;
    const char *en[] = {"testmod"};
    actr_spawn_opts so = {.enable = en, .nenable = 1};
    actr_portal *p;
    actr_ctx *c = NULL;
    actr_str sub = {0};
    testmod_tree_args ta = {2};
    rc = actr_actor_nursery_start(an, "mid", &so, &p);
    if (rc == 0)
        rc = actr_ctx_open(p, actr_module_find(&testmod_module, "tree", 4), &ta, NULL, &c, &sub);
    if (rc == 0) {
        printf("%d %s\n", (int)getpid(), sub.ptr);
        fflush(stdout);
        actr_codec_free(&actr_type_string, &sub);
        bool r;
        rc = actr_ctx_result(c, &r);
    }
    if (c)
        actr_ctx_close(c);
    actr_actor_nursery_close(an);
    return rc;
}

int
main(int argc, char **argv)
{
    static actr_endpoint eps[32];
    static actr_module mod;
    mod = testmod_module;
    for (size_t i = 0; i < mod.nendpoints && i < 32; i++) {
        eps[i] = mod.endpoints[i];
        for (size_t j = 0; j < sizeof impls / sizeof impls[0]; j++)
            if (strcmp(eps[i].name, impls[j].name) == 0)
                eps[i].invoke = impls[j].fn;
    }
    mod.endpoints = eps;
    const actr_module *mods[] = {&mod};
    const char *en[] = {"testmod"};
    actr_actor_opts o = {.name = "srv", .modules = mods, .nmodules = 1,
                         .enable = en, .nenable = 1};
    int parent = argc > 1 && strcmp(argv[1], "--parent-test") == 0;
    int tree = argc > 1 && strcmp(argv[1], "--tree-root") == 0;
    int rc = actr_main(parent || tree ? 1 : argc, argv, &o,
                       parent ? parent_main : tree ? tree_root_main : NULL, NULL);
    return rc < 0 ? 1 : 0;
}
