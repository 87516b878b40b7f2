/* The registrar (S19, S20): a table of registered actors and the `self`
 * endpoints that read and change it (tractor's register_actor,
 * unregister_actor, find_actor, wait_for_actor, get_registry,
 * delete_addr; actr's list_actors).
 *
 * No stale entries: an entry goes on unregistration; when the channel it
 * was registered on breaks, its addresses are probed (a tractor actor
 * closes that channel right after registering, an actr actor keeps it
 * open until it exits, so a break alone does not prove death); and every
 * answer that hands out addresses probes them first. A probe that is
 * refused, times out, or is answered by another actor drops the address;
 * an entry without addresses is dropped. */
#define _GNU_SOURCE
#include "discovery/disc.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct raddr {
    actr_addr addr;
    char url[ACTR_ADDR_URL_MAX];
};

struct entry {
    struct entry *next;
    char *name;
    char *uuid;
    int64_t pid;
    struct raddr *addrs;
    size_t naddrs;
    struct link *link;        /* the channel it registered on, while alive */
    int self;                 /* the registrar itself: never probed */
};

struct waiter {
    struct waiter *next;
    const actr_str *name;
    actr_event ev;
};

static struct {
    struct entry *head;
    struct waiter *waiters;
    actr_actor *a;
    int active;
} R;

/* ------------------------------------------------------------ the table */

static int
matches(const struct entry *e, const char *name, size_t len)
{
    return (strlen(e->name) == len && memcmp(e->name, name, len) == 0) ||
           (strlen(e->uuid) == len && memcmp(e->uuid, name, len) == 0);
}

static struct entry *
by_uuid(const char *uuid, size_t len)
{
    for (struct entry *e = R.head; e; e = e->next)
        if (strlen(e->uuid) == len && memcmp(e->uuid, uuid, len) == 0)
            return e;
    return NULL;
}

static void
entry_free(struct entry *e)
{
    free(e->name);
    free(e->uuid);
    free(e->addrs);
    free(e);
}

static void
entry_remove(struct entry *e, const char *why)
{
    struct entry **pp = &R.head;
    while (*pp && *pp != e)
        pp = &(*pp)->next;
    if (*pp)
        *pp = e->next;
    actr_log_info(DISC_TAG, "removed %s.%s (%s)", e->name, e->uuid, why);
    entry_free(e);
}

/* Drops address url from e; an entry left without addresses goes. */
static void
addr_drop(struct entry *e, const char *url, const char *why)
{
    for (size_t i = 0; i < e->naddrs; i++) {
        if (strcmp(e->addrs[i].url, url) != 0)
            continue;
        actr_log_info(DISC_TAG, "dropped %s of %s.%s (%s)", url, e->name, e->uuid, why);
        memmove(&e->addrs[i], &e->addrs[i + 1], (e->naddrs - i - 1) * sizeof *e->addrs);
        e->naddrs--;
        break;
    }
    if (e->naddrs == 0 && !e->self)
        entry_remove(e, why);
}

static int
entry_add_addr(struct entry *e, const actr_addr *addr, const char *url)
{
    for (size_t i = 0; i < e->naddrs; i++)
        if (strcmp(e->addrs[i].url, url) == 0)
            return 0;
    struct raddr *v = realloc(e->addrs, (e->naddrs + 1) * sizeof *v);
    if (!v)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    e->addrs = v;
    v[e->naddrs].addr = *addr;
    snprintf(v[e->naddrs].url, sizeof v[e->naddrs].url, "%s", url);
    e->naddrs++;
    return 0;
}

static struct entry *
entry_new(const char *name, size_t nlen, const char *uuid, size_t ulen)
{
    struct entry *e = calloc(1, sizeof *e);
    if (!e || !(e->name = strndup(name, nlen)) || !(e->uuid = strndup(uuid, ulen))) {
        if (e)
            entry_free(e);
        return NULL;
    }
    struct entry **pp = &R.head;     /* registration order */
    while (*pp)
        pp = &(*pp)->next;
    *pp = e;
    return e;
}

static void
wake_waiters(const struct entry *e)
{
    for (struct waiter *w = R.waiters; w; w = w->next)
        if (matches(e, w->name->ptr, w->name->len))
            actr_event_set(&w->ev);
}

/* ------------------------------------------------------------ liveness */

/* 1 when a failed probe shows that nothing (or another actor) serves the
 * address; a local failure (out of fds or memory, say) proves nothing and
 * must not drop a live actor. */
static int
proves_gone(int rc)
{
    switch (rc) {
    case ACTR_ECONNREFUSED:     /* nobody listens */
    case ACTR_ETIMEDOUT:        /* nobody answers within the probe's bound */
    case ACTR_ENOTFOUND:        /* another actor answers there, or no such socket */
    case ACTR_EPROTO:           /* not an actor */
    case ACTR_ECLOSED:          /* closed during the handshake */
    case ACTR_EAUTH:            /* an actor of another secret: not ours (S28) */
        return 1;
    default:
        return 0;
    }
}

/* Probes every address of the entry with this uuid and drops the dead
 * ones. Returns 1 when the entry is still there, 0 when it is gone, and
 * ACTR_ECANCELED when the task was cancelled (nothing is dropped then). */
static int
verify(const char *uuid)
{
    struct entry *e = by_uuid(uuid, strlen(uuid));
    if (!e)
        return 0;
    if (e->self)
        return 1;
    size_t n = e->naddrs;
    struct raddr *snap = malloc((n ? n : 1) * sizeof *snap);
    char *id = strdup(uuid);
    if (!snap || !id) {
        free(snap);
        free(id);
        return 1;                   /* cannot check: keep */
    }
    memcpy(snap, e->addrs, n * sizeof *snap);
    int cancelled = 0;
    for (size_t i = 0; i < n && !cancelled; i++) {
        int rc = disc_probe(&snap[i].addr, id, NULL, actr_deadline_in(ACTR_PROBE_TIMEOUT_MS));
        if (rc == ACTR_ECANCELED || actr_task_cancelled()) {
            cancelled = 1;
            break;
        }
        if (!proves_gone(rc))
            continue;               /* alive, or we could not tell (local trouble) */
        /* The table may have changed while we probed. */
        if ((e = by_uuid(id, strlen(id))) != NULL) {
            char why[96];
            snprintf(why, sizeof why, "liveness probe failed: %s", actr_strerror(rc));
            addr_drop(e, snap[i].url, why);
        }
    }
    int alive = by_uuid(id, strlen(id)) != NULL;
    free(snap);
    free(id);
    return cancelled ? ACTR_ECANCELED : alive;
}

static int
verify_task(void *arg)
{
    char *uuid = arg;
    verify(uuid);
    free(uuid);
    return 0;
}

/* Verifies every entry (or those with link == only, which are then
 * detached from it) concurrently. */
static void
verify_all(void)
{
    actr_nursery *n;
    if (actr_nursery_open(&n) < 0)
        return;
    for (struct entry *e = R.head; e; e = e->next) {
        char *id;
        if (e->self || !(id = strdup(e->uuid)))
            continue;
        if (actr_nursery_spawn(n, verify_task, id) < 0)
            free(id);
    }
    actr_nursery_close(n, ACTR_FOREVER);
}

struct sweep {
    char **uuids;
    size_t n;
};

static int
sweep_task(void *arg)
{
    struct sweep *s = arg;
    for (size_t i = 0; i < s->n; i++) {
        if (!actr_task_cancelled())
            verify(s->uuids[i]);
        free(s->uuids[i]);
    }
    free(s->uuids);
    free(s);
    return 0;
}

void
disc_registrar_link_end(actr_actor *a, struct link *l)
{
    if (!R.active)
        return;
    struct sweep *s = calloc(1, sizeof *s);
    size_t cap = 0;
    for (struct entry *e = R.head; e && s; e = e->next) {
        if (e->link != l)
            continue;
        e->link = NULL;
        if (s->n == cap) {
            size_t nc = cap ? cap * 2 : 4;
            char **v = realloc(s->uuids, nc * sizeof *v);
            if (!v)
                continue;
            s->uuids = v;
            cap = nc;
        }
        if ((s->uuids[s->n] = strdup(e->uuid)) != NULL)
            s->n++;
    }
    if (!s)
        return;
    if (s->n == 0 || actri_actor_spawn(a, sweep_task, s, "registry-sweep") < 0) {
        for (size_t i = 0; i < s->n; i++)
            free(s->uuids[i]);
        free(s->uuids);
        free(s);
        return;
    }
    actr_log_runtime(DISC_TAG, "registration channel closed: checking %zu actor(s)", s->n);
}

/* ------------------------------------------------------------ results */

static int
addr_list_of(const struct entry *e, actr_self_addr_list *out)
{
    out->len = 0;
    out->items = calloc(e->naddrs ? e->naddrs : 1, sizeof *out->items);
    if (!out->items)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    for (size_t i = 0; i < e->naddrs; i++) {
        int rc = disc_addr_to_wire(&e->addrs[i].addr, &out->items[i]);
        if (rc < 0)
            return rc;                 /* the runtime frees what was built */
        out->len++;
    }
    return 0;
}

/* The first live entry matching name: 1 (and *out filled), 0 if none. */
static int
find_live(const actr_str *name, actr_self_addr_list *out)
{
    /* Candidates first: probing yields, and the table may change. */
    size_t n = 0;
    for (struct entry *e = R.head; e; e = e->next)
        n += matches(e, name->ptr, name->len);
    char **ids = calloc(n ? n : 1, sizeof *ids);
    if (!ids)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    size_t k = 0;
    for (struct entry *e = R.head; e && k < n; e = e->next)
        if (matches(e, name->ptr, name->len))
            ids[k++] = strdup(e->uuid);
    int rc = 0;
    for (size_t i = 0; i < k && rc == 0; i++) {
        if (!ids[i])
            continue;
        int v = verify(ids[i]);
        struct entry *e;
        if (v < 0)
            rc = v;
        else if (v == 1 && (e = by_uuid(ids[i], strlen(ids[i]))) && e->naddrs > 0)
            rc = addr_list_of(e, out) < 0 ? ACTR_ENOMEM : 1;
    }
    for (size_t i = 0; i < k; i++)
        free(ids[i]);
    free(ids);
    return rc;
}

/* ------------------------------------------------------------ endpoints */

/* 1 when the caller's channel is the actor with this uuid (S28: the
 * uid of its handshake, which Start.uid must equal). */
static int
caller_is(actr_call *call, const char *uuid, size_t len)
{
    const char *peer = actr_call_peer_uuid(call);
    return peer && strlen(peer) == len && memcmp(peer, uuid, len) == 0;
}

/* S28: an entry may be changed by another actor than its owner only when
 * a liveness probe shows it is gone. Returns 0 when the caller may go
 * on, or the PermissionError it gets. */
static int
owner_or_dead(actr_call *call, const char *what, const char *uuid, size_t len)
{
    if (caller_is(call, uuid, len))
        return 0;
    char *id = strndup(uuid, len);
    if (!id)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    int v = verify(id);
    free(id);
    if (v < 0)
        return v;
    if (v == 0)
        return 0;                    /* gone: nothing left to protect */
    actr_log_warning(DISC_TAG, "%s from %s.%s refused: %.*s is alive and not theirs", what,
                     actr_call_peer_name(call), actr_call_peer_uuid(call), (int)len, uuid);
    return actr_call_fail(call, "PermissionError", "%s: %.*s is registered by a live actor"
                          " other than the caller", what, (int)len, uuid);
}

static int
ep_register(actr_call *call, const void *args, void *result)
{
    (void)result;
    const actr_self_register_actor_args *ra = args;
    actr_addr addr;
    char url[ACTR_ADDR_URL_MAX];
    if (disc_addr_from_wire(&ra->addr, &addr) < 0 || actr_addr_format(&addr, url, sizeof url) < 0)
        return actr_call_fail(call, "ValueError", "register_actor: not an address");
    if (ra->uid.uuid.len == 0 || ra->uid.name.len == 0)
        return actr_call_fail(call, "ValueError", "register_actor: empty uid");
    /* S28: an actor registers itself, never another uid. */
    if (!caller_is(call, ra->uid.uuid.ptr, ra->uid.uuid.len)) {
        actr_log_warning(DISC_TAG, "register_actor of %.*s by %s.%s refused: not its own uid",
                         (int)ra->uid.uuid.len, ra->uid.uuid.ptr, actr_call_peer_name(call),
                         actr_call_peer_uuid(call));
        return actr_call_fail(call, "PermissionError", "register_actor: an actor registers"
                              " its own uid only");
    }
    /* An address belongs to one actor (tractor: reuse moves it), except
     * the registrar's own: it is alive (it answers this call), so another
     * uid claiming it is refused rather than hiding the registrar. A
     * holder that is alive keeps it (S28: no uid replaces another's live
     * address); a probe tells. */
    for (int again = 1; again;) {
        again = 0;
        for (struct entry *e = R.head; e && !again; e = e->next) {
            if (strlen(e->uuid) == ra->uid.uuid.len &&
                memcmp(e->uuid, ra->uid.uuid.ptr, ra->uid.uuid.len) == 0)
                continue;
            for (size_t i = 0; i < e->naddrs; i++) {
                if (strcmp(e->addrs[i].url, url) != 0)
                    continue;
                if (e->self)
                    return actr_call_fail(call, "ValueError", "register_actor: %s is the"
                                          " registrar's own address", url);
                /* Probing yields: the table may change, so look again. */
                char *id = strdup(e->uuid);
                int v = id ? verify(id) : ACTR_ENOMEM;
                struct entry *h = id && v == 1 ? by_uuid(id, strlen(id)) : NULL;
                free(id);
                if (v < 0)
                    return v;
                for (size_t j = 0; h && j < h->naddrs; j++)
                    if (strcmp(h->addrs[j].url, url) == 0)
                        return actr_call_fail(call, "PermissionError", "register_actor:"
                                              " %s is the address of live actor %s.%s", url,
                                              h->name, h->uuid);
                again = 1;
                break;
            }
        }
    }
    struct entry *e = by_uuid(ra->uid.uuid.ptr, ra->uid.uuid.len);
    if (!e && !(e = entry_new(ra->uid.name.ptr, ra->uid.name.len, ra->uid.uuid.ptr,
                              ra->uid.uuid.len)))
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    int rc = entry_add_addr(e, &addr, url);
    if (rc < 0)
        return rc;
    /* The channel is the actor's own (persistent) one when it registers
     * itself; then it also tells the pid. */
    struct link *l = actri_call_link(call);
    const char *peer = actr_call_peer_uuid(call);
    if (peer && strlen(peer) == ra->uid.uuid.len &&
        memcmp(peer, ra->uid.uuid.ptr, ra->uid.uuid.len) == 0) {
        e->pid = actri_link_peer_pid(l);
        e->link = actri_link_alive(l) ? l : NULL;
    }
    actr_log_info(DISC_TAG, "registered %s.%s at %s (pid %lld)", e->name, e->uuid, url,
                  (long long)e->pid);
    wake_waiters(e);
    return 0;
}

static int
ep_unregister(actr_call *call, const void *args, void *result)
{
    (void)result;
    const actr_self_unregister_actor_args *ua = args;
    struct entry *e = by_uuid(ua->uid.uuid.ptr, ua->uid.uuid.len);
    if (!e || e->self)
        return 0;
    int rc = owner_or_dead(call, "unregister_actor", ua->uid.uuid.ptr, ua->uid.uuid.len);
    if (rc < 0)
        return rc;
    if ((e = by_uuid(ua->uid.uuid.ptr, ua->uid.uuid.len)) != NULL)
        entry_remove(e, "unregistered");
    return 0;
}

static int
ep_find(actr_call *call, const void *args, void *result)
{
    const actr_self_find_actor_args *fa = args;
    actr_self_addr_list_opt *out = result;
    actr_call_own_result(call);
    int rc = find_live(&fa->name, &out->value);
    if (rc < 0)
        return rc;
    out->has = rc == 1;
    return 0;
}

static int
ep_wait(actr_call *call, const void *args, void *result)
{
    const actr_self_wait_for_actor_args *wa = args;
    actr_call_own_result(call);
    struct waiter w = {.name = &wa->name};
    actr_event_init(&w.ev);
    w.next = R.waiters;
    R.waiters = &w;
    int rc;
    for (;;) {
        actr_event_clear(&w.ev);
        if ((rc = find_live(&wa->name, result)) != 0)
            break;
        if ((rc = actr_event_wait(&w.ev, ACTR_FOREVER)) < 0)
            break;
    }
    struct waiter **pp = &R.waiters;
    while (*pp && *pp != &w)
        pp = &(*pp)->next;
    if (*pp)
        *pp = w.next;
    return rc < 0 ? rc : 0;
}

static char *
uid_key(const struct entry *e, size_t *len)
{
    char *k = NULL;
    int n = asprintf(&k, "%s.%s", e->name, e->uuid);
    if (n < 0)
        return NULL;
    *len = (size_t)n;
    return k;
}

static int
ep_get_registry(actr_call *call, const void *args, void *result)
{
    (void)args;
    actr_self_addr_list_map *out = result;
    actr_call_own_result(call);
    verify_all();
    if (actr_task_cancelled())
        return ACTR_ECANCELED;
    size_t n = 0;
    for (struct entry *e = R.head; e; e = e->next)
        n++;
    if (!(out->items = calloc(n ? n : 1, sizeof *out->items)))
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    for (struct entry *e = R.head; e; e = e->next) {
        actr_self_addr_list_map_entry *it = &out->items[out->len];
        if (!(it->key.ptr = uid_key(e, &it->key.len)))
            return actr_error_set(ACTR_ENOMEM, "out of memory");
        out->len++;
        if (addr_list_of(e, &it->value) < 0)
            return ACTR_ENOMEM;
    }
    return 0;
}

static int
ep_delete_addr(actr_call *call, const void *args, void *result)
{
    const actr_self_delete_addr_args *da = args;
    actr_self_uid **out = result;
    actr_call_own_result(call);
    actr_addr addr;
    char url[ACTR_ADDR_URL_MAX];
    if (disc_addr_from_wire(&da->addr, &addr) < 0 || actr_addr_format(&addr, url, sizeof url) < 0)
        return actr_call_fail(call, "ValueError", "delete_addr: not an address");
    for (struct entry *e = R.head; e; e = e->next) {
        for (size_t i = 0; i < e->naddrs; i++) {
            if (strcmp(e->addrs[i].url, url) != 0)
                continue;
            actr_self_uid *u = calloc(1, sizeof *u);
            if (!u || !(u->name.ptr = strdup(e->name)) || !(u->uuid.ptr = strdup(e->uuid))) {
                if (u) {
                    free(u->name.ptr);
                    free(u);
                }
                return actr_error_set(ACTR_ENOMEM, "out of memory");
            }
            u->name.len = strlen(e->name);
            u->uuid.len = strlen(e->uuid);
            if (!e->self) {
                char *id = strdup(e->uuid);
                int rc = id ? owner_or_dead(call, "delete_addr", id, strlen(id)) : ACTR_ENOMEM;
                struct entry *h = rc == 0 ? by_uuid(id, strlen(id)) : NULL;
                free(id);
                if (rc < 0) {
                    free(u->name.ptr);
                    free(u->uuid.ptr);
                    free(u);
                    return rc;
                }
                if (h)
                    addr_drop(h, url, "delete_addr");
            }
            *out = u;
            return 0;
        }
    }
    return 0;
}

static int
ep_list(actr_call *call, const void *args, void *result)
{
    (void)args;
    actr_registrar_entry_list *out = result;
    actr_call_own_result(call);
    verify_all();
    if (actr_task_cancelled())
        return ACTR_ECANCELED;
    size_t n = 0;
    for (struct entry *e = R.head; e; e = e->next)
        n++;
    if (!(out->items = calloc(n ? n : 1, sizeof *out->items)))
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    for (struct entry *e = R.head; e; e = e->next) {
        actr_registrar_entry *it = &out->items[out->len++];
        if (!(it->name.ptr = strdup(e->name)) || !(it->uuid.ptr = strdup(e->uuid)))
            return actr_error_set(ACTR_ENOMEM, "out of memory");
        it->name.len = strlen(e->name);
        it->uuid.len = strlen(e->uuid);
        it->pid.has = e->pid > 0;
        it->pid.value = e->pid;
        actr_self_addr_list al = {0};
        int rc = addr_list_of(e, &al);
        it->addrs.items = al.items;
        it->addrs.len = al.len;
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------ setup */

static actr_endpoint reg_eps[8];
actr_module disc_registrar_ns;

void
disc_registrar_init(void)
{
    static const struct {
        const char *func;
        actr_invoke_fn fn;
    } impls[] = {
        {"register_actor", ep_register}, {"unregister_actor", ep_unregister},
        {"find_actor", ep_find},         {"wait_for_actor", ep_wait},
        {"get_registry", ep_get_registry}, {"delete_addr", ep_delete_addr},
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++) {
        const actr_endpoint *ep = actr_module_find(&actr_self_module, impls[i].func,
                                                   strlen(impls[i].func));
        if (ep) {
            reg_eps[n] = *ep;
            reg_eps[n++].invoke = impls[i].fn;
        }
    }
    const actr_endpoint *ep = actr_module_find(&actr_registrar_module, "list_actors", 11);
    if (ep) {
        reg_eps[n] = *ep;
        reg_eps[n++].invoke = ep_list;
    }
    disc_registrar_ns = actr_registrar_module;
    disc_registrar_ns.endpoints = reg_eps;
    disc_registrar_ns.nendpoints = n;
}

int
disc_registrar_start(actr_actor *a)
{
    R.a = a;
    R.active = 1;
    const actr_listener *l = actri_actor_listener(a);
    size_t n = l ? actr_listener_naddrs(l) : 0;
    struct entry *e = entry_new(actr_actor_name(a), strlen(actr_actor_name(a)),
                                actr_actor_uuid(a), strlen(actr_actor_uuid(a)));
    if (!e)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    e->self = 1;
    e->pid = getpid();
    for (size_t i = 0; i < n; i++) {
        char url[ACTR_ADDR_URL_MAX];
        const actr_addr *ad = actr_listener_addr(l, i);
        if (actr_addr_format(ad, url, sizeof url) >= 0 && entry_add_addr(e, ad, url) < 0)
            return ACTR_ENOMEM;
        actr_log_info(DISC_TAG, "registrar %s.%s serving at %s", e->name, e->uuid, url);
    }
    return 0;
}

void
disc_registrar_free(void)
{
    while (R.head) {
        struct entry *e = R.head;
        R.head = e->next;
        entry_free(e);
    }
    R.waiters = NULL;
    R.a = NULL;
    R.active = 0;
}
