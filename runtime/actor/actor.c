/* actr_main: this process's actor, root or child (S1, S2): its startup
 * (listen, or connect back to the parent and apply the SpawnSpec), the
 * accept loop, and its teardown. */
#define _GNU_SOURCE
#include "actor/cancel.h"
#include "actor/debug.h"
#include "actor/hooks.h"
#include "actor/link.h"
#include "actor/spawn.h"
#include "wire/errors.h"

#include <errno.h>
#include <ev.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

static actr_actor *the_actor;

struct boot {
    const actr_actor_opts *opts;
    actr_actor_fn fn;
    void *arg;
    int child;
    struct child_args ca;
    struct actri_hooks *hooks;
};

int
actr_is_child(int argc, char *const *argv)
{
    return argc > 1 && argv && argv[1] && strcmp(argv[1], "--actr-child") == 0;
}

actr_actor *
actr_self(void)
{
    return the_actor;
}

const char *
actr_actor_name(const actr_actor *a)
{
    return a->uid.name;
}

const char *
actr_actor_uuid(const actr_actor *a)
{
    return a->uid.uuid;
}

int
actr_actor_is_root(const actr_actor *a)
{
    return a->is_root;
}

int
actr_actor_url(const actr_actor *a, char *buf, size_t cap)
{
    size_t n = strlen(a->url);
    if (n + 1 > cap)
        return ACTR_ERANGE;
    memcpy(buf, a->url, n + 1);
    return (int)n;
}

void
actr_actor_cancel(actr_actor *a)
{
    if (!a || a->cancelled)
        return;
    a->cancelled = 1;
    CANCEL_LOG(a, NULL, "actor cancelled%s%s%s%s", a->canceller.name ? " by " : "",
               a->canceller.name ? a->canceller.name : "", a->canceller.name ? "." : "",
               a->canceller.name ? a->canceller.uuid : "");
    if (a->svc)
        actr_nursery_cancel(a->svc);
}

/* ------------------------------------------------------------ listening */

/* A tractor child we spawned connects back without the secret (S28): let
 * it in by its uid, while its start waits for it. */
static int
admit_tractor_child(const actr_msg_aid *peer, void *arg)
{
    actr_actor *a = arg;
    for (struct child *ch = a->pending; ch; ch = ch->pnext)
        if (ch->pending && ch->tractor && !ch->link &&
            strlen(ch->uuid) == peer->uuid.len &&
            memcmp(ch->uuid, peer->uuid.ptr, peer->uuid.len) == 0 &&
            strlen(ch->name) == peer->name.len &&
            memcmp(ch->name, peer->name.ptr, peer->name.len) == 0)
            return 1;
    return 0;
}

void
actri_actor_ipc_opts(actr_actor *a, actr_ipc_opts *out)
{
    memset(out, 0, sizeof *out);
    out->insecure = a->insecure;
    out->admit = admit_tractor_child;
    out->admit_arg = a;
}

static int
listen_on(actr_actor *a, const char *const *urls, size_t n)
{
    static const char *dflt = "tcp://127.0.0.1:0";
    if (n == 0) {
        urls = &dflt;
        n = 1;
    }
    actr_addr *addrs = calloc(n, sizeof *addrs);
    if (!addrs)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        if ((rc = actr_addr_parse(urls[i], &addrs[i])) < 0)
            actr_error_set(rc, "bad listen address \"%s\"", urls[i]);
    actr_ipc_opts io;
    actri_actor_ipc_opts(a, &io);
    if (rc == 0)
        rc = actr_listener_open(addrs, n, &io, &a->listener);
    free(addrs);
    if (rc < 0)
        return rc;
    if (actr_addr_format(actr_listener_addr(a->listener, 0), a->url, sizeof a->url) < 0)
        a->url[0] = 0;
    actr_log_runtime(ACTOR_TAG, "actor %s listening on %s", a->uid.name, a->url);
    return 0;
}

/* A connection that closes before its Aid (a port scan, a TCP health
 * check, a registrar probing an actor on its way out) is normal; one that
 * sends something else, or fails to prove the secret (S28), is worth a
 * warning, at most one per REFUSED_LOG_EVERY_MS of each kind with a count
 * of the ones not logged. */
#define REFUSED_LOG_EVERY_MS 10000
struct log_limit {
    int64_t last;
    unsigned quiet;
};

/* 1 when a line of this kind may be logged now; *quiet gets how many
 * were suppressed since the last one. */
static int
log_allowed(struct log_limit *ll, unsigned *quiet)
{
    int64_t now = actr_now();
    if (ll->last && now - ll->last < REFUSED_LOG_EVERY_MS) {
        ll->quiet++;
        return 0;
    }
    ll->last = now;
    *quiet = ll->quiet;
    ll->quiet = 0;
    return 1;
}

static void
handshake_refused(int rc)
{
    static struct log_limit bad, auth;
    const char *why = actr_last_error()->message;
    unsigned quiet;
    if (rc == ACTR_ECLOSED || rc == ACTR_EIO || rc == ACTR_ECANCELED) {
        actr_log_debug(ACTOR_TAG, "connection closed before its handshake: %s", why);
        return;
    }
    if (!log_allowed(rc == ACTR_EAUTH ? &auth : &bad, &quiet))
        return;
    if (quiet)
        actr_log_warning(ACTOR_TAG, "refused a connection: %s (%u more refused, not logged)",
                         why, quiet);
    else
        actr_log_warning(ACTOR_TAG, "refused a connection: %s", why);
}

/* A connection still in its handshake after HS_STALE_MS is not a peer
 * of ours being slow (a handshake is one round trip): under pressure
 * (ACTR_MAX_HANDSHAKES in their handshake, or the connection limit) the
 * oldest such one is dropped, so connections that never finish their
 * handshake cannot keep a legitimate peer out. */
#define HS_STALE_MS 200

static void
hs_unlink(actr_actor *a, struct hs_slot *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        a->hs_head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        a->hs_tail = s->prev;
    s->next = s->prev = NULL;
    s->scope = NULL;
    a->nhs--;
}

/* Drops the oldest connection in its handshake if it is stale. Returns 1
 * when one was dropped. */
static int
hs_evict_stale(actr_actor *a)
{
    struct hs_slot *old = a->hs_head;
    if (!old || actr_now() - old->since < HS_STALE_MS)
        return 0;
    actr_scope *victim = old->scope;
    hs_unlink(a, old);
    actr_log_debug(ACTOR_TAG, "dropping a connection stuck in its handshake (%zu in"
                   " theirs)", a->nhs + 1);
    actr_scope_cancel(victim);
    return 1;
}

/* The handshake, bounded by its deadline and by the handshake slots. */
static int
bounded_handshake(actr_actor *a, actr_ipc *ipc)
{
    actr_scope sc;
    struct hs_slot slot = {NULL, NULL, &sc, actr_now()};
    if (actr_scope_enter(&sc, actr_deadline_in(ACTR_HANDSHAKE_TIMEOUT_MS), 0) < 0)
        return ACTR_ECANCELED;
    if (a->nhs >= a->lim.max_handshakes)
        hs_evict_stale(a);
    slot.prev = a->hs_tail;
    if (a->hs_tail)
        a->hs_tail->next = &slot;
    else
        a->hs_head = &slot;
    a->hs_tail = &slot;
    a->nhs++;
    actr_msg_aid aid;
    actri_self_aid(a, &aid);
    int rc = actr_ipc_handshake(ipc, &aid, ACTR_FOREVER);
    int dropped = slot.scope == NULL;
    if (!dropped)
        hs_unlink(a, &slot);
    int src = actr_scope_exit(&sc);
    if (rc == ACTR_ECANCELED && dropped && !actr_task_cancelled())
        rc = actr_error_set(ACTR_ECLOSED, "dropped in its handshake: too many connections"
                            " in theirs");
    return rc == ACTR_ECANCELED && src == ACTR_ETIMEDOUT ? src : rc;
}

static int
conn_task(void *arg)
{
    actr_ipc *ipc = arg;
    actr_actor *a = the_actor;
    int rc = bounded_handshake(a, ipc);
    if (rc < 0) {
        handshake_refused(rc);
        actr_ipc_close(ipc, 0);
        a->nconns--;
        return 0;
    }
    if (actr_ipc_peer(ipc)->is_probe) {
        actr_ipc_close(ipc, 0);           /* a registrar liveness probe */
        return 0;
    }
    struct link *l;
    if (actri_link_new(a, ipc, &l) < 0) {
        a->nconns--;
        return 0;
    }
    actr_log_runtime(ACTOR_TAG, "peer %s.%s connected", l->peer.name, l->peer.uuid);
    actri_spawn_attach(a, l);
    actri_link_keepalive(l);
    actri_link_serve(l);
    actri_link_unref(l);
    a->nconns--;
    return 0;
}

static int
accept_task(void *arg)
{
    actr_actor *a = arg;
    for (;;) {
        actr_ipc *ipc;
        int rc = actr_listener_accept(a->listener, &ipc, ACTR_FOREVER);
        if (rc == ACTR_ECANCELED || rc == ACTR_ECLOSED)
            return 0;
        if (rc < 0) {
            actr_log_warning(ACTOR_TAG, "accept: %s", actr_strerror(rc));
            if (actr_sleep(10) < 0)
                return 0;
            continue;
        }
        if (a->nconns >= a->lim.max_conns && !hs_evict_stale(a)) {
            /* S28: refused before its handshake, so a flood of connections
             * cannot take every fd. */
            static struct log_limit full;
            unsigned quiet;
            if (log_allowed(&full, &quiet))
                actr_log_warning(ACTOR_TAG, "refused a connection: %zu connections open (the"
                                 " limit; %u more refused, not logged)", a->nconns, quiet);
            actr_ipc_close(ipc, 0);
            continue;
        }
        actr_task_opts o = {.name = "conn"};
        a->nconns++;
        if (actr_nursery_spawn_opts(a->svc, conn_task, ipc, &o) < 0) {
            a->nconns--;
            actr_ipc_close(ipc, 0);
        }
    }
}

/* ------------------------------------------------------------ child */

/* Tells the parent how the boot went (S2: a child that cannot serve what
 * it was asked to fails its start): one line on the status pipe an actr
 * parent gave us, "ok" or "error <code> <type>: <message>". A parent
 * without one (tractor) gets a failure as tractor sends it, a cid-less
 * Error on the channel. */
static void
report_boot(actr_actor *a, const struct child_args *ca, actr_ipc *ipc, int rc)
{
    const actr_error *e = actr_last_error();
    const char *type = e->code == rc && e->type_name ? e->type_name
                     : rc == ACTR_ENOTFOUND ? "ModuleNotExposed" : "RuntimeError";
    const char *text = e->code == rc && e->message ? e->message : actr_strerror(rc);
    if (ca->status_fd >= 0) {
        char line[600];
        int n = rc == 0 ? snprintf(line, sizeof line, "ok\n")
                        : snprintf(line, sizeof line, "error %d %s: %.500s\n", -rc, type, text);
        if (n > 0 && write(ca->status_fd, line, (size_t)n) < 0)
            actr_log_runtime(ACTOR_TAG, "boot status pipe: %s", strerror(errno));
        close(ca->status_fd);
        return;
    }
    if (rc == 0 || !ipc)
        return;
    actri_errbox b = {.boxed_type = type, .message = text};
    actri_errmsg m;
    actr_uid self = actri_self_uid(a);
    if (actri_errmsg_build(&m, &self, NULL, &b, NULL, 0) == 0 &&
        actr_ipc_send(ipc, &m.msg, actr_deadline_in(LINK_FLUSH_MS)) < 0)
        actr_log_runtime(ACTOR_TAG, "could not tell the parent that the start failed");
    actri_errmsg_free(&m);
}

/* The backstop of S1 for a parent that is not actr (a tractor actor,
 * through the shim, README "Interop"): PR_SET_PDEATHSIG fires when the
 * *thread* that forked us exits, and trio forks from a worker thread
 * that ends after 10 s idle, so it is not used then; instead this task
 * checks once a second that the parent process is still ours. */
static int watched_ppid;

static int
parent_watch_task(void *arg)
{
    actr_actor *a = arg;
    while (actr_sleep(1000) == 0) {
        if (getppid() != watched_ppid) {
            CANCEL_LOG(a, NULL, "parent process %d is gone: cancelling this actor",
                       watched_ppid);
            actr_actor_cancel(a);
            return 0;
        }
    }
    return 0;
}

static int
child_boot(actr_actor *a, const struct child_args *ca, int *started)
{
    actr_addr paddr;
    int rc = actr_addr_parse(ca->parent, &paddr);
    if (rc < 0)
        return actr_error_set(rc, "bad parent address \"%s\"", ca->parent);
    actr_ipc *ipc;
    int64_t dl = actr_deadline_in(ACTR_HANDSHAKE_TIMEOUT_MS);
    actr_ipc_opts io;
    actri_actor_ipc_opts(a, &io);
    /* A foreign parent (the tractor shim) cannot prove a secret: the
     * address it gave us on our command line is trusted instead. */
    io.insecure |= !ca->secret[0];
    if ((rc = actr_ipc_connect(&paddr, &io, &ipc, dl)) < 0)
        return actr_error_set(rc, "cannot reach parent at %s: %s", ca->parent, actr_strerror(rc));
    actr_msg_aid aid;
    actri_self_aid(a, &aid);
    if ((rc = actr_ipc_handshake(ipc, &aid, dl)) < 0) {
        actr_ipc_close(ipc, 0);
        return rc;
    }
    actr_msg m;
    if ((rc = actr_ipc_recv(ipc, &m, dl)) < 0 || m.type != ACTR_MSG_SPAWNSPEC) {
        actr_ipc_close(ipc, 0);
        return actr_error_set(rc < 0 ? rc : ACTR_EPROTO, "no SpawnSpec from the parent");
    }
    actr_addr *bind = NULL;
    size_t nbind = 0;
    rc = actri_spawnspec_apply(a, &m.u.spawnspec, &bind, &nbind);
    for (const char *s = ca->enable; rc == 0 && *s;) {
        size_t len = strcspn(s, ",");
        if (len > 0 && (rc = actri_actor_enable(a, s, len)) < 0)
            actr_error_set(rc, "--actr-enable names module '%.*s', which program %s does"
                           " not have", (int)len, s, program_invocation_short_name);
        s += len + (s[len] == ',');
    }
    if (rc == 0) {
        if (nbind > 0) {
            rc = actr_listener_open(bind, nbind, &io, &a->listener);
            if (rc == 0 && actr_addr_format(actr_listener_addr(a->listener, 0), a->url,
                                            sizeof a->url) < 0)
                a->url[0] = 0;
        } else if (paddr.kind == ACTR_ADDR_UNIX) {
            /* S28: in this user's private directory (0700). */
            char url[ACTR_ADDR_URL_MAX], dir[ACTR_ADDR_PATH_MAX];
            if ((rc = actr_ipc_private_dir(dir, sizeof dir)) >= 0) {
                snprintf(url, sizeof url, "unix://%s/%.16s-%.8s.sock", dir, a->uid.name,
                         a->uid.uuid);
                const char *u = url;
                rc = listen_on(a, &u, 1);
            }
        } else {
            rc = listen_on(a, NULL, 0);
        }
    }
    free(bind);
    /* Register (on_start) before serving the parent, as tractor does: a
     * caller that saw this child start finds it by name at once. Within
     * the start bound, and a failure fails the start. */
    if (rc == 0 && a->hooks && a->hooks->on_start) {
        *started = 1;
        rc = a->hooks->on_start(a, a->hooks->arg);
    }
    struct link *l;
    if (rc < 0) {
        report_boot(a, ca, ipc, rc);
        actr_ipc_close(ipc, actr_deadline_in(LINK_FLUSH_MS));
        return rc;
    }
    if ((rc = actri_link_new(a, ipc, &l)) < 0)
        return rc;
    a->parent = l;
    rc = actri_link_spawn_loop(l);
    if (rc == 0 && ca->status_fd < 0 && ca->ppid > 0) {
        actr_task_opts to = {.name = "parent-watch"};
        watched_ppid = ca->ppid;
        rc = actr_nursery_spawn_opts(a->svc, parent_watch_task, a, &to);
    }
    actri_link_unref(l);
    if (rc == 0)
        actri_debug_start(a);             /* S25: before any call arrives */
    report_boot(a, ca, NULL, rc);
    actr_log_runtime(ACTOR_TAG, "child %s.%s serving (parent %s)", a->uid.name, a->uid.uuid,
                     ca->parent);
    return rc;
}

/* ------------------------------------------------------------ Ctrl-C */

/* S4: SIGINT in the root cancels the whole tree: the root actor is
 * cancelled (its main task included) and its nurseries cancel their
 * children on the way out. Children ignore SIGINT (the terminal sends it
 * to the whole process group) and rely on that cancel instead, as
 * tractor's do. A second SIGINT while tearing down is only logged. */
static void
on_sigint(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)loop;
    (void)revents;
    actr_actor *a = w->data;
    if (a->cancelled) {
        CANCEL_LOG(a, NULL, "SIGINT again: already tearing down");
        return;
    }
    CANCEL_LOG(a, NULL, "SIGINT: cancelling the actor tree");
    actr_actor_cancel(a);
}

/* ------------------------------------------------------------ main */

/* A root that fails says why before it exits (its user may not look at
 * actr_main's result): the whole error, with where it came from. */
static void
root_failed(const actr_actor *a, int rc)
{
    if (!actr_log_enabled(ACTR_LOG_ERROR))
        return;
    const actr_error *e = actr_last_error();
    char title[128];
    snprintf(title, sizeof title, "actr: root actor '%s' failed", a->uid.name);
    if (e->code == rc) {
        actr_error_print(stderr, title, e);
    } else {
        actr_error only = {.code = rc, .message = actr_strerror(rc), .count = 1};
        actr_error_print(stderr, title, &only);
    }
}

/* A child's parent gets its start failure in the boot report, so the
 * child only notes it; a root has nobody to tell but its user. A child
 * cancelled while it starts (its parent gave up on it) is no failure. */
static void
start_failed(const actr_actor *a, int child, int rc)
{
    if (!child) {
        root_failed(a, rc);
        return;
    }
    if (rc == ACTR_ECANCELED)
        CANCEL_LOG(a, NULL, "actor %s cancelled while starting", a->uid.name);
    else
        actr_log_runtime(ACTOR_TAG, "actor %s cannot start: %s", a->uid.name,
                         actr_last_error()->message);
}

static void
actor_free(actr_actor *a)
{
    actr_listener_close(a->listener);
    actri_uid_clear(&a->uid);
    actri_uid_clear(&a->canceller);
    free(a->reg_addrs);
    free(a->modules);
    free(a->enabled);
    free(a);
}

/* S28: the tree's secret (actr/auth.h) and the insecure opt-in. */
static int
choose_secret(actr_actor *a, const struct boot *b)
{
    const actr_actor_opts *o = b->opts;
    int rc;
    if (b->child && b->ca.secret[0])
        rc = actri_auth_import(b->ca.secret, strlen(b->ca.secret)) < 0
           ? actr_error_set(ACTR_EINVAL, "bad secret in the boot record") : 0;
    else if (!b->child && o->secret)
        rc = actr_secret_set(o->secret, o->secret_len);
    else if (!b->child && o->secret_file)
        rc = actr_secret_load(o->secret_file);
    else
        rc = actr_secret_init(!b->child && b->hooks && b->hooks->share_secret);
    if (rc < 0)
        return rc;
    a->insecure = (b->child ? b->ca.insecure : o->insecure) || actr_insecure_env();
    actr_log_runtime(ACTOR_TAG, "actor %s: secret from %s", a->uid.name, actr_secret_source());
    if (a->insecure)
        actr_log_warning(ACTOR_TAG, "actor %s accepts and calls peers without the secret"
                         " (insecure opt-in, for tractor peers)", a->uid.name);
    return 0;
}

static size_t
limit_or(size_t v, size_t dflt)
{
    return v ? v : dflt;
}

/* S28: the default connection cap, ACTR_MAX_CONNS_DEFAULT or three
 * quarters of the fd limit when that is lower, so that idle connections
 * alone cannot exhaust the fds: the rest serve the actor's own links,
 * its children and its files. */
static size_t
default_max_conns(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
        return ACTR_MAX_CONNS_DEFAULT;
    rlim_t three_quarters = rl.rlim_cur / 4 * 3;
    if (three_quarters >= ACTR_MAX_CONNS_DEFAULT)
        return ACTR_MAX_CONNS_DEFAULT;
    return three_quarters > 8 ? (size_t)three_quarters : 8;
}

static int
actor_main_task(void *arg)
{
    struct boot *b = arg;
    const actr_actor_opts *o = b->opts;
    actr_actor *a = calloc(1, sizeof *a);
    if (!a)
        return ACTR_ENOMEM;
    a->pid = (int)getpid();
    a->is_root = !b->child;
    a->debug_mode = o->debug_mode;
    char uuid[UUID_LEN + 1];
    actri_uuid4(uuid);
    const char *name = b->child ? b->ca.name : (o->name ? o->name : "root");
    const char *id = b->child ? b->ca.uuid : uuid;
    size_t nm = o->nmodules;
    a->modules = calloc(nm + 1, sizeof *a->modules);
    a->enabled = calloc(nm + 1, sizeof *a->enabled);
    if (!a->modules || !a->enabled ||
        actri_uid_set(&a->uid, name, strlen(name), id, strlen(id)) < 0) {
        actor_free(a);
        return ACTR_ENOMEM;
    }
    for (size_t i = 0; i < nm; i++)
        if (o->modules[i])
            a->modules[a->nmodules++] = o->modules[i];
    a->hooks = b->hooks;
    a->lim.max_tasks = limit_or(o->limits.max_tasks,
                                actr_env_count(ACTR_ENV_MAX_TASKS, ACTR_MAX_TASKS_DEFAULT));
    a->lim.max_conn_tasks = limit_or(o->limits.max_conn_tasks,
                                     actr_env_count(ACTR_ENV_MAX_CONN_TASKS,
                                                    ACTR_MAX_CONN_TASKS_DEFAULT));
    a->lim.max_conns = limit_or(o->limits.max_conns,
                                actr_env_count(ACTR_ENV_MAX_CONNS, default_max_conns()));
    a->lim.max_handshakes = limit_or(o->limits.max_handshakes, ACTR_MAX_HANDSHAKES_DEFAULT);
    size_t ka = o->keepalive_ms ? o->keepalive_ms : actr_env_count(ACTR_ENV_KEEPALIVE_MS, 0);
    a->keepalive_ms = ka > UINT32_MAX ? UINT32_MAX : (uint32_t)ka;
    actr_log_set_actor(a->uid.name);
    the_actor = a;

    int rc = choose_secret(a, b);
    if (!b->child && rc == 0) {
        for (size_t i = 0; i < o->nenable && rc == 0; i++)
            rc = actri_actor_enable(a, o->enable[i], strlen(o->enable[i]));
        if (rc == 0 && o->nregistry > 0) {
            a->reg_addrs = calloc(o->nregistry, sizeof *a->reg_addrs);
            if (!a->reg_addrs)
                rc = ACTR_ENOMEM;
            for (size_t i = 0; i < o->nregistry && rc == 0; i++)
                if ((rc = actr_addr_parse(o->registry[i], &a->reg_addrs[a->nreg++])) < 0)
                    actr_error_set(rc, "bad registry address \"%s\"", o->registry[i]);
        }
        if (rc == 0)
            rc = a->hooks && a->hooks->listen
               ? a->hooks->listen(a, a->hooks->arg, o->listen, o->nlisten)
               : listen_on(a, o->listen, o->nlisten);
    }
    if (rc == 0)
        rc = actr_nursery_open(&a->svc);
    if (rc < 0) {
        start_failed(a, b->child, rc);
        the_actor = NULL;
        actor_free(a);
        return rc;
    }

    ev_signal sigint;
    ev_signal_init(&sigint, on_sigint, SIGINT);
    sigint.data = a;
    if (!b->child) {
        ev_signal_start(actri_loop(), &sigint);
        ev_unref(actri_loop());           /* not a reason to keep the loop alive */
    }
    int started = 0;
    if (b->child)
        rc = child_boot(a, &b->ca, &started);
    else if (rc == 0)
        actri_debug_start(a);             /* S25: before any child is spawned */
    if (rc == 0 && a->listener) {
        actr_task_opts to = {.name = "accept"};
        rc = actr_nursery_spawn_opts(a->svc, accept_task, a, &to);
    }
    if (rc == 0 && !b->child && a->hooks && a->hooks->on_start) {
        rc = a->hooks->on_start(a, a->hooks->arg);
        started = 1;
    }
    int result = rc;
    if (rc < 0) {
        start_failed(a, b->child, rc);
        if (b->child && rc == ACTR_ECANCELED && a->cancelled)
            result = 0;                   /* cancelled while starting: a normal exit */
    } else if (!b->child && b->fn) {
        result = b->fn(a, b->arg);
        if (result < 0 && !(result == ACTR_ECANCELED && a->cancelled))
            root_failed(a, result);
    } else {
        rc = actr_sleep_until(ACTR_FOREVER);   /* serve until cancelled */
        result = 0;
    }

    if (started && a->hooks->on_exit)
        a->hooks->on_exit(a, a->hooks->arg);
    /* Teardown: every task of the actor (loops, served calls, accept) is
     * cancelled and waited for; channels flush what they queued. */
    if (!a->cancelled) {
        a->cancelled = 1;
        actr_log_runtime(ACTOR_TAG, "actor %s shutting down", a->uid.name);
    }
    actr_nursery_cancel(a->svc);
    actr_nursery_close(a->svc, ACTR_FOREVER);
    a->svc = NULL;
    actri_debug_end(a);                   /* after its nurseries tore children down */
    actr_listener_close(a->listener);
    a->listener = NULL;
    while (a->links) {
        struct link *l = a->links;
        actri_link_shutdown(l, ACTR_ECLOSED);
        /* Unlink what user code still references; it fails fast now. */
        a->links = l->next;
        if (a->links)
            a->links->prev = NULL;
        l->next = l->prev = NULL;
    }
    if (!b->child) {
        ev_ref(actri_loop());
        ev_signal_stop(actri_loop(), &sigint);
    }
    actr_log_runtime(ACTOR_TAG, "actor %s exits (%s)", a->uid.name,
                     result < 0 ? actr_strerror(result) : "ok");
    the_actor = NULL;
    actor_free(a);
    return result;
}

/* The parent died before PR_SET_PDEATHSIG took (its orphan would serve
 * nobody). Under a wrapper (gdb, rr) our parent process is the wrapper:
 * the parent must still exist instead. */
static int
parent_gone(const struct child_args *ca)
{
    if (ca->ppid <= 0)
        return 0;
    if (ca->wrapped)
        return kill(ca->ppid, 0) < 0 && errno == ESRCH;
    return getppid() != ca->ppid;
}

/* Big messages come and go one block each (a frame's buffer, a decoded
 * payload). glibc maps every block at or over its mmap threshold afresh,
 * and after the first such free sets the threshold to that very block's
 * size, so a run of equal big messages pays a new mapping, a page fault
 * per page and its zeroing for every one (issue 19: 1 MiB calls at a
 * sixth of their speed). An actor process keeps blocks under 8 MiB (the
 * default frame limit, twice) in its heap and trims the heap's top past
 * 16 MiB (trimmed sooner, the heap would shrink and grow back, page by
 * page, around every big message), unless the environment tunes malloc
 * itself. */
static void
tune_malloc(void)
{
#ifdef M_MMAP_THRESHOLD
    if (getenv("MALLOC_MMAP_THRESHOLD_") || getenv("MALLOC_TRIM_THRESHOLD_") ||
        getenv("GLIBC_TUNABLES"))
        return;
    (void)mallopt(M_MMAP_THRESHOLD, 8 << 20);
    (void)mallopt(M_TRIM_THRESHOLD, 16 << 20);
#endif
}

/* actr_main (defined by the discovery layer, which passes its hooks). */
int
actri_actor_main(int argc, char **argv, const actr_actor_opts *opts, actr_actor_fn fn,
                 void *arg, struct actri_hooks *hooks)
{
    static const actr_actor_opts none;
    struct boot b = {.opts = opts ? opts : &none, .fn = fn, .arg = arg, .hooks = hooks};
    if (the_actor)
        return actr_error_set(ACTR_ESTATE, "an actor already runs in this process");
    (void)actri_self_exe();               /* before anything can replace it */
    tune_malloc();
    if (actr_is_child(argc, argv)) {
        b.child = 1;
        char why[200];
        if (actri_child_args_get(argc, argv, &b.ca, why, sizeof why) < 0) {
            fprintf(stderr, "actr: bad child start: %s\n", why);
            return ACTR_EINVAL;
        }
        /* Backstop for S1: die with the parent even if its channel
         * somehow stays open. Only under an actr parent, which spawns
         * from its one thread: the signal comes when the thread that
         * forked exits (a tractor parent's worker thread, after 10 s
         * idle); other parents are watched by parent_watch_task. */
        if (b.ca.status_fd >= 0)
            prctl(PR_SET_PDEATHSIG, SIGKILL);
        signal(SIGINT, SIG_IGN);          /* S4: the parent's cancel tears us down */
        if (parent_gone(&b.ca))
            return ACTR_ECLOSED;
        char title[160];
        snprintf(title, sizeof title, "%s@%.8s (actr child)", b.ca.name, b.ca.uuid);
        actri_proctitle_set(argc, argv, title, b.ca.name);
        if (b.ca.loglevel > 0)
            actr_log_set_level(b.ca.loglevel);
    } else if (b.opts->loglevel > 0) {
        actr_log_set_level(b.opts->loglevel);
    }
    return actr_run(actor_main_task, &b);
}
