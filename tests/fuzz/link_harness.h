/* The in-process actor of the dialog and registrar fuzzers: a real actor
 * object (its service nursery, the fuzzmod module, and, for the
 * registrar fuzzer, the registrar's `self` endpoints) with one real link
 * whose channel is one end of a socketpair, already handshaken with an
 * authenticated peer. The fuzz input is a sequence of frames (4-byte
 * little-endian length, msgpack body) written to the other end; the
 * link's message loop routes them through link/dialog/invoke exactly as
 * from a socket, the tasks they start run, and then the peer's EOF ends
 * the link (S14: every task it started is cancelled). Everything must
 * end, free what it took, and never crash or abort. Included by one
 * fuzzer each (static functions). */
#ifndef FUZZ_LINK_HARNESS_H
#define FUZZ_LINK_HARNESS_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "actor/actor.h"
#include "actor/hooks.h"
#include "actor/link.h"
#include "discovery/disc.h"
#include "ipc/channel.h"
#include "fuzzmod.actor.h"

/* ------------------------------------------------------------ fuzzmod */

int
fuzzmod_add_impl(actr_call *call, int64_t a, int64_t b, int64_t *out)
{
    (void)call;
    *out = (int64_t)((uint64_t)a + (uint64_t)b);
    return 0;
}

int
fuzzmod_count_impl(fuzzmod_count_call *call, uint32_t n)
{
    int rc = 0;
    for (uint32_t i = 0; i < n && i < 8 && rc == 0; i++)
        rc = fuzzmod_count_call_yield(call, i);
    return rc;
}

int
fuzzmod_echo_impl(fuzzmod_echo_call *call, actr_str prefix, uint64_t *out)
{
    (void)prefix;
    int rc = fuzzmod_echo_call_started(call, 1);
    uint64_t n = 0;
    actr_str v;
    while (rc == 0 && n < 64 && (rc = fuzzmod_echo_call_recv(call, &v)) == 0) {
        rc = fuzzmod_echo_call_send(call, v);
        actr_str_free(&v);
        n++;
    }
    if (rc != 0 && rc != ACTR_EPIPE)
        return rc;
    *out = n;
    return 0;
}

/* ------------------------------------------------------------ the run */

#define PEER_NAME "peer"
#define PEER_UUID "11111111-1111-4111-8111-111111111111"

struct harness {
    const uint8_t *data;
    size_t size;
    int registrar;
    int fd;                       /* the peer's end */
};

/* The peer: writes the input, then reads (and drops) what comes back
 * until the actor closes its end. */
static int
peer_task(void *arg)
{
    struct harness *h = arg;
    size_t off = 0;
    while (off < h->size) {
        ssize_t n = write(h->fd, h->data + off, h->size - off);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN)
            break;
        uint8_t sink[4096];
        if (read(h->fd, sink, sizeof sink) <= 0 &&
            actr_fd_wait(h->fd, ACTR_READ | ACTR_WRITE, actr_deadline_in(1000)) < 0)
            break;
    }
    shutdown(h->fd, SHUT_WR);
    uint8_t sink[4096];
    for (;;) {
        ssize_t n = read(h->fd, sink, sizeof sink);
        if (n > 0)
            continue;
        if (n == 0 || errno != EAGAIN || actr_fd_wait(h->fd, ACTR_READ,
                                                      actr_deadline_in(2000)) < 0)
            break;
    }
    return 0;
}

static int
harness_main(void *arg)
{
    struct harness *h = arg;
    static const actr_module *mods[] = {&fuzzmod_module};
    static const actr_module *enabled[2];
    static struct actri_hooks hooks;
    actr_actor *a = calloc(1, sizeof *a);
    int sp[2];
    if (!a || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp) < 0)
        abort();
    a->pid = 1;
    a->is_root = 1;
    actri_uid_set(&a->uid, "fuzz", 4, "22222222-2222-4222-8222-222222222222", 36);
    a->modules = mods;
    a->nmodules = 1;
    enabled[0] = &fuzzmod_module;
    a->enabled = enabled;
    a->nenabled = 1;
    a->lim.max_tasks = 64;
    a->lim.max_conn_tasks = 32;
    a->lim.max_conns = 4;
    a->lim.max_handshakes = 4;
    if (h->registrar) {
        hooks.is_registrar = 1;
        hooks.self_ext = &disc_registrar_ns;
        a->hooks = &hooks;
    }
    if (actr_nursery_open(&a->svc) < 0)
        abort();
    if (h->registrar && disc_registrar_start(a) < 0)
        abort();

    actr_ipc *ipc;
    actr_addr ra = {.kind = ACTR_ADDR_UNIX};
    strcpy(ra.path, "/fuzz");
    if (actri_ipc_new(sp[0], NULL, &ra, &ipc) < 0)
        abort();
    /* As after an authenticated handshake with PEER. */
    actr_msg me = {.type = ACTR_MSG_AID}, peer = {.type = ACTR_MSG_AID};
    me.u.aid.name = (actr_str){"fuzz", 4};
    me.u.aid.uuid = (actr_str){"22222222-2222-4222-8222-222222222222", 36};
    peer.u.aid.name = (actr_str){PEER_NAME, strlen(PEER_NAME)};
    peer.u.aid.uuid = (actr_str){PEER_UUID, strlen(PEER_UUID)};
    peer.u.aid.has_actr = 1;
    peer.u.aid.actr = ACTR_EXT_VERSION;
    if (actr_msg_dup(&me, &ipc->self) < 0 || actr_msg_dup(&peer, &ipc->peer) < 0)
        abort();
    ipc->shaken = 1;
    ipc->authed = 1;
    struct link *l;
    if (actri_link_new(a, ipc, &l) < 0)
        abort();
    h->fd = sp[1];
    actr_nursery *n;
    if (actr_nursery_open(&n) < 0 || actr_nursery_spawn(n, peer_task, h) < 0)
        abort();
    actri_link_serve(l);
    actri_link_unref(l);
    actr_nursery_close(n, actr_deadline_in(5000));
    close(sp[1]);
    actr_nursery_cancel(a->svc);
    actr_nursery_close(a->svc, ACTR_FOREVER);
    while (a->links) {
        struct link *k = a->links;
        actri_link_shutdown(k, ACTR_ECLOSED);
        a->links = k->next;
    }
    disc_registrar_free();
    actri_uid_clear(&a->uid);
    free(a->reg_addrs);
    free(a);
    return 0;
}

static void
harness_run(const uint8_t *data, size_t size, int registrar)
{
    static int once;
    if (!once) {
        once = 1;
        actr_log_set_level(ACTR_LOG_ERROR + 100);   /* quiet: speed */
        actr_secret_random();
        disc_registrar_init();
    }
    struct harness h = {data, size, registrar, -1};
    if (actr_run(harness_main, &h) < 0)
        abort();
}

#endif
