/* Small helpers of the actor layer: uids, the Aid, endpoint names and
 * their lookup (S5). */
#define _GNU_SOURCE
#include "actor/actor.h"
#include "actor/debug.h"
#include "actor/hooks.h"
#include "actor/introspect.h"
#include "actr_self.actor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

char *
actri_uid_text(const char *name, const char *uuid)
{
    char *s = NULL;
    if (asprintf(&s, "%s.%s", name, uuid) < 0)
        return NULL;
    return s;
}

int
actri_uid_is_self(const actr_actor *a, const actr_str *uuid)
{
    size_t n = strlen(a->uid.uuid);
    return uuid->len == n && memcmp(uuid->ptr, a->uid.uuid, n) == 0;
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
    actr_aid_announce(out);
    /* An extension: only from an actor that announces actr's. */
    out->has_keepalive = out->has_actr && a->keepalive_ms > 0;
    out->keepalive = out->has_keepalive ? a->keepalive_ms : 0;
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
    } else if (str_is(ns, "actr")) {        /* introspect.c, ttylock.c: extensions */
        m = actri_introspect_module();
        if (!actr_module_find(m, func->ptr, func->len))
            m = actri_debug_module();
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

int
actri_split_name(const char *fn, char *ns, size_t nscap, const char **func)
{
    const char *colon = fn ? strrchr(fn, ':') : NULL;
    if (!colon || colon == fn || !colon[1] || (size_t)(colon - fn) >= nscap)
        return actr_error_set(ACTR_EINVAL, "endpoint name \"%s\" is not \"module:func\"",
                              fn ? fn : "(null)");
    memcpy(ns, fn, (size_t)(colon - fn));
    ns[colon - fn] = 0;
    *func = colon + 1;
    return 0;
}

const char *
actri_kind_name(actr_endpoint_kind k)
{
    return k == ACTR_ENDPOINT_FN ? "function" : k == ACTR_ENDPOINT_GEN ? "generator" : "context";
}
