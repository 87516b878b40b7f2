/* The hilevel suites' actor: serves hlmod (hlmod.actor) through the
 * generated stubs. Spawned in child mode by the suites (supervised
 * services, broadcast streams, cluster members, cached sessions). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <actr/actr.h>

#include "hlmod.actor.h"

static hlmod_session_count counts;

int
hlmod_whoami_impl(actr_call *call, actr_str *out)
{
    (void)call;
    *out = actr_str_from(actr_actor_name(actr_self()));
    return 0;
}

int
hlmod_pid_impl(actr_call *call, int64_t *out)
{
    (void)call;
    *out = getpid();
    return 0;
}

int
hlmod_tasks_impl(actr_call *call, int64_t *out)
{
    (void)call;
    actr_stats st;
    actr_stats_get(&st);
    *out = (int64_t)st.tasks_live;
    return 0;
}

int
hlmod_cancel_at_impl(actr_call *call, actr_str url, bool *out)
{
    (void)call;
    actr_portal *p;
    int rc = actr_portal_open(url.ptr, &p);
    if (rc < 0)
        return rc;
    *out = actr_portal_cancel_actor(p) == 1;
    actr_portal_close(p);
    return 0;
}

int
hlmod_connect_impl(actr_call *call, actr_str daemon, actr_str service, actr_str *out)
{
    (void)call;
    actr_portal *p;
    actr_scope sc;
    int rc = actr_fail_after(&sc, 20000);
    if (rc == 0 && (rc = actr_service_connect(daemon.ptr, service.ptr, NULL, NULL, &p)) == 0) {
        actr_str who = {0};
        int64_t pid = 0;
        if ((rc = hlmod_whoami(p, &who)) == 0 && (rc = hlmod_pid(p, &pid)) == 0) {
            static char buf[128];
            snprintf(buf, sizeof buf, "%s %lld", who.ptr, (long long)pid);
            *out = actr_str_from(buf);
        }
        actr_str_free(&who);
        actr_portal_close(p);
    }
    int src = actr_scope_exit(&sc);
    return rc < 0 ? rc : src;
}

int
hlmod_sessions_impl(actr_call *call, hlmod_session_count *out)
{
    (void)call;
    *out = counts;
    return 0;
}

int
hlmod_serve_impl(hlmod_serve_call *call, actr_str tag, int64_t fail_ms, actr_str fail_type,
                 actr_str *out)
{
    actr_call *base = hlmod_serve_call_base(call);
    if (fail_ms < 0)
        return actr_call_fail(base, fail_type.ptr, "%s failed before started", tag.ptr);
    char url[ACTR_ADDR_URL_MAX];
    if (actr_actor_url(actr_self(), url, sizeof url) < 0)
        url[0] = 0;
    hlmod_info info = {actr_str_from(actr_actor_name(actr_self())), getpid(), tag,
                       actr_str_from(url)};
    int rc = hlmod_serve_call_started(call, &info);
    if (rc < 0)
        return rc;
    if (strcmp(fail_type.ptr, "self-cancel") == 0) {
        actr_call_cancel(base);
        return actr_sleep_until(ACTR_FOREVER);
    }
    if ((rc = actr_sleep_until(fail_ms > 0 ? actr_deadline_in(fail_ms) : ACTR_FOREVER)) < 0)
        return rc;
    if (fail_type.len > 0)
        return actr_call_fail(base, fail_type.ptr, "%s failed", tag.ptr);
    *out = actr_str_from("done");
    return 0;
}

struct ticker {
    hlmod_ticks_call *call;
    uint32_t n, pause_ms;
    uint64_t seq;
};

static int
send_ticks(void *arg)
{
    struct ticker *t = arg;
    for (uint32_t i = 0; t->n == 0 || i < t->n; i++) {
        hlmod_tick tk = {t->seq++, actr_str_from("")};
        int rc = hlmod_ticks_call_send(t->call, &tk);
        if (rc == 0 && t->pause_ms)
            rc = actr_sleep(t->pause_ms);
        else if (rc == 0 && i % 64 == 63)
            rc = actr_checkpoint();
        if (rc < 0)
            return rc == ACTR_EPIPE ? 0 : rc;
    }
    return 0;
}

int
hlmod_ticks_impl(hlmod_ticks_call *call, uint32_t n, uint32_t pause_ms, uint32_t *out)
{
    struct ticker t = {call, n, pause_ms, 0};
    int rc = hlmod_ticks_call_started(call, getpid());
    actr_nursery *nu;
    if (rc < 0 || (rc = actr_nursery_open(&nu)) < 0)
        return rc;
    rc = actr_nursery_spawn(nu, send_ticks, &t);
    actr_str s;
    while (rc == 0 && (rc = hlmod_ticks_call_recv(call, &s)) == 0) {
        hlmod_tick echo = {t.seq++, s};
        rc = hlmod_ticks_call_send(call, &echo);
        actr_str_free(&s);
        (*out)++;
    }
    actr_nursery_cancel(nu);
    int crc = actr_nursery_close(nu, ACTR_FOREVER);
    if (rc == ACTR_EPIPE)
        rc = 0;
    return rc < 0 ? rc : crc == ACTR_ECANCELED ? 0 : crc;
}

int
hlmod_member_impl(hlmod_member_call *call, uint32_t index, int32_t fail_index, uint32_t *out)
{
    if ((int64_t)index == fail_index)
        return actr_call_fail(hlmod_member_call_base(call), "ValueError",
                              "member %u fails at start", index);
    int rc = hlmod_member_call_started(call, index);
    uint32_t v;
    while (rc == 0 && (rc = hlmod_member_call_recv(call, &v)) == 0) {
        rc = hlmod_member_call_send(call, v + index);
        (*out)++;
    }
    return rc == ACTR_EPIPE ? 0 : rc;
}

int
hlmod_session_impl(hlmod_session_call *call, actr_str key, uint32_t *out)
{
    (void)key;
    counts.opened++;
    counts.live++;
    /* A session takes a while to set up: openers wait for it. */
    int rc = actr_sleep(10);
    if (rc == 0)
        rc = hlmod_session_call_started(call, &counts);
    if (rc == 0)
        rc = actr_sleep_until(ACTR_FOREVER);
    counts.live--;
    *out = counts.opened;
    return rc;
}

int
main(int argc, char **argv)
{
    const actr_module *mods[] = {&hlmod_module};
    actr_actor_opts o = {.name = "hl_srv", .modules = mods, .nmodules = 1};
    return actr_main(argc, argv, &o, NULL, NULL) < 0;
}
