/* Who cancelled what (S11-S13, S24): the cancel log line every cancel
 * step writes, and the callee's view of its own cancellation
 * (actr_call_cancel, actr_call_canceller). The cancel requests themselves
 * are served in invoke.c (`self` namespace), sent in dialog.c
 * (_cancel_task) and portal.c (cancel_actor). */
#define _GNU_SOURCE
#include "actor/actor.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
actri_cancel_log(const actr_actor *a, const char *cid, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    actr_log_write(ACTR_LOG_CANCEL, CANCEL_TAG, "actor %s.%s task %s cid %s: %s",
                   a ? a->uid.name : "-", a ? a->uid.uuid : "-", actr_task_name(),
                   cid && *cid ? cid : "-", msg);
}

int
actri_uid_is_self(const actr_actor *a, const actr_str *uuid)
{
    size_t n = strlen(a->uid.uuid);
    return uuid->len == n && memcmp(uuid->ptr, a->uid.uuid, n) == 0;
}

int
actr_call_cancel(actr_call *call)
{
    struct actr_ctx *c = call ? call->c : NULL;
    if (!c || !c->scope)
        return actr_error_set(ACTR_ESTATE, "the call has ended: nothing to cancel");
    actr_actor *a = c->link->a;
    if (!c->canceller.name &&
        actri_uid_set(&c->canceller, a->uid.name, strlen(a->uid.name), a->uid.uuid,
                      strlen(a->uid.uuid)) < 0)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    c->self_cancel = 1;
    CANCEL_LOG(a, c->cid, "%s cancels itself", c->wire_name);
    actr_scope_cancel(c->scope);
    return 0;
}

int
actr_call_cancel_called(const actr_call *call)
{
    return call && call->c && call->c->canceller.name != NULL;
}

const char *
actr_call_canceller(const actr_call *call)
{
    struct actr_ctx *c = call ? call->c : NULL;
    if (!c || !c->canceller.name)
        return NULL;
    if (!c->canceller_text)
        c->canceller_text = actri_uid_text(c->canceller.name, c->canceller.uuid);
    return c->canceller_text;
}
