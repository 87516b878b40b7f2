/* Remote errors on the wire: boxing a failure into an Error message (the
 * 11 fields of tractor's Error, as in the captures) and mapping the
 * exception names to ACTR_E* codes (DESIGN.md Decisions). */
#define _GNU_SOURCE
#include "actor/actor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    int code;
} names[] = {
    {"ContextCancelled", ACTR_ECTXCANCEL},
    {"StreamOverrun", ACTR_EOVERRUN},
    {"MsgTypeError", ACTR_ETYPE},
    {"ModuleNotExposed", ACTR_ENOTFOUND},
    {"AttributeError", ACTR_ENOTFOUND},
};

int
actri_error_code_of(const char *boxed, const char *src)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(boxed, names[i].name) == 0)
            return names[i].code;
    /* A relayed error keeps its source type: a relayed overrun is still
     * an overrun for whoever reads it. */
    if (strcmp(boxed, "RemoteActorError") == 0)
        for (size_t i = 0; i < 3; i++)
            if (strcmp(src, names[i].name) == 0)
                return names[i].code;
    return ACTR_EREMOTE;
}

char *
actri_uid_text(const char *name, const char *uuid)
{
    char *s = NULL;
    if (asprintf(&s, "%s.%s", name, uuid) < 0)
        return NULL;
    return s;
}

static actr_str
str_of(const char *s)
{
    actr_str r = {(char *)(s ? s : ""), s ? strlen(s) : 0};
    return r;
}

int
actri_send_error(struct link *l, const char *cid, const struct errbox *b, int nowait)
{
    actr_actor *a = l->a;
    actr_msg m = {.type = ACTR_MSG_ERROR};
    actr_msg_error *e = &m.u.error;
    actr_uid self = actri_self_uid(a);
    actr_uid path[2];
    size_t npath = 0;
    if (b->src_name && b->src_uuid && strcmp(b->src_uuid, a->uid.uuid) != 0) {
        e->src_uid.name = str_of(b->src_name);
        e->src_uid.uuid = str_of(b->src_uuid);
        path[npath++] = e->src_uid;
    } else {
        e->src_uid = self;
    }
    path[npath++] = self;
    e->src_type_str = str_of(b->src_type ? b->src_type : b->boxed_type);
    e->boxed_type_str = str_of(b->boxed_type);
    e->relay_path.items = path;
    e->relay_path.count = npath;
    e->has_message = 1;
    e->message = str_of(b->message);
    e->tb_str = str_of(b->tb);
    if (b->canceller && b->canceller->name) {
        e->has_canceller = 1;
        e->canceller = actri_uid_wire(b->canceller);
    }
    if (b->sender && b->sender->name) {
        e->has_sender = 1;
        e->sender = actri_uid_wire(b->sender);
    }
    if (cid) {
        e->has_cid = 1;
        e->cid = str_of(cid);
    }
    actr_log_runtime(ACTOR_TAG, "Error %s to %s for cid %s: %s", b->boxed_type, l->peer.name,
                     cid ? cid : "-", b->message ? b->message : "");
    return actri_link_send(l, &m, nowait);
}
