/* Cached contexts (actr/cache.h, S21): per distinct function a host, a
 * background task of the actor that owns the function's nursery; per key
 * an entry whose one task opens the resource, waits until no user is
 * left, and closes it.
 *
 * An entry's state is the per-key lock: OPENING (users wait for it),
 * READY (users share it), FAILED (its waiters take the error; it is out
 * of the table at once) and CLOSING (being torn down, or its open
 * abandoned by every waiter: arrivals wait until it is done, then open
 * anew). Tasks switch only at blocking calls, so each transition below
 * is atomic; the counts decide who does what. */
#define _GNU_SOURCE
#include <actr/actr.h>
#include <actr/cache.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG "cache"

enum estate { E_OPENING, E_READY, E_FAILED, E_CLOSING };

struct cfn;

struct centry {
    struct centry *next;          /* in its host's table, while there */
    struct cfn *f;
    unsigned char *key;
    size_t keylen;
    unsigned char *args;
    size_t len;
    enum estate state;
    void *value;
    unsigned users;               /* holding it or waiting for its open */
    unsigned refs;                /* users, its task, waiters for its end */
    actr_scope *open_scope;       /* its task's, while it opens */
    actr_event ready;             /* the open is over (READY or FAILED) */
    actr_event unused;            /* the last user left: close it */
    actr_event done;              /* its task is over */
    int open_rc, close_rc;
    actr_error *open_err, *close_err;
    int retired;                  /* CLOSING while users still hold it */
};

/* One distinct actr_cache_fn: its nursery and its entries. */
struct cfn {
    struct cfn *next;
    const actr_cache_fn *fn;
    actr_nursery *tn;             /* owned by the host task */
    actr_event ready;             /* the host opened tn (or failed) */
    int failed;
    actr_event changed;           /* the host may have nothing left to do */
    struct centry *entries;
    unsigned refs;                /* users inside enter/exit */
    int orphan;                   /* its host is gone: the last user frees it */
};

struct actr_cache_user {
    struct centry *e;
    int hit;
};

static struct cfn *hosts;

static void
centry_unref(struct centry *e)
{
    if (--e->refs > 0)
        return;
    actr_error_free(e->open_err);
    actr_error_free(e->close_err);
    free(e->key);
    free(e->args);
    free(e);
}

static void
unlink_entry(struct centry *e)
{
    for (struct centry **pp = &e->f->entries; *pp; pp = &(*pp)->next)
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    actr_event_set(&e->f->changed);
}

static void
cfn_unref(struct cfn *f)
{
    if (--f->refs == 0) {
        actr_event_set(&f->changed);
        if (f->orphan)
            free(f);
    }
}

/* ------------------------------------------------------------ an entry's task */

static void
keep_error(actr_error **slot)
{
    actr_error_free(*slot);
    if (actr_error_dup(actr_last_error(), slot) < 0)
        *slot = NULL;
}

static void
close_value(struct centry *e)
{
    const actr_cache_fn *fn = e->f->fn;
    actr_scope sh;
    if (actr_scope_enter(&sh, ACTR_FOREVER, ACTR_SCOPE_SHIELD) < 0)
        return;
    e->close_rc = fn->close ? fn->close(e->value, e->args, e->len) : 0;
    if (e->close_rc < 0) {
        keep_error(&e->close_err);
        actr_log_warning(TAG, "closing %s failed: %s", fn->name ? fn->name : "a resource",
                         actr_last_error()->message);
    }
    actr_scope_exit(&sh);
}

static int
entry_task(void *arg)
{
    struct centry *e = arg;
    const actr_cache_fn *fn = e->f->fn;
    actr_scope sc;
    int rc = actr_scope_enter(&sc, ACTR_FOREVER, 0);
    if (rc == 0) {
        e->open_scope = &sc;
        rc = fn->open(e->args, e->len, &e->value);
        e->open_scope = NULL;
        actr_scope_exit(&sc);
    }
    if (e->state == E_OPENING && rc < 0) {
        /* Every waiter gets this error; the next arrival opens anew. */
        e->state = E_FAILED;
        e->open_rc = rc;
        keep_error(&e->open_err);
        unlink_entry(e);
        actr_event_set(&e->ready);
    } else if (e->state == E_OPENING) {
        e->state = E_READY;
        actr_event_set(&e->ready);
        /* The actor's teardown cancels this wait: close all the same. */
        (void)actr_event_wait(&e->unused, ACTR_FOREVER);
        e->state = E_CLOSING;
        close_value(e);
        unlink_entry(e);
    } else {
        /* Abandoned by every waiter while opening (CLOSING already). */
        if (rc == 0)
            close_value(e);
        unlink_entry(e);
    }
    actr_event_set(&e->done);
    centry_unref(e);
    return 0;
}

/* ------------------------------------------------------------ the host */

static void
unlink_host(struct cfn *f)
{
    for (struct cfn **pp = &hosts; *pp; pp = &(*pp)->next)
        if (*pp == f) {
            *pp = f->next;
            break;
        }
}

static int
host_task(void *arg)
{
    struct cfn *f = arg;
    int rc = actr_nursery_open(&f->tn);
    if (rc < 0) {
        /* Its waiters get the error; the next user starts a new host. */
        f->failed = 1;
        unlink_host(f);
        f->orphan = 1;
        actr_event_set(&f->ready);
        return rc;
    }
    actr_event_set(&f->ready);
    int cancelled = 0;
    for (;;) {
        actr_event_clear(&f->changed);
        if (f->refs == 0 && !f->entries)
            break;
        if (actr_event_wait(&f->changed, ACTR_FOREVER) < 0) {
            cancelled = 1;      /* the actor tears down: close every resource */
            break;
        }
    }
    unlink_host(f);
    if (cancelled) {
        for (struct centry *e = f->entries; e; e = e->next)
            actr_event_set(&e->unused);
        actr_nursery_cancel(f->tn);
    }
    (void)actr_nursery_close(f->tn, ACTR_FOREVER);
    f->tn = NULL;
    if (f->refs == 0)
        free(f);
    else
        f->orphan = 1;
    return 0;
}

/* The host of fn, started when needed; its nursery is ready. */
static int
host_of(const actr_cache_fn *fn, struct cfn **out)
{
    struct cfn *f = hosts;
    while (f && f->fn != fn)
        f = f->next;
    if (!f) {
        if (!(f = calloc(1, sizeof *f)))
            return actr_error_set(ACTR_ENOMEM, "out of memory for a cache");
        f->fn = fn;
        actr_event_init(&f->ready);
        actr_event_init(&f->changed);
        char name[ACTR_TASK_NAME_MAX];
        snprintf(name, sizeof name, "cache-%s", fn->name ? fn->name : "fn");
        int rc = actr_actor_spawn(host_task, f, name);
        if (rc < 0) {
            free(f);
            return rc;
        }
        f->next = hosts;
        hosts = f;
    }
    f->refs++;
    int rc = actr_event_wait(&f->ready, ACTR_FOREVER);
    if (rc == 0 && f->failed)
        rc = actr_error_set(ACTR_ENOMEM, "the nursery of cache %s could not open",
                            fn->name ? fn->name : "fn");
    if (rc < 0) {
        cfn_unref(f);
        return rc;
    }
    *out = f;
    return 0;
}

/* ------------------------------------------------------------ users */

static struct centry *
find_entry(struct cfn *f, const void *key, size_t keylen)
{
    for (struct centry *e = f->entries; e; e = e->next)
        if (e->keylen == keylen && (keylen == 0 || memcmp(e->key, key, keylen) == 0))
            return e;
    return NULL;
}

static struct centry *
new_entry(struct cfn *f, const void *key, size_t keylen, const void *args, size_t len)
{
    struct centry *e = calloc(1, sizeof *e);
    if (!e || !(e->key = malloc(keylen ? keylen : 1)) || !(e->args = malloc(len ? len : 1))) {
        if (e)
            free(e->key);
        free(e);
        actr_error_set(ACTR_ENOMEM, "out of memory for a cached resource");
        return NULL;
    }
    if (keylen)
        memcpy(e->key, key, keylen);
    if (len)
        memcpy(e->args, args, len);
    e->keylen = keylen;
    e->len = len;
    e->f = f;
    e->refs = 1;                /* its task's */
    actr_event_init(&e->ready);
    actr_event_init(&e->unused);
    actr_event_init(&e->done);
    char name[ACTR_TASK_NAME_MAX];
    snprintf(name, sizeof name, "%s", f->fn->name ? f->fn->name : "cached");
    actr_task_opts to = {.name = name};
    if (actr_nursery_spawn_opts(f->tn, entry_task, e, &to) < 0) {
        free(e->key);
        free(e->args);
        free(e);
        return NULL;
    }
    e->next = f->entries;
    f->entries = e;
    return e;
}

/* A waiter leaves without using the resource; the last one abandons an
 * open under way, or lets go of one that just became ready. */
static void
leave_waiting(struct centry *e)
{
    if (--e->users == 0 && e->state == E_OPENING) {
        e->state = E_CLOSING;
        if (e->open_scope)
            actr_scope_cancel(e->open_scope);
    } else if (e->users == 0 && (e->state == E_READY || e->retired)) {
        e->state = E_CLOSING;
        actr_event_set(&e->unused);
    }
    centry_unref(e);
}

/* Waits, shielded, until e's task is over. */
static void
wait_done(struct centry *e)
{
    actr_scope sh;
    if (actr_scope_enter(&sh, ACTR_FOREVER, ACTR_SCOPE_SHIELD) == 0) {
        (void)actr_event_wait(&e->done, ACTR_FOREVER);
        actr_scope_exit(&sh);
    }
}

static int
join(struct cfn *f, const void *key, size_t keylen, const void *args, size_t len,
     actr_cache_user *u)
{
    for (;;) {
        struct centry *e = find_entry(f, key, keylen);
        if (e && e->state == E_CLOSING) {
            /* The per-key lock: the old resource goes first. */
            e->refs++;
            int rc = actr_event_wait(&e->done, ACTR_FOREVER);
            centry_unref(e);
            if (rc < 0)
                return rc;
            continue;
        }
        u->hit = e != NULL;
        if (!e && !(e = new_entry(f, key, keylen, args, len)))
            return actr_last_error()->code ? actr_last_error()->code : ACTR_ENOMEM;
        e->users++;
        e->refs++;
        int rc = actr_event_wait(&e->ready, ACTR_FOREVER);
        if (rc < 0) {
            leave_waiting(e);
            return rc;
        }
        if (e->state == E_FAILED) {
            rc = e->open_rc;
            actr_error_restore(e->open_err);
            leave_waiting(e);
            return rc;
        }
        u->e = e;
        return 0;
    }
}

int
actr_cache_enter(const actr_cache_fn *fn, const void *args, size_t len, const void *key,
                 size_t keylen, actr_cache_user **out, void **value)
{
    if (!fn || !fn->open || !out || (len && !args) || (keylen && !key))
        return actr_error_set(ACTR_EINVAL, "actr_cache_enter: no function, open or out"
                              " parameter");
    if (!actr_self() || actr_task_id() == 0)
        return actr_error_set(ACTR_ESTATE, "cached contexts need an actor's task");
    unsigned char kbuf[ACTR_CACHE_KEY_MAX];
    if (!key && fn->key) {
        keylen = fn->key(args, len, kbuf, sizeof kbuf);
        if (keylen > sizeof kbuf)
            return actr_error_set(ACTR_EINVAL, "the key of cache %s is longer than %d bytes",
                                  fn->name ? fn->name : "fn", ACTR_CACHE_KEY_MAX);
        key = kbuf;
    } else if (!key) {
        key = args;
        keylen = len;
    }
    actr_cache_user *u = calloc(1, sizeof *u);
    if (!u)
        return actr_error_set(ACTR_ENOMEM, "out of memory for a cache user");
    struct cfn *f = NULL;
    int rc = host_of(fn, &f);
    if (rc == 0 && (rc = join(f, key, keylen, args, len, u)) < 0)
        cfn_unref(f);
    if (rc < 0) {
        free(u);
        return rc;
    }
    *out = u;
    if (value)
        *value = u->e->value;
    return 0;
}

int
actr_cache_hit(const actr_cache_user *u)
{
    return u && u->hit;
}

void
actr_cache_retire(actr_cache_user *u)
{
    if (u && u->e->state == E_READY) {
        u->e->state = E_CLOSING;    /* arrivals wait for its end */
        u->e->retired = 1;
    }
}

int
actr_cache_exit(actr_cache_user *u)
{
    if (!u)
        return 0;
    struct centry *e = u->e;
    struct cfn *f = e->f;
    free(u);
    int rc = 0;
    if (--e->users == 0) {
        if (e->state == E_READY || e->retired) {
            e->state = E_CLOSING;
            actr_event_set(&e->unused);
        }
        wait_done(e);
        rc = e->close_rc;
        if (rc < 0)
            actr_error_restore(e->close_err);
    }
    centry_unref(e);
    cfn_unref(f);
    return rc;
}

size_t
actr_cache_count(const actr_cache_fn *fn)
{
    size_t n = 0;
    for (const struct cfn *f = hosts; f; f = f->next)
        if (f->fn == fn)
            for (const struct centry *e = f->entries; e; e = e->next)
                n += e->state == E_OPENING || e->state == E_READY;
    return n;
}
