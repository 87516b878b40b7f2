/* The dialog-rule suites' actor: serves the dialogs module
 * (dialogs.actor) through its generated typed stubs. Grandchildren it
 * needs run actor_srv (testmod), whose path each call passes in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <actr/actr.h>

#include "dialogs.actor.h"
#include "testmod.actor.h"

static const actr_endpoint *
ep(const char *name)
{
    return actr_module_find(&testmod_module, name, strlen(name));
}

static actr_spawn_opts
grandchild_opts(actr_str exe)
{
    static const char *en[] = {"testmod"};
    actr_spawn_opts o = {.exe = exe.ptr, .enable = en, .nenable = 1};
    return o;
}

/* Opens an actor nursery and starts one grandchild running exe in it. */
static int
start_grandchild(actr_str exe, actr_actor_nursery **an, actr_portal **p)
{
    int rc = actr_actor_nursery_open(an);
    if (rc < 0)
        return rc;
    actr_spawn_opts so = grandchild_opts(exe);
    if ((rc = actr_actor_nursery_start(*an, "grandchild", &so, p)) < 0) {
        actr_actor_nursery_close(*an);
        *an = NULL;
    }
    return rc;
}

/* Receives a testmod:flood that fails after 5 values, opened on p, until
 * it fails; returns the failure (its detail recorded). */
static int
flood_failure(actr_portal *p)
{
    testmod_flood_args fa = {50, 5, {"fail", 4}};
    actr_ctx *flood;
    int rc = actr_ctx_open(p, ep("flood"), &fa, NULL, &flood, NULL);
    if (rc < 0)
        return rc;
    int64_t v;
    while ((rc = actr_ctx_recv(flood, &v)) == 0)
        ;
    actr_ctx_close(flood);
    return rc;
}

/* Closes an and returns rc, or close's failure when rc is 0. */
static int
close_nursery(actr_actor_nursery *an, int rc)
{
    int crc = actr_actor_nursery_close(an);
    return rc < 0 ? rc : crc;
}

int
dialogs_relay_call_impl(actr_call *call, actr_str exe, actr_str target, actr_any kwargs,
                        actr_any *out)
{
    actr_actor_nursery *an;
    actr_portal *p;
    int rc = start_grandchild(exe, &an, &p);
    if (rc < 0)
        return rc;
    if ((rc = actr_portal_call_raw(p, target.ptr, &kwargs, out)) == 0)
        actr_call_own_result(call);
    /* The grandchild's error is what this call fails with (relayed); the
     * nursery's teardown after it must not replace it. */
    return close_nursery(an, rc);
}

int
dialogs_cleanup_after_error_impl(actr_call *call, actr_str exe)
{
    (void)call;
    actr_actor_nursery *an;
    actr_portal *p;
    actr_ctx *sleeper;
    int rc = start_grandchild(exe, &an, &p);
    if (rc < 0)
        return rc;
    if ((rc = actr_ctx_open(p, ep("sleeper"), NULL, NULL, &sleeper, NULL)) < 0)
        return close_nursery(an, rc);
    rc = flood_failure(p);
    /* rc and the detail are the flood's failure now. The natural cleanup
     * succeeds, and must leave both as they are. */
    if (actr_ctx_cancel(sleeper) < 0 || actr_ctx_close(sleeper) < 0)
        rc = actr_error_set(ACTR_ESTATE, "the cleanup itself failed");
    return close_nursery(an, rc);
}

int
dialogs_group_fail_impl(actr_call *call, actr_str exe, uint32_t n, int64_t ms)
{
    (void)call;
    actr_actor_nursery *an;
    int rc = actr_actor_nursery_open(&an);
    if (rc < 0)
        return rc;
    actr_spawn_opts so = grandchild_opts(exe);
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        char name[32], type[32], msg[64];
        snprintf(name, sizeof name, "g%u", i);
        snprintf(type, sizeof type, "E%u", i);
        snprintf(msg, sizeof msg, "failure %u", i);
        testmod_fail_after_shielded_args fa = {ms, {type, strlen(type)}, {msg, strlen(msg)}};
        actr_portal *p;
        rc = actr_actor_nursery_run(an, name, &so, ep("fail_after_shielded"), &fa, &p);
    }
    return close_nursery(an, rc);
}

int
dialogs_relay_ctxc_impl(dialogs_relay_ctxc_call *call, actr_str exe, actr_str report,
                        int64_t *out)
{
    actr_actor_nursery *an;
    actr_portal *p;
    int rc = start_grandchild(exe, &an, &p);
    if (rc < 0)
        return rc;
    actr_ctx *c = NULL;
    testmod_steer_args sa = {{"result", 6}, true, report};
    if ((rc = actr_ctx_open(p, ep("steer"), &sa, NULL, &c, NULL)) == 0 &&
        (rc = dialogs_relay_ctxc_call_started(call, true)) == 0)
        rc = actr_ctx_result(c, out);
    /* ACTR_ECTXCANCEL, canceller = the grandchild: relayed as it is. */
    if (c && actr_ctx_close(c) < 0 && rc == 0)
        rc = actr_last_error()->code;
    return close_nursery(an, rc);
}

int
dialogs_fail_in_cleanup_impl(dialogs_fail_in_cleanup_call *call, actr_str mode, actr_str exe,
                             bool *out)
{
    (void)out;
    actr_call *base = dialogs_fail_in_cleanup_call_base(call);
    int rc = 0, failure = 0;
    actr_actor_nursery *an = NULL;
    if (strcmp(mode.ptr, "recorded") == 0) {
        failure = actr_call_fail(base, "ValueError", "recorded before the cleanup");
    } else {
        actr_portal *p;
        if ((rc = start_grandchild(exe, &an, &p)) < 0)
            return rc;
        failure = flood_failure(p);
    }
    /* The cleanup: waits, and is cancelled there. */
    if ((rc = dialogs_fail_in_cleanup_call_started(call, true)) == 0)
        rc = actr_sleep_until(ACTR_FOREVER);
    if (an) {
        actr_actor_nursery_cancel(an);
        actr_actor_nursery_close(an);
    }
    /* "recorded": the cancellation is returned, the recorded failure
     * still goes out; "masked": the failure's own code is returned, its
     * detail was replaced by the cancellation's. */
    return strcmp(mode.ptr, "recorded") == 0 ? rc : failure;
}

int
dialogs_stop_rules_impl(dialogs_stop_rules_call *call, bool callee_first, actr_str *out)
{
    int rc = dialogs_stop_rules_call_started(call, true);
    if (rc < 0)
        return rc;
    actr_str v;
    if (callee_first) {
        /* Our Stop ends the stream for both ends (the caller's close
         * then sends none, tractor's Observed 1): nothing more to read. */
        *out = (actr_str){"-", 1};
        rc = dialogs_stop_rules_call_done(call);
        return rc < 0 ? rc : actr_sleep(300);     /* the caller tries to send meanwhile */
    }
    while ((rc = dialogs_stop_rules_call_recv(call, &v)) == 0)
        actr_codec_free(&actr_type_string, &v);
    if (rc != ACTR_EPIPE)
        return rc;
    rc = dialogs_stop_rules_call_send(call, (actr_str){"late", 4});
    const char *name = rc == 0 ? "ok" : actr_errname(rc);
    *out = (actr_str){(char *)name, strlen(name)};
    return 0;
}

int
dialogs_slow_reader_impl(dialogs_slow_reader_call *call, uint32_t queue, bool allow_overruns,
                         uint32_t ms, uint64_t *out)
{
    actr_ctx_opts o = {.queue_size = queue, .allow_overruns = allow_overruns,
                       .overflow_max = 100000};
    int rc = actr_call_stream_opts(dialogs_slow_reader_call_base(call), &o);
    if (rc == 0)
        rc = dialogs_slow_reader_call_started(call, true);
    if (rc == 0)
        rc = actr_sleep(ms);
    uint64_t next = 0, v;
    while (rc == 0 && (rc = dialogs_slow_reader_call_recv(call, &v)) == 0)
        if (v == next)
            next++;
    *out = next;
    return rc == ACTR_EPIPE ? 0 : rc;
}

int
dialogs_ack_flood_impl(dialogs_ack_flood_call *call, uint32_t n, uint64_t *out)
{
    actr_ctx_opts o = {.queue_size = n + 1};
    int rc = actr_call_stream_opts(dialogs_ack_flood_call_base(call), &o);
    if (rc == 0)
        rc = dialogs_ack_flood_call_started(call, true);
    for (uint32_t i = 0; rc == 0 && i < n; i++)
        rc = dialogs_ack_flood_call_send(call, i);
    uint64_t acks = 0, v;
    while (rc == 0 && (rc = dialogs_ack_flood_call_recv(call, &v)) == 0)
        acks++;
    *out = acks;
    return rc == ACTR_EPIPE ? 0 : rc;
}

int
dialogs_fc_flood_impl(dialogs_fc_flood_call *call, uint32_t n, uint64_t *out)
{
    int rc = dialogs_fc_flood_call_started(call, true);
    uint64_t sent = 0;
    while (rc == 0 && sent < n && (rc = dialogs_fc_flood_call_send(call, sent)) == 0)
        sent++;
    *out = sent;
    return rc == ACTR_EPIPE ? 0 : rc;     /* the caller's Stop ended it */
}

/* Reads until the caller's Stop (or limit values, when not 0), sleeping
 * us after each value; the number that arrived in order. */
static int
read_in_order(actr_call *base, uint32_t us, uint32_t limit, uint64_t *out)
{
    uint64_t next = 0, n = 0, v;
    int rc;
    while ((limit == 0 || n < limit) && (rc = actr_call_recv(base, &v)) == 0) {
        n++;
        if (v == next)
            next++;
        if (us && (rc = actr_sleep((us + 999) / 1000)) < 0)
            break;
    }
    *out = next;
    return rc == ACTR_EPIPE ? 0 : rc;
}

int
dialogs_fc_sink_impl(dialogs_fc_sink_call *call, uint32_t window, uint32_t us, uint32_t limit,
                     uint64_t *out)
{
    actr_call *base = dialogs_fc_sink_call_base(call);
    int rc = 0;
    if (window) {
        actr_ctx_opts o = {.window = window};
        rc = actr_call_stream_opts(base, &o);
    }
    if (rc == 0)
        rc = dialogs_fc_sink_call_started(call, true);
    return rc < 0 ? rc : read_in_order(base, us, limit, out);
}

int
dialogs_fc_both_impl(dialogs_fc_both_call *call, uint32_t n, uint32_t window, uint32_t bound,
                     uint64_t *out)
{
    actr_call *base = dialogs_fc_both_call_base(call);
    actr_ctx_opts o = {.window = window, .overflow_max = bound};
    int rc = actr_call_stream_opts(base, &o);
    if (rc == 0)
        rc = dialogs_fc_both_call_started(call, true);
    for (uint32_t i = 0; rc == 0 && i < n; i++)
        rc = dialogs_fc_both_call_send(call, i);
    return rc < 0 ? rc : read_in_order(base, 0, 0, out);
}

int
dialogs_fc_count_impl(dialogs_fc_count_call *call, uint32_t n)
{
    int rc = 0;
    for (uint64_t i = 0; rc == 0 && i < n; i++)
        rc = dialogs_fc_count_call_yield(call, i);
    return rc;
}

int
dialogs_current_is_me_impl(actr_call *call, bool *out)
{
    *out = actr_call_current() == call;
    return 0;
}

int
main(int argc, char **argv)
{
    const actr_module *mods[] = {&dialogs_module};
    const char *en[] = {"dialogs"};
    actr_actor_opts o = {.name = "dialogs", .modules = mods, .nmodules = 1, .enable = en,
                         .nenable = 1};
    return actr_main(argc, argv, &o, NULL, NULL) < 0 ? 1 : 0;
}
