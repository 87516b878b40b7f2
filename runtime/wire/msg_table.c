/* The message descriptors (tractor 3690e43a, tractor/msg/types.py) and the
 * shape checks of the fields kept as raw msgpack. */
#include <stdio.h>
#include <string.h>

#include "wire/mp.h"
#include "wire/msg_table.h"

#define F(n, k, member) \
    {n, sizeof(n) - 1, k, offsetof(actr_msg, member), 0, NULL}
#define FO(n, k, member, has) \
    {n, sizeof(n) - 1, k, offsetof(actr_msg, member), offsetof(actr_msg, has), NULL}
#define FD(n, k, member, d) \
    {n, sizeof(n) - 1, k, offsetof(actr_msg, member), 0, d}

static const struct fdesc aid_f[] = {
    F("name", FK_STR, u.aid.name),
    F("uuid", FK_STR, u.aid.uuid),
    FO("pid", FK_INT_OPT, u.aid.pid, u.aid.has_pid),
    FO("is_registrar", FK_BOOL_OPT, u.aid.is_registrar, u.aid.has_is_registrar),
    F("is_probe", FK_BOOL_DEF, u.aid.is_probe),
    FO("_actr", FK_U32_EXT, u.aid.actr, u.aid.has_actr),
    F("_actr_auth", FK_EXT, u.aid.auth),
    F("_actr_kx", FK_EXT, u.aid.kx),
    FO("_actr_keepalive", FK_U32_EXT, u.aid.keepalive, u.aid.has_keepalive),
};

static const struct fdesc spawnspec_f[] = {
    F("_parent_main_data", FK_MAP, u.spawnspec.parent_main_data),
    F("_runtime_vars", FK_MAP_STRKEY, u.spawnspec.runtime_vars),
    F("enable_modules", FK_MAP_STRSTR, u.spawnspec.enable_modules),
    F("reg_addrs", FK_ADDRS, u.spawnspec.reg_addrs),
    F("bind_addrs", FK_ADDRS_OPT, u.spawnspec.bind_addrs),
};

static const struct fdesc start_f[] = {
    F("cid", FK_STR, u.start.cid),
    F("ns", FK_STR, u.start.ns),
    F("func", FK_STR, u.start.func),
    F("kwargs", FK_MAP_STRKEY, u.start.kwargs),
    F("uid", FK_UID, u.start.uid),
    FD("pld_spec", FK_STR_DEF, u.start.pld_spec, "typing.Any"),
    FO("_actr_window", FK_U32_EXT, u.start.window, u.start.has_window),
};

static const struct fdesc startack_f[] = {
    F("cid", FK_STR, u.startack.cid),
    F("functype", FK_FUNCTYPE, u.startack.functype),
    FO("_actr_window", FK_U32_EXT, u.startack.window, u.startack.has_window),
};

/* Started, Yield and Return share the actr_msg_pld layout, so one table
 * (through the started member) serves all three. */
static const struct fdesc pld_f[] = {
    F("cid", FK_STR, u.started.cid),
    F("pld", FK_ANY, u.started.pld),
};

/* Started alone carries actr's flow-control field. */
static const struct fdesc started_f[] = {
    F("cid", FK_STR, u.started.cid),
    F("pld", FK_ANY, u.started.pld),
    FO("_actr_window", FK_U32_EXT, u.started.window, u.started.has_window),
};

static const struct fdesc credit_f[] = {
    F("cid", FK_STR, u.credit.cid),
    F("grant", FK_U32, u.credit.grant),
};

static const struct fdesc auth_f[] = {
    F("nonce", FK_ANY, u.auth.nonce),
    F("proof", FK_ANY, u.auth.proof),
    F("kx", FK_EXT, u.auth.kx),
};

static const struct fdesc ping_f[] = {
    F("interval", FK_U32, u.ping.interval),
};

static const struct fdesc stop_f[] = {
    F("cid", FK_STR, u.stop.cid),
};

static const struct fdesc cancelack_f[] = {
    F("cid", FK_STR, u.cancelack.cid),
    F("pld", FK_BOOL, u.cancelack.pld),
};

static const struct fdesc error_f[] = {
    F("src_uid", FK_UID, u.error.src_uid),
    F("src_type_str", FK_STR, u.error.src_type_str),
    F("boxed_type_str", FK_STR, u.error.boxed_type_str),
    F("relay_path", FK_UIDLIST, u.error.relay_path),
    FO("message", FK_STR_OPT, u.error.message, u.error.has_message),
    FD("tb_str", FK_STR_DEF, u.error.tb_str, ""),
    FO("canceller", FK_UID_OPT, u.error.canceller, u.error.has_canceller),
    FO("sender", FK_UID_OPT, u.error.sender, u.error.has_sender),
    FO("cid", FK_STR_OPT, u.error.cid, u.error.has_cid),
    F("_bad_msg", FK_PLDMSG_OPT, u.error.bad_msg),
    F("_bad_msg_as_dict", FK_MAP_OPT, u.error.bad_msg_as_dict),
    F("_actr_group", FK_EXT, u.error.actr_group),
};

#define N(a) (uint8_t)(sizeof(a) / sizeof(a[0]))
#define M(n, f, member) \
    {n, sizeof(n) - 1, N(f), \
     offsetof(actr_msg, u.member) + sizeof(((actr_msg *)0)->u.member), f}

const struct mdesc actri_msg_desc[ACTR_MSG_TYPE_COUNT] = {
    [ACTR_MSG_NONE] = {"", 0, 0, 0, NULL},
    [ACTR_MSG_AID] = M("Aid", aid_f, aid),
    [ACTR_MSG_SPAWNSPEC] = M("SpawnSpec", spawnspec_f, spawnspec),
    [ACTR_MSG_START] = M("Start", start_f, start),
    [ACTR_MSG_STARTACK] = M("StartAck", startack_f, startack),
    [ACTR_MSG_STARTED] = M("Started", started_f, started),
    [ACTR_MSG_YIELD] = M("Yield", pld_f, yield),
    [ACTR_MSG_STOP] = M("Stop", stop_f, stop),
    [ACTR_MSG_RETURN] = M("Return", pld_f, ret),
    [ACTR_MSG_CANCELACK] = M("CancelAck", cancelack_f, cancelack),
    [ACTR_MSG_ERROR] = M("Error", error_f, error),
    [ACTR_MSG_CREDIT] = M("ActrCredit", credit_f, credit),
    [ACTR_MSG_AUTH] = M("ActrAuth", auth_f, auth),
    [ACTR_MSG_PING] = M("ActrPing", ping_f, ping),
};

actr_msg_type
actri_msg_type_lookup(const uint8_t *s, size_t n)
{
    for (int t = ACTR_MSG_AID; t < ACTR_MSG_TYPE_COUNT; t++) {
        const struct mdesc *d = &actri_msg_desc[t];
        if (actri_name_eq(d->name, d->namelen, s, n))
            return (actr_msg_type)t;
    }
    return ACTR_MSG_NONE;
}

const char *
actr_msg_type_name(actr_msg_type type)
{
    if (type <= ACTR_MSG_NONE || type >= ACTR_MSG_TYPE_COUNT)
        return NULL;
    return actri_msg_desc[type].name;
}

const char *
actr_functype_name(actr_functype ft)
{
    switch (ft) {
    case ACTR_FUNCTYPE_ASYNCFUNC:
        return "asyncfunc";
    case ACTR_FUNCTYPE_ASYNCGEN:
        return "asyncgen";
    case ACTR_FUNCTYPE_CONTEXT:
        return "context";
    }
    return NULL;
}

/* Reads a str head at *pp; 0 and the string, ACTR_ETYPE (not a str, *got
 * set) or ACTR_EPROTO (truncated or bad UTF-8). */
static int
read_str(const uint8_t **pp, const uint8_t *end, struct mp_val *v)
{
    int n = mp_head(*pp, end, v);
    if (n < 0)
        return ACTR_EPROTO;
    if (v->kind != MP_STR)
        return ACTR_ETYPE;
    if (!actri_utf8_valid(v->v.data, v->n))
        return ACTR_EPROTO;
    *pp += n;
    return 0;
}

/* One [str, int|str] address. */
static int
check_addr(const uint8_t **pp, const uint8_t *end, char *what, size_t wl,
           size_t idx)
{
    struct mp_val v;
    int n = mp_head(*pp, end, &v);
    if (n < 0)
        return ACTR_EPROTO;
    if (v.kind != MP_ARRAY || v.n != 2) {
        snprintf(what, wl, "[%zu]: expected [str, int|str], got %s",
                 idx, actri_mp_kind_name(v.kind));
        return ACTR_ETYPE;
    }
    *pp += n;
    int rc = read_str(pp, end, &v);
    if (rc == ACTR_ETYPE)
        snprintf(what, wl, "[%zu][0]: expected str, got %s", idx,
                 actri_mp_kind_name(v.kind));
    if (rc < 0)
        return rc;
    n = mp_head(*pp, end, &v);
    if (n < 0)
        return ACTR_EPROTO;
    if (v.kind == MP_STR && !actri_utf8_valid(v.v.data, v.n))
        return ACTR_EPROTO;
    if (v.kind != MP_INT && v.kind != MP_STR) {
        snprintf(what, wl, "[%zu][1]: expected int|str, got %s", idx,
                 actri_mp_kind_name(v.kind));
        return ACTR_ETYPE;
    }
    *pp += n;
    return 0;
}

int
actri_msg_check_raw(enum fkind k, const uint8_t *raw, size_t len,
                    char *what, size_t wl)
{
    const uint8_t *p = raw, *end = raw + len;
    struct mp_val v;
    int rc;

    what[0] = 0;
    int n = mp_head(p, end, &v);
    if (n < 0)
        return ACTR_EPROTO;
    if ((k == FK_ADDRS_OPT || k == FK_MAP_OPT || k == FK_PLDMSG_OPT) &&
        v.kind == MP_NIL)
        return n == (int)len ? 0 : ACTR_EPROTO;
    switch (k) {
    case FK_ANY:
    case FK_EXT:
        rc = actri_mp_skip(&p, end);
        if (rc < 0 || p != end)
            return ACTR_EPROTO;
        return 0;
    case FK_MAP:
    case FK_MAP_OPT:
    case FK_PLDMSG_OPT:
    case FK_MAP_STRKEY:
    case FK_MAP_STRSTR:
        if (v.kind != MP_MAP) {
            snprintf(what, wl, ": expected map, got %s",
                     actri_mp_kind_name(v.kind));
            /* Still report malformed input as such. */
            if (actri_mp_skip(&p, end) < 0 || p != end)
                return ACTR_EPROTO;
            return ACTR_ETYPE;
        }
        if (k == FK_MAP || k == FK_MAP_OPT || k == FK_PLDMSG_OPT) {
            if (actri_mp_skip(&p, end) < 0 || p != end)
                return ACTR_EPROTO;
            return 0;
        }
        p += n;
        rc = 0;
        for (uint32_t i = 0; i < v.n; i++) {
            struct mp_val kv;
            int r = read_str(&p, end, &kv);
            if (r == ACTR_EPROTO)
                return r;
            if (r == ACTR_ETYPE) {
                if (rc == 0)
                    snprintf(what, wl, ": expected str keys, got %s",
                             actri_mp_kind_name(kv.kind));
                rc = r;
                if (actri_mp_skip(&p, end) < 0)
                    return ACTR_EPROTO;
            }
            if (k == FK_MAP_STRSTR) {
                struct mp_val vv;
                r = read_str(&p, end, &vv);
                if (r == ACTR_EPROTO)
                    return r;
                if (r == ACTR_ETYPE) {
                    if (rc == 0)
                        snprintf(what, wl, ": expected str values, got %s",
                                 actri_mp_kind_name(vv.kind));
                    rc = r;
                    if (actri_mp_skip(&p, end) < 0)
                        return ACTR_EPROTO;
                }
            } else if (actri_mp_skip(&p, end) < 0) {
                return ACTR_EPROTO;
            }
        }
        return p != end ? ACTR_EPROTO : rc;
    case FK_ADDRS:
    case FK_ADDRS_OPT:
        if (v.kind != MP_ARRAY) {
            snprintf(what, wl, ": expected array, got %s",
                     actri_mp_kind_name(v.kind));
            if (actri_mp_skip(&p, end) < 0 || p != end)
                return ACTR_EPROTO;
            return ACTR_ETYPE;
        }
        p += n;
        rc = 0;
        for (uint32_t i = 0; i < v.n; i++) {
            const uint8_t *q = p;
            char scratch[8];
            /* Only the first type error names itself in what. */
            int r = check_addr(&p, end, rc == 0 ? what : scratch,
                               rc == 0 ? wl : sizeof scratch, i);
            if (r == ACTR_EPROTO)
                return r;
            if (r == ACTR_ETYPE) {
                rc = r;
                p = q;
                if (actri_mp_skip(&p, end) < 0)
                    return ACTR_EPROTO;
            }
        }
        return p != end ? ACTR_EPROTO : rc;
    default:
        return ACTR_EINVAL;
    }
}
