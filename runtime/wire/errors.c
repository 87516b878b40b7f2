/* The wire's error vocabulary (wire/errors.h): exception names and
 * codes, received Errors -> error detail, failures -> Error messages. */
#define _GNU_SOURCE
#include "wire/errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <actr/err.h>

#include "core/sched.h"
#include "wire/mp.h"

#define UUID_TEXT 36

static const struct {
    const char *name;
    int code;
} names[] = {
    {"ContextCancelled", ACTR_ECTXCANCEL},
    {"StreamOverrun", ACTR_EOVERRUN},
    {"MsgTypeError", ACTR_ETYPE},
    {"ModuleNotExposed", ACTR_ENOTFOUND},
    {"AttributeError", ACTR_ENOTFOUND},
    {"Lagged", ACTR_ELAGGED},         /* tractor.trionics.Lagged */
};

static int
str_is(const actr_str *s, const char *z)
{
    size_t n = strlen(z);
    return s->len == n && (n == 0 || memcmp(s->ptr, z, n) == 0);
}

static int
code_of_name(const actr_str *s)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (str_is(s, names[i].name))
            return names[i].code;
    return 0;
}

int
actri_wire_error_code(const actr_str *boxed, const actr_str *src)
{
    int code = code_of_name(boxed);
    /* A relayed error keeps its source's meaning: a relayed overrun is
     * still an overrun, a relayed ModuleNotExposed still "not found". */
    if (!code && str_is(boxed, "RemoteActorError"))
        code = code_of_name(src);
    return code ? code : ACTR_EREMOTE;
}

const char *
actri_wire_error_name(int code)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == code)
            return names[i].name;
    return NULL;
}

actr_uid
actri_uid_of_text(const char *t)
{
    actr_uid u = {{(char *)"", 0}, {(char *)"", 0}};
    size_t n = t ? strlen(t) : 0;
    if (n > UUID_TEXT && t[n - UUID_TEXT - 1] == '.') {
        u.name.ptr = (char *)t;
        u.name.len = n - UUID_TEXT - 1;
        u.uuid.ptr = (char *)t + n - UUID_TEXT;
        u.uuid.len = UUID_TEXT;
    } else if (n) {
        u.name.ptr = (char *)t;
        u.name.len = n;
    }
    return u;
}

/* ------------------------------------------------------------ raising */

static char *
dup_str(const actr_str *s)
{
    return strndup(s->ptr ? s->ptr : "", s->len);
}

static char *
uid_text(const actr_uid *u)
{
    char *s = NULL;
    if (asprintf(&s, "%.*s.%.*s", (int)u->name.len, u->name.ptr ? u->name.ptr : "",
                 (int)u->uuid.len, u->uuid.ptr ? u->uuid.ptr : "") < 0)
        return NULL;
    return s;
}

/* The text of an ordinary exception: tractor sends message "" and puts
 * "Type: text" at the end of tb_str. */
static char *
message_of(const actr_msg_error *e)
{
    if (e->has_message && e->message.len > 0)
        return dup_str(&e->message);
    const actr_str *tb = &e->tb_str;
    size_t end = tb->len;
    while (end > 0 && (tb->ptr[end - 1] == '\n' || tb->ptr[end - 1] == ' '))
        end--;
    size_t start = end;
    while (start > 0 && tb->ptr[start - 1] != '\n')
        start--;
    const char *line = tb->ptr ? tb->ptr + start : "";
    size_t len = end - start;
    const actr_str *type = &e->src_type_str;
    if (type->len > 0 && len > type->len + 2 && memcmp(line, type->ptr, type->len) == 0 &&
        line[type->len] == ':' && line[type->len + 1] == ' ') {
        line += type->len + 2;
        len -= type->len + 2;
    }
    if (len == 0)
        return type->len ? dup_str(type) : strdup("remote error");
    return strndup(line, len);
}

/* The detail of one Error, strings owned by d (free with free_detail). */
static int
detail_of(const actr_msg_error *e, const char *task_name, actr_error *d)
{
    memset(d, 0, sizeof *d);
    d->code = actri_wire_error_code(&e->boxed_type_str, &e->src_type_str);
    int fail = 0;
    char *msg = message_of(e);
    char *src_type = e->src_type_str.len ? dup_str(&e->src_type_str)
                                         : dup_str(&e->boxed_type_str);
    char *boxed = dup_str(&e->boxed_type_str);
    char *tb = dup_str(&e->tb_str);
    char *src = uid_text(&e->src_uid);
    char *canc = e->has_canceller ? uid_text(&e->canceller) : NULL;
    char *sender = e->has_sender ? uid_text(&e->sender) : NULL;
    fail = !msg || !src_type || !boxed || !tb || !src || (e->has_canceller && !canc) ||
           (e->has_sender && !sender);
    size_t n = e->relay_path.count;
    char **path = n ? calloc(n, sizeof *path) : NULL;
    if (n && !path)
        fail = 1;
    for (size_t i = 0; path && i < n; i++) {
        actr_uid u;
        if (actr_uidlist_get(&e->relay_path, i, &u) < 0 || !(path[i] = uid_text(&u)))
            fail = 1;
    }
    d->message = msg;
    d->type_name = src_type;
    d->boxed_type = boxed;
    d->traceback = tb;
    d->src_uid = src;
    d->canceller_uid = canc;
    d->sender_uid = sender;
    d->task_name = task_name ? strdup(task_name) : NULL;
    d->relay_path = (const char *const *)path;
    d->relay_count = path ? n : 0;
    return fail ? ACTR_ENOMEM : 0;
}

/* The members of an error group, decoded into v (up to cap). Returns how
 * many, 0 when e is no group (or its members cannot be read). */
static size_t
group_members(const actr_msg_error *e, const char *task_name, actr_error *v, size_t cap)
{
    const uint8_t *p = e->actr_group.ptr, *end = p + e->actr_group.len;
    struct mp_val h;
    int n = e->actr_group.len ? mp_head(p, end, &h) : -1;
    if (n < 0 || h.kind != MP_ARRAY || h.n == 0)
        return 0;
    p += n;
    size_t got = 0;
    for (uint32_t i = 0; i < h.n && got < cap; i++) {
        const uint8_t *start = p;
        if (actri_mp_skip(&p, end) < 0)
            break;
        actr_msg m;
        if (actr_msg_decode(start, (size_t)(p - start), &m, NULL) < 0 ||
            m.type != ACTR_MSG_ERROR)
            continue;                   /* a member we cannot read: skipped */
        if (detail_of(&m.u.error, task_name, &v[got]) < 0) {
            actri_error_free_fields(&v[got]);
            continue;
        }
        got++;
    }
    return got;
}

/* An error group of more members than this is cut (the rest is counted
 * in the last member's place: its tb_str still lists them all). */
#define GROUP_MAX 1024

int
actri_wire_error_raise(const actr_msg_error *e, const char *task_name)
{
    if (e->actr_group.len > 0) {
        actr_error *v = calloc(GROUP_MAX, sizeof *v);
        size_t n = v ? group_members(e, task_name, v, GROUP_MAX) : 0;
        if (n > 0) {
            int code = actr_error_set_list(v, n);
            for (size_t i = 0; i < n; i++)
                actri_error_free_fields(&v[i]);
            free(v);
            return code;
        }
        free(v);
    }
    actr_error d;
    int rc = detail_of(e, task_name, &d);
    int code = d.code;
    if (rc == 0)
        actr_error_set_detail(&d);
    else
        actr_error_set(code, "remote %.*s (out of memory for its detail)",
                       (int)e->src_type_str.len, e->src_type_str.ptr);
    actri_error_free_fields(&d);
    return code;
}

/* ------------------------------------------------------------ boxing */

void
actri_errbox_of(actri_errbox *out, const actr_error *e, const char *self_uuid)
{
    memset(out, 0, sizeof *out);
    actr_uid src = actri_uid_of_text(e->src_uid);
    int remote = e->src_uid && src.uuid.len > 0 &&
                 !(self_uuid && strlen(self_uuid) == src.uuid.len &&
                   memcmp(self_uuid, src.uuid.ptr, src.uuid.len) == 0);
    const char *type = e->type_name && *e->type_name ? e->type_name : NULL;
    if (!remote) {
        out->boxed_type = type ? type : "RemoteActorError";
        out->src_type = out->boxed_type;
        out->message = "";
    } else {
        type = type ? type : e->boxed_type ? e->boxed_type : "RemoteActorError";
        out->src_type = type;
        out->boxed_type = strcmp(type, "ContextCancelled") == 0 ? type : "RemoteActorError";
        out->src_uid = e->src_uid;
        out->relay_count = e->relay_count;
        out->relay_path = e->relay_path;
        /* An ordinary error travels with message "" (tractor's form: its
         * text ends the traceback). A StreamOverrun or ContextCancelled
         * keeps its source's report (it names the sender or canceller),
         * or says what tractor's relay says (PROTOCOL.md section 7). */
        out->message = "";
        if (strcmp(type, "StreamOverrun") == 0 || strcmp(type, "ContextCancelled") == 0)
            out->message = e->message && *e->message ? e->message
                         : strcmp(type, "StreamOverrun") == 0
                         ? "remote task raised a 'StreamOverrun'" : "";
    }
    out->canceller = e->canceller_uid;
    out->sender = e->sender_uid;
}

/* Fills the fields of m (an Error) from b, with its relay path in *path
 * (n + 1 items, malloc'd). */
static int
fill(actr_msg_error *m, const actr_uid *self, const actri_errbox *b, actr_uid **path)
{
    memset(m, 0, sizeof *m);
    int own = !b->src_uid;
    m->src_uid = own ? *self : actri_uid_of_text(b->src_uid);
    size_t n = b->relay_count;
    actr_uid *v = malloc((n + 2) * sizeof *v);     /* + source, + self */
    if (!v)
        return ACTR_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        v[k++] = actri_uid_of_text(b->relay_path[i]);
    if (k == 0 && !own)
        v[k++] = m->src_uid;              /* a path that lost its source */
    v[k++] = *self;
    *path = v;
    m->relay_path.items = v;
    m->relay_path.count = k;
    m->src_type_str.ptr = (char *)(b->src_type ? b->src_type : b->boxed_type);
    m->src_type_str.len = strlen(m->src_type_str.ptr);
    m->boxed_type_str.ptr = (char *)b->boxed_type;
    m->boxed_type_str.len = strlen(b->boxed_type);
    if (b->message) {
        m->has_message = 1;
        m->message.ptr = (char *)b->message;
        m->message.len = strlen(b->message);
    }
    m->tb_str.ptr = (char *)(b->tb ? b->tb : "");
    m->tb_str.len = strlen(m->tb_str.ptr);
    if (b->canceller) {
        m->has_canceller = 1;
        m->canceller = actri_uid_of_text(b->canceller);
    }
    if (b->sender) {
        m->has_sender = 1;
        m->sender = actri_uid_of_text(b->sender);
    }
    return 0;
}

/* Appends text to a growable string; 0 or ACTR_ENOMEM. */
static int
cat(actr_wbuf *w, const char *fmt, ...) ACTR_PRINTF(2, 3);

static int
cat(actr_wbuf *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || mp_room(w, (size_t)n + 1) < 0)
        return ACTR_ENOMEM;
    va_start(ap, fmt);
    vsnprintf((char *)w->ptr + w->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    w->len += (size_t)n;
    return 0;
}

/* The group's tb_str: every member's traceback, framed as Python prints
 * an exception group, so a tractor peer shows them all. */
static int
group_text(actr_wbuf *w, const actri_errbox *members, size_t n)
{
    int rc = cat(w, "  | ExceptionGroup: %zu errors (%zu sub-exceptions)\n", n, n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const actri_errbox *b = &members[i];
        rc = cat(w, "%s---------------- %zu ----------------\n", i ? "    +" : "  +-+", i + 1);
        if (rc == 0 && b->src_uid)
            rc = cat(w, "    | (from actor %s)\n", b->src_uid);
        const char *t = b->tb && *b->tb ? b->tb : b->message ? b->message : "";
        while (rc == 0 && *t) {
            const char *nl = strchr(t, '\n');
            size_t len = nl ? (size_t)(nl - t) : strlen(t);
            rc = cat(w, "    | %.*s\n", (int)len, t);
            t += len + (nl != NULL);
        }
        if (rc == 0 && !(b->tb && *b->tb))
            rc = cat(w, "    | %s\n", b->src_type ? b->src_type : b->boxed_type);
    }
    if (rc == 0)
        rc = cat(w, "    +------------------------------------\n");
    return rc;
}

int
actri_errmsg_build(actri_errmsg *out, const actr_uid *self, const char *cid,
                   const actri_errbox *b, const actri_errbox *members, size_t n)
{
    memset(out, 0, sizeof *out);
    out->msg.type = ACTR_MSG_ERROR;
    actr_msg_error *e = &out->msg.u.error;
    int rc;
    if (n > 1) {
        actr_wbuf text = ACTR_WBUF_INIT;
        actr_wbuf list = ACTR_WBUF_INIT;
        snprintf(out->note, sizeof out->note, "%zu errors", n);
        actri_errbox top = {.boxed_type = "ExceptionGroup", .message = out->note};
        rc = group_text(&text, members, n);
        if (rc == 0)
            rc = mp_put_array(&list, n) < 0 ? ACTR_ENOMEM : 0;
        for (size_t i = 0; rc == 0 && i < n; i++) {
            actri_errmsg one;
            rc = actri_errmsg_build(&one, self, NULL, &members[i], NULL, 0);
            size_t at = list.len;
            if (rc == 0 && (rc = actr_msg_encode(&one.msg, &list)) >= 0) {
                /* Members are bare maps: drop the length prefix. */
                memmove(list.ptr + at, list.ptr + at + 4, list.len - at - 4);
                list.len -= 4;
                rc = 0;
            }
            actri_errmsg_free(&one);
        }
        /* The group's text and its encoded members live in out->group:
         * text first (NUL-terminated), then the members. */
        if (rc == 0 && (rc = mp_room(&out->group, text.len + 1 + list.len) < 0 ? ACTR_ENOMEM : 0) == 0) {
            memcpy(out->group.ptr, text.ptr, text.len);
            out->group.ptr[text.len] = 0;
            memcpy(out->group.ptr + text.len + 1, list.ptr, list.len);
            out->group.len = text.len + 1 + list.len;
            top.tb = (const char *)out->group.ptr;
            rc = fill(e, self, &top, &out->path);
            e->actr_group.ptr = out->group.ptr + text.len + 1;
            e->actr_group.len = list.len;
        }
        actr_wbuf_destroy(&text);
        actr_wbuf_destroy(&list);
    } else {
        rc = fill(e, self, n == 1 ? members : b, &out->path);
    }
    if (rc == 0 && cid) {
        e->has_cid = 1;
        e->cid.ptr = (char *)cid;
        e->cid.len = strlen(cid);
    }
    return rc;
}

void
actri_errmsg_free(actri_errmsg *m)
{
    free(m->path);
    actr_wbuf_destroy(&m->group);
    memset(m, 0, sizeof *m);
}
