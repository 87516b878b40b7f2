/* Small helpers of the actor layer: uuids, uids, the Aid, endpoint
 * lookup (S5). */
#define _GNU_SOURCE
#include "actor/actor.h"
#include "actor/hooks.h"
#include "actor/introspect.h"
#include "actr_self.actor.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* Random bytes for uuids come from a pool filled by one getrandom of 4
 * KiB (256 uuids), not one syscall per dialog. A forked child empties
 * its copy at once, so parent and child never hand out the same bytes. */
#define UUID_POOL 4096

static uint8_t pool[UUID_POOL];
static size_t pool_left;                /* unused bytes at the pool's end */
static int atfork_done;

static void
pool_forget(void)
{
    pool_left = 0;
}

static void
pool_fill(void)
{
    if (!atfork_done) {
        atfork_done = 1;
        (void)pthread_atfork(NULL, NULL, pool_forget);
    }
    size_t got = 0;
    while (got < sizeof pool) {
        ssize_t n = getrandom(pool + got, sizeof pool - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got < sizeof pool) {
        /* No entropy source: still unique enough within one host. */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30)
                   ^ ((uint64_t)getpid() << 48);
        for (size_t i = got; i < sizeof pool; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            pool[i] = (uint8_t)(x >> 56);
        }
    }
    pool_left = sizeof pool;
}

void
actri_uuid4(char out[UUID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    if (pool_left < 16)
        pool_fill();
    uint8_t *b = pool + sizeof pool - pool_left;
    pool_left -= 16;
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = 0;
    memset(b, 0, 16);                   /* used bytes are not kept around */
}

int
actri_uid_set(struct uidbuf *u, const char *name, size_t nlen, const char *uuid, size_t ulen)
{
    char *n = strndup(name, nlen), *id = strndup(uuid, ulen);
    if (!n || !id) {
        free(n);
        free(id);
        return ACTR_ENOMEM;
    }
    actri_uid_clear(u);
    u->name = n;
    u->uuid = id;
    return 0;
}

void
actri_uid_clear(struct uidbuf *u)
{
    free(u->name);
    free(u->uuid);
    u->name = u->uuid = NULL;
}

actr_uid
actri_uid_wire(const struct uidbuf *u)
{
    actr_uid w = {{u->name, strlen(u->name)}, {u->uuid, strlen(u->uuid)}};
    return w;
}

actr_uid
actri_self_uid(const actr_actor *a)
{
    return actri_uid_wire(&a->uid);
}

void
actri_self_aid(const actr_actor *a, actr_msg_aid *out)
{
    memset(out, 0, sizeof *out);
    actr_uid u = actri_self_uid(a);
    out->name = u.name;
    out->uuid = u.uuid;
    out->has_pid = 1;
    out->pid = a->pid;
    out->has_is_registrar = 1;
    out->is_registrar = a->hooks && a->hooks->is_registrar;
    out->is_probe = 0;
}

static int
str_is(const actr_str *s, const char *z)
{
    size_t n = strlen(z);
    return s->len == n && memcmp(s->ptr, z, n) == 0;
}

const actr_endpoint *
actri_lookup(actr_actor *a, const actr_str *ns, const actr_str *func, const char **why,
             char *msg, size_t cap)
{
    const actr_module *m = NULL;
    if (str_is(ns, "self")) {
        m = &actr_self_module;
    } else if (str_is(ns, "actr")) {        /* introspect.c, an extension */
        m = actri_introspect_module();
    } else {
        for (size_t i = 0; i < a->nenabled && !m; i++)
            if (str_is(ns, a->enabled[i]->ns))
                m = a->enabled[i];
    }
    if (!m) {
        *why = "ModuleNotExposed";
        snprintf(msg, cap, "No module '%.*s' is enabled in actor %s", (int)ns->len, ns->ptr,
                 a->uid.name);
        return NULL;
    }
    const actr_endpoint *ep = actr_module_find(m, func->ptr, func->len);
    /* The registry calls of a registrar (hooks.h) take precedence. */
    if (m == &actr_self_module && a->hooks && a->hooks->self_ext) {
        const actr_endpoint *x = actr_module_find(a->hooks->self_ext, func->ptr, func->len);
        if (x)
            ep = x;
    }
    if (!ep || !ep->invoke) {
        *why = "AttributeError";
        snprintf(msg, cap, "module '%.*s' has no %s '%.*s' in actor %s", (int)ns->len,
                 ns->ptr, ep ? "served endpoint" : "attribute", (int)func->len, func->ptr,
                 a->uid.name);
        return NULL;
    }
    return ep;
}
