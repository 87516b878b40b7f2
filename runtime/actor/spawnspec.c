/* The SpawnSpec (actor/spawn.h, S2): what a parent sends its child after
 * the handshake, in tractor's field and runtime-variable order (captures,
 * observation 5), and how a child applies it. */
#define _GNU_SOURCE
#include "actor/link.h"
#include "actor/spawn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ modules */

static const actr_module *
module_by_ns(const actr_actor *a, const char *ns, size_t len)
{
    for (size_t i = 0; i < a->nmodules; i++) {
        const char *m = a->modules[i]->ns;
        if (strlen(m) == len && memcmp(m, ns, len) == 0)
            return a->modules[i];
    }
    return NULL;
}

int
actri_actor_enable(actr_actor *a, const char *ns, size_t len)
{
    const actr_module *m = module_by_ns(a, ns, len);
    if (!m)
        return actr_error_set(ACTR_ENOTFOUND, "module '%.*s' is not compiled into this"
                              " program", (int)len, ns);
    for (size_t i = 0; i < a->nenabled; i++)
        if (a->enabled[i] == m)
            return 0;
    a->enabled[a->nenabled++] = m;
    actr_log_runtime(ACTOR_TAG, "module %s enabled", m->ns);
    return 0;
}

/* ------------------------------------------------------------ child side */

/* The root's address, runtime variable _root_mailbox (the root's first
 * listen address throughout the tree, as in tractor), from the unpacked
 * runtime variables u. 0, or ACTR_EPROTO when absent or not an address. */
static int
root_mailbox_of(const msgpack_unpacked *u, actr_addr *out)
{
    if (u->data.type != MSGPACK_OBJECT_MAP)
        return ACTR_EPROTO;
    const msgpack_object_map *m = &u->data.via.map;
    for (uint32_t i = 0; i < m->size; i++) {
        const msgpack_object *k = &m->ptr[i].key;
        if (k->type != MSGPACK_OBJECT_STR || k->via.str.size != 13 ||
            memcmp(k->via.str.ptr, "_root_mailbox", 13) != 0)
            continue;
        msgpack_sbuffer sb;
        msgpack_packer pk;
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        int rc = msgpack_pack_object(&pk, m->ptr[i].val) == 0
               ? actr_addr_decode((const uint8_t *)sb.data, sb.size, out) : ACTR_ENOMEM;
        msgpack_sbuffer_destroy(&sb);
        return rc < 0 ? rc : 0;
    }
    return ACTR_EPROTO;
}

int
actri_spawnspec_apply(actr_actor *a, const actr_msg_spawnspec *ss, actr_addr **bind,
                      size_t *nbind)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    int rc = 0;
    if (msgpack_unpack_next(&u, (const char *)ss->enable_modules.ptr, ss->enable_modules.len,
                            NULL) == MSGPACK_UNPACK_SUCCESS &&
        u.data.type == MSGPACK_OBJECT_MAP) {
        const msgpack_object_map *m = &u.data.via.map;
        for (uint32_t i = 0; i < m->size && rc == 0; i++) {
            const msgpack_object *k = &m->ptr[i].key;
            if (k->type != MSGPACK_OBJECT_STR)
                continue;
            const char *ns = k->via.str.ptr;
            size_t len = k->via.str.size;
            if (len > 8 && memcmp(ns, "tractor.", 8) == 0) {
                /* A tractor parent always enables its own debugger lock
                 * module: Python's business, not ours. */
                actr_log_runtime(ACTOR_TAG, "SpawnSpec module %.*s is tractor's: skipped",
                                 (int)len, ns);
                continue;
            }
            if (actri_actor_enable(a, ns, len) < 0) {
                /* S2: a child that cannot serve what it was asked to does
                 * not start; its parent's start gets this error. */
                char msg[300];
                snprintf(msg, sizeof msg, "the spawn spec enables module '%.*s', which"
                         " program %s does not have", (int)(len > 200 ? 200 : len), ns,
                         program_invocation_short_name);
                actr_error e = {.code = ACTR_ENOTFOUND, .message = msg,
                                .type_name = "ModuleNotExposed"};
                rc = actr_error_set_detail(&e);
            }
        }
    }
    msgpack_unpacked_destroy(&u);
    if (rc < 0)
        return rc;
    msgpack_unpacked_init(&u);
    if (msgpack_unpack_next(&u, (const char *)ss->runtime_vars.ptr, ss->runtime_vars.len,
                            NULL) == MSGPACK_UNPACK_SUCCESS &&
        u.data.type == MSGPACK_OBJECT_MAP) {
        const msgpack_object_map *m = &u.data.via.map;
        for (uint32_t i = 0; i < m->size; i++) {
            const msgpack_object *k = &m->ptr[i].key;
            if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == 11 &&
                memcmp(k->via.str.ptr, "_debug_mode", 11) == 0 &&
                m->ptr[i].val.type == MSGPACK_OBJECT_BOOLEAN)
                a->debug_mode = m->ptr[i].val.via.boolean;
        }
    }
    if (root_mailbox_of(&u, &a->root_mailbox) < 0)
        a->root_mailbox.kind = ACTR_ADDR_NONE;
    msgpack_unpacked_destroy(&u);
    if ((rc = actr_addr_list_decode(&ss->reg_addrs, &a->reg_addrs, &a->nreg)) < 0)
        return actr_error_set(rc, "SpawnSpec.reg_addrs is not a list of addresses");
    if ((rc = actr_addr_list_decode(&ss->bind_addrs, bind, nbind)) < 0)
        return actr_error_set(rc, "SpawnSpec.bind_addrs is not a list of addresses");
    return 0;
}

/* ------------------------------------------------------------ parent side */

static void
pack_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

static int
pack_addrs(msgpack_sbuffer *sb, const actr_addr *addrs, size_t n)
{
    actr_wbuf w = ACTR_WBUF_INIT;
    int rc = actr_addr_list_encode(addrs, n, &w);
    if (rc == 0)
        msgpack_sbuffer_write(sb, (const char *)w.ptr, w.len);
    actr_wbuf_destroy(&w);
    return rc;
}

static int
pack_addr(msgpack_sbuffer *sb, const actr_addr *a)
{
    actr_wbuf w = ACTR_WBUF_INIT;
    int rc = actr_addr_encode(a, &w);
    if (rc == 0)
        msgpack_sbuffer_write(sb, (const char *)w.ptr, w.len);
    actr_wbuf_destroy(&w);
    return rc;
}

/* Sends the SpawnSpec, fields and runtime variables in tractor's wire
 * order (captures, observation 5). */
int
actri_spawnspec_send(actr_actor *a, struct link *l, const actr_spawn_opts *o,
                     const char *exe)
{
    msgpack_sbuffer main_sb, vars_sb, mods_sb, reg_sb, bind_sb;
    msgpack_sbuffer_init(&main_sb);
    msgpack_sbuffer_init(&vars_sb);
    msgpack_sbuffer_init(&mods_sb);
    msgpack_sbuffer_init(&reg_sb);
    msgpack_sbuffer_init(&bind_sb);
    msgpack_packer pk;
    int rc = 0;

    /* A C program has no Python __main__ to share: what tractor sends when
     * it has none either (inherit_parent_main=False). A tractor child
     * imports whatever init_main_from_name names, and dies when it is no
     * module (issue 16). */
    (void)exe;
    msgpack_packer_init(&pk, &main_sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 0);

    const actr_addr *self_addr = a->listener ? actr_listener_addr(a->listener, 0) : NULL;
    /* _root_mailbox and _root_addrs name the root, wherever we are. */
    const actr_addr *root_addr = !a->is_root && a->root_mailbox.kind != ACTR_ADDR_NONE
                               ? &a->root_mailbox : self_addr;
    msgpack_packer_init(&pk, &vars_sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 10);
    pack_str(&pk, "_is_root");
    msgpack_pack_false(&pk);
    pack_str(&pk, "_root_mailbox");
    if (root_addr)
        rc |= pack_addr(&vars_sb, root_addr);
    else
        msgpack_pack_nil(&pk);
    pack_str(&pk, "_root_addrs");
    rc |= pack_addrs(&vars_sb, root_addr, root_addr ? 1 : 0);
    pack_str(&pk, "_enable_tpts");
    msgpack_pack_array(&pk, 1);
    pack_str(&pk, self_addr && self_addr->kind == ACTR_ADDR_UNIX ? "uds" : "tcp");
    pack_str(&pk, "_registry_addrs");
    rc |= pack_addrs(&vars_sb, a->reg_addrs, a->nreg);
    pack_str(&pk, "_debug_mode");
    a->debug_mode ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
    pack_str(&pk, "repl_fixture");
    msgpack_pack_false(&pk);
    pack_str(&pk, "use_greenback");
    msgpack_pack_false(&pk);
    pack_str(&pk, "use_stackscope");
    msgpack_pack_false(&pk);
    pack_str(&pk, "_is_infected_aio");
    msgpack_pack_false(&pk);

    msgpack_packer_init(&pk, &mods_sb, msgpack_sbuffer_write);
    size_t nen = o ? o->nenable : 0;
    msgpack_pack_map(&pk, nen);
    for (size_t i = 0; i < nen; i++) {
        const actr_module *m = NULL;
        for (size_t j = 0; j < a->nmodules && !m; j++)
            if (strcmp(a->modules[j]->ns, o->enable[i]) == 0)
                m = a->modules[j];
        pack_str(&pk, o->enable[i]);
        pack_str(&pk, m && m->source ? m->source : o->enable[i]);
    }

    rc |= pack_addrs(&reg_sb, a->reg_addrs, a->nreg);

    actr_addr *bind = NULL;
    size_t nbind = o ? o->nbind : 0;
    if (nbind > 0 && (bind = calloc(nbind, sizeof *bind)) == NULL)
        rc = ACTR_ENOMEM;
    for (size_t i = 0; i < nbind && rc == 0; i++)
        if (actr_addr_parse(o->bind[i], &bind[i]) < 0)
            rc = actr_error_set(ACTR_EINVAL, "bad bind address \"%s\"", o->bind[i]);
    if (rc == 0 && nbind > 0)
        rc = pack_addrs(&bind_sb, bind, nbind);
    free(bind);

    if (rc == 0) {
        actr_msg m = {.type = ACTR_MSG_SPAWNSPEC};
        actr_msg_spawnspec *ss = &m.u.spawnspec;
        ss->parent_main_data = (actr_any){(uint8_t *)main_sb.data, main_sb.size};
        ss->runtime_vars = (actr_any){(uint8_t *)vars_sb.data, vars_sb.size};
        ss->enable_modules = (actr_any){(uint8_t *)mods_sb.data, mods_sb.size};
        ss->reg_addrs = (actr_any){(uint8_t *)reg_sb.data, reg_sb.size};
        ss->bind_addrs = (actr_any){(uint8_t *)bind_sb.data, bind_sb.size};  /* nil if empty */
        rc = actri_link_send(l, &m, 0);
    } else if (rc > 0 || rc < ACTR_ENOTSUP) {
        rc = ACTR_EINVAL;
    }
    msgpack_sbuffer_destroy(&main_sb);
    msgpack_sbuffer_destroy(&vars_sb);
    msgpack_sbuffer_destroy(&mods_sb);
    msgpack_sbuffer_destroy(&reg_sb);
    msgpack_sbuffer_destroy(&bind_sb);
    return rc;
}
