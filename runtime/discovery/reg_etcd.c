/* The etcd backend (discovery/backend.h): discovery in an etcd cluster.
 *
 * An actor registers under PREFIX/NAME/UUID, value a JSON object
 * {"name", "uuid", "pid", "addrs": [URL...]} (every listen address),
 * attached to a lease of ACTR_ETCD_TTL seconds that a task keeps alive.
 * At exit it revokes the lease (its key goes with it); an actor killed
 * with SIGKILL disappears when the lease expires, with no probing. When
 * etcd goes away the keeper retries with backoff, and once it answers
 * again the entry is put again (under a new lease if the old one is
 * gone), so actors re-register without a restart.
 *
 * find is a prefix range (PREFIX/NAME/, or all of PREFIX/ for a uuid);
 * wait_for_actor is that range followed by a watch from the range's
 * revision on, so no registration in between is missed. */
#define _GNU_SOURCE
#include "discovery/disc.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

struct ereg {
    etcd *e;
    char *key;
    char *value;
    int64_t ttl_wanted;
    int64_t lease;
    int64_t ttl;              /* as granted */
};

/* ------------------------------------------------------------ values */

static int
ttl_wanted(int64_t *out)
{
    const char *v = actr_env_get(ACTR_ENV_ETCD_TTL);
    *out = ACTR_ETCD_TTL_DEFAULT;
    if (!v)
        return 0;
    char *end;
    long long t = strtoll(v, &end, 10);
    if (*end || t < 1 || t > 3600)
        return actr_error_set(ACTR_EINVAL, "%s=%s is not a number of seconds (1 to 3600)",
                              ACTR_ETCD_TTL_ENV, v);
    *out = t;
    return 0;
}

/* The registration value of actor a. */
static char *
value_of(actr_actor *a)
{
    json_t *addrs = json_array();
    const actr_listener *l = actri_actor_listener(a);
    size_t n = l ? actr_listener_naddrs(l) : 0;
    for (size_t i = 0; addrs && i < n; i++) {
        char u[ACTR_ADDR_URL_MAX];
        if (actr_addr_format(actr_listener_addr(l, i), u, sizeof u) >= 0)
            json_array_append_new(addrs, json_string(u));
    }
    json_t *v = json_pack("{s:s, s:s, s:I, s:o}", "name", actr_actor_name(a), "uuid",
                          actr_actor_uuid(a), "pid", (json_int_t)getpid(), "addrs", addrs);
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    return text;
}

/* A registration value into an entry: 1, or 0 when it is not one of
 * ours (someone else's key under the prefix: skipped). */
static int
entry_parse(const etcd_kv *kv, actr_registry_entry *out)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *j = json_loadb(kv->value, kv->vlen, 0, &je);
    const char *name = json_string_value(json_object_get(j, "name"));
    const char *uuid = json_string_value(json_object_get(j, "uuid"));
    json_t *addrs = json_object_get(j, "addrs");
    json_t *pid = json_object_get(j, "pid");
    int rc = 0;
    if (!name || !uuid || !json_is_array(addrs) || (pid && !json_is_integer(pid))) {
        actr_log_runtime(DISC_TAG, "etcd key %s is not an actr registration: ignored", kv->key);
        json_decref(j);
        return 0;
    }
    if (!(out->name = strdup(name)) || !(out->uuid = strdup(uuid)) ||
        !(out->addrs = calloc(json_array_size(addrs) + 1, sizeof *out->addrs)))
        rc = actr_error_set(ACTR_ENOMEM, "out of memory");
    out->pid = pid ? (int64_t)json_integer_value(pid) : 0;
    for (size_t i = 0; rc == 0 && i < json_array_size(addrs); i++) {
        const char *u = json_string_value(json_array_get(addrs, i));
        actr_addr a;
        if (!u || actr_addr_parse(u, &a) < 0)
            continue;                 /* an address we cannot use */
        if (!(out->addrs[out->naddrs] = strdup(u)))
            rc = actr_error_set(ACTR_ENOMEM, "out of memory");
        else
            out->naddrs++;
    }
    json_decref(j);
    if (rc == 0 && out->naddrs > 0) {
        disc_urls_rank(out->addrs, out->naddrs);
        return 1;
    }
    disc_entry_clear(out);                 /* (no address to reach it at: not found) */
    return rc;
}

/* ------------------------------------------------------------ registration */

static int
grant_and_put(struct ereg *s, int64_t deadline)
{
    int rc = etcd_grant(s->e, s->ttl_wanted, &s->lease, &s->ttl, deadline);
    if (rc == 0)
        rc = etcd_put(s->e, s->key, s->value, s->lease, deadline);
    return rc;
}

static void
ereg_free(struct ereg *s)
{
    free(s->key);
    free(s->value);
    free(s);
}

static int
reg_open(const disc_registry *reg, actr_actor *a, void **state)
{
    struct ereg *s = calloc(1, sizeof *s);
    if (!s)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    s->e = reg->etcd;
    int rc = ttl_wanted(&s->ttl_wanted);
    if (rc == 0 && (asprintf(&s->key, "%s/%s/%s", etcd_prefix(s->e), actr_actor_name(a),
                             actr_actor_uuid(a)) < 0 || !(s->value = value_of(a))))
        rc = actr_error_set(ACTR_ENOMEM, "out of memory");
    if (rc == 0)
        rc = grant_and_put(s, actr_deadline_in(ACTR_REGISTRY_TIMEOUT_MS));
    if (rc < 0) {
        if (rc != ACTR_ECANCELED)
            rc = actr_error_set(rc, "cannot register with etcd %s: %s", reg->url,
                                actr_last_error()->message);
        ereg_free(s);
        return rc;
    }
    actr_log_runtime(DISC_TAG, "registered as %s in etcd %s (lease %" PRIx64 ", TTL %" PRId64
                     " s)", s->key, reg->url, (uint64_t)s->lease, s->ttl);
    *state = s;
    return 0;
}

/* After etcd answered again (or let our lease lapse): puts the entry
 * again, under a new lease when the old one is gone. */
static int
renew(struct ereg *s, int64_t ttl_left, int64_t deadline)
{
    if (ttl_left > 0)
        return etcd_put(s->e, s->key, s->value, s->lease, deadline);
    return grant_and_put(s, deadline);
}

static int
reg_keep(void *state)
{
    struct ereg *s = state;
    disc_backoff b;
    disc_backoff_reset(&b);
    int down = 0;
    for (;;) {
        /* A third of the TTL: two renewals may fail before it lapses. */
        int rc = down ? disc_backoff_sleep(&b) : actr_sleep(s->ttl * 1000 / 3);
        int64_t left = 0;
        int64_t dl = actr_deadline_in(ACTR_REGISTRY_TIMEOUT_MS);
        if (rc == 0)
            rc = etcd_keepalive(s->e, s->lease, &left, dl);
        if (rc == 0 && left > 0 && !down)
            continue;
        if (rc == 0)
            rc = renew(s, left, dl);
        if (rc == ACTR_ECANCELED)
            return rc;
        if (rc == 0) {
            actr_log_info(DISC_TAG, "%s in etcd %s: registered again", s->key,
                          etcd_url(s->e));
            down = 0;
            disc_backoff_reset(&b);
        } else if (!down) {
            actr_log_warning(DISC_TAG, "etcd %s: %s; retrying with backoff", etcd_url(s->e),
                             actr_last_error()->message);
            down = 1;
        }
    }
}

static void
reg_close(void *state)
{
    struct ereg *s = state;
    int rc = etcd_revoke(s->e, s->lease, actr_deadline_in(ACTR_UNREGISTER_TIMEOUT_MS));
    if (rc < 0)
        actr_log_runtime(DISC_TAG, "etcd %s: revoking the lease of %s: %s (it expires in"
                         " %" PRId64 " s)", etcd_url(s->e), s->key, actr_strerror(rc), s->ttl);
    ereg_free(s);
}

/* ------------------------------------------------------------ lookups */

static int
is_uuid(const char *s)
{
    if (strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++)
        if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* The keys to look at for name: its own, or every key for a uuid
 * (tractor's rule: a name matches an actor's name or uuid). */
static char *
range_of(const disc_registry *r, const char *name)
{
    char *p = NULL;
    if (asprintf(&p, is_uuid(name) ? "%s/" : "%s/%s/", etcd_prefix(r->etcd), name) < 0)
        return NULL;
    return p;
}

/* The newest registration in kvs of an actor called name (or with that
 * uuid): 1 and *out, 0 when there is none. */
static int
pick(const etcd_kv *kvs, size_t n, const char *name, actr_registry_entry *out)
{
    int found = 0;
    int64_t best = -1;
    for (size_t i = 0; i < n; i++) {
        if (kvs[i].create_rev <= best)
            continue;
        actr_registry_entry e;
        int rc = entry_parse(&kvs[i], &e);
        if (rc < 0)
            return rc;
        if (rc == 0)
            continue;
        if (strcmp(e.name, name) != 0 && strcmp(e.uuid, name) != 0) {
            disc_entry_clear(&e);
            continue;
        }
        if (found)
            disc_entry_clear(out);
        *out = e;
        best = kvs[i].create_rev;
        found = 1;
    }
    return found;
}

/* find, also handing back the revision the answer is from. */
static int
find_rev(const disc_registry *r, const char *name, actr_registry_entry *out,
         int64_t *revision, int64_t deadline)
{
    char *range = range_of(r, name);
    if (!range)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    etcd_kv *kvs = NULL;
    size_t n = 0;
    int rc = etcd_range_prefix(r->etcd, range, &kvs, &n, revision, deadline);
    free(range);
    if (rc == 0)
        rc = pick(kvs, n, name, out);
    etcd_kvs_free(kvs, n);
    return rc;
}

static int
et_find(const disc_registry *r, const char *name, actr_registry_entry *out, int64_t deadline)
{
    int64_t rev;
    return find_rev(r, name, out, &rev, deadline);
}

/* Watches from revision rev + 1 until name registers: 1 and *out, or
 * why the watch ended. */
static int
watch_for(const disc_registry *r, const char *name, int64_t rev, actr_registry_entry *out)
{
    char *range = range_of(r, name);
    if (!range)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    etcd_watch *w = NULL;
    int rc = etcd_watch_open(r->etcd, range, rev + 1, &w,
                             actr_deadline_in(ACTR_REGISTRY_TIMEOUT_MS));
    free(range);
    while (rc == 0) {
        etcd_kv kv;
        if ((rc = etcd_watch_next(w, &kv, ACTR_FOREVER)) < 0)
            break;
        rc = kv.deleted ? 0 : pick(&kv, 1, name, out);
        etcd_kv_clear(&kv);
    }
    etcd_watch_close(w);
    return rc;
}

static int
et_wait(const disc_registry *r, const char *name, actr_registry_entry *out)
{
    disc_backoff b;
    disc_backoff_reset(&b);
    for (;;) {
        int64_t rev = 0;
        int rc = find_rev(r, name, out, &rev, actr_deadline_in(ACTR_REGISTRY_TIMEOUT_MS));
        if (rc == 0)
            rc = watch_for(r, name, rev, out);
        if (rc == 1 || rc == ACTR_ECANCELED || rc == ACTR_ENOMEM)
            return rc;
        /* etcd went away, or cancelled the watch: look and watch again. */
        actr_log_runtime(DISC_TAG, "etcd %s: waiting for %s: %s; again after a pause", r->url,
                         name, actr_last_error()->message);
        if ((rc = disc_backoff_sleep(&b)) < 0)
            return rc;
    }
}

static int
et_list(const disc_registry *r, actr_registry_entry **out, size_t *n, int64_t deadline)
{
    char *range = NULL;
    if (asprintf(&range, "%s/", etcd_prefix(r->etcd)) < 0)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    etcd_kv *kvs = NULL;
    size_t nkv = 0;
    int64_t rev;
    int rc = etcd_range_prefix(r->etcd, range, &kvs, &nkv, &rev, deadline);
    free(range);
    actr_registry_entry *v = rc == 0 ? calloc(nkv ? nkv : 1, sizeof *v) : NULL;
    size_t k = 0;
    if (rc == 0 && !v)
        rc = actr_error_set(ACTR_ENOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < nkv; i++) {
        int got = entry_parse(&kvs[i], &v[k]);
        if (got < 0)
            rc = got;
        k += got > 0;
    }
    etcd_kvs_free(kvs, nkv);
    if (rc < 0) {
        actr_registry_entries_free(v, k);
        return rc;
    }
    *out = v;
    *n = k;
    return 0;
}

const disc_backend disc_etcd_backend = {
    .kind = "etcd",
    .reg_open = reg_open,
    .reg_keep = reg_keep,
    .reg_close = reg_close,
    .find = et_find,
    .wait = et_wait,
    .list = et_list,
};
