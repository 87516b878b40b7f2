/* The service manager's remote API, served side (idl/actr_svcmgr.actor,
 * namespace "actr.service"): served by an actor while its manager is
 * open (actr_actor_serve). The manager is borrowed (actr_service_mngr_get):
 * its owner's close cancels the calls in flight on it and waits for them. */
#define _GNU_SOURCE
#include <actr/actr.h>
#include <actr/service.h>

#include <stdlib.h>
#include <string.h>

#include "actr_svcmgr.actor.h"
#include "hilevel/anyval.h"
#include "hilevel/svcmgr.h"

const actr_module *
hl_svcmgr_module(void)
{
    return &actr_svcmgr_module;
}

static int
dup_str(actr_str *out, const char *s)
{
    out->ptr = strdup(s ? s : "");
    out->len = out->ptr ? strlen(out->ptr) : 0;
    return out->ptr ? 0 : ACTR_ENOMEM;
}

/* A service as the wire describes it (owned strings: the runtime frees
 * the result with its descriptor). */
static int
status_of(const actr_service_info *i, actr_svcmgr_status *out)
{
    int rc = dup_str(&out->name, i->name) | dup_str(&out->kind, actr_service_kind_name(i->kind))
           | dup_str(&out->state, actr_sup_state_name(i->state)) | dup_str(&out->uid, i->uid);
    out->pid = i->pid;
    out->restarts = i->restarts;
    if (rc == 0)
        rc = hl_anyval_dup(&out->started, &i->started);
    return rc < 0 ? actr_error_set(ACTR_ENOMEM, "out of memory describing a service") : 0;
}

/* The manager, or a RuntimeError for the caller. */
static int
manager(actr_call *call, actr_service_mngr **m)
{
    if (actr_service_mngr_get(m) == 0)
        return 0;
    return actr_call_fail(call, "RuntimeError", "%s", actr_last_error()->message);
}

int
actr_svcmgr_start_impl(actr_call *call, actr_str name, actr_any kwargs, actr_svcmgr_status *out)
{
    actr_service_mngr *m;
    int rc = manager(call, &m);
    if (rc < 0)
        return rc;
    actr_service_info i = {0};
    rc = hl_svcmgr_start_defined(m, name.ptr, &kwargs, &i);
    if (rc == ACTR_ENOTFOUND)
        rc = actr_call_fail(call, "KeyError", "%s", actr_last_error()->message);
    actr_call_own_result(call);
    if (rc == 0)
        rc = status_of(&i, out);
    actr_service_info_clear(&i);
    return rc;
}

int
actr_svcmgr_find_impl(actr_call *call, actr_str name, actr_svcmgr_status **out)
{
    actr_service_mngr *m;
    int rc = manager(call, &m);
    if (rc < 0)
        return rc;
    actr_call_own_result(call);
    actr_service_info i = {0};
    if (actr_service_find(m, name.ptr, &i) == 0) {
        if (!(*out = calloc(1, sizeof **out)))
            rc = actr_error_set(ACTR_ENOMEM, "out of memory describing a service");
        else
            rc = status_of(&i, *out);
    }
    actr_service_info_clear(&i);
    return rc;
}

int
actr_svcmgr_cancel_impl(actr_call *call, actr_str name)
{
    actr_service_mngr *m;
    int rc = manager(call, &m);
    if (rc < 0)
        return rc;
    rc = actr_service_cancel(m, name.ptr);
    if (rc == ACTR_EINVAL)
        rc = actr_service_cancel_task(m, name.ptr);
    if (rc == ACTR_ENOTFOUND)
        rc = actr_call_fail(call, "KeyError", "%s", actr_last_error()->message);
    return rc;
}

int
actr_svcmgr_list_impl(actr_call *call, actr_svcmgr_status_list *out)
{
    actr_service_mngr *m;
    int rc = manager(call, &m);
    if (rc < 0)
        return rc;
    actr_call_own_result(call);
    actr_service_info *v = NULL;
    size_t n = 0;
    if ((rc = actr_service_list(m, &v, &n)) == 0 &&
        !(out->items = calloc(n ? n : 1, sizeof *out->items)))
        rc = actr_error_set(ACTR_ENOMEM, "out of memory listing services");
    for (size_t i = 0; rc == 0 && i < n; i++, out->len++)
        rc = status_of(&v[i], &out->items[i]);
    actr_service_infos_free(v, n);
    return rc;
}
