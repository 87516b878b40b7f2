/* The service manager's remote API, client side (actr/service.h):
 * typed start, find, cancel and list through a daemon's portal, and
 * actr_service_connect, the seeds' maybe_spawn_daemon. */
#define _GNU_SOURCE
#include <actr/actr.h>
#include <actr/service.h>

#include <stdlib.h>
#include <string.h>

#include "actr_svcmgr.actor.h"
#include "hilevel/anyval.h"

static actr_sup_state
state_of(const actr_str *s)
{
    for (int st = ACTR_SUP_STARTING; st <= ACTR_SUP_STOPPING; st++)
        if (strcmp(s->ptr, actr_sup_state_name((actr_sup_state)st)) == 0)
            return (actr_sup_state)st;
    return ACTR_SUP_RUNNING;
}

static actr_service_kind
kind_of(const actr_str *s)
{
    for (int k = ACTR_SERVICE_ACTOR; k <= ACTR_SERVICE_TASK; k++)
        if (strcmp(s->ptr, actr_service_kind_name((actr_service_kind)k)) == 0)
            return (actr_service_kind)k;
    return ACTR_SERVICE_ACTOR;
}

static int
info_of(const actr_svcmgr_status *s, actr_service_info *out)
{
    actr_service_info i = {.kind = kind_of(&s->kind), .state = state_of(&s->state),
                           .pid = s->pid, .restarts = s->restarts};
    int fail = !(i.name = strdup(s->name.ptr)) || (s->uid.len && !(i.uid = strdup(s->uid.ptr)));
    if (fail || hl_anyval_dup(&i.started, &s->started) < 0) {
        actr_service_info_clear(&i);
        return actr_error_set(ACTR_ENOMEM, "out of memory describing a service");
    }
    *out = i;
    return 0;
}

int
actr_service_remote_start(actr_portal *daemon, const char *name, const actr_endpoint *ep,
                          const void *args, void *started, actr_service_info *info)
{
    if (!name)
        return actr_error_set(ACTR_EINVAL, "no service name");
    actr_any kw = {0};
    int rc = ep ? hl_anyval_encode(ep->args, args, &kw, ep->wire_name) : 0;
    if (rc < 0)
        return rc;
    actr_svcmgr_status st = {0};
    rc = actr_svcmgr_start(daemon, actr_str_from(name), kw, &st);
    actr_any_free(&kw);
    if (rc < 0)
        return rc;
    actr_service_info i = {0};
    if (info)
        rc = info_of(&st, &i);
    if (rc == 0 && ep && (rc = hl_anyval_decode(ep->started, &st.started, started,
                                             "started value")) < 0)
        actr_service_info_clear(&i);
    if (rc == 0 && info)
        *info = i;
    actr_svcmgr_status_free(&st);
    return rc;
}

int
actr_service_remote_find(actr_portal *daemon, const char *name, actr_service_info *out)
{
    if (!name || !out)
        return actr_error_set(ACTR_EINVAL, "no service name or out parameter");
    actr_svcmgr_status *st = NULL;
    int rc = actr_svcmgr_find(daemon, actr_str_from(name), &st);
    if (rc == 0 && !st)
        rc = actr_error_set(ACTR_ENOTFOUND, "actor %s has no service called %s",
                            actr_portal_name(daemon), name);
    if (rc == 0)
        rc = info_of(st, out);
    if (st) {
        actr_svcmgr_status_free(st);
        free(st);
    }
    return rc;
}

int
actr_service_remote_cancel(actr_portal *daemon, const char *name)
{
    if (!name)
        return actr_error_set(ACTR_EINVAL, "no service name");
    return actr_svcmgr_cancel(daemon, actr_str_from(name));
}

int
actr_service_remote_list(actr_portal *daemon, actr_service_info **out, size_t *n)
{
    actr_svcmgr_status_list l = {0};
    int rc = actr_svcmgr_list(daemon, &l);
    if (rc < 0)
        return rc;
    size_t k = l.len;
    actr_service_info *v = calloc(k ? k : 1, sizeof *v);
    if (!v)
        rc = actr_error_set(ACTR_ENOMEM, "out of memory listing services");
    for (size_t i = 0; rc == 0 && i < k; i++)
        rc = info_of(&l.items[i], &v[i]);
    actr_codec_free(&actr_svcmgr_status_list_type, &l);
    if (rc < 0) {
        actr_service_infos_free(v, k);
        return rc;
    }
    *out = v;
    *n = k;
    return 0;
}

int
actr_service_connect(const char *daemon, const char *name, const actr_endpoint *ep,
                     const void *args, actr_portal **out)
{
    if (!daemon || !name || !out)
        return actr_error_set(ACTR_EINVAL, "actr_service_connect: no daemon, name or out");
    int rc = actr_find_actor(name, NULL, 0, out);
    if (rc != ACTR_ENOTFOUND)
        return rc;
    actr_portal *d;
    if ((rc = actr_find_actor(daemon, NULL, 0, &d)) < 0)
        return rc == ACTR_ENOTFOUND
             ? actr_error_set(rc, "neither service %s nor daemon %s is registered", name,
                              daemon)
             : rc;
    actr_log_info("service", "asking %s to start service %s", daemon, name);
    rc = actr_service_remote_start(d, name, ep, args, NULL, NULL);
    actr_portal_close(d);
    return rc < 0 ? rc : actr_wait_for_actor(name, NULL, 0, out);
}
