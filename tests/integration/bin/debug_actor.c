/* The program of the debug-mode suite (check_debug.c, SEMANTICS S25):
 * serves debugmod (debugmod.actor) in child mode, and in root mode runs
 * the scenario named by its first argument, in debug mode (ACTR_DEBUG=1
 * in the environment, or actr_actor_opts.debug_mode for "pause"):
 *   grandchild  mid (run_in_actor crash_below "segv") -> leaf crashes
 *   two         children a and b crash at the same moment
 *   pause       kid pauses in pause_then(21); the root prints its result
 *   fail        kid fails with ValueError "bad value"
 *   forged      kid asks the root's debugger for another pid (forge_lock)
 *   teardown    kid pauses in a call, and 1 s later the root cancels its
 *               actor nursery: the teardown must wait for the session
 * The root prints "ROOT RESULT <n>" or "ROOT ERROR <message>" on stdout
 * and exits 0 or 1. With DEBUG_ACTOR_FILTER=none in the environment the
 * program (root and children) sets a debug filter that stops on no
 * failure. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <actr/actr.h>

#include "debugmod.actor.h"

#define S(z) ((actr_str){(char *)(z), sizeof(z) - 1})

/* An address that is never mapped and is not NULL (UBSan would stop a
 * store through NULL before it faults). */
static volatile uintptr_t bad_address = 16;

/* The function debug mode must show: its frame is where the fault is. */
__attribute__((noinline)) static void
debug_crash_here(const char *how)
{
    if (strcmp(how, "abort") == 0)
        abort();
    *(volatile int *)bad_address = 42;
}

int
debugmod_crash_impl(actr_call *call, actr_str how, int64_t ms)
{
    (void)call;
    int rc = actr_sleep(ms);
    if (rc < 0)
        return rc;
    debug_crash_here(how.ptr);
    return 0;
}

int
debugmod_crash_below_impl(actr_call *call, actr_str how)
{
    (void)call;
    actr_actor_nursery *an;
    int rc = actr_actor_nursery_open(&an);
    if (rc < 0)
        return rc;
    const char *en[] = {"debugmod"};
    actr_spawn_opts so = {.enable = en, .nenable = 1};
    debugmod_crash_args args = {how, 0};
    actr_portal *leaf;
    rc = actr_actor_nursery_run(an, "leaf", &so, &debugmod_module.endpoints[0], &args, &leaf);
    int crc = actr_actor_nursery_close(an);
    return rc < 0 ? rc : crc;
}

__attribute__((noinline)) static int64_t
debug_pause_here(int64_t marker)
{
    int rc = actr_pause();
    __asm__ volatile("" ::: "memory");
    return rc < 0 ? rc : marker * 2;
}

int
debugmod_pause_then_impl(actr_call *call, int64_t marker, int64_t *out)
{
    (void)call;
    int64_t v = debug_pause_here(marker);
    if (v < 0)
        return (int)v;
    *out = v;
    return 0;
}

__attribute__((noinline)) static int
debug_fail_here(actr_call *call, actr_str type_name, actr_str message)
{
    int rc = actr_call_fail(call, type_name.ptr, "%.*s", (int)message.len, message.ptr);
    __asm__ volatile("" ::: "memory");
    return rc;
}

int
debugmod_fail_impl(actr_call *call, actr_str type_name, actr_str message)
{
    return debug_fail_here(call, type_name, message);
}

static void
pack_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

int
debugmod_forge_lock_impl(actr_call *call, actr_str root_url, int64_t *out)
{
    (void)call;
    char url[ACTR_ADDR_URL_MAX];
    snprintf(url, sizeof url, "%.*s", (int)root_url.len, root_url.ptr);
    actr_portal *root;
    int rc = actr_portal_open(url, &root);
    if (rc < 0)
        return rc;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    pack_str(&pk, "uid");
    pack_str(&pk, "kid.forger");
    pack_str(&pk, "pid");
    msgpack_pack_int64(&pk, getppid());         /* not ours */
    pack_str(&pk, "reason");
    pack_str(&pk, "forged");
    pack_str(&pk, "frame");
    pack_str(&pk, "main");
    pack_str(&pk, "go");
    msgpack_pack_uint64(&pk, 4096);
    actr_any kw = {(uint8_t *)sb.data, sb.size};
    actr_ctx *ctx;
    rc = actr_ctx_open_raw(root, "actr:debug_lock", &kw, NULL, &ctx, NULL);
    msgpack_sbuffer_destroy(&sb);
    if (rc == 0) {
        *out = 0;
        rc = actr_ctx_close(ctx);
    } else {
        const actr_error *e = actr_last_error();
        *out = rc == ACTR_EREMOTE && e->type_name && !strcmp(e->type_name, "DebugRequestError");
        rc = *out ? 0 : rc;
    }
    actr_portal_close(root);
    return rc;
}

/* ------------------------------------------------------------ scenarios */

static const char *scenario;

static actr_spawn_opts
opts(void)
{
    static const char *en[] = {"debugmod"};
    return (actr_spawn_opts){.enable = en, .nenable = 1};
}

static int
report(int rc, int64_t result)
{
    if (rc < 0) {
        const actr_error *e = actr_last_error();
        printf("ROOT ERROR %s\n", e->code == rc && e->message ? e->message : actr_strerror(rc));
    } else {
        printf("ROOT RESULT %lld\n", (long long)result);
    }
    fflush(stdout);
    return rc < 0 ? 1 : 0;
}

struct crasher {
    actr_portal *p;
    int64_t ms;
};

static int
crash_task(void *arg)
{
    struct crasher *c = arg;
    debugmod_crash_args a = {S("segv"), c->ms};
    return actr_portal_call(c->p, &debugmod_module.endpoints[0], &a, NULL);
}

static int
two(actr_actor_nursery *an)
{
    actr_spawn_opts so = opts();
    struct crasher c[2] = {{NULL, 300}, {NULL, 300}};
    int rc = actr_actor_nursery_start(an, "a", &so, &c[0].p);
    if (rc == 0)
        rc = actr_actor_nursery_start(an, "b", &so, &c[1].p);
    actr_nursery *n;
    if (rc == 0 && (rc = actr_nursery_open(&n)) == 0) {
        for (int i = 0; i < 2 && rc == 0; i++)
            rc = actr_nursery_spawn(n, crash_task, &c[i]);
        int crc = actr_nursery_close(n, ACTR_FOREVER);
        rc = rc < 0 ? rc : crc;
    }
    return rc;
}

static int
pause_task(void *arg)
{
    debugmod_pause_then_args a = {21};
    int64_t v;
    int rc = actr_portal_call(arg, &debugmod_module.endpoints[2], &a, &v);
    return rc == ACTR_ECANCELED ? 0 : rc;     /* the nursery's cancel */
}

/* The kid pauses; the nursery is cancelled meanwhile. */
static int
teardown(actr_actor_nursery *an)
{
    actr_spawn_opts so = opts();
    actr_portal *kid;
    actr_nursery *n;
    int rc = actr_actor_nursery_start(an, "kid", &so, &kid);
    if (rc == 0 && (rc = actr_nursery_open(&n)) == 0) {
        rc = actr_nursery_spawn(n, pause_task, kid);
        if (rc == 0)
            rc = actr_sleep(1000);
        actr_actor_nursery_cancel(an);
        (void)actr_nursery_close(n, ACTR_FOREVER);
    }
    return rc == ACTR_ECANCELED ? 0 : rc;
}

static int
root(actr_actor *self, void *arg)
{
    (void)arg;
    actr_actor_nursery *an;
    int rc = actr_actor_nursery_open(&an);
    if (rc < 0)
        return report(rc, 0);
    actr_spawn_opts so = opts();
    actr_portal *p;
    int64_t result = 0;
    if (strcmp(scenario, "grandchild") == 0) {
        debugmod_crash_below_args a = {S("segv")};
        rc = actr_actor_nursery_run(an, "mid", &so, &debugmod_module.endpoints[1], &a, &p);
    } else if (strcmp(scenario, "two") == 0) {
        rc = two(an);
    } else if (strcmp(scenario, "teardown") == 0) {
        rc = teardown(an);
    } else if (strcmp(scenario, "pause") == 0) {
        debugmod_pause_then_args a = {21};
        rc = actr_actor_nursery_run(an, "kid", &so, &debugmod_module.endpoints[2], &a, &p);
    } else if (strcmp(scenario, "forged") == 0) {
        char url[ACTR_ADDR_URL_MAX];
        if ((rc = actr_actor_url(self, url, sizeof url)) >= 0) {
            debugmod_forge_lock_args a = {{url, strlen(url)}};
            rc = actr_actor_nursery_run(an, "kid", &so, &debugmod_module.endpoints[4], &a, &p);
        }
    } else if (strcmp(scenario, "fail") == 0) {
        debugmod_fail_args a = {S("ValueError"), S("bad value")};
        rc = actr_actor_nursery_run(an, "kid", &so, &debugmod_module.endpoints[3], &a, &p);
    } else {
        rc = actr_error_set(ACTR_EINVAL, "unknown scenario %s", scenario);
    }
    if (rc == 0 && (strcmp(scenario, "pause") == 0 || strcmp(scenario, "forged") == 0))
        rc = actr_portal_result(p, &result);
    int crc = actr_actor_nursery_close(an);
    if (rc == 0)
        rc = crc;
    return report(rc, result);
}

static int
no_failure_stops(const actr_endpoint *ep, const actr_error *e, void *arg)
{
    (void)ep;
    (void)e;
    (void)arg;
    return 0;
}

int
main(int argc, char **argv)
{
    const char *filter = getenv("DEBUG_ACTOR_FILTER");
    if (filter && strcmp(filter, "none") == 0)
        actr_debug_set_filter(no_failure_stops, NULL);
    const actr_module *mods[] = {&debugmod_module};
    const char *en[] = {"debugmod"};
    scenario = argc > 1 && !actr_is_child(argc, argv) ? argv[1] : "";
    actr_actor_opts o = {.name = "root", .modules = mods, .nmodules = 1,
                         .enable = en, .nenable = 1,
                         .debug_mode = strcmp(scenario, "pause") == 0};
    int rc = actr_main(argc, argv, &o, actr_is_child(argc, argv) ? NULL : root, NULL);
    return rc != 0;
}
