/* `actr:info` (idl/actr_introspect.actor): an actor describes itself, its
 * parent and its enabled endpoints, for `actr endpoints` and `actr ps
 * --tree`. An extension of the protocol served in the namespace `actr`
 * (runtime/PROTOCOL.md), looked up beside `self` by actri_lookup. */
#define _GNU_SOURCE
#include "actor/introspect.h"

#include "actor/callee.h"
#include "actor/link.h"
#include "actr_introspect.actor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An owned copy of s (NULL: the empty string). */
static int
dup_str(actr_str *out, const char *s, size_t n)
{
    out->ptr = strndup(s ? s : "", s ? n : 0);
    out->len = out->ptr ? strlen(out->ptr) : 0;
    return out->ptr ? 0 : ACTR_ENOMEM;
}

static int
dup_z(actr_str *out, const char *s)
{
    return dup_str(out, s, s ? strlen(s) : 0);
}

/* The IDL spelling of a value's type, or absent for nil. */
static int
type_opt(actr_introspect_string_opt *o, const actr_type *t)
{
    o->has = t != NULL;
    return t ? dup_z(&o->value, t->name) : 0;
}

static const char *
kind_name(actr_endpoint_kind k)
{
    return k == ACTR_ENDPOINT_FN ? "fn" : k == ACTR_ENDPOINT_GEN ? "gen" : "context";
}

static int
fill_endpoint(actr_introspect_endpoint *e, const actr_endpoint *ep)
{
    int rc = dup_z(&e->name, ep->func);
    rc |= dup_z(&e->kind, kind_name(ep->kind));
    rc |= type_opt(&e->result, ep->result);
    rc |= type_opt(&e->yields, ep->yield);
    rc |= type_opt(&e->started, ep->started);
    if (ep->stream_out) {
        char buf[512];
        int n = snprintf(buf, sizeof buf, "%s <-> %s", ep->stream_out->name,
                         ep->stream_in ? ep->stream_in->name : "any");
        e->stream.has = true;
        rc |= dup_str(&e->stream.value, buf, n < 0 ? 0 : (size_t)n);
    }
    size_t np = ep->nparams;
    e->params.items = calloc(np ? np : 1, sizeof *e->params.items);
    if (!e->params.items)
        return ACTR_ENOMEM;
    for (size_t i = 0; i < np; i++, e->params.len++) {
        actr_introspect_param *p = &e->params.items[i];
        const actr_type *t = ep->args && i < ep->args->count ? ep->args->fields[i].type : NULL;
        rc |= dup_z(&p->name, ep->params[i]);
        rc |= dup_z(&p->type_name, t ? t->name : "any");
    }
    return rc ? ACTR_ENOMEM : 0;
}

static int
fill_module(actr_introspect_module_info *mi, const actr_module *m)
{
    int rc = dup_z(&mi->ns, m->ns) | dup_z(&mi->name, m->name);
    mi->endpoints.items = calloc(m->nendpoints ? m->nendpoints : 1,
                                 sizeof *mi->endpoints.items);
    if (rc || !mi->endpoints.items)
        return ACTR_ENOMEM;
    for (size_t i = 0; i < m->nendpoints; i++, mi->endpoints.len++)
        if ((rc = fill_endpoint(&mi->endpoints.items[i], &m->endpoints[i])) < 0)
            return rc;
    return 0;
}

static int
fill_uid(actr_self_uid *u, const struct uidbuf *b)
{
    return dup_z(&u->name, b->name) | dup_z(&u->uuid, b->uuid) ? ACTR_ENOMEM : 0;
}

static int
fill_info(actr_introspect_actor_info *out, actr_actor *a)
{
    int rc = fill_uid(&out->uid, &a->uid);
    out->pid = a->pid;
    if (rc == 0 && a->parent) {
        out->parent = calloc(1, sizeof *out->parent);
        rc = out->parent ? fill_uid(out->parent, &a->parent->peer) : ACTR_ENOMEM;
    }
    size_t na = a->listener ? actr_listener_naddrs(a->listener) : 0;
    out->addrs.items = calloc(na ? na : 1, sizeof *out->addrs.items);
    if (rc < 0 || !out->addrs.items)
        return ACTR_ENOMEM;
    for (size_t i = 0; i < na; i++) {
        char url[ACTR_ADDR_URL_MAX];
        int n = actr_addr_format(actr_listener_addr(a->listener, i), url, sizeof url);
        if (n >= 0 && dup_str(&out->addrs.items[out->addrs.len++], url, (size_t)n) < 0)
            return ACTR_ENOMEM;
    }
    out->modules.items = calloc(a->nenabled ? a->nenabled : 1, sizeof *out->modules.items);
    if (!out->modules.items)
        return ACTR_ENOMEM;
    for (size_t i = 0; i < a->nenabled; i++, out->modules.len++)
        if ((rc = fill_module(&out->modules.items[i], a->enabled[i])) < 0)
            return rc;
    return 0;
}

const actr_module *
actri_introspect_module(void)
{
    return &actr_introspect_module;
}

int
actr_introspect_info_impl(actr_call *call, actr_introspect_actor_info *out)
{
    /* Everything is on the heap: the runtime frees it after the Return. */
    actr_call_own_result(call);
    int rc = fill_info(out, call->d.link->a);
    if (rc < 0)
        return actr_call_fail(call, "MemoryError", "out of memory describing this actor");
    return 0;
}
