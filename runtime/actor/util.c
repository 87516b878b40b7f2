/* Small helpers of the actor layer: uuids, uids, the Aid, endpoint
 * lookup (S5). */
#define _GNU_SOURCE
#include "actor/actor.h"
#include "actor/hooks.h"
#include "self.actor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

void
actri_uuid4(char out[UUID_LEN + 1])
{
    uint8_t b[16];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t n = getrandom(b + got, sizeof b - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got < sizeof b) {
        /* No entropy source: still unique enough within one host. */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ ((uint64_t)getpid() << 48);
        for (size_t i = got; i < sizeof b; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            b[i] = (uint8_t)(x >> 56);
        }
    }
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, UUID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
             b[12], b[13], b[14], b[15]);
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
        m = &self_module;
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
    if (m == &self_module && a->hooks && a->hooks->self_ext) {
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
