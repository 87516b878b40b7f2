/* Message helpers: cid access, owned copies, uid lists, and the
 * MsgTypeError answer to a refused message. */
#include <stdlib.h>
#include <string.h>

#include "wire/mp.h"
#include "wire/msg_table.h"

int
actr_msg_cid(const actr_msg *m, actr_str *cid)
{
    switch (m->type) {
    case ACTR_MSG_START:
        *cid = m->u.start.cid;
        return 1;
    case ACTR_MSG_STARTACK:
        *cid = m->u.startack.cid;
        return 1;
    case ACTR_MSG_STARTED:
    case ACTR_MSG_YIELD:
    case ACTR_MSG_RETURN:
        *cid = m->u.started.cid;   /* same layout for the three */
        return 1;
    case ACTR_MSG_STOP:
        *cid = m->u.stop.cid;
        return 1;
    case ACTR_MSG_CANCELACK:
        *cid = m->u.cancelack.cid;
        return 1;
    case ACTR_MSG_CREDIT:
        *cid = m->u.credit.cid;
        return 1;
    case ACTR_MSG_ERROR:
        if (!m->u.error.has_cid)
            return 0;
        *cid = m->u.error.cid;
        return 1;
    default:
        return 0;
    }
}

static int
read_uid(const uint8_t **pp, const uint8_t *end, actr_uid *u)
{
    struct mp_val v;
    int h = mp_head(*pp, end, &v);

    if (h < 0 || v.kind != MP_ARRAY || v.n != 2)
        return ACTR_EPROTO;
    *pp += h;
    for (int i = 0; i < 2; i++) {
        h = mp_head(*pp, end, &v);
        if (h < 0 || v.kind != MP_STR)
            return ACTR_EPROTO;
        actr_str *s = i == 0 ? &u->name : &u->uuid;
        s->ptr = (char *)v.v.data;
        s->len = v.n;
        *pp += h;
    }
    return 0;
}

int
actr_uidlist_get(const actr_uidlist *l, size_t i, actr_uid *out)
{
    if (i >= l->count)
        return ACTR_ERANGE;
    if (l->items) {
        *out = l->items[i];
        return 0;
    }
    const uint8_t *p = l->raw.ptr, *end = p + l->raw.len;
    struct mp_val v;
    actr_uid u;
    int h = p ? mp_head(p, end, &v) : -1;
    if (h < 0 || v.kind != MP_ARRAY || v.n < l->count)
        return ACTR_EPROTO;
    p += h;
    for (size_t k = 0; k < i; k++) {
        if (actri_mp_skip(&p, end) < 0)
            return ACTR_EPROTO;
    }
    if (read_uid(&p, end, &u) < 0)
        return ACTR_EPROTO;
    *out = u;
    return 0;
}

/* Walks the variable-size parts of a message: the copy step of dup when
 * blk is set, the sizing step when it is NULL (only *size grows). */
struct walk {
    char *blk;
    size_t size;
};

static void
walk_str(struct walk *w, actr_str *s, const char *dflt)
{
    const char *src = s->ptr ? s->ptr : dflt ? dflt : "";
    size_t n = s->ptr ? s->len : strlen(src);

    if (w->blk) {
        char *dst = w->blk + w->size;
        memcpy(dst, src, n);
        dst[n] = 0;
        s->ptr = dst;
        s->len = n;
    }
    w->size += n + 1;
}

static void
walk_any(struct walk *w, actr_any *a)
{
    if (w->blk && a->len) {
        uint8_t *dst = (uint8_t *)w->blk + w->size;
        memcpy(dst, a->ptr, a->len);
        a->ptr = dst;
    }
    if (!a->len)
        a->ptr = NULL;
    w->size += a->len;
}

static void
walk(struct walk *w, actr_msg *m)
{
    const struct mdesc *md = &actri_msg_desc[m->type];

    for (unsigned i = 0; i < md->nfields; i++) {
        const struct fdesc *f = &md->fields[i];
        switch ((enum fkind)f->kind) {
        case FK_STR_OPT:
            if (!*HAS(m, f))
                break;
            /* fall through */
        case FK_STR:
        case FK_STR_DEF:
            walk_str(w, FIELD(m, f, actr_str), f->dflt);
            break;
        case FK_UID_OPT:
            if (!*HAS(m, f))
                break;
            /* fall through */
        case FK_UID:
            walk_str(w, &FIELD(m, f, actr_uid)->name, NULL);
            walk_str(w, &FIELD(m, f, actr_uid)->uuid, NULL);
            break;
        case FK_UIDLIST:
            walk_any(w, &FIELD(m, f, actr_uidlist)->raw);
            break;
        case FK_ANY:
        case FK_MAP:
        case FK_MAP_STRKEY:
        case FK_MAP_STRSTR:
        case FK_ADDRS:
        case FK_ADDRS_OPT:
        case FK_MAP_OPT:
        case FK_PLDMSG_OPT:
        case FK_EXT:
            walk_any(w, FIELD(m, f, actr_any));
            break;
        default:
            break;
        }
    }
}

int
actr_msg_dup(const actr_msg *m, actr_msg *dst)
{
    if (!m || !dst || m->type <= ACTR_MSG_NONE || m->type >= ACTR_MSG_TYPE_COUNT)
        return ACTR_EINVAL;
    actr_msg copy = *m;
    actr_wbuf list = ACTR_WBUF_INIT;
    int rc = 0;

    copy.owned = NULL;
    /* A built uid list is turned into its encoded form first, so the copy
     * is one flat block like a decoded message. */
    if (m->type == ACTR_MSG_ERROR && m->u.error.relay_path.items) {
        const actr_uidlist *l = &m->u.error.relay_path;
        rc = mp_put_array(&list, l->count);
        for (size_t i = 0; rc == 0 && i < l->count; i++) {
            rc = mp_put_array(&list, 2);
            if (rc == 0)
                rc = mp_put_str(&list, l->items[i].name.ptr, l->items[i].name.len);
            if (rc == 0)
                rc = mp_put_str(&list, l->items[i].uuid.ptr, l->items[i].uuid.len);
        }
        if (rc < 0) {
            actr_wbuf_destroy(&list);
            return rc == ACTR_ENOMEM ? rc : ACTR_EINVAL;
        }
        copy.u.error.relay_path.raw.ptr = list.ptr;
        copy.u.error.relay_path.raw.len = list.len;
        copy.u.error.relay_path.items = NULL;
    }
    struct walk w = {NULL, 0};
    walk(&w, &copy);
    w.blk = malloc(w.size ? w.size : 1);
    if (!w.blk) {
        actr_wbuf_destroy(&list);
        return ACTR_ENOMEM;
    }
    w.size = 0;
    walk(&w, &copy);
    actr_wbuf_destroy(&list);
    copy.owned = w.blk;
    *dst = copy;
    return 0;
}

void
actr_msg_free(actr_msg *m)
{
    if (!m)
        return;
    free(m->owned);
    memset(m, 0, sizeof *m);
}

int
actr_msg_mte(actr_msg *out, const actr_uid *self, const actr_wire_err *err)
{
    static const char mte[] = "MsgTypeError";

    if (!out || !self || !err || err->fault != ACTR_WIRE_MSGTYPE)
        return ACTR_EINVAL;
    actr_msg m;
    memset(&m, 0, sizeof m);
    m.type = ACTR_MSG_ERROR;
    actr_msg_error *e = &m.u.error;
    e->src_uid = *self;
    e->src_type_str.ptr = (char *)mte;
    e->src_type_str.len = sizeof mte - 1;
    e->boxed_type_str = e->src_type_str;
    e->relay_path.items = self;
    e->relay_path.count = 1;
    e->has_message = true;
    e->message.ptr = (char *)err->what;
    const char *nul = memchr(err->what, 0, sizeof err->what);
    e->message.len = nul ? (size_t)(nul - err->what) : sizeof err->what;
    e->tb_str.ptr = (char *)"";
    e->has_cid = err->has_cid;
    e->cid = err->cid;
    e->bad_msg_as_dict = err->body;
    *out = m;
    return 0;
}
