/* Portals (actr/portal.h): the objects, function calls, run_in_actor
 * results, and portals to actors found by address. */
#define _GNU_SOURCE
#include "actor/cancel.h"
#include "actor/caller.h"
#include "actor/hooks.h"
#include "actor/link.h"
#include "actor/spawn.h"

#include <stdlib.h>
#include <string.h>

int
actri_portal_new(struct link *l, struct child *ch, actr_portal **out)
{
    actr_portal *p = calloc(1, sizeof *p);
    if (!p)
        return actr_error_set(ACTR_ENOMEM, "out of memory for a portal");
    p->link = l;
    actri_link_ref(l);
    p->child = ch;
    *out = p;
    return 0;
}

void
actri_portal_free(actr_portal *p)
{
    if (!p)
        return;
    actri_link_unref(p->link);
    free(p);
}

int
actr_portal_open(const char *url, actr_portal **out)
{
    return actr_portal_open_opts(url, NULL, out);
}

int
actr_portal_open_opts(const char *url, const actr_portal_opts *opts, actr_portal **out)
{
    actr_actor *a = actr_self();
    if (!a || !actri_task_self())
        return actr_error_set(ACTR_ESTATE, "actr_portal_open outside an actor's task");
    actr_addr addr;
    int rc = actr_addr_parse(url, &addr);
    if (rc < 0)
        return actr_error_set(rc, "bad actor address \"%s\"", url ? url : "(null)");
    actr_ipc *ipc;
    actr_ipc_opts io;
    actri_actor_ipc_opts(a, &io);
    io.insecure |= opts && opts->insecure;
    if ((rc = actr_ipc_connect(&addr, &io, &ipc, actr_deadline_in(ACTR_HANDSHAKE_TIMEOUT_MS))) < 0)
        return rc;
    actr_msg_aid aid;
    actri_self_aid(a, &aid);
    if ((rc = actr_ipc_handshake(ipc, &aid, actr_deadline_in(ACTR_HANDSHAKE_TIMEOUT_MS))) < 0) {
        actr_ipc_close(ipc, 0);
        return rc;
    }
    struct link *l;
    if ((rc = actri_link_new(a, ipc, &l)) < 0)
        return rc;
    if ((rc = actri_link_spawn_loop(l)) == 0)
        rc = actri_portal_new(l, NULL, out);
    if (rc < 0)
        actri_link_shutdown(l, ACTR_ECLOSED);
    actri_link_unref(l);
    return rc;
}

void
actr_portal_close(actr_portal *p)
{
    if (!p || p->child)
        return;
    struct actri_errsave saved;
    actri_error_save(&saved);
    actri_link_shutdown(p->link, ACTR_ECLOSED);
    actri_portal_free(p);
    actri_error_restore(&saved);
}

int64_t
actr_portal_pid(const actr_portal *p)
{
    if (!p)
        return 0;
    return p->child ? p->child->pid : actri_link_peer_pid(p->link);
}

const char *
actr_portal_name(const actr_portal *p)
{
    return p->link->peer.name;
}

const char *
actr_portal_uuid(const actr_portal *p)
{
    return p->link->peer.uuid;
}

int
actr_portal_addr(const actr_portal *p, char *buf, size_t cap)
{
    if (!p || !buf)
        return actr_error_set(ACTR_EINVAL, "no portal or buffer");
    int rc = actr_addr_format(&p->link->raddr, buf, cap);
    if (rc < 0)
        return actr_error_set(ACTR_ERANGE, "the address of %s does not fit in %zu bytes",
                              p->link->peer.name, cap);
    return rc;
}

unsigned
actr_portal_peer_actr(const actr_portal *p)
{
    return p && p->link ? p->link->actr : 0;
}

int
actr_portal_connected(const actr_portal *p)
{
    return p && actri_link_up(p->link);
}

/* ------------------------------------------------------------ calls */

static int
call_common(actr_portal *p, const char *fn, const char *func, const actr_type *args_t,
            const void *args, const actr_any *kw, const actr_type *res_t, void *result)
{
    if (!p || !p->link)
        return actr_error_set(ACTR_EINVAL, "no portal");
    if (!actri_task_self())
        return actr_error_set(ACTR_ESTATE, "not called from a task");
    char ns[256];
    const char *f;
    int rc = actri_split_name(fn, ns, sizeof ns, &f);
    if (rc < 0)
        return rc;
    struct actr_ctx *c = actri_ctx_new(p->link, ACTR_ENDPOINT_FN, fn, 1);
    if (!c)
        return actr_error_set(ACTR_ENOMEM, "out of memory for a call");
    c->t_result = res_t;
    rc = actri_ctx_start(c, ns, func ? func : f, args_t, args, kw);
    if (rc == 0)
        rc = actri_ctx_wait_ack(c);
    if (rc == 0)
        rc = actri_ctx_wait_return(c, result);
    actri_ctx_abandon(c);
    return rc;
}

int
actr_portal_call(actr_portal *p, const actr_endpoint *ep, const void *args, void *result)
{
    if (!ep)
        return actr_error_set(ACTR_EINVAL, "no endpoint");
    if (ep->kind != ACTR_ENDPOINT_FN)
        return actr_error_set(ACTR_EINVAL, "%s is not a function endpoint (S6): use %s",
                              ep->wire_name,
                              ep->kind == ACTR_ENDPOINT_GEN ? "actr_stream_open" : "actr_ctx_open");
    return call_common(p, ep->wire_name, ep->func, ep->args, args, NULL, ep->result, result);
}

int
actr_portal_call_raw(actr_portal *p, const char *fn, const actr_any *kwargs, actr_any *result)
{
    return call_common(p, fn, NULL, NULL, NULL, kwargs, &actr_type_any, result);
}

/* run_in_actor results: the nursery's supervisor task waits for them. */
static int
portal_result(actr_portal *p, void *result, int raw)
{
    if (!p || !p->child || !p->child->run)
        return actr_error_set(ACTR_ESTATE, "not a run_in_actor portal");
    struct child *ch = p->child;
    while (!ch->result_done) {
        int rc = actr_event_wait(&ch->result_ev, ACTR_FOREVER);
        if (rc < 0)
            return rc;
    }
    struct actr_ctx *c = ch->run_ctx;
    if (ch->result_rc < 0 && !(c && c->d.has_error))
        return actr_error_set(ch->result_rc, "%s: no result (%s)", ch->name,
                              actr_strerror(ch->result_rc));
    if (c->d.has_error)
        return actri_ctx_raise(c);
    const actr_type *t = raw ? &actr_type_any : c->t_result;
    return actri_dialog_decode(&c->d, t, &c->ret.u.ret.pld, result, "result");
}

int
actr_portal_result(actr_portal *p, void *result)
{
    return portal_result(p, result, 0);
}

int
actr_portal_result_raw(actr_portal *p, actr_any *result)
{
    return portal_result(p, result, 1);
}

int
actr_portal_cancel_actor(actr_portal *p)
{
    if (!p || !p->link)
        return 0;
    return actri_cancel_actor(p->link, ACTR_CANCEL_ACTOR_TIMEOUT_MS);
}
