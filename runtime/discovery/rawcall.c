/* Registry calls on fresh channels and the liveness probe. The registrar
 * calls of tractor are plain Start / StartAck / Return dialogs on a new
 * connection each (tractor-protocol.md section 6, Observed 3); doing them
 * at the channel level needs no message loop, so they also work while
 * the actor is being torn down (unregistration at exit). */
#define _GNU_SOURCE
#include "discovery/disc.h"
#include "actor/actor.h"
#include "wire/errors.h"
#include "wire/uuid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static actr_str
zstr(const char *s)
{
    actr_str r = {(char *)s, s ? strlen(s) : 0};
    return r;
}

int
disc_connect(const actr_addr *addr, int probe, actr_ipc **out, int64_t deadline)
{
    actr_actor *a = actr_self();
    if (!a)
        return actr_error_set(ACTR_ESTATE, "not in an actor");
    actr_ipc *ipc;
    actr_ipc_opts io;
    actri_actor_ipc_opts(a, &io);
    int rc = actr_ipc_connect(addr, &io, &ipc, deadline);
    if (rc < 0)
        return rc;
    actr_msg_aid aid = {zstr(actr_actor_name(a)), zstr(actr_actor_uuid(a)), true, getpid(),
                        true, actr_actor_is_registrar(a) != 0, probe != 0, false, 0,
                        {NULL, 0}, {NULL, 0}, false, 0};
    actr_aid_announce(&aid);
    if ((rc = actr_ipc_handshake(ipc, &aid, deadline)) < 0) {
        actr_ipc_close(ipc, 0);
        return rc;
    }
    *out = ipc;
    return 0;
}

static int
str_is(const actr_str *s, const char *z)
{
    size_t n = strlen(z);
    return s->len == n && memcmp(s->ptr, z, n) == 0;
}

int
disc_call(actr_ipc *ipc, const char *func, const actr_type *args_t, const void *args,
          const actr_type *res_t, void *res, int64_t deadline)
{
    actr_actor *a = actr_self();
    if (!a)
        return actr_error_set(ACTR_ESTATE, "not in an actor");
    char cid[ACTRI_UUID_LEN + 1];
    actri_uuid4(cid);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    int rc = 0;
    if (args_t && args) {
        actr_codec_err err;
        if ((rc = actr_codec_encode_buf(&sb, args_t, args, &err)) < 0) {
            msgpack_sbuffer_destroy(&sb);
            return actr_error_set(rc, "self:%s: cannot encode the arguments: %s", func, err.msg);
        }
    } else {
        msgpack_pack_map(&(msgpack_packer){&sb, msgpack_sbuffer_write}, 0);
    }
    actr_msg m = {.type = ACTR_MSG_START};
    m.u.start.cid = zstr(cid);
    m.u.start.ns = zstr("self");
    m.u.start.func = zstr(func);
    m.u.start.kwargs.ptr = (uint8_t *)sb.data;
    m.u.start.kwargs.len = sb.size;
    m.u.start.uid.name = zstr(actr_actor_name(a));
    m.u.start.uid.uuid = zstr(actr_actor_uuid(a));
    rc = actr_ipc_send(ipc, &m, deadline);
    msgpack_sbuffer_destroy(&sb);
    if (rc < 0)
        return rc;
    for (;;) {
        actr_msg r;
        if ((rc = actr_ipc_recv(ipc, &r, deadline)) < 0)
            return rc;
        actr_str rcid;
        if (!actr_msg_cid(&r, &rcid) || !str_is(&rcid, cid))
            continue;                       /* not ours: ignore */
        if (r.type == ACTR_MSG_ERROR) {
            char what[64];
            snprintf(what, sizeof what, "self:%s", func);
            return actri_wire_error_raise(&r.u.error, what);
        }
        if (r.type != ACTR_MSG_RETURN)
            continue;                       /* StartAck */
        if (!res_t || !res)
            return 0;
        actr_codec_err err;
        rc = actr_codec_decode_buf(r.u.ret.pld.ptr, r.u.ret.pld.len, res_t, res, NULL, &err);
        if (rc < 0)
            return actr_error_set(ACTR_ETYPE, "self:%s: unexpected reply: %s", func, err.msg);
        return 0;
    }
}

int
disc_probe(const actr_addr *addr, const char *uuid, int *is_registrar, int64_t deadline)
{
    actr_ipc *ipc;
    int rc = disc_connect(addr, 1, &ipc, deadline);
    if (rc < 0)
        return rc;
    const actr_msg_aid *peer = actr_ipc_peer(ipc);
    if (uuid && !str_is(&peer->uuid, uuid)) {
        rc = actr_error_set(ACTR_ENOTFOUND, "another actor (%.*s) answers there",
                            (int)peer->name.len, peer->name.ptr);
    } else if (is_registrar) {
        /* tractor: "is_registrar != False" counts as a registrar. */
        *is_registrar = !peer->has_is_registrar || peer->is_registrar;
    }
    actr_ipc_close(ipc, 0);
    return rc;
}

int
disc_addr_from_wire(const actr_self_addr *w, actr_addr *out)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    int rc = actr_codec_encode_buf(&sb, &actr_self_addr_type, w, NULL);
    if (rc == 0) {
        rc = actr_addr_decode((const uint8_t *)sb.data, sb.size, out);
        rc = rc < 0 ? rc : 0;
    }
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

int
disc_addr_to_wire(const actr_addr *a, actr_self_addr *out)
{
    actr_wbuf b = ACTR_WBUF_INIT;
    int rc = actr_addr_encode(a, &b);
    if (rc == 0)
        rc = actr_codec_decode_buf(b.ptr, b.len, &actr_self_addr_type, out, NULL, NULL);
    actr_wbuf_destroy(&b);
    return rc;
}
